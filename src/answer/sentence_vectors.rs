//! The vectors of an answer's candidate sentences: read from the index's sentence store,
//! where the indexer put them when the chunk was indexed, with the encoder run only on the
//! sentences the store lacks (an index built without the model and served with it, or a
//! candidate the indexer did not see).
//!
//! Owns what text of a sentence is embedded ([`embedding_input`]), shared with the indexer
//! so both sides compute the same key for the same sentence. Does not choose, cut or score
//! sentences (`evidence` does) nor store vectors (`vector::sentences` does).

use crate::embed::{EmbedError, Encoder};
use crate::text::normalize_for_embedding;
use crate::vector::{sentence_key, SentenceStore};

use super::evidence::chunk_sentences;

/// The text the encoder sees for a sentence shown as `display`.
pub fn embedding_input(display: &str) -> String {
    normalize_for_embedding(display)
}

/// The embedding inputs of every evidence sentence of a chunk text, in text order: what
/// the indexer embeds so that answers need not.
pub fn chunk_sentence_inputs(text: &str) -> Vec<String> {
    chunk_sentences(text)
        .iter()
        .map(|s| embedding_input(&s.display))
        .collect()
}

/// Vectors for sentences, in their order, and how many of them the encoder had to make.
pub struct SentenceVectors {
    /// One vector per sentence asked for, in the same order.
    pub vectors: Vec<Vec<f32>>,
    /// How many of them the encoder made now because the store lacked them (the cost the
    /// store exists to save).
    pub embedded: usize,
}

/// The vector of each sentence (given by its display form): from `store` when it has it,
/// else embedded now, all misses in one call. The encoder's work is bounded by the number
/// of sentences asked for (the answer's candidates).
pub fn sentence_vectors(
    store: Option<&SentenceStore>,
    encoder: &Encoder,
    displays: &[&str],
) -> Result<SentenceVectors, EmbedError> {
    let store = store.filter(|s| s.dim() == encoder.dim());
    let inputs: Vec<String> = displays.iter().map(|d| embedding_input(d)).collect();
    let mut found: Vec<Option<Vec<f32>>> = inputs
        .iter()
        .map(|t| store.and_then(|s| s.get(&sentence_key(t))))
        .collect();
    let misses: Vec<usize> = (0..found.len()).filter(|&i| found[i].is_none()).collect();
    if !misses.is_empty() {
        let texts: Vec<&str> = misses.iter().map(|&i| inputs[i].as_str()).collect();
        for (&i, v) in misses.iter().zip(encoder.embed_passages(&texts)?) {
            found[i] = Some(v);
        }
    }
    Ok(SentenceVectors {
        vectors: found.into_iter().flatten().collect(),
        embedded: misses.len(),
    })
}
