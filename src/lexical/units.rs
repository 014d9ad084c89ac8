//! Reading chunks by their structure rather than by their words: every chunk of one
//! article number across the index, for the structural look-ups of `search::lookup`.
//! Owns no ranking; the caller decides which of the chunks answers.

use tantivy::collector::{Count, TopDocs};
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{TantivyDocument, Term};

use super::{LexicalHit, LexicalIndex, Result};

impl LexicalIndex {
    /// Every chunk whose article number is exactly `article` (canonical form: "12",
    /// "10 مکرر"), in document and text order.
    pub fn article_chunks(&self, article: &str) -> Result<Vec<LexicalHit>> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.article, article),
            IndexRecordOption::Basic,
        );
        let n = searcher.search(&q, &Count)?;
        if n == 0 {
            return Ok(Vec::new());
        }
        let top = searcher.search(&q, &TopDocs::with_limit(n).order_by_score())?;
        let mut hits = Vec::with_capacity(top.len());
        for (_, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            hits.push(self.hit_from_doc(&doc, 0.0, &Default::default()));
        }
        hits.sort_by(|a, b| a.doc_id.cmp(&b.doc_id).then(a.start.cmp(&b.start)));
        Ok(hits)
    }
}
