//! Validation of exercise items against the index, before they are written and whenever a
//! saved set is checked again: each kind's module says what must hold, this module names the
//! ways an item can fail and dispatches.
//!
//! A failed check is not an error: the generator drops the item and counts it by
//! [`Invalid::reason`]. Errors are for the index itself failing.

use crate::engine::Engine;

use super::{ExercisesError, Item};

/// Why an item is not a valid exercise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("the chunk {0} is not in the index")]
    /// The named chunk is gone.
    GoldMissing(String),
    #[error("the key names a breadcrumb or document the chunk no longer has")]
    /// The chunk changed under the item.
    StaleSource,
    #[error("the cloze is not the key sentence with one word blanked")]
    /// The cloze does not blank the key sentence.
    ClozeMismatch,
    #[error("the key sentence is not in the named chunk")]
    /// The chunk does not state the sentence.
    SentenceNotInChunk,
    #[error("the key sentence is also in {0}, so the answer does not live in one chunk")]
    /// Another chunk states it too.
    SentenceInOtherChunk(String),
    #[error("semantic search is unavailable, so no disagreement can be shown")]
    /// No semantic side to compare.
    NoSemantic,
    #[error("the retrievers' top-5 lists are no longer the ones shown")]
    /// The retrievers now rank differently.
    ListsChanged,
    #[error("a retriever returns too few results to compare")]
    /// A list is too short to compare.
    ShortLists,
    #[error("the top-5 lists share {shared} chunks or agree on the top hit: no real disagreement")]
    /// The lists agree too much.
    NoDisagreement {
        /// Chunks the top-5 lists share.
        shared: usize,
    },
    #[error("the answer's [n] markers do not match its citations")]
    /// Markers and citations differ.
    Markers,
    #[error("the answer's citations fail their check: {0}")]
    /// The unswapped answer fails its citation check.
    CitationCheck(String),
    #[error("citation [{0}] does not support its sentence")]
    /// A citation does not support its sentence.
    Unsupported(usize),
    #[error("the swapped citation still points at the right passage")]
    /// The swap did not happen.
    NotSwapped,
    #[error("the swapped-in passage states the sentence too, so nothing is wrong")]
    /// The swapped-in passage supports the sentence anyway.
    SwapSupports,
    #[error("spelling a is not written in the named chunk, or a and b are the same")]
    /// Spelling a is not in the chunk.
    SpellingNotInChunk,
    #[error("the analyzer's terms or verdict differ from the key")]
    /// The analyzer now says otherwise.
    VerdictMismatch,
    #[error("a search for spelling b does not find the passage although the two match")]
    /// Search misses a match.
    MatchNotFound,
}

impl Invalid {
    /// A short stable name for counting dropped items.
    pub fn reason(&self) -> &'static str {
        match self {
            Invalid::GoldMissing(_) => "chunk-missing",
            Invalid::StaleSource => "stale-source",
            Invalid::ClozeMismatch => "cloze-mismatch",
            Invalid::SentenceNotInChunk => "sentence-not-in-chunk",
            Invalid::SentenceInOtherChunk(_) => "sentence-in-several-chunks",
            Invalid::NoSemantic => "no-semantic-search",
            Invalid::ListsChanged => "lists-changed",
            Invalid::ShortLists => "short-lists",
            Invalid::NoDisagreement { .. } => "no-disagreement",
            Invalid::Markers => "citation-markers",
            Invalid::CitationCheck(_) => "citation-check",
            Invalid::Unsupported(_) => "citation-unsupported",
            Invalid::NotSwapped => "not-swapped",
            Invalid::SwapSupports => "swap-supports-sentence",
            Invalid::SpellingNotInChunk => "spelling-not-in-chunk",
            Invalid::VerdictMismatch => "verdict-mismatch",
            Invalid::MatchNotFound => "match-not-found",
        }
    }
}

/// Checks one item against the index `engine` holds. `Ok(Err(_))` is an invalid item;
/// `Err(_)` is a failure to read the index or run retrieval.
pub fn validate(engine: &Engine, item: &Item) -> Result<Result<(), Invalid>, ExercisesError> {
    item.body.exercise().check(engine)
}
