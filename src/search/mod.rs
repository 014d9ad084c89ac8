//! Retrieval over both indexes: lexical (BM25), semantic (embeddings) and their fusion,
//! with filters applied to both sides before fusion and explain data for every hit.
//!
//! Owns choosing the mode, running each side to a fixed depth, fusing, and turning fused
//! ids back into displayable hits. It does not build indexes or run the model itself: the
//! encoder and the vector store are passed in.

// Docs owed (issue 18): its signals are being reworked on another branch.
#[allow(missing_docs)]
pub mod adaptive;
pub mod confidence;
pub mod fusion;
pub mod json;
pub mod lookup;
pub mod lookup_first;

use serde::Serialize;

pub use adaptive::FusionChoice;
pub use fusion::{fuse, Fused, Fusion};

use crate::embed::{EmbedError, Encoder};
use std::collections::HashMap;

use tantivy::{DocAddress, Searcher};

use crate::lexical::{
    CompiledQuery, Filters, LexicalError, LexicalHit, LexicalIndex, Occurrence, ParsedQuery,
    QueryError, RankedChunk,
};
use crate::text::normalize_for_embedding;

/// A ranked list of (chunk id, score), best first.
pub type Ranked = Vec<(String, f32)>;

/// Which retriever answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
// A doc comment on a clap value becomes its `--help` text; `--mode`'s help says what each is.
#[allow(missing_docs)]
pub enum Mode {
    Lexical,
    Semantic,
    Hybrid,
}

impl Mode {
    /// Ranks this mode's results from the two lists: one side alone (the other ignored), or
    /// both fused with `hybrid`. The one place a mode decides what is fused.
    pub fn fuse(
        self,
        lexical: &[(String, f32)],
        semantic: &[(String, f32)],
        hybrid: Fusion,
    ) -> Vec<Fused> {
        let alone = |semantic_weight| Fusion::Normalized { semantic_weight };
        match self {
            Mode::Lexical => fuse(lexical, &[], alone(0.0)),
            Mode::Semantic => fuse(&[], semantic, alone(1.0)),
            Mode::Hybrid => fuse(lexical, semantic, hybrid),
        }
    }
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
    /// How many hits each side ranks before fusion.
    pub depth: usize,
    /// The method, and the semantic weight when `adaptive` is off.
    pub fusion: Fusion,
    /// Choose the semantic weight per query (`adaptive::RULE`) instead of the fixed one.
    pub adaptive: bool,
}

impl Default for HybridConfig {
    fn default() -> Self {
        HybridConfig {
            depth: 50,
            fusion: Fusion::Normalized {
                semantic_weight: 0.7,
            },
            adaptive: true,
        }
    }
}

/// Why each hit ranked where it did.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Explain {
    /// 1-based rank on the lexical side, when it found the chunk.
    pub lexical_rank: Option<usize>,
    pub(crate) lexical_score: Option<f32>,
    /// 1-based rank on the semantic side, when it found the chunk.
    pub semantic_rank: Option<usize>,
    pub(crate) semantic_score: Option<f32>,
    /// The score after fusion, which the hits are ordered by.
    pub fused_score: f32,
    /// The query terms found in the chunk (normalized forms).
    pub matched_terms: Vec<String>,
    /// The semantic weight this hybrid search fused with (absent in one-sided modes); the
    /// signals behind it are in the results' `fusion`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semantic_weight: Option<f32>,
}

/// One result, displayable and citable.
#[derive(Debug, Clone)]
pub struct SearchHit {
    /// The passage with its snippet and score.
    pub hit: LexicalHit,
    /// Why it ranked where it did.
    pub explain: Explain,
}

/// The results and what actually ran.
#[derive(Debug, Clone)]
pub struct SearchResults {
    /// The retriever that ran (lexical when the semantic side could not).
    pub mode: Mode,
    /// The hits, best first.
    pub hits: Vec<SearchHit>,
    /// Set when the requested mode could not run (e.g. no model files) and another did.
    pub warning: Option<String>,
    /// No query term matched anywhere and the nearest passages are not close: the hits are
    /// only the closest passages (`confidence::no_exact_match`).
    pub no_exact_match: bool,
    /// Set when the query names a unit («ماده ۹۹ قانون ...») that the named law lacks.
    pub note: Option<String>,
    /// The semantic weight a hybrid search chose for this query, and why.
    pub fusion: Option<FusionChoice>,
}

/// Errors of retrieval.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    /// The index or the query failed.
    Lexical(#[from] LexicalError),
    #[error(transparent)]
    /// The encoder failed on the query.
    Embed(#[from] EmbedError),
}

impl SearchError {
    /// The kind of the underlying index or model error.
    pub fn kind(&self) -> crate::fault::ErrorKind {
        match self {
            SearchError::Lexical(e) => e.kind(),
            SearchError::Embed(e) => e.kind(),
        }
    }
}

/// The semantic side: an encoder and the vectors of the indexed chunks.
pub struct Semantic<'a> {
    /// Embeds the query.
    pub encoder: &'a Encoder,
    /// The chunk vectors made by that encoder.
    pub vectors: &'a dyn VectorIndex,
}

/// Runs searches in any mode over one index.
pub struct Retriever<'a> {
    /// The tantivy side.
    pub lexical: &'a LexicalIndex,
    /// The semantic side, when a model and vectors are loaded.
    pub semantic: Option<Semantic<'a>>,
    /// Depth and fusion.
    pub config: HybridConfig,
    /// Why the semantic side is missing, for the fallback warning.
    pub semantic_unavailable: Option<String>,
}

/// Both sides of one search before fusion, with what is needed to show the hits afterwards.
struct Sides {
    lexical: Vec<RankedChunk>,
    semantic: Ranked,
    /// The compiled query, when the lexical side could run (its terms are highlighted).
    compiled: Option<CompiledQuery>,
    searcher: Searcher,
}

impl Retriever<'_> {
    /// The fusion a hybrid search uses for this query and its two lists: the rule's weight
    /// when adaptive, else the configured one, with the signals either way.
    pub fn choose_fusion(
        &self,
        query: &ParsedQuery,
        lexical: &[(String, f32)],
        semantic: &[(String, f32)],
    ) -> (Fusion, FusionChoice) {
        self.fusion_with(&self.lexical.searcher(), query, lexical, semantic)
    }

    fn fusion_with(
        &self,
        searcher: &Searcher,
        query: &ParsedQuery,
        lexical: &[(String, f32)],
        semantic: &[(String, f32)],
    ) -> (Fusion, FusionChoice) {
        let signals = adaptive::signals(self.lexical, searcher, query, lexical, semantic);
        let choice = if self.config.adaptive {
            adaptive::RULE.choose(signals)
        } else {
            adaptive::fixed(self.config.fusion.semantic_weight(), signals)
        };
        (
            self.config
                .fusion
                .with_semantic_weight(choice.semantic_weight),
            choice,
        )
    }

    /// The two ranked lists for a query, each `depth` deep (semantic empty when unavailable).
    pub fn ranked_lists(
        &self,
        query: &ParsedQuery,
        filters: &Filters,
        mode: Mode,
        depth: usize,
    ) -> Result<(Ranked, Ranked), SearchError> {
        let sides = self.sides(query, filters, mode, depth)?;
        let lexical = sides
            .lexical
            .into_iter()
            .map(|r| (r.chunk_id, r.score))
            .collect();
        Ok((lexical, sides.semantic))
    }

    /// Runs each side once: the query is compiled (analyzed) once and serves the lexical
    /// ranking, the `+`/`-` check of semantic hits and, later, the highlights.
    fn sides(
        &self,
        query: &ParsedQuery,
        filters: &Filters,
        mode: Mode,
        depth: usize,
    ) -> Result<Sides, SearchError> {
        let searcher = self.lexical.searcher();
        let compiled = match self.lexical.compile(query, filters) {
            Ok(c) => Some(c),
            // A question of only common words still has a meaning to embed.
            Err(LexicalError::Query(_)) if mode == Mode::Hybrid => None,
            Err(e) if mode != Mode::Semantic => return Err(e.into()),
            Err(_) => None,
        };
        let lexical_side = || -> Result<Vec<RankedChunk>, SearchError> {
            match (&compiled, mode) {
                (Some(c), Mode::Lexical | Mode::Hybrid) => {
                    Ok(self.lexical.ranked(&searcher, c, depth)?)
                }
                _ => Ok(Vec::new()),
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
            let compiled = match &compiled {
                Some(c) => c,
                None => return Err(LexicalError::Query(QueryError::NothingSearchable).into()),
            };
            let ids: Vec<&str> = semantic.iter().map(|(id, _)| id.as_str()).collect();
            let allowed = self.lexical.matching(&searcher, compiled, &ids)?;
            semantic.retain(|(id, _)| allowed.contains(id));
        }
        Ok(Sides {
            lexical,
            semantic,
            compiled,
            searcher,
        })
    }

    /// Searches in `mode`, falling back to lexical (with a warning) when the semantic side
    /// is unavailable. Stored fields and snippets are read once, for the `k` hits returned.
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
        let sides = self.sides(query, filters, mode, depth)?;
        let term_matched = match (mode, &sides.compiled) {
            (Mode::Semantic, Some(c)) => self
                .lexical
                .ranked(&sides.searcher, c, 1)
                .is_ok_and(|r| !r.is_empty()),
            (Mode::Semantic, None) => false,
            _ => !sides.lexical.is_empty(),
        };
        let (best_similarity, margin) = confidence::Evidence::similarities(&sides.semantic);
        let addresses: HashMap<&str, DocAddress> = sides
            .lexical
            .iter()
            .map(|r| (r.chunk_id.as_str(), r.address))
            .collect();
        let lexical: Ranked = sides
            .lexical
            .iter()
            .map(|r| (r.chunk_id.clone(), r.score))
            .collect();
        let (fusion, choice) = match mode {
            // A fixed weight needs no signals: that path costs what fusion cost before the
            // rule (the scale bench times the two side by side).
            Mode::Hybrid if !self.config.adaptive => {
                let w = self.config.fusion.semantic_weight();
                (
                    self.config.fusion,
                    Some(adaptive::fixed(w, Default::default())),
                )
            }
            Mode::Hybrid => {
                let (fusion, choice) =
                    self.fusion_with(&sides.searcher, query, &lexical, &sides.semantic);
                (fusion, Some(choice))
            }
            _ => (self.config.fusion, None),
        };
        let fused = mode.fuse(&lexical, &sides.semantic, fusion);
        // A named unit («تبصره ۲ ماده ۷ قانون ...») is found by structure, not by score.
        let looked_up = match mode {
            Mode::Semantic => lookup::Resolution::default(),
            _ if *filters != Filters::default() => lookup::Resolution::default(),
            _ => lookup::resolve(self.lexical, &query.lookup, &fused)?,
        };
        let fused = lookup::pin(fused, &looked_up.pinned);
        let shown: Vec<Fused> = fused.into_iter().take(k).collect();
        let wanted: Vec<(&str, Option<DocAddress>)> = shown
            .iter()
            .map(|f| (f.id.as_str(), addresses.get(f.id.as_str()).copied()))
            .collect();
        let owned_terms;
        let terms = match &sides.compiled {
            Some(c) => c.terms(),
            None => {
                owned_terms = self.lexical.query_terms(query);
                &owned_terms
            }
        };
        let mut read = self.lexical.hits(&sides.searcher, &wanted, terms)?;
        let mut hits = Vec::with_capacity(shown.len());
        for f in shown {
            let Some(hit) = read.remove(&f.id) else {
                continue;
            };
            let explain = Explain {
                lexical_rank: f.lexical.map(|(r, _)| r),
                lexical_score: f.lexical.map(|(_, s)| s),
                semantic_rank: f.semantic.map(|(r, _)| r),
                semantic_score: f.semantic.map(|(_, s)| s),
                fused_score: f.fused_score,
                matched_terms: hit.matched_terms.clone(),
                semantic_weight: choice.as_ref().map(|c| c.semantic_weight),
            };
            hits.push(SearchHit {
                hit: LexicalHit {
                    score: f.fused_score,
                    ..hit
                },
                explain,
            });
        }
        let no_exact_match = confidence::no_exact_match(confidence::Evidence {
            term_matched,
            best_similarity,
            margin,
            hits: hits.len(),
        });
        Ok(SearchResults {
            mode,
            hits,
            warning,
            no_exact_match,
            note: looked_up.note,
            fusion: choice,
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
