//! Structural look-ups answered without the model.
//!
//! Owns one decision made before any model is loaded: a hybrid query that names an
//! article («ماده ۶ ...», "article 6 clause d") is first run lexically, and when the top
//! hit is that article (and clause or note, when named) the lexical results stand and
//! the semantic side is skipped, with the reason, so a quick look-up from a fresh
//! process does not wait for the encoder. It does not change ranking when it does not
//! apply: every other query runs hybrid as before.

use crate::lexical::{Filters, LexicalIndex, ParsedQuery, UnitRef};

use super::{HybridConfig, Mode, Retriever, SearchError, SearchResults};

/// Lexical results that answer a structural look-up, and why semantic search was skipped.
pub struct LookupAnswer {
    /// The lexical results, the named unit first.
    pub results: SearchResults,
    /// Why the semantic side was skipped, for the user.
    pub reason: String,
}

/// Run `query` lexically when it names an article; `Some` when the top hit is that
/// article, so hybrid search may stop there.
pub fn answered_by_lookup(
    index: &LexicalIndex,
    query: &ParsedQuery,
    filters: &Filters,
    k: usize,
    config: HybridConfig,
) -> Result<Option<LookupAnswer>, SearchError> {
    let Some(article) = &query.lookup.article else {
        return Ok(None);
    };
    let lexical = Retriever {
        lexical: index,
        semantic: None,
        config,
        semantic_unavailable: None,
    };
    let results = lexical.search(query, filters, k, Mode::Lexical)?;
    let Some(top) = results.hits.first() else {
        return Ok(None);
    };
    if !UnitRef::named_by(&query.lookup).is_some_and(|u| u.contains(&top.hit)) {
        return Ok(None);
    }
    let mut named = format!("article {article}");
    if let Some(c) = &query.lookup.clause {
        named.push_str(&format!(", clause {c}"));
    }
    if let Some(n) = query.lookup.note.as_deref().filter(|n| !n.is_empty()) {
        named.push_str(&format!(", note {n}"));
    }
    let reason = format!(
        "semantic side skipped: the query names {named} and the structural look-up found it \
         ({}); the model was not loaded (--mode semantic forces it)",
        top.hit.chunk_id
    );
    Ok(Some(LookupAnswer { results, reason }))
}
