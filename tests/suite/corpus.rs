//! The shipped knowledge base: every document loads with complete, valid labels, the
//! corpus is as large as promised, and no document is a near-copy of another.

use std::collections::HashSet;
use std::path::Path;

use envkb::ingest::{find_files, load_document, ChunkLimits};

const DOC_TYPES: [&str; 6] = [
    "law",
    "policy",
    "standard-guidance",
    "course",
    "agreement",
    "glossary",
];
const STATUSES: [&str; 4] = [
    "course-note",
    "illustrative-summary",
    "glossary",
    "exercise",
];

fn corpus_docs() -> Vec<envkb::ingest::Document> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let (files, skipped) = find_files(&root).unwrap();
    assert!(skipped.is_empty(), "unreadable entries: {skipped:?}");
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(&f.path).unwrap();
            load_document(f, bytes, ChunkLimits::default())
                .unwrap_or_else(|e| panic!("{}: {e}", f.path.display()))
        })
        .collect()
}

#[test]
fn every_document_has_valid_front_matter_and_labels() {
    let docs = corpus_docs();
    assert!(docs.len() >= 60, "only {} documents", docs.len());
    let chunks: usize = docs.iter().map(|d| d.chunks.len()).sum();
    assert!(chunks >= 600, "only {chunks} chunks");
    for d in &docs {
        let m = &d.meta;
        let name = &d.id;
        assert!(
            m.title.as_deref().is_some_and(|t| t.chars().count() > 5),
            "{name}: title"
        );
        assert!(
            m.doc_type
                .as_deref()
                .is_some_and(|t| DOC_TYPES.contains(&t)),
            "{name}: doc_type {:?}",
            m.doc_type
        );
        assert!(
            m.status.as_deref().is_some_and(|s| STATUSES.contains(&s)),
            "{name}: status {:?}",
            m.status
        );
        assert!(m.lang.is_some(), "{name}: lang");
        assert!(m.year.is_some(), "{name}: year");
        assert!(
            m.source.as_deref().is_some_and(|s| !s.is_empty()),
            "{name}: source"
        );
        assert!(m.jurisdiction.is_some(), "{name}: jurisdiction");
        let folder_lang = name.split('/').next().unwrap();
        assert_eq!(
            m.lang.unwrap().code(),
            folder_lang,
            "{name}: lang does not match its folder"
        );
        assert!(!d.chunks.is_empty(), "{name}: no chunks");
    }
}

/// Word 5-gram shingles of the body after normalization.
fn shingles(text: &str) -> HashSet<u64> {
    use std::hash::{Hash, Hasher};
    let norm = envkb::text::normalize(text);
    let words: Vec<&str> = norm
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(5)
        .map(|w| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            w.hash(&mut h);
            h.finish()
        })
        .collect()
}

#[test]
fn no_document_is_a_near_copy_of_another() {
    let docs = corpus_docs();
    let sets: Vec<(String, HashSet<u64>)> = docs
        .iter()
        .map(|d| (d.id.clone(), shingles(&d.text)))
        .collect();
    for (i, (a, sa)) in sets.iter().enumerate() {
        for (b, sb) in &sets[i + 1..] {
            let inter = sa.intersection(sb).count();
            let smaller = sa.len().min(sb.len()).max(1);
            let overlap = inter as f64 / smaller as f64;
            assert!(
                overlap < 0.3,
                "{a} and {b} share {:.0}% of their 5-word runs",
                overlap * 100.0
            );
        }
    }
}
