//! Where to look for the model files when no directory is given, and the record an index
//! keeps of the model that built it, so `envkb` finds its model from any working directory.
//!
//! Owns the search order and the record file (`model.json` in the index directory). It does
//! not decide whether a directory holds a usable model (`ModelSource::discover` does) or load
//! anything.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::source::{DEFAULT_MODEL_DIR, PACKED_FILE};

/// File in the index directory naming the model the index was built with.
pub const RECORD_FILE: &str = "model.json";

/// The model an index was built with: where its files were and what they were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRecord {
    /// Absolute path of the model directory at indexing time.
    pub dir: PathBuf,
    /// The model identity recorded with the vectors (`LoadedModel::model_id`).
    pub model_id: String,
    /// blake3 of the weights file, when it is the packed file, to tell a moved copy from
    /// other weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
}

impl ModelRecord {
    /// A record of the model in `dir` with identity `model_id` (hashes the packed weights).
    pub fn of(dir: &Path, model_id: &str) -> ModelRecord {
        let dir = absolute(dir);
        let blake3 = std::fs::read(dir.join(PACKED_FILE))
            .ok()
            .map(|b| blake3::hash(&b).to_hex().to_string());
        ModelRecord {
            dir,
            model_id: model_id.to_string(),
            blake3,
        }
    }

    /// The record in `index_dir`, if one was written and can be read.
    pub fn read(index_dir: &Path) -> Option<ModelRecord> {
        let bytes = std::fs::read(index_dir.join(RECORD_FILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Writes the record into `index_dir` (atomically: a temporary file renamed into place).
    pub fn write(&self, index_dir: &Path) -> std::io::Result<()> {
        let mut tmp = tempfile::NamedTempFile::new_in(index_dir)?;
        serde_json::to_writer_pretty(&mut tmp, self)?;
        tmp.persist(index_dir.join(RECORD_FILE))
            .map_err(|e| e.error)?;
        Ok(())
    }
}

/// `path` made absolute against the working directory (without resolving links), so
/// messages and records name a place that means the same from anywhere.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The per-user data directory for envkb's model: `$XDG_DATA_HOME/envkb/models`, else
/// `~/.local/share/envkb/models` (the XDG base directory convention).
pub fn user_model_dir() -> Option<PathBuf> {
    let data = match std::env::var_os("XDG_DATA_HOME") {
        Some(d) if !d.is_empty() && Path::new(&d).is_absolute() => PathBuf::from(d),
        _ => {
            let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
            PathBuf::from(home).join(".local").join("share")
        }
    };
    Some(data.join("envkb").join("models"))
}

/// The directories to try, in order, when no model directory is given: the one recorded
/// in the index, `models/` in the working directory (a checkout), `models/` next to the
/// binary, and the per-user data directory. Absolute and without repeats.
pub fn candidates(index_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    if let Some(r) = index_dir.and_then(ModelRecord::read) {
        out.push(r.dir);
    }
    out.push(absolute(Path::new(DEFAULT_MODEL_DIR)));
    if let Some(bin_dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        out.push(bin_dir.join(DEFAULT_MODEL_DIR));
    }
    out.extend(user_model_dir());
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(p.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorded_directory_comes_first_and_all_are_absolute() {
        let index = tempfile::tempdir().unwrap();
        let model = tempfile::tempdir().unwrap();
        std::fs::write(model.path().join(PACKED_FILE), b"weights").unwrap();
        let record = ModelRecord::of(model.path(), "multilingual-e5-small/packed-q4/7");
        assert_eq!(
            record.blake3.as_deref(),
            Some(blake3::hash(b"weights").to_hex().as_str())
        );
        record.write(index.path()).unwrap();
        assert_eq!(ModelRecord::read(index.path()), Some(record));
        let dirs = candidates(Some(index.path()));
        assert_eq!(dirs[0], model.path());
        assert!(dirs.iter().all(|d| d.is_absolute()), "{dirs:?}");
        assert!(dirs.iter().any(|d| d.ends_with("envkb/models")), "{dirs:?}");
    }

    #[test]
    fn an_index_without_a_record_still_has_the_default_places() {
        let index = tempfile::tempdir().unwrap();
        assert_eq!(ModelRecord::read(index.path()), None);
        let dirs = candidates(Some(index.path()));
        assert_eq!(dirs[0], absolute(Path::new("models")));
        assert!(dirs.len() >= 2);
    }
}
