//! The writer session: the single tantivy writer, documents added and removed, and the one
//! commit that makes the index, the manifest and the vector file change together.

use std::path::Path;

use tantivy::{IndexWriter, TantivyDocument, Term};

use super::manifest::{self, Companions, DocEntry, Manifest};
use super::{LexicalIndex, Result, BREADCRUMB_SEPARATOR};
use crate::ingest::Document;

/// The single writer at work. Dropping it without [`IndexSession::commit`] discards every change.
pub struct IndexSession<'a> {
    pub(super) index: &'a mut LexicalIndex,
    pub(super) writer: IndexWriter,
    pub(super) manifest: Manifest,
}

impl IndexSession<'_> {
    /// What the index will hold after commit.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Records which model the vectors committed next come from.
    pub fn set_model(&mut self, model: Option<String>) {
        self.manifest.model = model;
    }

    /// Adds (or replaces) a document and all its chunks.
    pub fn add(&mut self, doc: &Document) -> Result<()> {
        let f = self.index.fields;
        self.writer
            .delete_term(Term::from_field_text(f.doc_id, &doc.id));
        for c in &doc.chunks {
            let mut d = TantivyDocument::default();
            d.add_text(f.chunk_id, &c.id);
            d.add_text(f.doc_id, &doc.id);
            d.add_text(f.title, &doc.title);
            d.add_text(f.breadcrumb, c.breadcrumb.join(BREADCRUMB_SEPARATOR));
            d.add_text(f.body, &c.text);
            if let Some(a) = &c.article {
                d.add_text(f.article, a);
            }
            if let Some(cl) = &c.clause {
                d.add_text(f.clause, cl);
                if let Some(twin) = crate::ingest::structure::clause_letter_twin(cl) {
                    d.add_text(f.clause, twin);
                }
            }
            if let Some(n) = &c.note {
                d.add_text(f.note, n);
            }
            d.add_text(f.doc_type, &doc.doc_type);
            d.add_text(f.lang, c.lang.code());
            if let Some(s) = &doc.meta.status {
                d.add_text(f.status, s);
            }
            if let Some(y) = doc.meta.year {
                d.add_u64(f.year, u64::from(y));
            }
            d.add_text(f.source, doc.path.to_string_lossy());
            d.add_u64(f.ordinal, u64::from(c.ordinal));
            d.add_u64(f.start, c.start as u64);
            d.add_u64(f.end, c.end as u64);
            if let Some(p) = c.pages {
                d.add_u64(f.page_first, u64::from(p.first));
                d.add_u64(f.page_last, u64::from(p.last));
            }
            if let Some(o) = c.ocr {
                d.add_f64(f.ocr_confidence, f64::from(o.confidence));
            }
            self.writer.add_document(d)?;
        }
        self.manifest.documents.insert(
            doc.id.clone(),
            DocEntry {
                path: doc.path.to_string_lossy().into_owned(),
                hash: doc.hash.clone(),
                title: doc.title.clone(),
                doc_type: doc.doc_type.clone(),
                lang: doc.lang,
                year: doc.meta.year,
                status: doc.meta.status.clone(),
                chunks: doc.chunks.len() as u32,
                bytes: doc.text.len() as u64,
                structure: crate::ingest::structure::STRUCTURE_VERSION,
            },
        );
        Ok(())
    }

    /// Removes a document and its chunks.
    pub fn remove(&mut self, doc_id: &str) {
        self.writer
            .delete_term(Term::from_field_text(self.index.fields.doc_id, doc_id));
        self.manifest.documents.remove(doc_id);
    }

    /// Makes every change visible at once. A crash before this leaves the index as it was.
    pub fn commit(self) -> Result<()> {
        self.commit_with(|_, _| Ok(Companions::default()))
    }

    /// Commits, first calling `companion(dir, generation)` to write files that must change
    /// together with the index (the chunk and sentence vectors); the file names it returns
    /// are recorded in the manifest, so the commit makes the index, manifest and companions
    /// visible at once.
    pub fn commit_with(
        mut self,
        companion: impl FnOnce(&Path, u64) -> std::io::Result<Companions>,
    ) -> Result<()> {
        self.manifest.generation += 1;
        let files = companion(&self.index.dir, self.manifest.generation)?;
        self.manifest.vectors = files.vectors;
        self.manifest.sentences = files.sentences;
        let name = self.manifest.write(&self.index.dir)?;
        let payload = serde_json::to_string(&manifest::Payload {
            format: manifest::FORMAT_VERSION,
            manifest: name.clone(),
        })
        .map_err(std::io::Error::other)?;
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.writer.wait_merging_threads()?;
        Manifest::remove_others(&self.index.dir, &name);
        self.index.manifest = self.manifest;
        self.index.reader.reload()?;
        Ok(())
    }
}
