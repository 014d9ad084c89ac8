//! Generative answers: the evidence numbered in a prompt, a language model's answer, and
//! the post-check that keeps citations valid whatever the model writes.
//!
//! Owns the prompt and the check: markers out of range are removed, each sentence must be
//! supported by a passage it cites (word overlap or embedding similarity above a threshold)
//! or it is moved to `unsupported`, the citations kept are renumbered in order of first use,
//! and when nothing is supported the extractive answer is returned instead. The models
//! themselves are behind [`Generator`] (`llm` has the remote and the local one).

use std::collections::HashMap;

use super::chat::ChatMessage;
use super::citation::{self, markers, Citation, SeeAlso};
use super::llm::Generator;
use super::{compose, emit, evidence, gather, Answer, AnswerError, AnswerEvent, AskOptions};
use crate::embed::pool::cosine;
use crate::engine::Engine;
use crate::text::sentence::sentence_spans;
use crate::text::{normalize_for_embedding, Lang};

/// How a generative answer is made and checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenerateOptions {
    /// Longest reply, in tokens.
    pub max_tokens: u32,
    /// Evidence sentences numbered in the prompt.
    pub passages: usize,
    /// Support a sentence needs from a passage it cites: the share of its words found in
    /// the passage, or the embedding cosine rescaled by [`cosine_support`].
    pub min_support: f32,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            max_tokens: 200,
            passages: 4,
            min_support: 0.6,
        }
    }
}

/// An embedding cosine as support: 0.80 and below (what unrelated texts reach with e5) is
/// none, 0.90 and above is full; 0.86 meets the default threshold.
pub fn cosine_support(cos: f32) -> f32 {
    ((cos - 0.80) / 0.10).clamp(0.0, 1.0)
}

/// Answers `question` with `generator` from the same evidence as the extractive answer.
/// Weak evidence abstains without asking the model. The model's draft streams as
/// [`AnswerEvent::Token`]s; the checked answer follows as `Delta`/`Citation`/`Done`. When
/// no generated sentence is supported, the extractive answer is returned instead, with a
/// warning and the unsupported sentences.
pub fn ask_generative(
    engine: &Engine,
    question: &str,
    opts: &AskOptions,
    generator: &dyn Generator,
    gopts: &GenerateOptions,
    on_event: &mut dyn FnMut(AnswerEvent),
) -> Result<Answer, AnswerError> {
    let ev = gather(engine, question, opts)?;
    let extractive = compose(&ev, opts)?;
    if extractive.abstained {
        emit(&extractive, on_event);
        return Ok(extractive);
    }
    // The best evidence sentences, numbered: their citations are valid by construction.
    let mut order: Vec<&evidence::Candidate> = ev.candidates.iter().collect();
    order.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut passages = Vec::new();
    let mut shown = Vec::new();
    for c in order.into_iter().take(gopts.passages.max(1)) {
        if let Some(cit) =
            Citation::from_span(passages.len() + 1, &ev.hits[c.passage].hit, c.start, c.end)
        {
            passages.push(cit);
            shown.push(c.display.as_str());
        }
    }
    let messages = prompt(question.trim(), ev.lang, &passages, &shown);
    let generated = generator.generate(&messages, gopts.max_tokens, &mut |t| {
        on_event(AnswerEvent::Token {
            text: t.to_string(),
        })
    })?;

    let analyzer = engine.index.analyzer();
    let encoder = engine.encoder();
    // Embeddings of the quotes and sentences, each made once and only when words fall short.
    let mut vectors: HashMap<String, Option<Vec<f32>>> = HashMap::new();
    let mut embed = |text: &str| -> Option<Vec<f32>> {
        let enc = encoder?;
        vectors
            .entry(text.to_string())
            .or_insert_with(|| {
                enc.embed_passages(&[normalize_for_embedding(text)])
                    .ok()
                    .and_then(|mut v| v.pop())
            })
            .clone()
    };
    let support = |sentence: &str, p: &Citation| -> f32 {
        let terms = evidence::question_terms(analyzer, sentence);
        let lexical = evidence::overlap(analyzer, &terms, &p.quote);
        if lexical >= gopts.min_support {
            return lexical;
        }
        match (embed(sentence), embed(&p.quote)) {
            (Some(s), Some(q)) => lexical.max(cosine_support(cosine(&s, &q))),
            _ => lexical,
        }
    };
    let checked = check_generated(&generated, &passages, support, gopts.min_support);
    if checked.citations.is_empty() {
        let mut a = extractive;
        a.unsupported = checked.unsupported;
        a.warning = Some(
            "no sentence of the generated answer was supported by its sources; showing the extractive answer"
                .into(),
        );
        emit(&a, on_event);
        return Ok(a);
    }
    let cited: Vec<&str> = checked
        .citations
        .iter()
        .map(|c| c.chunk_id.as_str())
        .collect();
    let see_also = ev
        .hits
        .iter()
        .filter(|h| !cited.contains(&h.hit.chunk_id.as_str()))
        .map(|h| SeeAlso::of(&h.hit))
        .collect();
    let answer = Answer {
        answer: checked.answer,
        abstained: false,
        lang: ev.lang,
        citations: checked.citations,
        see_also,
        unsupported: checked.unsupported,
        missing_sources: Vec::new(),
        warning: ev.warning.clone(),
        confidence: extractive.confidence,
        scored_by_model: ev.scored_by_model,
    };
    // Valid by construction; checked again so that a bug can never reach a reader.
    let problems = citation::check(&answer.answer, &answer.citations, |id| {
        ev.hits
            .iter()
            .find(|h| h.hit.chunk_id == id)
            .map(|h| h.hit.text.clone())
    });
    if !problems.is_empty() {
        return Err(AnswerError::InvalidCitations(problems.join("; ")));
    }
    emit(&answer, on_event);
    Ok(answer)
}

/// The chat that asks a model to answer from numbered passages only: `passages[i]` (shown
/// as `texts[i]`, its quote with footnote marks removed) is passage `i + 1`. One worked
/// example comes first: small models follow a shown format far better than a described
/// one (SmolLM2-135M wrote no markers at all without it).
pub fn prompt(
    question: &str,
    lang: Lang,
    passages: &[Citation],
    texts: &[&str],
) -> Vec<ChatMessage> {
    let (rules, example, example_answer) = match lang {
        Lang::Fa => (
            "فقط با استفاده از متن‌های شماره‌دار، کوتاه و به فارسی پاسخ بده. پس از هر جمله شماره متنی را که آن را پشتیبانی می‌کند به شکل [1] بیاور. اگر پاسخ در متن‌ها نیست، بنویس: پاسخی در منابع یافت نشد.",
            "[1] قانون آب > ماده ۳\nکارخانه‌ها باید پساب خود را پیش از تخلیه به رودخانه تصفیه کنند.\n\n[2] قانون هوا > ماده ۷\nدیگ‌های بخار باید سالی یک بار بازرسی شوند.\n\nدیگ‌های بخار هر چند وقت یک بار باید بازرسی شوند؟",
            "دیگ‌های بخار باید سالی یک بار بازرسی شوند. [2]",
        ),
        Lang::En => (
            "Answer briefly, in English, using only the numbered passages. End each sentence with the number of the passage that supports it, like [1]. If the passages do not contain the answer, write: Not found in the sources.",
            "[1] Water Act > Article 3\nFactories must treat their wastewater before it is discharged into a river.\n\n[2] Air Act > Article 7\nBoilers must be inspected once a year.\n\nHow often must boilers be inspected?",
            "Boilers must be inspected once a year. [2]",
        ),
    };
    let mut context = String::new();
    for (c, text) in passages.iter().zip(texts) {
        context.push_str(&format!(
            "[{}] {}\n{}\n\n",
            c.n,
            c.breadcrumb.join(" > "),
            text
        ));
    }
    vec![
        ChatMessage::new("system", rules),
        ChatMessage::new("user", example),
        ChatMessage::new("assistant", example_answer),
        ChatMessage::new("user", format!("{context}{question}")),
    ]
}

/// A generated answer after the check.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// Supported sentences, each followed by its markers renumbered to `citations`.
    pub answer: String,
    /// The passages cited by supported sentences, numbered 1.. in order of first use.
    pub citations: Vec<Citation>,
    /// Sentences with no valid marker or not supported by what they cite, without markers.
    pub unsupported: Vec<String>,
}

/// Checks `generated` against the numbered `passages` (`passages[i].n == i + 1`).
/// `support(sentence, passage)` scores how well a passage backs a sentence (given without
/// its markers); a sentence needs `min_support` from a passage it cites, and keeps only
/// the markers of passages that give it.
pub fn check_generated(
    generated: &str,
    passages: &[Citation],
    mut support: impl FnMut(&str, &Citation) -> f32,
    min_support: f32,
) -> Checked {
    let mut kept: Vec<(String, Vec<usize>)> = Vec::new();
    let mut unsupported = Vec::new();
    for (plain, cited) in claims(&ascii_markers(generated)) {
        let mut backed: Vec<usize> = Vec::new();
        for n in cited {
            if (1..=passages.len()).contains(&n)
                && !backed.contains(&n)
                && support(&plain, &passages[n - 1]) >= min_support
            {
                backed.push(n);
            }
        }
        if backed.is_empty() {
            unsupported.push(plain);
        } else {
            kept.push((plain, backed));
        }
    }
    // Renumber the passages actually cited, in order of first use.
    let mut order: Vec<usize> = Vec::new();
    for (_, ns) in &kept {
        for &n in ns {
            if !order.contains(&n) {
                order.push(n);
            }
        }
    }
    let mut answer = String::new();
    for (plain, ns) in &kept {
        if !answer.is_empty() {
            answer.push(' ');
        }
        answer.push_str(plain);
        for old in ns {
            let new = order.iter().position(|o| o == old).map_or(0, |i| i + 1);
            answer.push(' ');
            answer.push_str(&citation::marker(new));
        }
    }
    let citations = order
        .iter()
        .enumerate()
        .map(|(i, &old)| Citation {
            n: i + 1,
            ..passages[old - 1].clone()
        })
        .collect();
    Checked {
        answer,
        citations,
        unsupported,
    }
}

/// The sentences of a generated text without their markers, each with the numbers it
/// cites. Markers a sentence starts with belong to the sentence before it ("… است. [1]
/// سپس …" is how models and the extractive answer place them).
fn claims(text: &str) -> Vec<(String, Vec<usize>)> {
    let mut out: Vec<(String, Vec<usize>)> = Vec::new();
    for (s, e) in sentence_spans(text) {
        let mut rest = &text[s..e];
        let mut leading = Vec::new();
        while let Some((range, n)) = markers(rest).first().cloned().filter(|(r, _)| r.start == 0) {
            leading.push(n);
            rest = rest[range.end..].trim_start();
        }
        match out.last_mut() {
            Some(prev) => prev.1.extend(leading),
            None => {
                // Markers before any sentence cite the first one.
                let mut own: Vec<usize> = leading;
                own.extend(markers(rest).into_iter().map(|(_, n)| n));
                push_claim(&mut out, rest, own);
                continue;
            }
        }
        let own = markers(rest).into_iter().map(|(_, n)| n).collect();
        push_claim(&mut out, rest, own);
    }
    out
}

/// Adds a sentence unless it is only marks or punctuation (then its markers, if any, go to
/// the sentence before).
fn push_claim(out: &mut Vec<(String, Vec<usize>)>, sentence: &str, cited: Vec<usize>) {
    let plain = without_markers(sentence);
    if plain.chars().filter(|c| c.is_alphanumeric()).count() < 2 {
        if let Some(prev) = out.last_mut() {
            prev.1.extend(cited);
        }
        return;
    }
    out.push((plain, cited));
}

/// Bracketed Persian or Arabic-Indic digits («[۱]», what a model writing Persian often
/// uses) rewritten as ASCII markers.
fn ascii_markers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let digits: String = rest
            .chars()
            .map_while(|c| c.to_digit(10).or_else(|| eastern_digit(c)))
            .map(|d| char::from(b'0' + d as u8))
            .collect();
        let len: usize = rest.chars().take(digits.len()).map(char::len_utf8).sum();
        if !digits.is_empty() && rest[len..].starts_with(']') {
            out.push_str(&digits);
            rest = &rest[len..];
        }
    }
    out.push_str(rest);
    out
}

fn eastern_digit(c: char) -> Option<u32> {
    match c {
        '۰'..='۹' => Some(c as u32 - '۰' as u32),
        '٠'..='٩' => Some(c as u32 - '٠' as u32),
        _ => None,
    }
}

/// A sentence with its markers (valid or not) removed and whitespace collapsed.
fn without_markers(sentence: &str) -> String {
    let out = citation::strip_bracketed_numbers(sentence);
    let joined = out.split_whitespace().collect::<Vec<_>>().join(" ");
    // "word ." after a removed marker reads as "word."
    [" .", " ؟", " ?", " !", " ,", " ،"]
        .iter()
        .fold(joined, |s, p| s.replace(p, &p[1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(n: usize, quote: &str) -> Citation {
        Citation {
            n,
            doc_id: format!("d{n}"),
            chunk_id: format!("d{n}#0"),
            title: "t".into(),
            breadcrumb: vec!["t".into()],
            quote: quote.into(),
            start: 0,
            end: quote.len(),
            pages: None,
            ocr: None,
        }
    }

    /// Share of the sentence's words found in the passage (a stand-in for the real scorer).
    fn words(sentence: &str, p: &Citation) -> f32 {
        let ws: Vec<String> = sentence
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let q = p.quote.to_lowercase();
        ws.iter().filter(|w| q.contains(w.as_str())).count() as f32 / ws.len().max(1) as f32
    }

    /// Every marker maps to a citation and every quote is its chunk's text.
    fn assert_valid(c: &Checked, passages: &[Citation]) {
        let problems = citation::check(&c.answer, &c.citations, |id| {
            passages
                .iter()
                .find(|p| p.chunk_id == id)
                .map(|p| p.quote.clone())
        });
        assert!(problems.is_empty(), "{problems:?} in {c:?}");
    }

    #[test]
    fn out_of_range_markers_go_and_unsupported_sentences_are_flagged() {
        let passages = vec![
            passage(
                1,
                "The organization keeps a register of legal requirements.",
            ),
            passage(2, "Boilers emit nitrogen oxides."),
        ];
        let generated = "The organization keeps a register [2][1][7]. Boilers emit nitrogen oxides [2]. The moon is made of cheese [1]. Also trees [9]. [0] [12]";
        let c = check_generated(generated, &passages, words, 0.6);
        assert_eq!(
            c.answer,
            "The organization keeps a register. [1] Boilers emit nitrogen oxides. [2]"
        );
        assert_eq!(c.citations.len(), 2);
        assert_eq!(c.citations[0].chunk_id, "d1#0");
        assert_eq!(c.citations[1].chunk_id, "d2#0");
        assert_eq!(
            c.unsupported,
            vec!["The moon is made of cheese.", "Also trees."]
        );
        assert_valid(&c, &passages);
        for (_, n) in markers(&c.answer) {
            assert!((1..=c.citations.len()).contains(&n));
        }
    }

    #[test]
    fn markers_after_the_full_stop_belong_to_the_sentence_before() {
        let passages = vec![
            passage(1, "Boilers emit nitrogen oxides."),
            passage(
                2,
                "The organization keeps a register of legal requirements.",
            ),
        ];
        let generated = "Boilers emit nitrogen oxides. [1] The organization keeps a register. [2]";
        let c = check_generated(generated, &passages, words, 0.6);
        assert_eq!(c.answer, generated, "an answer in the final form is kept");
        assert!(c.unsupported.is_empty());
        // Checking the checked answer changes nothing.
        let again = check_generated(&c.answer, &c.citations, words, 0.6);
        assert_eq!(again, c);
    }

    #[test]
    fn persian_digits_in_markers_are_read_and_citations_renumbered_by_first_use() {
        let passages = vec![
            passage(1, "پساب صنعتی باید پیش از تخلیه تصفیه شود."),
            passage(2, "سازمان حفاظت محیط زیست بر اجرای این قانون نظارت می‌کند."),
        ];
        let generated = "سازمان حفاظت محیط زیست نظارت می‌کند [۲]. پساب صنعتی باید تصفیه شود [۱].";
        let c = check_generated(generated, &passages, words, 0.6);
        assert_eq!(
            c.answer,
            "سازمان حفاظت محیط زیست نظارت می‌کند. [1] پساب صنعتی باید تصفیه شود. [2]"
        );
        assert_eq!(c.citations[0].chunk_id, "d2#0");
        assert_eq!(c.citations[0].n, 1);
        assert_eq!(c.citations[1].chunk_id, "d1#0");
        assert_valid(&c, &passages);
        assert_eq!(
            ascii_markers("a [۱۲] b [٣] [x] [1a] ["),
            "a [12] b [3] [x] [1a] ["
        );
    }

    #[test]
    fn a_sentence_keeps_only_the_markers_that_support_it() {
        let passages = vec![
            passage(1, "Boilers emit nitrogen oxides."),
            passage(2, "Rivers carry sediment."),
        ];
        let c = check_generated(
            "Boilers emit nitrogen oxides [2] [1] [1].",
            &passages,
            words,
            0.6,
        );
        assert_eq!(c.answer, "Boilers emit nitrogen oxides. [1]");
        assert_eq!(c.citations.len(), 1);
        assert_eq!(c.citations[0].chunk_id, "d1#0");
        assert_valid(&c, &passages);
    }

    #[test]
    fn nothing_supported_leaves_an_empty_answer() {
        let passages = vec![passage(1, "Boilers emit nitrogen oxides.")];
        let c = check_generated(
            "I do not know. Not found in the sources.",
            &passages,
            words,
            0.6,
        );
        assert!(c.answer.is_empty() && c.citations.is_empty());
        assert_eq!(
            c.unsupported,
            vec!["I do not know.", "Not found in the sources."]
        );
        let c = check_generated("", &passages, words, 0.6);
        assert!(c.answer.is_empty() && c.unsupported.is_empty());
    }

    #[test]
    fn prompt_numbers_the_passages_in_the_question_language() {
        let p = prompt(
            "آلودگی چیست؟",
            Lang::Fa,
            &[passage(1, "متن یک [3]")],
            &["متن یک"],
        );
        assert_eq!(p.len(), 4);
        assert!(p[0].content.contains("یافت نشد"));
        assert_eq!(p[2].role, "assistant");
        assert_eq!(
            markers(&p[2].content).len(),
            1,
            "the example shows a marker"
        );
        assert!(p[3].content.starts_with("[1] t\nمتن یک\n"));
        assert!(p[3].content.ends_with("آلودگی چیست؟"));
        let p = prompt("What is it?", Lang::En, &[], &[]);
        assert!(p[0].content.contains("Not found in the sources"));
    }

    #[test]
    fn cosine_support_is_zero_for_unrelated_and_full_for_close_texts() {
        assert_eq!(cosine_support(0.75), 0.0);
        assert_eq!(cosine_support(0.95), 1.0);
        assert!(cosine_support(0.86) >= GenerateOptions::default().min_support - 1e-6);
    }
}
