//! What an index directory holds before it is opened or created, and what opening it
//! found wrong.
//!
//! Owns the rule that only an absent or empty directory is made into a new index: one
//! that holds envkb or tantivy files but no `meta.json` is a damaged index (creating a new
//! one there would delete the old segments and overwrite the manifest and vectors at the
//! first write), and one that holds other files is not an index at all. It also verifies
//! the footer checksum tantivy keeps in every segment file ([`verify_segments`]), so damage
//! is refused at open with the file's name instead of turning into panics, 500s or quietly
//! different results. It does not open or write indexes (`LexicalIndex` does).

use std::path::{Path, PathBuf};

use super::LexicalError;

/// What `dir` holds, as far as creating an index there is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirState {
    /// No directory, or an empty one (tantivy's lock files alone count as empty).
    Vacant,
    /// A `meta.json`: an index to open.
    Index,
    /// envkb or tantivy files without the `meta.json` that ties them together.
    Damaged {
        /// The files found.
        found: Vec<String>,
    },
    /// Files that are not an index's.
    Foreign {
        /// The files found.
        found: Vec<String>,
    },
}

/// Lock files tantivy leaves behind; harmless on their own.
const LOCKS: [&str; 2] = [".tantivy-meta.lock", ".tantivy-writer.lock"];

/// Extensions of tantivy's segment files.
const SEGMENT_EXTENSIONS: [&str; 8] = [
    "idx",
    "term",
    "pos",
    "store",
    "fieldnorm",
    "fast",
    "del",
    "temp",
];

/// Whether `name` (a directory entry of an index) is a file envkb or tantivy writes.
fn is_index_file(name: &str) -> bool {
    name == "meta.json"
        || name == ".managed.json"
        // The server keeps uploaded files here (`server::writer::UPLOADS_DIR`).
        || name == "uploads"
        || (name.starts_with("manifest-") && name.ends_with(".json"))
        || (name.starts_with("vectors-") && name.ends_with(".bin"))
        || Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| SEGMENT_EXTENSIONS.contains(&e))
}

/// Looks at `dir` without changing anything.
pub fn inspect(dir: &Path) -> Result<DirState, LexicalError> {
    if dir.join("meta.json").exists() {
        return Ok(DirState::Index);
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DirState::Vacant),
        Err(e) => return Err(LexicalError::Io(e)),
    };
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !LOCKS.contains(&n.as_str()))
        .collect();
    names.sort();
    if names.is_empty() {
        Ok(DirState::Vacant)
    } else if names.iter().any(|n| is_index_file(n)) {
        Ok(DirState::Damaged { found: names })
    } else {
        Ok(DirState::Foreign { found: names })
    }
}

/// A short list of names for a message: the first few, then how many more.
fn listed(names: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut s = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        s.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    s
}

/// The error for a directory that holds something but no index to open.
pub fn refusal(dir: &Path, state: &DirState) -> Option<LexicalError> {
    match state {
        DirState::Damaged { found } => Some(LexicalError::Corrupt {
            dir: dir.to_path_buf(),
            detail: format!(
                "meta.json is missing, so the index files there ({}) cannot be opened; restore meta.json from a backup or rebuild the index in an empty folder with `envkb index` (nothing was changed)",
                listed(found)
            ),
        }),
        DirState::Foreign { found } => Some(LexicalError::NotAnIndex {
            dir: dir.to_path_buf(),
            found: listed(found),
        }),
        DirState::Vacant | DirState::Index => None,
    }
}

/// Checks the footer checksum of every file of the committed segments (a missing one
/// fails to open and is named too). Reads every byte once, so it costs about one pass
/// over the index on disk.
pub fn verify_segments(dir: &Path, index: &tantivy::Index) -> Result<(), LexicalError> {
    let corrupt = |detail: String| LexicalError::Corrupt {
        dir: dir.to_path_buf(),
        detail,
    };
    let mut damaged: Vec<PathBuf> = index
        .validate_checksum()
        .map_err(|e| corrupt(format!("a segment file is missing or cannot be read ({e})")))?
        .into_iter()
        .collect();
    if !damaged.is_empty() {
        damaged.sort();
        return Err(corrupt(format!(
            "checksum mismatch in {}; restore the index from a backup or rebuild it with `envkb index`",
            listed(&names(&damaged))
        )));
    }
    Ok(())
}

fn names(paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|p| p.display().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absent_or_empty_directories_are_vacant() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("idx");
        assert_eq!(inspect(&dir).unwrap(), DirState::Vacant);
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join(".tantivy-meta.lock"), b"").unwrap();
        assert_eq!(inspect(&dir).unwrap(), DirState::Vacant);
        std::fs::write(dir.join("manifest-00000003.json"), b"{}").unwrap();
        let state = inspect(&dir).unwrap();
        assert!(matches!(state, DirState::Damaged { .. }), "{state:?}");
        let msg = refusal(&dir, &state).unwrap().to_string();
        assert!(msg.contains("meta.json is missing"), "{msg}");
        assert!(msg.contains("manifest-00000003.json"), "{msg}");
        std::fs::write(dir.join("meta.json"), b"{}").unwrap();
        assert_eq!(inspect(&dir).unwrap(), DirState::Index);
        let other = tmp.path().join("home");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("notes.txt"), b"x").unwrap();
        let state = inspect(&other).unwrap();
        assert!(matches!(state, DirState::Foreign { .. }));
        assert!(refusal(&other, &state)
            .unwrap()
            .to_string()
            .contains("notes.txt"));
    }
}
