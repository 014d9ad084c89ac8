//! Retriever-disagreement exercises: queries on which keyword (BM25) and semantic
//! (embedding) search disagree most, with both top-5 lists; the participant explains why.
//!
//! Candidate queries come from the scope (the topic, section headings, and the four longest
//! words of a prose sentence as a keyword query). Each runs through both retrievers over the whole index (no language
//! filter, so cross-lingual matches show), and candidates are ordered by how much the two
//! top-5 lists differ: first by how few chunks they share, then by the sum of rank
//! displacements over the union. The key shows each side's scores, where each chunk ranks on
//! the other side (the explain data of hybrid search), and hints that can be read off the
//! data (cross-lingual hits, numbers, ZWNJ forms, passages sharing no word with the query).
//! Validation re-runs both retrievers and requires the disagreement to really be there.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::lexical::{Filters, LexicalHit};
use crate::search::{Mode, Ranked};
use crate::text::{detect_lang, normalize, ZWNJ};

use super::seed::Stream;
use super::validate::Invalid;
use super::{
    prose_sentences, words_query, Body, Context, Exercise, ExercisesError, PassageRef, Result, Sink,
};

/// Length of the lists shown to participants.
pub const TOP: usize = 5;
/// How deep each retriever is read to find where the other side's chunks rank.
pub const DEPTH: usize = 50;
/// At most this many of the two top-5 lists may be shared for the item to count as a
/// disagreement (and the two top hits must differ).
pub const MAX_SHARED: usize = 3;
/// Each list must have at least this many hits for a comparison to mean anything.
const MIN_LIST: usize = 3;
/// Candidate queries measured per candidate the kind may offer.
const MEASURED_PER_CANDIDATE: usize = 2;
/// Words of a keyword query made from a sentence.
const KEYWORDS: usize = 4;

/// One entry of a top-5 list as participants see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    /// 1-based rank in the list.
    pub rank: usize,
    /// The listed passage.
    #[serde(flatten)]
    pub passage: PassageRef,
}

/// The participant's part: the query and both top-5 lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisagreementTask {
    /// The query both retrievers ran.
    pub query: String,
    /// The keyword (BM25) top 5.
    pub lexical: Vec<Listed>,
    /// The semantic top 5.
    pub semantic: Vec<Listed>,
}

/// One entry of a list in the key: its score and where the other retriever put it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// The chunk.
    pub chunk_id: String,
    /// BM25 score (lexical list) or cosine similarity (semantic list).
    pub score: f32,
    /// 1-based rank of the same chunk in the other list, `None` when not in its top [`DEPTH`].
    pub other_rank: Option<usize>,
}

/// Patterns in the data that usually explain a disagreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hint {
    /// Semantic search ranks passages in the other language that keyword search cannot see.
    CrossLingual,
    /// The query holds a number (article, clause, standard): keywords match it exactly,
    /// embeddings blur it.
    ExactNumbers,
    /// The query writes a compound with ZWNJ; the analyzer matches all its spellings.
    ZwnjForms,
    /// Semantic search ranks passages that share no search term with the query (synonyms,
    /// paraphrase).
    Synonyms,
}

/// The key: scores and ranks on both sides, the overlap and the hints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisagreementKey {
    /// The keyword list with scores.
    pub lexical: Vec<Scored>,
    /// The semantic list with scores.
    pub semantic: Vec<Scored>,
    /// Chunks in both top-5 lists.
    pub shared: usize,
    pub(crate) hints: Vec<Hint>,
}

/// One retriever-disagreement exercise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    /// What participants see.
    pub task: DisagreementTask,
    /// The answer.
    pub key: DisagreementKey,
}

/// How different two ranked lists are: chunks shared by the top-5 lists, whether the top
/// hits differ, and the sum over the union of the top-5s of |lexical rank − semantic rank|
/// (a chunk missing from a list counts as rank [`DEPTH`] + 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    /// Chunks in both top-5 lists.
    pub shared: usize,
    pub(crate) top_differs: bool,
    pub(crate) displacement: usize,
}

impl Measure {
    /// Measures two ranked lists.
    pub fn of(lexical: &Ranked, semantic: &Ranked) -> Measure {
        let rank_in = |list: &Ranked, id: &str| {
            list.iter()
                .position(|(x, _)| x == id)
                .map_or(DEPTH + 1, |p| p + 1)
        };
        let l5: Vec<&str> = lexical
            .iter()
            .take(TOP)
            .map(|(id, _)| id.as_str())
            .collect();
        let s5: Vec<&str> = semantic
            .iter()
            .take(TOP)
            .map(|(id, _)| id.as_str())
            .collect();
        let shared = l5.iter().filter(|id| s5.contains(id)).count();
        let union: HashSet<&str> = l5.iter().chain(s5.iter()).copied().collect();
        let displacement = union
            .iter()
            .map(|id| rank_in(lexical, id).abs_diff(rank_in(semantic, id)))
            .sum();
        Measure {
            shared,
            top_differs: l5.first() != s5.first(),
            displacement,
        }
    }

    /// Whether this is a real disagreement (the validation rule).
    pub fn is_disagreement(&self) -> bool {
        self.shared <= MAX_SHARED && self.top_differs
    }

    /// Bigger is a stronger disagreement: fewer shared chunks first, then displacement.
    fn strength(&self) -> (usize, usize) {
        (TOP - self.shared, self.displacement)
    }
}

/// Both ranked lists for `query`, each [`DEPTH`] deep, over the whole index.
fn lists(engine: &Engine, query: &str) -> Result<(Ranked, Ranked), ExercisesError> {
    let q = words_query(query);
    match engine
        .retriever()
        .ranked_lists(&q, &Filters::default(), Mode::Hybrid, DEPTH)
    {
        Ok(l) => Ok(l),
        Err(crate::search::SearchError::Lexical(crate::lexical::LexicalError::Query(_))) => {
            Ok((Vec::new(), Vec::new()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Candidate queries from the scope, deduplicated by their normalized form, in pool order.
fn candidate_queries(ctx: &Context) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut push = |q: &str| {
        let q = q
            .trim()
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_string();
        if q.split_whitespace().count() >= 2 && seen.insert(normalize(&q)) {
            out.push(q);
        }
    };
    if let Some(t) = &ctx.options.topic {
        push(t);
    }
    let analyzer = ctx.engine.index.analyzer();
    for chunk in &ctx.pool {
        if let Some(h) = super::section_heading(chunk) {
            push(h);
        }
        if let Some(&(s, e)) = prose_sentences(&chunk.text, 8, 40).first() {
            push(&keywords(analyzer, &chunk.text[s..e]));
        }
    }
    out
}

/// The [`KEYWORDS`] longest whole words of a sentence (searchable, at least four letters), in
/// sentence order: a keyword query such as people type.
fn keywords(analyzer: &crate::text::Analyzer, sentence: &str) -> String {
    let mut words: Vec<(usize, usize)> = analyzer
        .analyze(sentence)
        .into_iter()
        .filter(|t| t.kind == crate::text::TokenKind::Word)
        .map(|t| (t.from, t.to))
        .filter(|&(f, t)| {
            let w = &sentence[f..t];
            w.chars().count() >= 4 && w.chars().all(char::is_alphabetic)
        })
        .collect();
    words.dedup();
    words.sort_by_key(|&(f, t)| std::cmp::Reverse(sentence[f..t].chars().count()));
    words.truncate(KEYWORDS);
    words.sort_unstable();
    words
        .iter()
        .map(|&(f, t)| &sentence[f..t])
        .collect::<Vec<_>>()
        .join(" ")
}

fn passage(engine: &Engine, id: &str) -> Result<Option<LexicalHit>, ExercisesError> {
    Ok(engine.index.chunk(id)?)
}

/// The exercise for `query` from its two lists, or `None` when a listed chunk cannot be read.
fn build(
    engine: &Engine,
    query: &str,
    lexical: &Ranked,
    semantic: &Ranked,
) -> Result<Option<Disagreement>, ExercisesError> {
    let rank_in = |list: &Ranked, id: &str| list.iter().position(|(x, _)| x == id).map(|p| p + 1);
    let mut hits = std::collections::HashMap::new();
    for (id, _) in lexical.iter().take(TOP).chain(semantic.iter().take(TOP)) {
        if !hits.contains_key(id) {
            let Some(h) = passage(engine, id)? else {
                return Ok(None);
            };
            hits.insert(id.clone(), h);
        }
    }
    let listed = |list: &Ranked| -> Vec<Listed> {
        list.iter()
            .take(TOP)
            .enumerate()
            .map(|(i, (id, _))| Listed {
                rank: i + 1,
                passage: PassageRef::of(&hits[id]),
            })
            .collect()
    };
    let scored = |list: &Ranked, other: &Ranked| -> Vec<Scored> {
        list.iter()
            .take(TOP)
            .map(|(id, s)| Scored {
                chunk_id: id.clone(),
                score: *s,
                other_rank: rank_in(other, id),
            })
            .collect()
    };
    let m = Measure::of(lexical, semantic);
    let analyzer = engine.index.analyzer();
    let query_terms: HashSet<String> = analyzer.terms(query).into_iter().collect();
    let query_lang = detect_lang(query).code();
    let mut hints = Vec::new();
    let lex_langs: HashSet<&str> = lexical
        .iter()
        .take(TOP)
        .map(|(id, _)| hits[id].lang.as_str())
        .collect();
    if semantic.iter().take(TOP).any(|(id, _)| {
        let l = hits[id].lang.as_str();
        l != query_lang && !lex_langs.contains(l)
    }) {
        hints.push(Hint::CrossLingual);
    }
    if normalize(query).chars().any(|c| c.is_ascii_digit()) {
        hints.push(Hint::ExactNumbers);
    }
    if query.contains(ZWNJ) {
        hints.push(Hint::ZwnjForms);
    }
    if semantic.iter().take(TOP).any(|(id, _)| {
        let h = &hits[id];
        h.lang == query_lang
            && !analyzer
                .terms(&h.text)
                .iter()
                .any(|t| query_terms.contains(t))
    }) {
        hints.push(Hint::Synonyms);
    }
    Ok(Some(Disagreement {
        task: DisagreementTask {
            query: query.to_string(),
            lexical: listed(lexical),
            semantic: listed(semantic),
        },
        key: DisagreementKey {
            lexical: scored(lexical, semantic),
            semantic: scored(semantic, lexical),
            shared: m.shared,
            hints,
        },
    }))
}

impl Exercise for Disagreement {
    fn needs_semantic() -> bool {
        true
    }

    /// Offers candidates to `sink`, strongest disagreement first: `want` candidate queries drawn in
    /// a seeded order from the scope, each run through both retrievers.
    fn candidates(ctx: &Context, rng: &mut Stream, want: usize, sink: &mut Sink) -> Result<()> {
        let mut queries = candidate_queries(ctx);
        rng.shuffle(&mut queries);
        // Measuring a query costs one query embedding: measure more than are offered, so the
        // strongest disagreements of the scope come first.
        queries.truncate(want * MEASURED_PER_CANDIDATE);
        let mut measured = Vec::new();
        for q in queries {
            let (lex, sem) = lists(ctx.engine, &q)?;
            if lex.is_empty() || sem.is_empty() {
                continue;
            }
            let m = Measure::of(&lex, &sem);
            measured.push((m, q, lex, sem));
        }
        // Real disagreements (by the validation rule) first, then by strength.
        measured.sort_by(|a, b| {
            (b.0.is_disagreement(), b.0.strength())
                .cmp(&(a.0.is_disagreement(), a.0.strength()))
                .then_with(|| a.1.cmp(&b.1))
        });
        for (_, q, lex, sem) in measured.into_iter().take(want) {
            if let Some(x) = build(ctx.engine, &q, &lex, &sem)? {
                if sink.offer(Body::RetrieverDisagreement(x))? {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Checks an item against the index: both retrievers, run again, give the same top-5 lists,
    /// the lists are long enough, and they really disagree (see [`Measure::is_disagreement`]).
    fn check(&self, engine: &Engine) -> Result<Result<(), Invalid>> {
        if engine.retriever().semantic.is_none() {
            return Ok(Err(Invalid::NoSemantic));
        }
        let (lex, sem) = lists(engine, &self.task.query)?;
        let ids =
            |l: &Ranked| -> Vec<String> { l.iter().take(TOP).map(|(id, _)| id.clone()).collect() };
        let shown = |l: &[Listed]| -> Vec<String> {
            l.iter().map(|e| e.passage.chunk_id.clone()).collect()
        };
        if ids(&lex) != shown(&self.task.lexical) || ids(&sem) != shown(&self.task.semantic) {
            return Ok(Err(Invalid::ListsChanged));
        }
        if lex.len().min(sem.len()) < MIN_LIST {
            return Ok(Err(Invalid::ShortLists));
        }
        let m = Measure::of(&lex, &sem);
        if !m.is_disagreement() || m.shared != self.key.shared {
            return Ok(Err(Invalid::NoDisagreement { shared: m.shared }));
        }
        Ok(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(ids: &[&str]) -> Ranked {
        ids.iter()
            .enumerate()
            .map(|(i, id)| (id.to_string(), 1.0 / (i + 1) as f32))
            .collect()
    }

    #[test]
    fn measure_counts_shared_chunks_and_displacement() {
        let same = Measure::of(
            &list(&["a", "b", "c", "d", "e"]),
            &list(&["a", "b", "c", "d", "e"]),
        );
        assert_eq!(
            (same.shared, same.top_differs, same.displacement),
            (5, false, 0)
        );
        assert!(!same.is_disagreement());
        let apart = Measure::of(
            &list(&["a", "b", "c", "d", "e", "f"]),
            &list(&["f", "g", "h", "i", "j", "a"]),
        );
        assert_eq!(apart.shared, 0);
        assert!(apart.top_differs && apart.is_disagreement());
        // a: 1 vs 6 and f: 6 vs 1 (5 each); b..e and g..j are missing on one side (rank 51).
        assert_eq!(apart.displacement, 2 * (5 + 49 + 48 + 47 + 46));
        // Two shared but the same top hit: no disagreement.
        let same_top = Measure::of(
            &list(&["a", "b", "x", "y", "z"]),
            &list(&["a", "b", "p", "q", "r"]),
        );
        assert!(!same_top.is_disagreement());
        assert!(apart.strength() > same_top.strength());
    }
}
