//! Retrieval over both indexes: lexical (BM25), semantic (embeddings) and their fusion,
//! with filters applied to both sides before fusion and explain data for every hit.
//!
//! Owns choosing the mode, running each side to a fixed depth, fusing, and turning fused
//! ids back into displayable hits. It does not build indexes or run the model itself: the
//! encoder and the vector store are passed in.

pub mod fusion;
pub mod json;
pub mod lookup_first;

use serde::Serialize;

pub use fusion::{fuse, Fused, Fusion};

use crate::embed::{EmbedError, Encoder};
use crate::lexical::{Filters, LexicalError, LexicalHit, LexicalIndex, Occurrence, ParsedQuery};

/// How many chunks are checked for `+`/`-` constraints before semantic hits are kept.
const CONSTRAINT_DEPTH: usize = 2000;
use crate::text::normalize_for_embedding;

/// A ranked list of (chunk id, score), best first.
pub type Ranked = Vec<(String, f32)>;

/// Which retriever answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Lexical,
    Semantic,
    Hybrid,
}

/// Nearest chunks to a query vector, filters applied. Implemented by the vector store.
pub trait VectorIndex: Sync {
    /// Up to `k` (chunk id, cosine) pairs, best first, among chunks that pass `filters`.
    fn nearest(&self, query: &[f32], k: usize, filters: &Filters) -> Vec<(String, f32)>;
}

/// How deep each side looks before fusion, and how the lists are fused. Measured on the
/// dev questions (docs/BENCHMARKS.md).
#[derive(Debug, Clone, Copy)]
pub struct HybridConfig {
    pub depth: usize,
    pub fusion: Fusion,
}

impl Default for HybridConfig {
    fn default() -> Self {
        HybridConfig {
            depth: 50,
            fusion: Fusion::Normalized {
                semantic_weight: 0.7,
            },
        }
    }
}

/// Why each hit ranked where it did.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Explain {
    pub lexical_rank: Option<usize>,
    pub lexical_score: Option<f32>,
    pub semantic_rank: Option<usize>,
    pub semantic_score: Option<f32>,
    pub fused_score: f32,
    pub matched_terms: Vec<String>,
}

/// One result, displayable and citable.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    #[serde(flatten)]
    pub hit: LexicalHit,
    pub explain: Explain,
}

/// The results and what actually ran.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub mode: Mode,
    pub hits: Vec<SearchHit>,
    /// Set when the requested mode could not run (e.g. no model files) and another did.
    pub warning: Option<String>,
}

/// Errors of retrieval.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Lexical(#[from] LexicalError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
}

/// The semantic side: an encoder and the vectors of the indexed chunks.
pub struct Semantic<'a> {
    pub encoder: &'a Encoder,
    pub vectors: &'a dyn VectorIndex,
}

/// Runs searches in any mode over one index.
pub struct Retriever<'a> {
    pub lexical: &'a LexicalIndex,
    pub semantic: Option<Semantic<'a>>,
    pub config: HybridConfig,
    /// Why the semantic side is missing, for the fallback warning.
    pub semantic_unavailable: Option<String>,
}

impl Retriever<'_> {
    /// The two ranked lists for a query, each `depth` deep (semantic empty when unavailable).
    pub fn ranked_lists(
        &self,
        query: &ParsedQuery,
        filters: &Filters,
        mode: Mode,
        depth: usize,
    ) -> Result<(Ranked, Ranked), SearchError> {
        let lexical_side = || -> Result<Ranked, SearchError> {
            if mode == Mode::Semantic {
                return Ok(Vec::new());
            }
            match self.lexical.search(query, filters, depth) {
                Ok(hits) => Ok(hits.into_iter().map(|h| (h.chunk_id, h.score)).collect()),
                // A question of only common words still has a meaning to embed.
                Err(LexicalError::Query(_)) if mode == Mode::Hybrid => Ok(Vec::new()),
                Err(e) => Err(e.into()),
            }
        };
        let semantic_side = || -> Result<Ranked, SearchError> {
            match (&self.semantic, mode) {
                (Some(s), Mode::Semantic | Mode::Hybrid) => {
                    let text = normalize_for_embedding(&query.positive_text());
                    let v = s.encoder.embed_queries(&[text])?;
                    Ok(s.vectors.nearest(&v[0], depth, filters))
                }
                _ => Ok(Vec::new()),
            }
        };
        // In hybrid mode the two sides are independent: the lexical search runs on its own
        // thread while the query is embedded, so a query costs the slower side, not the sum
        // (the scale bench in docs/BENCHMARKS.md measures the difference).
        let (lexical, semantic) = if mode == Mode::Hybrid && self.semantic.is_some() {
            std::thread::scope(|scope| {
                let lex = scope.spawn(lexical_side);
                let sem = semantic_side();
                let lex = lex
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (lex, sem)
            })
        } else {
            (lexical_side(), semantic_side())
        };
        let (lexical, mut semantic) = (lexical?, semantic?);
        // `+word` and `-word` are promises about the text: semantic hits must keep them too,
        // so they are limited to chunks that satisfy the query lexically.
        let constrained = query
            .clauses
            .iter()
            .any(|c| c.occurrence != Occurrence::Should);
        if constrained && !semantic.is_empty() {
            let allowed: std::collections::HashSet<String> = self
                .lexical
                .search(query, filters, CONSTRAINT_DEPTH)?
                .into_iter()
                .map(|h| h.chunk_id)
                .collect();
            semantic.retain(|(id, _)| allowed.contains(id));
        }
        Ok((lexical, semantic))
    }

    /// Searches in `mode`, falling back to lexical (with a warning) when the semantic side
    /// is unavailable.
    pub fn search(
        &self,
        query: &ParsedQuery,
        filters: &Filters,
        k: usize,
        mode: Mode,
    ) -> Result<SearchResults, SearchError> {
        let (mode, warning) = match (mode, &self.semantic) {
            (Mode::Semantic | Mode::Hybrid, None) => (
                Mode::Lexical,
                Some(format!(
                    "semantic search unavailable ({}); showing lexical results",
                    self.semantic_unavailable
                        .as_deref()
                        .unwrap_or("no model loaded")
                )),
            ),
            (m, _) => (m, None),
        };
        let depth = self.config.depth.max(k);
        let (lexical, semantic) = self.ranked_lists(query, filters, mode, depth)?;
        let fused = match mode {
            Mode::Lexical => fuse(
                &lexical,
                &[],
                Fusion::Normalized {
                    semantic_weight: 0.0,
                },
            ),
            Mode::Semantic => fuse(
                &[],
                &semantic,
                Fusion::Normalized {
                    semantic_weight: 1.0,
                },
            ),
            Mode::Hybrid => fuse(&lexical, &semantic, self.config.fusion),
        };
        let terms = self.lexical.query_terms(query);
        let mut hits = Vec::with_capacity(k);
        for f in fused.into_iter().take(k) {
            let Some(hit) = self.lexical.chunk_with_terms(&f.id, &terms)? else {
                continue;
            };
            let explain = Explain {
                lexical_rank: f.lexical.map(|(r, _)| r),
                lexical_score: f.lexical.map(|(_, s)| s),
                semantic_rank: f.semantic.map(|(r, _)| r),
                semantic_score: f.semantic.map(|(_, s)| s),
                fused_score: f.fused_score,
                matched_terms: hit.matched_terms.clone(),
            };
            hits.push(SearchHit {
                hit: LexicalHit {
                    score: f.fused_score,
                    ..hit
                },
                explain,
            });
        }
        Ok(SearchResults {
            mode,
            hits,
            warning,
        })
    }
}

impl VectorIndex for crate::vector::VectorStore {
    fn nearest(&self, query: &[f32], k: usize, filters: &Filters) -> Vec<(String, f32)> {
        self.search(query, k, filters)
            .into_iter()
            .map(|(row, score)| (self.meta(row).chunk_id.clone(), score))
            .collect()
    }
}
