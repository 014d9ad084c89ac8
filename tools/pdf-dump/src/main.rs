//! `pdf-dump OUT_DIR FILE.pdf...`: writes what `pdf-extract` makes of each file to
//! `OUT_DIR/STEM.pdf-extract.txt` (pages joined by newlines), or the error (or panic) to
//! `OUT_DIR/STEM.pdf-extract.err`, so envkb's comparison example can score it.

use std::path::{Path, PathBuf};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: pdf-dump OUT_DIR FILE.pdf...");
        std::process::exit(2);
    };
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("pdf-dump: cannot create {}: {e}", out.display());
        std::process::exit(1);
    }
    for file in args {
        let path = Path::new(&file);
        let stem = path.file_stem().map_or("out".into(), |s| s.to_string_lossy().into_owned());
        let result = std::fs::read(path).map_err(|e| e.to_string()).and_then(|bytes| {
            std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(&bytes))
                .map_err(|_| "panicked".to_string())?
                .map(|pages| pages.join("\n"))
                .map_err(|e| e.to_string())
        });
        let (name, body) = match result {
            Ok(text) => (format!("{stem}.pdf-extract.txt"), text),
            Err(e) => (format!("{stem}.pdf-extract.err"), e),
        };
        if let Err(e) = std::fs::write(out.join(&name), body) {
            eprintln!("pdf-dump: cannot write {name}: {e}");
            std::process::exit(1);
        }
        println!("{name}");
    }
}
