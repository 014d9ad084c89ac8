//! Trainer exercises generated from the knowledge base: the AI course's practice material
//! built from the very documents the participants study, with an answer key.
//!
//! Four kinds, each in its own module that knows how to make an item and how to check one:
//! [`find_source`] (a cloze sentence whose chunk the participant must find),
//! [`disagreement`] (queries where keyword and semantic rankings differ most),
//! [`cite_check`] (an `answer::ask` answer with one citation swapped for a wrong passage) and
//! [`normalization`] (pairs of spellings and whether the analyzer makes them match).
//! [`pool`] chooses the chunks a set is drawn from, [`validate`] checks every item against
//! the index before it is kept (failures are dropped and counted), [`seed`] makes every
//! choice reproducible, and [`render`] writes the handout and the key (Markdown, HTML, JSONL).
//!
//! This module owns the set's types and the generation loop. It does not rank passages
//! (`search` does) or decide how files are written (the CLI does, atomically).

pub mod cite_check;
pub mod disagreement;
pub mod find_source;
pub mod normalization;
pub mod pool;
pub mod render;
pub mod seed;
pub mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::engine::Engine;
use crate::fault::{ErrorKind, Fault};
use crate::lexical::{LexicalError, LexicalHit};
use crate::search::SearchError;
use crate::text::Lang;

use cite_check::CiteCheck;
use disagreement::Disagreement;
use find_source::FindSource;
use normalization::SpellingPair;
pub use validate::{validate, Invalid};

/// The seed used when none is given, so two trainers asking for the same set get the same one.
pub const DEFAULT_SEED: u64 = 2025;

/// Items of each kind when no count is given.
pub const DEFAULT_COUNT: usize = 3;

/// Most items of one kind in a set: more would not fit a handout and would cost minutes of
/// retrieval on a slow machine.
pub const MAX_COUNT: usize = 30;

/// Errors of exercise generation.
#[derive(Debug, Error)]
pub enum ExercisesError {
    #[error("choose the documents: give --topic TEXT or --doc-type TYPE")]
    /// Neither a topic nor a document type was given.
    NoScope,
    #[error("--count must be between 1 and {MAX_COUNT}, not {0}")]
    /// A count outside 1 to MAX_COUNT.
    BadCount(usize),
    #[error("no {lang} chunks match {scope}; try another topic or doc type, or --lang {other}")]
    /// The scope has no chunks in the handout's language.
    EmptyScope {
        /// The language asked for.
        lang: &'static str,
        /// The topic or doc type, for the message.
        scope: String,
        /// The other language, to suggest.
        other: &'static str,
    },
    #[error("retriever-disagreement exercises need the model and the index's vectors: {0}")]
    /// Only retriever-disagreement was asked for and there is no semantic side.
    NoSemantic(String),
    #[error(transparent)]
    /// Retrieval failed.
    Search(#[from] SearchError),
    #[error(transparent)]
    /// Answering a cite-check question failed.
    Answer(crate::answer::AnswerError),
    #[error(transparent)]
    /// Reading the index failed.
    Lexical(#[from] LexicalError),
}

impl ExercisesError {
    /// What kind of failure this is: scope and options are the trainer's; causes keep theirs.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ExercisesError::NoScope
            | ExercisesError::BadCount(_)
            | ExercisesError::EmptyScope { .. } => ErrorKind::BadInput,
            ExercisesError::NoSemantic(_) => ErrorKind::Unavailable,
            ExercisesError::Search(e) => e.kind(),
            ExercisesError::Answer(e) => e.kind(),
            ExercisesError::Lexical(e) => e.kind(),
        }
    }

    /// Whether the trainer can fix this (scope, options, missing model) or it is ours.
    pub fn fault(&self) -> Fault {
        self.kind().fault()
    }
}

type Result<T, E = ExercisesError> = std::result::Result<T, E>;

/// The kinds of exercise, in the order a handout shows them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
// A doc comment on a clap value becomes its `--help` text; the module docs say what each is.
#[allow(missing_docs)]
pub enum Kind {
    FindTheSource,
    RetrieverDisagreement,
    CiteCheck,
    Normalization,
}

impl Kind {
    /// Every kind, in the order a set lists them.
    pub const ALL: [Kind; 4] = [
        Kind::FindTheSource,
        Kind::RetrieverDisagreement,
        Kind::CiteCheck,
        Kind::Normalization,
    ];

    /// The name used on the command line, in JSON and to seed the kind's random stream.
    pub fn name(self) -> &'static str {
        match self {
            Kind::FindTheSource => "find-the-source",
            Kind::RetrieverDisagreement => "retriever-disagreement",
            Kind::CiteCheck => "cite-check",
            Kind::Normalization => "normalization",
        }
    }

    /// Prefix of item ids (`fs-1`, `rd-2`, ...).
    fn prefix(self) -> &'static str {
        match self {
            Kind::FindTheSource => "fs",
            Kind::RetrieverDisagreement => "rd",
            Kind::CiteCheck => "cc",
            Kind::Normalization => "nz",
        }
    }
}

/// What a set is made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseOptions {
    /// Draw chunks from a search for this topic.
    pub topic: Option<String>,
    /// Draw chunks from documents of this type (with a topic: the search is limited to it).
    pub doc_type: Option<String>,
    /// Items of each kind.
    pub count: usize,
    /// Language of the handout and of the chunks its items come from.
    pub lang: Lang,
    /// The kinds to make.
    pub kinds: Vec<Kind>,
    /// Seeds every random choice: the same index, options and seed give the same set.
    pub seed: u64,
}

impl ExerciseOptions {
    /// Options for a topic with the defaults for everything else.
    pub fn for_topic(topic: &str, lang: Lang) -> ExerciseOptions {
        ExerciseOptions {
            topic: Some(topic.to_string()),
            doc_type: None,
            count: DEFAULT_COUNT,
            lang,
            kinds: Kind::ALL.to_vec(),
            seed: DEFAULT_SEED,
        }
    }

    fn check(&self) -> Result<()> {
        let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
        if blank(&self.topic) && blank(&self.doc_type) {
            return Err(ExercisesError::NoScope);
        }
        if self.count == 0 || self.count > MAX_COUNT {
            return Err(ExercisesError::BadCount(self.count));
        }
        Ok(())
    }

    /// The scope in words, for messages and the handout's subtitle.
    pub fn scope(&self) -> String {
        match (&self.topic, &self.doc_type) {
            (Some(t), Some(d)) => format!("topic {t:?} in doc type {d:?}"),
            (Some(t), None) => format!("topic {t:?}"),
            (None, Some(d)) => format!("doc type {d:?}"),
            (None, None) => "nothing".to_string(),
        }
    }
}

/// A passage as exercises show it: enough to find it again and to cite it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassageRef {
    /// The chunk's id.
    pub chunk_id: String,
    /// Its document's id.
    pub doc_id: String,
    /// Its document's title.
    pub title: String,
    /// Its heading path.
    pub breadcrumb: Vec<String>,
    /// `fa` or `en`.
    pub lang: String,
}

impl PassageRef {
    /// The reference to a found chunk.
    pub fn of(hit: &LexicalHit) -> PassageRef {
        PassageRef {
            chunk_id: hit.chunk_id.clone(),
            doc_id: hit.doc_id.clone(),
            title: hit.title.clone(),
            breadcrumb: hit.breadcrumb.clone(),
            lang: hit.lang.clone(),
        }
    }
}

/// One exercise with its key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// `fs-1`, `rd-1`, `cc-1`, `nz-1`, ...: stable within a set.
    pub id: String,
    #[serde(flatten)]
    /// The exercise and its key.
    pub body: Body,
}

/// The exercise itself, by kind. Each carries a `task` (what participants see) and a `key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Body {
    /// A cloze sentence whose chunk the participant finds.
    FindTheSource(find_source::FindSource),
    /// A query where the two retrievers disagree.
    RetrieverDisagreement(disagreement::Disagreement),
    /// An answer with one citation swapped.
    CiteCheck(cite_check::CiteCheck),
    /// Two spellings: does the analyzer match them?
    Normalization(normalization::SpellingPair),
}

impl Body {
    /// The kind of this exercise.
    pub fn kind(&self) -> Kind {
        match self {
            Body::FindTheSource(_) => Kind::FindTheSource,
            Body::RetrieverDisagreement(_) => Kind::RetrieverDisagreement,
            Body::CiteCheck(_) => Kind::CiteCheck,
            Body::Normalization(_) => Kind::Normalization,
        }
    }

    /// The item as its kind, for checking.
    pub fn exercise(&self) -> &dyn Exercise {
        match self {
            Body::FindTheSource(x) => x,
            Body::RetrieverDisagreement(x) => x,
            Body::CiteCheck(x) => x,
            Body::Normalization(x) => x,
        }
    }

    /// The participants' part only (no key), for the exercises file of `--format jsonl`.
    pub fn task_json(&self) -> serde_json::Value {
        let task = match self {
            Body::FindTheSource(x) => serde_json::to_value(&x.task),
            Body::RetrieverDisagreement(x) => serde_json::to_value(&x.task),
            Body::CiteCheck(x) => serde_json::to_value(&x.task),
            Body::Normalization(x) => serde_json::to_value(&x.task),
        };
        task.unwrap_or(serde_json::Value::Null)
    }
}

/// How one kind fared: asked for, kept, and dropped by validation (with the reasons).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindReport {
    /// The kind.
    pub kind: Kind,
    pub(crate) requested: usize,
    /// Items kept.
    pub written: usize,
    /// Candidates dropped by validation.
    pub dropped: usize,
    /// Validation failures by reason (see [`Invalid::reason`]).
    pub dropped_by_reason: BTreeMap<String, usize>,
    /// Why the kind was skipped or fell short, when it did.
    pub note: Option<String>,
}

/// A generated set: what it was made from, its items and how generation went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExerciseSet {
    /// The options it was made with.
    pub options: ExerciseOptions,
    /// The index generation the set was validated against.
    pub index_generation: u64,
    /// The exercises, by kind in [`Kind::ALL`] order.
    pub items: Vec<Item>,
    /// How each kind fared.
    pub report: Vec<KindReport>,
}

impl ExerciseSet {
    /// Items dropped by validation, over all kinds.
    pub fn dropped(&self) -> usize {
        self.report.iter().map(|r| r.dropped).sum()
    }
}

/// Everything a kind's generator may look at.
pub struct Context<'a> {
    /// The index (and model) to draw from and validate against.
    pub engine: &'a Engine,
    /// The chunks of the scope, in the handout's language, in a fixed order.
    pub pool: Vec<LexicalHit>,
    /// What the set is made of.
    pub options: &'a ExerciseOptions,
}

/// Where a kind hands its candidates, best first: each is validated against the index at once
/// and kept or dropped (and counted), so expensive kinds make no more candidates than needed.
pub struct Sink<'a> {
    engine: &'a Engine,
    items: &'a mut Vec<Item>,
    report: &'a mut KindReport,
}

impl Sink<'_> {
    /// Validates `body` and keeps it or counts it as dropped; returns whether the kind now has
    /// all the items it asked for.
    pub fn offer(&mut self, body: Body) -> Result<bool> {
        let r = &mut *self.report;
        if r.written == r.requested {
            return Ok(true);
        }
        let item = Item {
            id: format!("{}-{}", r.kind.prefix(), r.written + 1),
            body,
        };
        match validate(self.engine, &item)? {
            Ok(()) => {
                r.written += 1;
                self.items.push(item);
            }
            Err(invalid) => {
                r.dropped += 1;
                *r.dropped_by_reason
                    .entry(invalid.reason().to_string())
                    .or_default() += 1;
            }
        }
        Ok(r.written == r.requested)
    }

    /// Goes through `sources` in order, offering what `make` builds from each (`None`: that
    /// source gives no candidate and is not counted), until `want` candidates were tried or
    /// the kind has all its items.
    pub fn offer_each<T>(
        &mut self,
        want: usize,
        sources: impl IntoIterator<Item = T>,
        mut make: impl FnMut(T) -> Result<Option<Body>>,
    ) -> Result<()> {
        let mut tried = 0;
        for source in sources {
            if tried == want {
                break;
            }
            if let Some(body) = make(source)? {
                tried += 1;
                if self.offer(body)? {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// One kind of exercise, implemented by its item type in the kind's module: how candidates
/// are made from a scope and how an item is checked against the index. The generator and
/// [`validate`] reach every kind through it.
pub trait Exercise {
    /// Offers up to `want` candidates to `sink`, best first, drawing every choice from `rng`.
    fn candidates(
        ctx: &Context,
        rng: &mut seed::Stream,
        want: usize,
        sink: &mut Sink,
    ) -> Result<()>
    where
        Self: Sized;

    /// Checks this item against the index `engine` holds. `Ok(Err(_))` is an invalid item;
    /// `Err(_)` is a failure to read the index or run retrieval.
    fn check(&self, engine: &Engine) -> Result<std::result::Result<(), Invalid>>;

    /// Whether the kind compares the semantic retriever with the lexical one (it is skipped,
    /// with a note, when the index has no model).
    fn needs_semantic() -> bool
    where
        Self: Sized,
    {
        false
    }
}

/// Makes kind `E`'s candidates into `sink`, or notes why the kind cannot run here.
fn make<E: Exercise>(
    ctx: &Context,
    rng: &mut seed::Stream,
    want: usize,
    sink: &mut Sink,
) -> Result<Option<String>> {
    if E::needs_semantic() && ctx.engine.retriever().semantic.is_none() {
        let why = ctx
            .engine
            .semantic_unavailable
            .clone()
            .unwrap_or_else(|| "no model loaded".into());
        // Asked for this kind alone, the set cannot be made at all.
        if ctx.options.kinds.iter().all(|k| *k == sink.report.kind) {
            return Err(ExercisesError::NoSemantic(why));
        }
        return Ok(Some(format!(
            "skipped: semantic search unavailable ({why})"
        )));
    }
    E::candidates(ctx, rng, want, sink)?;
    Ok(None)
}

/// How many candidates a kind may try per requested item: validation may drop some.
const CANDIDATES_PER_ITEM: usize = 3;

/// Generates a set: candidates per kind from the scope's chunks, each validated against the
/// index as it is made; failures are dropped and counted. The same index, options and seed give
/// the same set.
pub fn generate(engine: &Engine, options: &ExerciseOptions) -> Result<ExerciseSet> {
    options.check()?;
    let pool = pool::chunks(engine, options)?;
    let ctx = Context {
        engine,
        pool,
        options,
    };
    let mut kinds = options.kinds.clone();
    kinds.sort_unstable();
    kinds.dedup();
    let mut items = Vec::new();
    let mut report = Vec::new();
    for kind in kinds {
        let mut rng = seed::Stream::new(options.seed, kind.name());
        let want = options.count * CANDIDATES_PER_ITEM + 2;
        let mut r = KindReport {
            kind,
            requested: options.count,
            written: 0,
            dropped: 0,
            dropped_by_reason: BTreeMap::new(),
            note: None,
        };
        let mut sink = Sink {
            engine,
            items: &mut items,
            report: &mut r,
        };
        let note = match kind {
            Kind::FindTheSource => make::<FindSource>(&ctx, &mut rng, want, &mut sink)?,
            Kind::RetrieverDisagreement => make::<Disagreement>(&ctx, &mut rng, want, &mut sink)?,
            Kind::CiteCheck => make::<CiteCheck>(&ctx, &mut rng, want, &mut sink)?,
            Kind::Normalization => make::<SpellingPair>(&ctx, &mut rng, want, &mut sink)?,
        };
        if note.is_some() {
            r.note = note;
        }
        if r.written < r.requested && r.note.is_none() {
            r.note = Some(format!(
                "only {} of {} items could be made and validated from this scope",
                r.written, r.requested
            ));
        }
        report.push(r);
    }
    Ok(ExerciseSet {
        options: options.clone(),
        index_generation: engine.index.manifest().generation,
        items,
        report,
    })
}

/// The sentences of a chunk that can stand alone in an exercise: prose of a readable length,
/// not a heading, list marker, table row, formula or label ending in a colon. Byte spans into
/// `text`.
pub fn prose_sentences(text: &str, min_words: usize, max_words: usize) -> Vec<(usize, usize)> {
    crate::text::sentence::sentence_spans(text)
        .into_iter()
        .filter(|&(s, e)| {
            let t = &text[s..e];
            let words = t.split_whitespace().count();
            words >= min_words
                && words <= max_words
                && !t.contains('\n')
                && !t.starts_with(['#', '-', '*', '|', '>', '!', '['])
                && !t.ends_with([':', '：'])
                && !t.contains('|')
                && !t.contains('`')
                && !t.contains(['=', '×', '÷'])
                && t.chars().any(char::is_alphabetic)
                && balanced(t)
        })
        .collect()
}

/// Whether brackets and quotation marks pair up: a sentence cut inside a parenthesis (the
/// splitter ends one at "..." before ")") does not stand alone.
fn balanced(t: &str) -> bool {
    let count = |c: char| t.chars().filter(|&x| x == c).count();
    count('(') == count(')') && count('«') == count('»') && count('“') == count('”')
}

/// The heading of the section a chunk is in, when it can serve as a query or question: the
/// last breadcrumb part below the title, 2 to 12 words, and not the opening of a body line
/// that the structure parser cut short (a long "Clause 6.1 The organization shall..." line).
pub fn section_heading(chunk: &LexicalHit) -> Option<&str> {
    if chunk.breadcrumb.len() < 2 {
        return None;
    }
    let h = chunk.breadcrumb.last()?.trim();
    let words = h.split_whitespace().count();
    let cut_line = words > 4 && chunk.text.trim_start().starts_with(h);
    ((2..=12).contains(&words) && !cut_line).then_some(h)
}

/// A text searched as plain words, no operators (sentences and headings contain quotes and
/// hyphens that are not meant as query syntax); an article/clause mention still looks it up.
pub fn words_query(text: &str) -> crate::lexical::ParsedQuery {
    use crate::lexical::query::{find_lookup, QueryClause};
    crate::lexical::ParsedQuery {
        raw: text.to_string(),
        clauses: vec![QueryClause {
            occurrence: crate::lexical::Occurrence::Should,
            text: text.to_string(),
            phrase: false,
        }],
        lookup: find_lookup(text),
    }
}

/// Whether `haystack` contains `needle` once both are normalized and their whitespace is
/// collapsed: how validation decides that a passage states a sentence.
pub fn states(haystack: &str, needle: &str) -> bool {
    let squash = |s: &str| {
        crate::text::normalize(s)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let n = squash(needle);
    !n.is_empty() && squash(haystack).contains(&n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_need_a_scope_and_a_sane_count() {
        let mut o = ExerciseOptions::for_topic("  ", Lang::Fa);
        assert!(matches!(o.check(), Err(ExercisesError::NoScope)));
        o.doc_type = Some("law".into());
        assert!(o.check().is_ok());
        o.count = 0;
        assert!(matches!(o.check(), Err(ExercisesError::BadCount(0))));
        o.count = MAX_COUNT + 1;
        assert_eq!(o.check().unwrap_err().fault(), Fault::User);
    }

    #[test]
    fn prose_sentences_skip_headings_lists_and_labels() {
        let text = "## Clause 6.1.2 Environmental aspects\n\nThe organization shall determine the environmental aspects of its activities and services.\n- a list item with several words in it here\nSteps to follow in this part:\nShort one.";
        let s: Vec<&str> = prose_sentences(text, 5, 40)
            .into_iter()
            .map(|(a, b)| &text[a..b])
            .collect();
        assert_eq!(
            s,
            vec!["The organization shall determine the environmental aspects of its activities and services."]
        );
        let fa = "سازمان باید جنبه‌های زیست‌محیطی فعالیت‌ها و خدمات خود را تعیین کند.";
        assert_eq!(prose_sentences(fa, 5, 40), vec![(0, fa.len())]);
        let cut = "ماده ۶ وظایف سازمان را در چند بند حرفی (الف، ب، ج، د و ...) برمی‌شمارد.";
        assert!(
            prose_sentences(cut, 5, 40).is_empty(),
            "cut inside a parenthesis"
        );
    }

    #[test]
    fn states_ignores_spelling_variants_and_spacing() {
        assert!(states("متن ماده ۶:  سازمان موظف است.", "سازمان  موظف"));
        assert!(states("The Organization shall act.", "organization shall"));
        assert!(!states("The organization shall act.", "the board shall"));
        assert!(!states("anything", "  "));
    }

    #[test]
    fn items_round_trip_through_json_with_a_kind_tag() {
        let item = Item {
            id: "nz-1".into(),
            body: Body::Normalization(normalization::SpellingPair {
                task: normalization::PairTask {
                    a: "كتاب".into(),
                    b: "کتاب".into(),
                },
                key: normalization::PairKey {
                    matches: true,
                    variation: normalization::Variation::ArabicLetters,
                    a_terms: vec!["کتاب".into()],
                    b_terms: vec!["کتاب".into()],
                    source: PassageRef {
                        chunk_id: "fa/x#0".into(),
                        doc_id: "fa/x".into(),
                        title: "t".into(),
                        breadcrumb: vec!["t".into()],
                        lang: "fa".into(),
                    },
                    found_by_search: Some(true),
                },
            }),
        };
        let json = serde_json::to_value(&item).unwrap();
        assert_eq!(json["kind"], "normalization");
        assert_eq!(json["id"], "nz-1");
        let back: Item = serde_json::from_value(json).unwrap();
        assert_eq!(back, item);
        assert_eq!(item.body.task_json()["a"], "كتاب");
        assert!(item.body.task_json().get("matches").is_none());
    }
}
