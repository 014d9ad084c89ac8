//! Any bytes given to the DOCX loader end in text or a reason, never a panic or a hang.
#![no_main]

use envkb::ingest::loader::{load, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = load(std::path::Path::new("fuzz.docx"), Format::Docx, data.to_vec());
});
