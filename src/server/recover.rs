//! What a crash can leave in the `uploads/` folder, and putting it right when the server
//! starts, before the writer takes its first job.
//!
//! An upload is stored (through a hidden `.incoming-` file), then indexed, then committed;
//! a replace first moves the old file aside as `.replaced-NAME`. A `kill -9` between
//! those steps leaves a file the index does not know about (and a later upload of the same
//! name would then say it replaced something), a half-written temporary file, or a moved
//! aside old version. The manifest is the truth: what it does not name is removed, a
//! moved-aside file whose content is what the manifest recorded is put back. Everything
//! done is reported. It never touches the index itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::lexical::Manifest;

/// The prefix of a half-written upload (see `writer::write_durably`).
pub const INCOMING_PREFIX: &str = ".incoming-";
/// The prefix of the previous version of an upload being replaced.
pub const REPLACED_PREFIX: &str = ".replaced-";

/// Puts `uploads` (canonical) in agreement with `manifest`; returns one line per thing it
/// changed, for the log.
pub fn repair_uploads(uploads: &Path, manifest: &Manifest) -> Vec<String> {
    let mut report = Vec::new();
    let Ok(entries) = std::fs::read_dir(uploads) else {
        return report;
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // The hash the index holds for each uploaded file, by its name in the folder.
    let indexed: HashMap<PathBuf, &str> = manifest
        .documents
        .values()
        .map(|d| (PathBuf::from(&d.path), d.hash.as_str()))
        .filter(|(p, _)| p.starts_with(uploads))
        .collect();
    let hash_of = |p: &Path| {
        std::fs::read(p)
            .ok()
            .map(|b| blake3::hash(&b).to_hex().to_string())
    };
    // Moved-aside versions first: one may be the version the index still holds.
    for name in names.iter().filter(|n| n.starts_with(REPLACED_PREFIX)) {
        let original = &name[REPLACED_PREFIX.len()..];
        let aside = uploads.join(name);
        let target = uploads.join(original);
        let wanted = indexed.get(&target).copied();
        if wanted.is_some() && hash_of(&aside).as_deref() == wanted {
            if std::fs::rename(&aside, &target).is_ok() {
                report.push(format!(
                    "put back {original}: an interrupted replace had moved the indexed version aside"
                ));
            }
        } else if std::fs::remove_file(&aside).is_ok() {
            report.push(format!(
                "removed the previous version of {original} left by a replace that completed"
            ));
        }
    }
    for name in &names {
        if name.starts_with(REPLACED_PREFIX) {
            continue;
        }
        let path = uploads.join(name);
        if let Some(original) = name.strip_prefix(INCOMING_PREFIX) {
            if std::fs::remove_file(&path).is_ok() {
                report.push(format!(
                    "removed a half-written upload of {original} (the server stopped while storing it)"
                ));
            }
            continue;
        }
        if name.starts_with('.') {
            continue;
        }
        match indexed.get(&path) {
            None => {
                if std::fs::remove_file(&path).is_ok() {
                    report.push(format!(
                        "removed {name}: stored but never indexed (the server stopped during its upload)"
                    ));
                }
            }
            Some(hash) if hash_of(&path).as_deref() != Some(*hash) => report.push(format!(
                "{name} differs from the indexed version; upload it again to index this content"
            )),
            Some(_) => {}
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexical::DocEntry;
    use crate::text::{AnalyzerOptions, Lang};

    fn entry(path: &Path, bytes: &[u8]) -> DocEntry {
        DocEntry {
            path: path.display().to_string(),
            hash: blake3::hash(bytes).to_hex().to_string(),
            title: "t".into(),
            doc_type: "document".into(),
            lang: Lang::Fa,
            year: None,
            status: None,
            chunks: 1,
            bytes: bytes.len() as u64,
            structure: crate::ingest::structure::STRUCTURE_VERSION,
        }
    }

    #[test]
    fn leftovers_of_a_crash_are_removed_or_put_back() {
        let tmp = tempfile::tempdir().unwrap();
        let uploads = std::fs::canonicalize(tmp.path()).unwrap();
        let mut manifest = Manifest::new(AnalyzerOptions::default());
        // Indexed and intact.
        std::fs::write(uploads.join("kept.md"), b"kept").unwrap();
        manifest
            .documents
            .insert("kept".into(), entry(&uploads.join("kept.md"), b"kept"));
        // Stored, never committed.
        std::fs::write(uploads.join("orphan.md"), b"orphan").unwrap();
        // Half written.
        std::fs::write(uploads.join(".incoming-new.md"), b"ne").unwrap();
        // A replace interrupted before its commit: the index holds the old version.
        std::fs::write(uploads.join("swap.md"), b"new version").unwrap();
        std::fs::write(uploads.join(".replaced-swap.md"), b"old version").unwrap();
        manifest.documents.insert(
            "swap".into(),
            entry(&uploads.join("swap.md"), b"old version"),
        );
        let report = repair_uploads(&uploads, &manifest);
        assert_eq!(report.len(), 3, "{report:?}");
        let mut left: Vec<String> = std::fs::read_dir(&uploads)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["kept.md", "swap.md"]);
        assert_eq!(
            std::fs::read(uploads.join("swap.md")).unwrap(),
            b"old version"
        );
        assert!(repair_uploads(&uploads, &manifest).is_empty());
    }
}
