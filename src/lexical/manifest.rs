//! The manifest: which documents the index holds, with their content hashes, kept in a
//! file named by the tantivy commit's payload so that both change in one atomic commit.
//!
//! A crash before the commit leaves the previous payload pointing at the previous
//! manifest; the orphaned new file is removed by the next successful commit.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::text::{AnalyzerOptions, Lang};

/// Bumped when the on-disk layout changes incompatibly, or when documents are cut so
/// differently that an index must be rebuilt to be right. 3: law structure (article,
/// تبصره and بند markers as law sites write them, «مکرر» articles, amendment notes) is
/// recognized by every loader, so chunks of older indexes carry wrong article numbers.
/// 4: chunks read by OCR from scanned pages store their word confidence (`ocr_confidence`).
/// 5: an index with vectors also stores its evidence sentences' vectors (`sentences`), which
/// older indexes lack, so their answers would run the encoder on every candidate sentence.
pub const FORMAT_VERSION: u32 = 5;

/// The files committed with a generation beside the manifest, when the index has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Companions {
    /// The chunk vector file.
    pub vectors: Option<String>,
    /// The sentence vector file.
    pub sentences: Option<String>,
}

/// What the commit payload says.
#[derive(Debug, Serialize, Deserialize)]
pub struct Payload {
    /// The index format the commit was written in.
    pub format: u32,
    /// File name of the manifest committed with it.
    pub manifest: String,
}

/// Analyzer switches, recorded so an index is always queried the way it was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyzerSettings {
    pub(crate) pair_joins: bool,
    pub(crate) persian_suffixes: bool,
    pub(crate) persian_stopwords: bool,
}

impl From<AnalyzerOptions> for AnalyzerSettings {
    fn from(o: AnalyzerOptions) -> Self {
        AnalyzerSettings {
            pair_joins: o.pair_joins,
            persian_suffixes: o.persian_suffixes,
            persian_stopwords: o.persian_stopwords,
        }
    }
}

impl From<AnalyzerSettings> for AnalyzerOptions {
    fn from(s: AnalyzerSettings) -> Self {
        AnalyzerOptions {
            pair_joins: s.pair_joins,
            persian_suffixes: s.persian_suffixes,
            persian_stopwords: s.persian_stopwords,
        }
    }
}

/// One indexed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocEntry {
    /// The file it was indexed from.
    pub path: String,
    /// blake3 of the file's bytes: an unchanged file is skipped on re-index.
    pub hash: String,
    /// Its title (front matter, metadata, first heading or file name).
    pub title: String,
    /// Its type, for filters.
    pub doc_type: String,
    /// Its language, for filters and the answer language.
    pub lang: Lang,
    /// Year of enactment or publication, when known.
    pub year: Option<u32>,
    /// Status from its front matter, when given.
    pub status: Option<String>,
    /// How many chunks it was cut into (ids `doc#0` up to it).
    pub chunks: u32,
    /// Size of its text in bytes.
    pub bytes: u64,
    /// The structure reader's version it was cut with
    /// ([`crate::ingest::structure::STRUCTURE_VERSION`]); 0 in indexes written before the
    /// version was recorded. An older one makes the next `index` read the file again even
    /// though its bytes are unchanged, so a better reading of law markers reaches documents
    /// already indexed without rebuilding the index.
    #[serde(default)]
    pub structure: u32,
}

/// The set of indexed documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Counts commits; names this manifest's file and its companions.
    pub generation: u64,
    /// The analyzer options the index was built with; queries must use the same.
    pub analyzer: AnalyzerSettings,
    /// Every indexed document by id.
    pub documents: BTreeMap<String, DocEntry>,
    /// The vector file committed with this generation, when the index has a semantic side.
    #[serde(default)]
    pub vectors: Option<String>,
    /// Which model made the vectors (vectors from another model are never mixed in).
    #[serde(default)]
    pub model: Option<String>,
    /// The sentence-vector file committed with this generation (made by the same model).
    #[serde(default)]
    pub sentences: Option<String>,
}

impl Manifest {
    /// An empty manifest for a new index built with `options`.
    pub fn new(options: AnalyzerOptions) -> Manifest {
        Manifest {
            generation: 0,
            analyzer: options.into(),
            documents: BTreeMap::new(),
            vectors: None,
            model: None,
            sentences: None,
        }
    }

    /// The file a generation's manifest is written to.
    pub fn file_name(generation: u64) -> String {
        format!("manifest-{generation:08}.json")
    }

    pub(crate) fn chunk_count(&self) -> u64 {
        self.documents.values().map(|d| u64::from(d.chunks)).sum()
    }

    /// Writes the manifest durably under its generation's name and returns that name.
    pub fn write(&self, dir: &Path) -> std::io::Result<String> {
        let name = Manifest::file_name(self.generation);
        let tmp = dir.join(format!("{name}.tmp"));
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&serde_json::to_vec(self).map_err(std::io::Error::other)?)?;
        f.sync_all()?;
        fs::rename(&tmp, dir.join(&name))?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(name)
    }

    /// Reads the manifest file `name` in `dir`.
    pub fn read(dir: &Path, name: &str) -> std::io::Result<Manifest> {
        let bytes = fs::read(dir.join(name))?;
        serde_json::from_slice(&bytes).map_err(std::io::Error::other)
    }

    /// Removes manifests other than `keep` (leftovers of crashed or older commits).
    pub fn remove_others(dir: &Path, keep: &str) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("manifest-") && name != keep {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}
