//! The chunks an exercise set is drawn from: a search for the topic, or every chunk of the
//! documents of one type, always in the handout's language and in a fixed order.
//!
//! Owns choosing the scope only; the kinds decide what to make of each chunk.

use crate::engine::Engine;
use crate::lexical::{Filters, LexicalHit};
use crate::search::Mode;

use super::{ExerciseOptions, ExercisesError};

/// Chunks a topic search brings into the pool: deep enough for several items of every kind,
/// shallow enough that they stay on the topic.
const TOPIC_DEPTH: usize = 40;

/// The scope's chunks in `options.lang`: the topic's top hits (best first; hybrid when the
/// model is there, else lexical) or every chunk of the doc type (by document, then position).
pub fn chunks(
    engine: &Engine,
    options: &ExerciseOptions,
) -> Result<Vec<LexicalHit>, ExercisesError> {
    let doc_type = options
        .doc_type
        .as_deref()
        .map(|d| d.trim().to_lowercase())
        .filter(|d| !d.is_empty());
    let topic = options
        .topic
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let hits = match topic {
        Some(topic) => {
            let filters = Filters {
                doc_type: doc_type.into_iter().collect(),
                lang: vec![options.lang],
                ..Filters::default()
            };
            let query = super::words_query(topic);
            let retriever = engine.retriever();
            let mode = if retriever.semantic.is_some() {
                Mode::Hybrid
            } else {
                Mode::Lexical
            };
            match retriever.search(&query, &filters, TOPIC_DEPTH, mode) {
                Ok(r) => r.hits.into_iter().map(|h| h.hit).collect(),
                // A topic of only common words finds nothing lexically: an empty scope.
                Err(crate::search::SearchError::Lexical(crate::lexical::LexicalError::Query(
                    _,
                ))) => Vec::new(),
                Err(e) => return Err(e.into()),
            }
        }
        None => {
            let mut out = Vec::new();
            let wanted = doc_type.unwrap_or_default();
            for (doc_id, entry) in &engine.index.manifest().documents {
                if entry.doc_type == wanted && entry.lang == options.lang {
                    out.extend(engine.index.document_chunks(doc_id)?);
                }
            }
            out
        }
    };
    let hits: Vec<LexicalHit> = hits
        .into_iter()
        .filter(|h| h.lang == options.lang.code())
        .collect();
    if hits.is_empty() {
        let other = match options.lang {
            crate::text::Lang::Fa => "en",
            crate::text::Lang::En => "fa",
        };
        return Err(ExercisesError::EmptyScope {
            lang: options.lang.code(),
            scope: options.scope(),
            other,
        });
    }
    Ok(hits)
}
