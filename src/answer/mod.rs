//! Cited answers: a question in, a short answer in the question's language out, every
//! sentence followed by a `[n]` marker that names a numbered citation (document, breadcrumb,
//! chunk, the exact quoted span with its byte offsets), or "not found in the sources" with
//! the closest passages as "see also".
//!
//! Owns the answer pipeline on top of [`crate::engine::Engine`]: question checks
//! (`question`), hybrid retrieval, sentence-level evidence selection (`evidence`),
//! abstention, and citations that are valid by construction and checked again before an
//! answer is returned (`citation`). Generative answers (`generate`, off by default) put the
//! same evidence in a prompt for a language model (`llm`: a local GGUF file or an
//! OpenAI-compatible endpoint, speaking the wire types of `chat`) and post-check what it
//! writes. It does not rank passages (`search` does) or serve HTTP (the server calls
//! [`ask`], [`ask_streaming`] or [`generate::ask_generative`]).

pub mod chat;
pub mod citation;
pub mod evaluate;
pub mod evidence;
pub mod features;
pub mod generate;
pub mod llm;
pub mod question;
pub mod scorer;
pub mod sentence_vectors;
pub mod sources;

use serde::Serialize;
use thiserror::Error;

pub use citation::{Citation, SeeAlso};
pub use evidence::EvidenceConfig;
pub use generate::{ask_generative, GenerateOptions};
pub use llm::{Llm, LlmConfig, LlmError};
pub use question::{check_question, question_query, MAX_QUESTION_CHARS};

use crate::embed::EmbedError;
use crate::engine::Engine;
use crate::fault::{ErrorKind, Fault};
use crate::lexical::{Filters, LexicalError, LexicalHit, Lookup, QueryError};
use crate::search::{Mode, SearchError, SearchHit};
use crate::text::{detect_lang, normalize_for_embedding, Lang};

/// Errors of answering.
#[derive(Debug, Error)]
pub enum AnswerError {
    /// The question is empty or only whitespace.
    #[error("empty question: type a question in Persian or English")]
    EmptyQuestion,
    /// The question is longer than [`MAX_QUESTION_CHARS`]: a pasted document, not a question.
    #[error(
        "question too long ({chars} characters; the limit is {limit}): ask one short question"
    )]
    QuestionTooLong {
        /// The question's length in characters.
        chars: usize,
        /// The most characters a question may have.
        limit: usize,
    },
    /// The text cannot be a question (control characters, no words, mostly symbols); holds
    /// the reason, for the message.
    #[error("not a question: {0}; type a question in words")]
    NotAQuestion(&'static str),
    /// Retrieval failed.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// The encoder failed while embedding the question or candidate sentences.
    #[error(transparent)]
    Embed(#[from] EmbedError),
    /// The lexical index failed while reading passages.
    #[error(transparent)]
    Lexical(#[from] LexicalError),
    /// A citation failed its check: a bug in envkb, never shown as an answer.
    #[error("internal error: an answer's citations failed their check: {0}")]
    InvalidCitations(String),
    /// The language model of a generative answer failed or is misconfigured.
    #[error(transparent)]
    Llm(#[from] LlmError),
}

impl AnswerError {
    /// What kind of failure this is: a bad question is the asker's; causes keep their kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AnswerError::EmptyQuestion
            | AnswerError::QuestionTooLong { .. }
            | AnswerError::NotAQuestion(_) => ErrorKind::BadInput,
            AnswerError::Search(e) => e.kind(),
            AnswerError::Embed(e) => e.kind(),
            AnswerError::Lexical(e) => e.kind(),
            AnswerError::InvalidCitations(_) => ErrorKind::Internal,
            AnswerError::Llm(e) => e.kind(),
        }
    }

    /// Whether the asker can fix this (a bad question, a bad index path) or it is ours.
    pub fn fault(&self) -> Fault {
        self.kind().fault()
    }
}

/// Evidence below these scores is too weak to answer from: the answer abstains. The model
/// threshold is fitted with the scorer (`scorer.json`, on training questions only; figures
/// in docs/BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AbstainConfig {
    /// Threshold on the best sentence's probability when the model scores evidence.
    pub min_score: f32,
    /// Threshold on the best word overlap when only words score evidence (no model).
    pub min_overlap: f32,
}

impl Default for AbstainConfig {
    fn default() -> Self {
        AbstainConfig {
            min_score: scorer::Scorer::shipped().threshold,
            min_overlap: 0.5,
        }
    }
}

/// How to answer.
#[derive(Debug, Clone)]
pub struct AskOptions {
    /// Passages retrieved and read for evidence.
    pub passages: usize,
    /// Metadata filters applied to retrieval.
    pub filters: Filters,
    /// Passages of the other language (Persian for an English question, English for a
    /// Persian one) read besides the `passages`, when no language filter is set. An
    /// experiment (`eval-answers --other-language`), off by default: it brings the right
    /// passage of the other language into reach, but the scorer, refitted with them in the
    /// training dumps, still prefers same-language sentences, and held-out answers did not
    /// gain (docs/BENCHMARKS.md).
    pub other_language: usize,
    /// How many sentences the answer quotes and which join the best one.
    pub evidence: EvidenceConfig,
    /// The thresholds below which the answer abstains.
    pub abstain: AbstainConfig,
    /// The evidence scorer: the shipped weights, or others under evaluation.
    pub scorer: std::sync::Arc<scorer::Scorer>,
}

impl Default for AskOptions {
    fn default() -> Self {
        AskOptions {
            passages: 5,
            filters: Filters::default(),
            other_language: 0,
            evidence: EvidenceConfig::default(),
            abstain: AbstainConfig::default(),
            scorer: std::sync::Arc::new(scorer::Scorer::shipped().clone()),
        }
    }
}

/// The answer, serialized exactly as the contract of `envkb ask --json` and the server.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Answer {
    /// Sentences each followed by `[n]`, or the "not found" message.
    pub answer: String,
    /// Whether the answer is the "not found" message: the evidence was too weak, or the
    /// question names sources the knowledge base lacks.
    pub abstained: bool,
    /// The question's language, which is also the language of the "not found" message.
    #[schema(value_type = String, example = "fa")]
    pub lang: Lang,
    /// The sources of the answer's `[n]` markers, one citation per number.
    pub citations: Vec<Citation>,
    /// Closest passages not cited (all of them when abstaining).
    pub see_also: Vec<SeeAlso>,
    /// Sentences a language model wrote that no passage they cite supports; they are not
    /// in `answer`. Only generative answers have them, and only then is the key present.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unsupported: Vec<String>,
    /// The laws or standards the question names that the knowledge base does not hold
    /// (the reason the answer abstained); only present when there are some.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_sources: Vec<String>,
    /// Set when evidence was scored without the model (printed by the CLI, not in JSON).
    #[serde(skip)]
    pub warning: Option<String>,
    /// The best evidence score, compared with the abstention threshold (for calibration).
    #[serde(skip)]
    pub confidence: f32,
    /// Whether `confidence` is a model score or a word overlap.
    #[serde(skip)]
    pub scored_by_model: bool,
}

/// What [`ask_streaming`] reports while answering, in order: the answer text in pieces,
/// then each citation, then the finished answer. A generative answer first reports the
/// model's raw text as `Token`s (unchecked: the checked answer follows as `Delta`s).
/// Serializes with an `event` tag for SSE.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AnswerEvent {
    /// A piece of the language model's draft as it is generated, before the check.
    Token {
        /// The new piece of draft text.
        text: String,
    },
    /// More answer text, appended to what came before.
    Delta {
        /// The new piece of checked answer text.
        text: String,
    },
    /// One citation, after the text that refers to it.
    Citation {
        /// The citation, numbered as its marker in the text.
        citation: Citation,
    },
    /// The complete answer (the same as [`ask`] returns).
    Done {
        /// The whole answer, citations included.
        answer: Answer,
    },
}

/// Why an answer abstained when the question names laws or standards the knowledge base
/// does not hold, in the question's language.
pub fn missing_message(lang: Lang, names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("«{n}»")).collect();
    match lang {
        Lang::Fa => format!("منابع نمایه‌شده {} را ندارند.", quoted.join(" و ")),
        Lang::En => format!("The indexed sources do not include {}.", names.join(" or ")),
    }
}

/// The "not found" message in the question's language.
pub fn not_found_message(lang: Lang) -> &'static str {
    match lang {
        Lang::Fa => "پاسخی در منابع یافت نشد.",
        Lang::En => "Not found in the sources.",
    }
}

/// Answers `question` from the engine's knowledge base.
pub fn ask(engine: &Engine, question: &str, opts: &AskOptions) -> Result<Answer, AnswerError> {
    ask_streaming(engine, question, opts, &mut |_| {})
}

/// Answers `question`, reporting progress to `on_event` (see [`AnswerEvent`]); returns the
/// same answer as the final `Done` event carries.
pub fn ask_streaming(
    engine: &Engine,
    question: &str,
    opts: &AskOptions,
    on_event: &mut dyn FnMut(AnswerEvent),
) -> Result<Answer, AnswerError> {
    let answer = answer_extractive(engine, question, opts)?;
    emit(&answer, on_event);
    Ok(answer)
}

/// Reports a finished answer as events: one `Delta` a sentence, the citations, `Done`.
fn emit(answer: &Answer, on_event: &mut dyn FnMut(AnswerEvent)) {
    let text = &answer.answer;
    let mut at = 0;
    for (range, _) in citation::markers(text) {
        on_event(AnswerEvent::Delta {
            text: text[at..range.end].to_string(),
        });
        at = range.end;
    }
    if at < text.len() {
        on_event(AnswerEvent::Delta {
            text: text[at..].to_string(),
        });
    }
    for c in &answer.citations {
        on_event(AnswerEvent::Citation {
            citation: c.clone(),
        });
    }
    on_event(AnswerEvent::Done {
        answer: answer.clone(),
    });
}

/// The passages retrieved for a question and what retrieval warned about.
pub struct Retrieved {
    /// The retrieved passages, best first (passages of the other language, when asked
    /// for, follow the rest).
    pub hits: Vec<SearchHit>,
    /// Set when retrieval could not run the requested mode and fell back (no model files,
    /// for example), to pass on to the user.
    pub warning: Option<String>,
    /// The article, clause or note the question names (from the query the search ran).
    pub lookup: Lookup,
}

/// Hybrid retrieval for a checked question. A question with nothing searchable for BM25
/// and no model finds nothing (and so abstains) rather than failing.
pub fn retrieve(
    engine: &Engine,
    question: &str,
    opts: &AskOptions,
) -> Result<Retrieved, AnswerError> {
    let query = question_query(question);
    match engine
        .retriever()
        .search(&query, &opts.filters, opts.passages.max(1), Mode::Hybrid)
    {
        Ok(r) => {
            let mut hits = r.hits;
            if opts.other_language > 0 && opts.filters.lang.is_empty() {
                let other = match detect_lang(question) {
                    Lang::Fa => Lang::En,
                    Lang::En => Lang::Fa,
                };
                let filters = Filters {
                    lang: vec![other],
                    ..opts.filters.clone()
                };
                // Best effort: the main search already succeeded, and a failure here (the
                // same index, the same query) leaves the answer as it would have been.
                if let Ok(o) =
                    engine
                        .retriever()
                        .search(&query, &filters, opts.other_language, Mode::Hybrid)
                {
                    for h in o.hits {
                        if !hits.iter().any(|x| x.hit.chunk_id == h.hit.chunk_id) {
                            hits.push(h);
                        }
                    }
                }
            }
            Ok(Retrieved {
                hits,
                warning: r.warning,
                lookup: query.lookup,
            })
        }
        Err(SearchError::Lexical(LexicalError::Query(QueryError::NothingSearchable))) => {
            Ok(Retrieved {
                hits: Vec::new(),
                warning: None,
                lookup: query.lookup,
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// What is known about a question before deciding: the retrieved passages and the scored
/// candidate sentences. [`compose`] turns it into an answer; the evaluation composes it
/// again under other thresholds without re-running the model.
pub struct Evidence {
    /// The question's language, which the answer and its "not found" message use.
    pub lang: Lang,
    /// The retrieved passages, in [`Retrieved::hits`] order; candidates refer to them by index.
    pub hits: Vec<SearchHit>,
    /// The candidate sentences of the passages, scored.
    pub candidates: Vec<evidence::Candidate>,
    /// Whether sentences were scored by the model (else by word overlap only).
    pub scored_by_model: bool,
    /// Retrieval's fallback warning, if any (see [`Retrieved::warning`]).
    pub warning: Option<String>,
    /// Candidate sentences the encoder ran on for this question (0 when the index stores
    /// every candidate's vector).
    pub sentences_embedded: usize,
    /// The laws or standards the question names when the knowledge base holds none of
    /// them ([`sources`]); the answer then abstains and names them.
    pub missing_sources: Vec<String>,
}

impl Evidence {
    /// The retrieval similarity of each passage (0 where the semantic side did not see it).
    pub fn passage_similarities(&self) -> Vec<f32> {
        self.hits
            .iter()
            .map(|h| h.explain.semantic_score.unwrap_or(0.0))
            .collect()
    }
}

/// Checks the question, retrieves passages and scores their sentences.
pub fn gather(engine: &Engine, question: &str, opts: &AskOptions) -> Result<Evidence, AnswerError> {
    let question = check_question(question)?;
    let lang = detect_lang(question);
    let retrieved = retrieve(engine, question, opts)?;
    let lookup = retrieved.lookup.clone();
    let texts: Vec<&str> = retrieved.hits.iter().map(|h| h.hit.text.as_str()).collect();
    let analyzer = engine.index.analyzer();
    let terms = evidence::question_terms(analyzer, question);
    let mut candidates = evidence::candidates(&texts);
    let encoder = engine.encoder();
    // Passage similarities come from the semantic retriever; an index built without
    // vectors (indexed with --no-model, served with the model) has none, so the passages
    // are embedded here instead of scoring every one as unrelated.
    let mut passage_sims: Option<Vec<f32>> = None;
    let mut sentences_embedded = 0;
    let semantic = match (encoder, candidates.is_empty()) {
        (Some(enc), false) => {
            let q = enc.embed_queries(&[normalize_for_embedding(question)])?;
            // Stored at index time; only sentences the store lacks are embedded here.
            let displays: Vec<&str> = candidates.iter().map(|c| c.display.as_str()).collect();
            let found =
                sentence_vectors::sentence_vectors(engine.sentence_vectors(), enc, &displays)?;
            sentences_embedded = found.embedded;
            let v = found.vectors;
            if engine.vectors.is_none() {
                let passages: Vec<String> = retrieved
                    .hits
                    .iter()
                    .map(|h| crate::indexer::embedding_text(&h.hit.breadcrumb, &h.hit.text))
                    .collect();
                passage_sims = Some(evidence::cosines(&q[0], &enc.embed_passages(&passages)?));
            }
            Some(evidence::cosines(&q[0], &v))
        }
        _ => None,
    };
    let mut warning = retrieved.warning;
    if encoder.is_none() {
        let why = engine
            .semantic_unavailable
            .as_deref()
            .unwrap_or("no model loaded");
        warning = Some(format!(
            "the model is unavailable ({why}); evidence was chosen by word overlap only"
        ));
    }
    // Most questions name no law or standard: only those read the titles and passages.
    let named = sources::named_sources(question);
    let missing_sources = if named.is_empty() {
        Vec::new()
    } else {
        let titles = engine
            .index
            .manifest()
            .documents
            .values()
            .map(|d| d.title.as_str());
        let passages: Vec<String> = retrieved
            .hits
            .iter()
            .map(|h| {
                format!(
                    "{} {} {}",
                    h.hit.title,
                    h.hit.breadcrumb.join(" "),
                    h.hit.text
                )
            })
            .collect();
        sources::missing(named, titles, &passages)
            .map(|m| m.into_iter().map(|s| s.name).collect())
            .unwrap_or_default()
    };
    let mut ev = Evidence {
        lang,
        hits: retrieved.hits,
        candidates: Vec::new(),
        scored_by_model: encoder.is_some(),
        warning,
        sentences_embedded,
        missing_sources,
    };
    evidence::measure(&mut candidates, analyzer, &terms, semantic.as_deref());
    let passage_sims = passage_sims.unwrap_or_else(|| ev.passage_similarities());
    let context = evidence::QuestionContext {
        lang,
        asks: features::asks(question),
        lookup: &lookup,
        units: features::named_units(question),
        terms: &terms,
    };
    let hits: Vec<&LexicalHit> = ev.hits.iter().map(|h| &h.hit).collect();
    evidence::featurize(&mut candidates, &hits, &passage_sims, &context, analyzer);
    evidence::rescore(&mut candidates, &opts.scorer, |c| {
        let hit = hits[c.passage];
        let context = format!("{} {}", hit.breadcrumb.join(" "), c.display);
        evidence::overlap(analyzer, &terms, &context)
    });
    ev.candidates = candidates;
    Ok(ev)
}

/// The extractive answer for gathered evidence: the best sentences quoted with citations,
/// or abstention when the best score is under the threshold.
pub fn compose(ev: &Evidence, opts: &AskOptions) -> Result<Answer, AnswerError> {
    let hits: Vec<&LexicalHit> = ev.hits.iter().map(|h| &h.hit).collect();
    let texts: Vec<&str> = hits.iter().map(|h| h.text.as_str()).collect();
    let picked = evidence::choose(&ev.candidates, &texts, &opts.evidence);
    let confidence = picked.first().map_or(0.0, |c| c.score);
    let threshold = if ev.scored_by_model {
        opts.abstain.min_score
    } else {
        opts.abstain.min_overlap
    };
    let missing = !ev.missing_sources.is_empty();
    let abstained = missing || picked.is_empty() || confidence < threshold;
    let confidence = if missing { 0.0 } else { confidence };
    let mut citations = Vec::new();
    let mut text = String::new();
    if abstained {
        text.push_str(not_found_message(ev.lang));
        if missing {
            text.push(' ');
            text.push_str(&missing_message(ev.lang, &ev.missing_sources));
        }
    } else {
        if let Some(lead) = lead_in(ev.lang, &picked) {
            text.push_str(lead);
        }
        for c in &picked {
            let n = citations.len() + 1;
            let hit = hits[c.passage];
            let Some(citation) = Citation::from_span(n, hit, c.start, c.end) else {
                return Err(AnswerError::InvalidCitations(format!(
                    "span {}..{} of {} is not a quote",
                    c.start, c.end, hit.chunk_id
                )));
            };
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&c.display);
            text.push(' ');
            text.push_str(&citation::marker(n));
            citations.push(citation);
        }
    }
    let cited: std::collections::HashSet<&str> =
        citations.iter().map(|c| c.chunk_id.as_str()).collect();
    let see_also = hits
        .iter()
        .filter(|h| !cited.contains(h.chunk_id.as_str()))
        .map(|h| SeeAlso::of(h))
        .collect();
    let answer = Answer {
        answer: text,
        abstained,
        lang: ev.lang,
        citations,
        see_also,
        unsupported: Vec::new(),
        missing_sources: ev.missing_sources.clone(),
        warning: ev.warning.clone(),
        confidence,
        scored_by_model: ev.scored_by_model,
    };
    // Valid by construction; checked again so that a bug can never reach a reader.
    let problems = citation::check(&answer.answer, &answer.citations, |id| {
        hits.iter()
            .find(|h| h.chunk_id == id)
            .map(|h| h.text.clone())
    });
    if !problems.is_empty() {
        return Err(AnswerError::InvalidCitations(problems.join("; ")));
    }
    Ok(answer)
}

/// The line that opens an answer quoting sources in another language than the question's,
/// in the question's language (quotes are never translated: they are the sources' words).
fn lead_in(lang: Lang, quotes: &[evidence::Quote]) -> Option<&'static str> {
    let other = quotes.iter().all(|q| detect_lang(&q.display) != lang);
    match (other, lang) {
        (false, _) => None,
        (true, Lang::En) => Some("The sources say (in Persian):"),
        (true, Lang::Fa) => Some("منابع (به انگلیسی) می‌گویند:"),
    }
}

/// The extractive answer to `question`: [`gather`] then [`compose`].
pub fn answer_extractive(
    engine: &Engine,
    question: &str,
    opts: &AskOptions,
) -> Result<Answer, AnswerError> {
    compose(&gather(engine, question, opts)?, opts)
}
