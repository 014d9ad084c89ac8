//! Writing a set out: the participants' handout and the trainer's key, as Markdown (for
//! editing), HTML (self-contained and printable; `dir="rtl"` and `lang="fa"` for Persian) or
//! JSONL (for other tools: the handout holds tasks only, the key whole items that
//! [`super::validate`] can check again).
//!
//! Owns wording in both languages, layout and escaping; it never looks at the index.

use std::fmt::Write as _;

use crate::eval::report::escape;
use crate::text::Lang;

use super::cite_check::CiteCheck;
use super::disagreement::{Disagreement, Hint, Scored};
use super::find_source::FindSource;
use super::normalization::Variation;
use super::{Body, ExerciseSet, Item, Kind, PassageRef};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Md,
    Html,
    Jsonl,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Html => "html",
            Format::Jsonl => "jsonl",
        }
    }
}

/// The two files of a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub exercises: String,
    pub key: String,
}

/// Renders `set` in `format`.
pub fn render(set: &ExerciseSet, format: Format) -> Rendered {
    let l = labels(set.options.lang);
    match format {
        Format::Jsonl => Rendered {
            exercises: jsonl(set, false),
            key: jsonl(set, true),
        },
        Format::Md => Rendered {
            exercises: markdown(set, l, false),
            key: markdown(set, l, true),
        },
        Format::Html => Rendered {
            exercises: html(set, l, false),
            key: html(set, l, true),
        },
    }
}

/// Every word the handout and key use, in one language.
pub struct Labels {
    lang: &'static str,
    dir: &'static str,
    title: &'static str,
    key_title: &'static str,
    drawn_from: &'static str,
    seed: &'static str,
    generation: &'static str,
    name_line: &'static str,
    kind_title: [&'static str; 4],
    kind_intro: [&'static str; 4],
    doc_and_section: &'static str,
    name_article: &'static str,
    chunk_id: &'static str,
    query: &'static str,
    lexical: &'static str,
    semantic: &'static str,
    rank: &'static str,
    passage: &'static str,
    score: &'static str,
    other_rank: &'static str,
    not_in_depth: &'static str,
    why_differ: &'static str,
    question: &'static str,
    answer: &'static str,
    sources: &'static str,
    which_wrong: &'static str,
    spelling_a: &'static str,
    spelling_b: &'static str,
    same_word: &'static str,
    yes: &'static str,
    no: &'static str,
    why: &'static str,
    missing_word: &'static str,
    sentence: &'static str,
    source: &'static str,
    article: &'static str,
    clause: &'static str,
    shared: &'static str,
    hints: &'static str,
    hint_text: [&'static str; 4],
    no_hint: &'static str,
    chart_caption: &'static str,
    swapped: &'static str,
    cites_now: &'static str,
    should_cite: &'static str,
    quote: &'static str,
    bytes: &'static str,
    before_swap: &'static str,
    answered_by: &'static str,
    variation: &'static str,
    variation_name: [&'static str; 10],
    analyzer: &'static str,
    found_by_search: &'static str,
    match_rule: &'static str,
    report: &'static str,
    kind: &'static str,
    requested: &'static str,
    written: &'static str,
    dropped: &'static str,
    note: &'static str,
}

const FA: Labels = Labels {
    lang: "fa",
    dir: "rtl",
    title: "تمرین‌های دوره هوش مصنوعی: جست‌وجو و پاسخ مستند",
    key_title: "کلید پاسخ تمرین‌ها",
    drawn_from: "برگرفته از",
    seed: "بذر (seed)",
    generation: "نسل نمایه",
    name_line: "نام: ………………………   تاریخ: ………………",
    kind_title: [
        "منبع را پیدا کنید",
        "اختلاف جست‌وجوی کلیدواژه‌ای و معنایی",
        "ارجاع نادرست را پیدا کنید",
        "یکسان‌سازی نوشتار",
    ],
    kind_intro: [
        "در هر جمله یک واژه حذف شده است. جای خالی را پر کنید و با envkb سند و بخشی (ماده، بند یا عنوان) را پیدا کنید که این جمله در آن آمده است. شناسه تکه (chunk id) را هم بنویسید.",
        "برای هر پرسش، پنج نتیجه نخست جست‌وجوی کلیدواژه‌ای (BM25) و جست‌وجوی معنایی (embedding) آمده است. توضیح دهید چرا دو فهرست با هم فرق دارند: هم‌معنایی و بازنویسی، شکل‌های نیم‌فاصله، نتایج به زبان دیگر، یا شماره دقیق ماده و بند.",
        "هر جمله پاسخ به یک منبع ارجاع داده است. یکی از ارجاع‌ها با بخشی نادرست جابه‌جا شده است. هر منبع را در envkb باز کنید، آن را با جمله‌اش مقایسه کنید و ارجاع نادرست را پیدا کنید.",
        "برای هر جفت نوشتار بگویید آیا envkb آن‌ها را یک واژه می‌شمارد، یعنی جست‌وجوی یکی متنِ نوشته‌شده با دیگری را پیدا می‌کند یا نه، و چرا (نیم‌فاصله، ی و ک عربی، ارقام، مد و همزه).",
    ],
    doc_and_section: "سند و بخش: ………………………………………",
    name_article: "شماره ماده یا بند را هم بنویسید.",
    chunk_id: "شناسه تکه",
    query: "پرسش جست‌وجو",
    lexical: "جست‌وجوی کلیدواژه‌ای (BM25)",
    semantic: "جست‌وجوی معنایی (embedding)",
    rank: "رتبه",
    passage: "بخش",
    score: "امتیاز",
    other_rank: "رتبه در فهرست دیگر",
    not_in_depth: "— یعنی در ۵۰ نتیجه نخست فهرست دیگر نیست.",
    why_differ: "چرا این دو فهرست با هم فرق دارند؟",
    question: "پرسش",
    answer: "پاسخ",
    sources: "منابع",
    which_wrong: "کدام ارجاع نادرست است؟ کدام بخش باید به جای آن می‌آمد؟",
    spelling_a: "نوشتار الف",
    spelling_b: "نوشتار ب",
    same_word: "یک واژه؟",
    yes: "بله",
    no: "خیر",
    why: "چرا؟",
    missing_word: "واژه حذف‌شده",
    sentence: "جمله کامل",
    source: "منبع",
    article: "ماده",
    clause: "بند",
    shared: "تکه‌های مشترک در دو فهرست پنج‌تایی",
    hints: "نشانه‌ها در داده‌ها",
    hint_text: [
        "جست‌وجوی معنایی بخش‌هایی به زبان دیگر آورده است که جست‌وجوی کلیدواژه‌ای نمی‌بیند (میان‌زبانی).",
        "پرسش عدد دارد (ماده، بند یا استاندارد): کلیدواژه‌ها عدد را دقیق می‌یابند و embedding آن را مبهم می‌کند.",
        "پرسش واژه‌ای با نیم‌فاصله دارد؛ تحلیل‌گر همه شکل‌های نوشتن آن را یکی می‌کند.",
        "جست‌وجوی معنایی بخش‌هایی آورده است که هیچ واژه مشترکی با پرسش ندارند (هم‌معنایی یا بازنویسی).",
    ],
    no_hint: "نشانه آشکاری در داده‌ها نیست؛ به تفاوت معنا و بسامد واژه‌ها فکر کنید.",
    chart_caption: "هر خط یک تکه است: رتبه آن در جست‌وجوی کلیدواژه‌ای (چپ) و معنایی (راست)؛ «۶–۵۰» یعنی پایین‌تر از پنج، «—» یعنی در ۵۰ نتیجه نخست نیست.",
    swapped: "ارجاع جابه‌جاشده",
    cites_now: "اکنون به این بخش ارجاع می‌دهد",
    should_cite: "باید به این بخش ارجاع دهد",
    quote: "نقل‌قول",
    bytes: "بایت",
    before_swap: "ارجاع‌ها پیش از جابه‌جایی",
    answered_by: "پاسخ همان پاسخ مستند envkb است (envkb ask): جمله‌هایی که عیناً از بخش‌های یافته‌شده نقل و ارجاع داده شده‌اند؛ سپس یک ارجاع با بخشی دیگر جابه‌جا شده است.",
    variation: "نوع تفاوت",
    variation_name: [
        "حذف نیم‌فاصله (سرهم)",
        "نیم‌فاصله به جای فاصله",
        "ی و ک عربی",
        "ارقام فارسی و لاتین",
        "آ بدون مد",
        "ئ به جای ی",
        "بزرگی و کوچکی حروف",
        "حروف تمام‌عرض",
        "جمع و مفرد",
        "حذف خط تیره",
    ],
    analyzer: "خروجی تحلیل‌گر",
    found_by_search: "جست‌وجوی «ب» این بخش را می‌یابد",
    match_rule: "قاعده: دو نوشتار یکی‌اند اگر همه واژه‌های جست‌وجوی یکی در میان اصطلاح‌های جست‌وجوی دیگری باشد.",
    report: "ساخت و اعتبارسنجی",
    kind: "نوع تمرین",
    requested: "درخواستی",
    written: "نوشته‌شده",
    dropped: "کنار گذاشته در اعتبارسنجی",
    note: "توضیح",
};

const EN: Labels = Labels {
    lang: "en",
    dir: "ltr",
    title: "AI course exercises: retrieval and cited answers",
    key_title: "Answer key",
    drawn_from: "Drawn from",
    seed: "seed",
    generation: "index generation",
    name_line: "Name: ………………………   Date: ………………",
    kind_title: [
        "Find the source",
        "When keyword and semantic search disagree",
        "Find the wrong citation",
        "Spelling normalization",
    ],
    kind_intro: [
        "One word of each sentence is missing. Fill in the blank and use envkb to find the document and section (article, clause or heading) that contains the sentence. Write down its chunk id too.",
        "For each query you see the top five results of keyword search (BM25) and of semantic search (embeddings). Explain why the lists differ: synonyms and paraphrase, ZWNJ forms, passages in the other language, or exact article and clause numbers.",
        "Each sentence of the answer cites a source. One citation has been swapped for a wrong passage. Open every source in envkb, compare it with its sentence, and find the wrong one.",
        "For each pair of spellings, say whether envkb treats them as the same word, that is whether a search for one finds text written the other way, and why (ZWNJ, Arabic yeh and kaf, digits, case, plurals, hyphens).",
    ],
    doc_and_section: "Document and section: ………………………………………",
    name_article: "Name the article or clause too.",
    chunk_id: "Chunk id",
    query: "Query",
    lexical: "Keyword search (BM25)",
    semantic: "Semantic search (embeddings)",
    rank: "Rank",
    passage: "Passage",
    score: "Score",
    other_rank: "Rank in the other list",
    not_in_depth: "— means not in the other list's top 50.",
    why_differ: "Why do the two lists differ?",
    question: "Question",
    answer: "Answer",
    sources: "Sources",
    which_wrong: "Which citation is wrong? Which passage should it cite?",
    spelling_a: "Spelling A",
    spelling_b: "Spelling B",
    same_word: "Same word?",
    yes: "yes",
    no: "no",
    why: "Why?",
    missing_word: "Missing word",
    sentence: "Sentence",
    source: "Source",
    article: "Article",
    clause: "Clause",
    shared: "Chunks in both top-5 lists",
    hints: "What the data suggests",
    hint_text: [
        "Semantic search brings passages in the other language, which keyword search cannot see (cross-lingual).",
        "The query holds a number (article, clause, standard): keywords match it exactly, embeddings blur it.",
        "The query writes a compound with ZWNJ; the analyzer matches all its spellings.",
        "Semantic search ranks passages that share no search term with the query (synonyms, paraphrase).",
    ],
    no_hint: "No obvious pattern in the data; think about meaning versus word frequency.",
    chart_caption: "Each line is a chunk: its rank by keyword search (left) and semantic search (right); 6–50 is below the top five, — is not in the top 50.",
    swapped: "Swapped citation",
    cites_now: "It now cites",
    should_cite: "It should cite",
    quote: "Quote",
    bytes: "bytes",
    before_swap: "The citations before the swap",
    answered_by: "The answer is envkb's own cited answer (envkb ask): sentences quoted verbatim from the passages it retrieved, each cited; then one citation was pointed at another passage.",
    variation: "Variation",
    variation_name: [
        "ZWNJ removed (joined)",
        "ZWNJ as a space",
        "Arabic yeh and kaf",
        "Persian vs ASCII digits",
        "alef without madda",
        "hamza yeh as plain yeh",
        "letter case",
        "full-width letters",
        "plural vs singular",
        "hyphen removed",
    ],
    analyzer: "Analyzer output",
    found_by_search: "A search for B finds the passage",
    match_rule: "Rule: two spellings match when every search word of one is among the search terms of the other.",
    report: "Generation and validation",
    kind: "Kind",
    requested: "requested",
    written: "written",
    dropped: "dropped by validation",
    note: "note",
};

pub fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::Fa => &FA,
        Lang::En => &EN,
    }
}

fn kind_index(k: Kind) -> usize {
    match k {
        Kind::FindTheSource => 0,
        Kind::RetrieverDisagreement => 1,
        Kind::CiteCheck => 2,
        Kind::Normalization => 3,
    }
}

fn hint_index(h: Hint) -> usize {
    match h {
        Hint::CrossLingual => 0,
        Hint::ExactNumbers => 1,
        Hint::ZwnjForms => 2,
        Hint::Synonyms => 3,
    }
}

fn variation_index(v: Variation) -> usize {
    match v {
        Variation::ZwnjJoined => 0,
        Variation::ZwnjSpaced => 1,
        Variation::ArabicLetters => 2,
        Variation::Digits => 3,
        Variation::Madda => 4,
        Variation::Hamza => 5,
        Variation::Case => 6,
        Variation::FullWidth => 7,
        Variation::Plural => 8,
        Variation::Hyphen => 9,
    }
}

fn crumbs(p: &PassageRef) -> String {
    p.breadcrumb.join(" › ")
}

fn rank_text(r: Option<usize>) -> String {
    r.map_or_else(|| "—".to_string(), |r| r.to_string())
}

/// Items grouped by kind, in handout order, skipping kinds without items.
fn sections(set: &ExerciseSet) -> Vec<(Kind, Vec<&Item>)> {
    Kind::ALL
        .iter()
        .map(|&k| {
            (
                k,
                set.items
                    .iter()
                    .filter(|i| i.body.kind() == k)
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, items)| !items.is_empty())
        .collect()
}

fn subtitle(set: &ExerciseSet, l: &Labels) -> String {
    format!(
        "{}: {} · {} {} · {} {}",
        l.drawn_from,
        set.options.scope(),
        l.seed,
        set.options.seed,
        l.generation,
        set.index_generation
    )
}

// ---------------------------------------------------------------- JSONL

fn jsonl(set: &ExerciseSet, key: bool) -> String {
    let mut out = String::new();
    for item in &set.items {
        let value = if key {
            serde_json::to_value(item).unwrap_or_default()
        } else {
            serde_json::json!({
                "id": item.id,
                "kind": item.body.kind().name(),
                "lang": set.options.lang.code(),
                "task": item.body.task_json(),
            })
        };
        out.push_str(&value.to_string());
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------- Markdown

/// Escapes a table cell: pipes and line breaks would end it.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn markdown(set: &ExerciseSet, l: &Labels, key: bool) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "# {}\n", if key { l.key_title } else { l.title });
    let _ = writeln!(m, "{}\n", subtitle(set, l));
    if !key {
        let _ = writeln!(m, "{}\n", l.name_line);
    }
    for (kind, items) in sections(set) {
        let k = kind_index(kind);
        let _ = writeln!(m, "## {}\n", l.kind_title[k]);
        if !key {
            let _ = writeln!(m, "{}\n", l.kind_intro[k]);
        }
        if kind == Kind::Normalization {
            md_normalization(&mut m, l, &items, key);
            continue;
        }
        for item in items {
            let _ = writeln!(m, "### {}\n", item.id);
            match &item.body {
                Body::FindTheSource(x) => md_find_source(&mut m, l, x, key),
                Body::RetrieverDisagreement(x) => md_disagreement(&mut m, l, x, key),
                Body::CiteCheck(x) => md_cite_check(&mut m, l, x, key),
                Body::Normalization(_) => {}
            }
        }
    }
    if key {
        md_report(&mut m, l, set);
    }
    m
}

fn md_find_source(m: &mut String, l: &Labels, x: &FindSource, key: bool) {
    if !key {
        let _ = writeln!(m, "> {}\n", x.task.cloze);
        let _ = writeln!(m, "- {}", l.doc_and_section);
        let _ = writeln!(m, "- {}: ………………………", l.chunk_id);
        if x.task.names_article {
            let _ = writeln!(m, "- {}", l.name_article);
        }
        m.push('\n');
        return;
    }
    let _ = writeln!(m, "- {}: **{}**", l.missing_word, x.key.answer);
    let _ = writeln!(m, "- {}: {}", l.sentence, x.key.sentence);
    let _ = writeln!(m, "- {}: {}", l.source, crumbs(&x.key.source));
    let _ = writeln!(m, "- {}: `{}`", l.chunk_id, x.key.source.chunk_id);
    if let Some(a) = &x.key.article {
        let _ = writeln!(m, "- {}: {a}", l.article);
    }
    if let Some(c) = &x.key.clause {
        let _ = writeln!(m, "- {}: {c}", l.clause);
    }
    m.push('\n');
}

fn md_disagreement(m: &mut String, l: &Labels, x: &Disagreement, key: bool) {
    let _ = writeln!(m, "{}: **{}**\n", l.query, x.task.query);
    for (title, listed, scored) in [
        (l.lexical, &x.task.lexical, &x.key.lexical),
        (l.semantic, &x.task.semantic, &x.key.semantic),
    ] {
        let _ = writeln!(m, "**{title}**\n");
        if key {
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} | {} |",
                l.rank, l.passage, l.chunk_id, l.score, l.other_rank
            );
            m.push_str("|---|---|---|---|---|\n");
        } else {
            let _ = writeln!(m, "| {} | {} | {} |", l.rank, l.passage, l.chunk_id);
            m.push_str("|---|---|---|\n");
        }
        for (e, s) in listed.iter().zip(scored.iter()) {
            let _ = write!(
                m,
                "| {} | {} | `{}` |",
                e.rank,
                cell(&crumbs(&e.passage)),
                e.passage.chunk_id
            );
            if key {
                let _ = write!(m, " {:.3} | {} |", s.score, rank_text(s.other_rank));
            }
            m.push('\n');
        }
        m.push('\n');
    }
    if !key {
        let _ = writeln!(m, "{}\n\n………………………………………………………………\n", l.why_differ);
        return;
    }
    let _ = writeln!(m, "{}\n", l.not_in_depth);
    let _ = writeln!(m, "- {}: {}", l.shared, x.key.shared);
    let _ = writeln!(m, "- {}:", l.hints);
    for text in hint_texts(l, &x.key.hints) {
        let _ = writeln!(m, "  - {text}");
    }
    m.push('\n');
}

fn hint_texts(l: &Labels, hints: &[Hint]) -> Vec<&'static str> {
    if hints.is_empty() {
        return vec![l.no_hint];
    }
    hints.iter().map(|h| l.hint_text[hint_index(*h)]).collect()
}

fn md_cite_check(m: &mut String, l: &Labels, x: &CiteCheck, key: bool) {
    let _ = writeln!(m, "{}: **{}**\n", l.question, x.task.question);
    let _ = writeln!(m, "{}: {}\n", l.answer, x.task.answer);
    let _ = writeln!(m, "{}:\n", l.sources);
    for s in &x.task.sources {
        let _ = writeln!(
            m,
            "{}. {} (`{}`)",
            s.n,
            crumbs(&s.passage),
            s.passage.chunk_id
        );
    }
    m.push('\n');
    if !key {
        let _ = writeln!(m, "{}\n\n………………………………………………………………\n", l.which_wrong);
        return;
    }
    let wrong = &x.task.sources[x.key.swapped - 1];
    let right = &x.key.citations[x.key.swapped - 1];
    let _ = writeln!(m, "- {}: **[{}]**", l.swapped, x.key.swapped);
    let _ = writeln!(m, "- {}: {}", l.sentence, x.key.sentence);
    let _ = writeln!(
        m,
        "- {}: {} (`{}`)",
        l.cites_now,
        crumbs(&wrong.passage),
        wrong.passage.chunk_id
    );
    let _ = writeln!(
        m,
        "- {}: {} (`{}`)",
        l.should_cite,
        right.breadcrumb.join(" › "),
        right.chunk_id
    );
    let _ = writeln!(
        m,
        "- {}: {}–{} {}\n",
        l.quote, right.start, right.end, l.bytes
    );
    let _ = writeln!(m, "{}:\n", l.before_swap);
    for c in &x.key.citations {
        let _ = writeln!(
            m,
            "{}. {} (`{}`, {}–{}): «{}»",
            c.n,
            c.breadcrumb.join(" › "),
            c.chunk_id,
            c.start,
            c.end,
            c.quote.trim()
        );
    }
    let _ = writeln!(m, "\n{}\n", l.answered_by);
}

fn md_normalization(m: &mut String, l: &Labels, items: &[&Item], key: bool) {
    if key {
        let _ = writeln!(m, "{}\n", l.match_rule);
        let _ = writeln!(
            m,
            "| # | {} | {} | {} | {} | {} | {} | {} |",
            l.spelling_a,
            l.spelling_b,
            l.same_word,
            l.variation,
            l.analyzer,
            l.found_by_search,
            l.source
        );
        m.push_str("|---|---|---|---|---|---|---|---|\n");
    } else {
        let _ = writeln!(
            m,
            "| # | {} | {} | {} | {} |",
            l.spelling_a, l.spelling_b, l.same_word, l.why
        );
        m.push_str("|---|---|---|---|---|\n");
    }
    for item in items {
        let Body::Normalization(x) = &item.body else {
            continue;
        };
        let _ = write!(
            m,
            "| {} | {} | {} |",
            item.id,
            cell(&x.task.a),
            cell(&x.task.b)
        );
        if key {
            let _ = write!(
                m,
                " **{}** | {} | `{}` / `{}` | {} | `{}` |",
                if x.key.matches { l.yes } else { l.no },
                l.variation_name[variation_index(x.key.variation)],
                cell(&x.key.a_terms.join(" ")),
                cell(&x.key.b_terms.join(" ")),
                match x.key.found_by_search {
                    Some(true) => l.yes,
                    _ => l.no,
                },
                x.key.source.chunk_id
            );
        } else {
            m.push_str("  |  |");
        }
        m.push('\n');
    }
    m.push('\n');
}

fn md_report(m: &mut String, l: &Labels, set: &ExerciseSet) {
    let _ = writeln!(m, "## {}\n", l.report);
    let _ = writeln!(
        m,
        "| {} | {} | {} | {} | {} |",
        l.kind, l.requested, l.written, l.dropped, l.note
    );
    m.push_str("|---|---|---|---|---|\n");
    for r in &set.report {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} |",
            r.kind.name(),
            r.requested,
            r.written,
            r.dropped,
            cell(&report_note(r))
        );
    }
}

fn report_note(r: &super::KindReport) -> String {
    let mut parts: Vec<String> = r
        .dropped_by_reason
        .iter()
        .map(|(reason, n)| format!("{reason}: {n}"))
        .collect();
    if let Some(n) = &r.note {
        parts.push(n.clone());
    }
    parts.join("; ")
}

// ---------------------------------------------------------------- HTML

const CSS: &str = "body{font-family:'Vazirmatn','Noto Sans Arabic',system-ui,sans-serif;margin:1.5rem auto;max-width:50rem;color:#222;line-height:1.6}\
h1{font-size:1.45rem;margin:0 0 .2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:2px solid #3b6ea5}h3{font-size:1rem;margin:1.2rem 0 .3rem}\
.sub{color:#555;margin-top:0;font-size:.9rem}.intro{background:#f4f7fb;padding:.5rem .8rem;border-radius:4px}\
.item{break-inside:avoid;page-break-inside:avoid;margin-bottom:1rem}\
blockquote{margin:.4rem 0;padding:.4rem .8rem;border-inline-start:4px solid #3b6ea5;background:#fafafa}\
table{border-collapse:collapse;margin:.4rem 0;font-size:.9rem;width:100%}th,td{border:1px solid #bbb;padding:.2rem .45rem;text-align:start;vertical-align:top}\
th{background:#eee}td.num{text-align:end;font-variant-numeric:tabular-nums}code{font-size:.85em}\
.lists{display:flex;gap:1rem;flex-wrap:wrap}.lists>div{flex:1 1 20rem}\
.line{border-bottom:1px dotted #888;height:1.8rem}.answer{font-weight:bold;color:#1d5a2e}\
figure{margin:.5rem 0}figcaption{font-size:.85rem;color:#444}svg text{font-family:system-ui,sans-serif;font-size:11px}\
@media print{body{margin:0;max-width:none}.intro{background:none;border:1px solid #ccc}h2{break-after:avoid}}";

/// Text of the other language (or of unknown direction) inside the page.
fn bidi(s: &str) -> String {
    format!("<bdi>{}</bdi>", escape(s))
}

fn id_code(s: &str) -> String {
    format!("<bdi dir=\"ltr\"><code>{}</code></bdi>", escape(s))
}

fn html(set: &ExerciseSet, l: &Labels, key: bool) -> String {
    let mut h = String::new();
    let title = if key { l.key_title } else { l.title };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\" dir=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{}</style>\n</head>\n<body>\n",
        l.lang,
        l.dir,
        escape(title),
        CSS
    );
    let _ = writeln!(h, "<h1>{}</h1>", escape(title));
    let _ = writeln!(h, "<p class=\"sub\">{}</p>", bidi(&subtitle(set, l)));
    if !key {
        let _ = writeln!(h, "<p>{}</p>", escape(l.name_line));
    }
    for (kind, items) in sections(set) {
        let k = kind_index(kind);
        let _ = writeln!(h, "<section>\n<h2>{}</h2>", escape(l.kind_title[k]));
        if !key {
            let _ = writeln!(h, "<p class=\"intro\">{}</p>", escape(l.kind_intro[k]));
        }
        if kind == Kind::Normalization {
            html_normalization(&mut h, l, &items, key);
        } else {
            for item in items {
                let _ = writeln!(
                    h,
                    "<div class=\"item\" id=\"{0}\">\n<h3>{0}</h3>",
                    escape(&item.id)
                );
                match &item.body {
                    Body::FindTheSource(x) => html_find_source(&mut h, l, x, key),
                    Body::RetrieverDisagreement(x) => html_disagreement(&mut h, l, x, key),
                    Body::CiteCheck(x) => html_cite_check(&mut h, l, x, key),
                    Body::Normalization(_) => {}
                }
                h.push_str("</div>\n");
            }
        }
        h.push_str("</section>\n");
    }
    if key {
        html_report(&mut h, l, set);
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn html_find_source(h: &mut String, l: &Labels, x: &FindSource, key: bool) {
    if !key {
        let _ = writeln!(h, "<blockquote>{}</blockquote>", escape(&x.task.cloze));
        let _ = writeln!(h, "<p>{}</p>", escape(l.doc_and_section));
        let _ = writeln!(h, "<p>{}: ………………………</p>", escape(l.chunk_id));
        if x.task.names_article {
            let _ = writeln!(h, "<p>{}</p>", escape(l.name_article));
        }
        return;
    }
    h.push_str("<table>\n<tbody>\n");
    let mut row = |label: &str, value: String| {
        let _ = writeln!(h, "<tr><th>{}</th><td>{value}</td></tr>", escape(label));
    };
    row(
        l.missing_word,
        format!("<span class=\"answer\">{}</span>", escape(&x.key.answer)),
    );
    row(l.sentence, escape(&x.key.sentence));
    row(l.source, bidi(&crumbs(&x.key.source)));
    row(l.chunk_id, id_code(&x.key.source.chunk_id));
    if let Some(a) = &x.key.article {
        row(l.article, bidi(a));
    }
    if let Some(c) = &x.key.clause {
        row(l.clause, bidi(c));
    }
    h.push_str("</tbody>\n</table>\n");
}

fn html_disagreement(h: &mut String, l: &Labels, x: &Disagreement, key: bool) {
    let _ = writeln!(
        h,
        "<p>{}: <strong>{}</strong></p>\n<div class=\"lists\">",
        escape(l.query),
        bidi(&x.task.query)
    );
    for (title, listed, scored) in [
        (l.lexical, &x.task.lexical, &x.key.lexical),
        (l.semantic, &x.task.semantic, &x.key.semantic),
    ] {
        let _ = write!(
            h,
            "<div>\n<table>\n<caption>{}</caption>\n<thead><tr><th>{}</th><th>{}</th>",
            escape(title),
            escape(l.rank),
            escape(l.passage)
        );
        if key {
            let _ = write!(
                h,
                "<th>{}</th><th>{}</th>",
                escape(l.score),
                escape(l.other_rank)
            );
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for (e, s) in listed.iter().zip(scored.iter()) {
            let _ = write!(
                h,
                "<tr><td class=\"num\">{}</td><td>{}<br>{}</td>",
                e.rank,
                bidi(&crumbs(&e.passage)),
                id_code(&e.passage.chunk_id)
            );
            if key {
                let _ = write!(
                    h,
                    "<td class=\"num\">{:.3}</td><td class=\"num\">{}</td>",
                    s.score,
                    rank_text(s.other_rank)
                );
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody>\n</table>\n</div>\n");
    }
    h.push_str("</div>\n");
    if !key {
        let _ = writeln!(
            h,
            "<p>{}</p>\n<div class=\"line\"></div>\n<div class=\"line\"></div>",
            escape(l.why_differ)
        );
        return;
    }
    let _ = writeln!(h, "<p class=\"sub\">{}</p>", escape(l.not_in_depth));
    bump_chart(h, l, &x.key.lexical, &x.key.semantic);
    let _ = writeln!(
        h,
        "<p>{}: <strong>{}</strong></p>",
        escape(l.shared),
        x.key.shared
    );
    let _ = writeln!(h, "<p>{}:</p>\n<ul>", escape(l.hints));
    for text in hint_texts(l, &x.key.hints) {
        let _ = writeln!(h, "<li>{}</li>", escape(text));
    }
    h.push_str("</ul>\n");
}

/// Where each chunk of the two top-5 lists ranks on both sides: one line per chunk from its
/// keyword rank (left) to its semantic rank (right), ranks past five in one slot and chunks
/// outside the top [`super::disagreement::DEPTH`] in another. Drawn left to right whatever the page direction.
fn bump_chart(h: &mut String, l: &Labels, lexical: &[Scored], semantic: &[Scored]) {
    let (w, row, top) = (420.0, 24.0, 30.0);
    let slot = |r: Option<usize>| match r {
        Some(r) if r <= 5 => r as f64,
        Some(_) => 6.0,
        None => 7.0,
    };
    let y = |r: Option<usize>| top + (slot(r) - 1.0) * row;
    let (xl, xr) = (120.0, w - 120.0);
    let ht = top + 7.0 * row;
    let _ = write!(
        h,
        "<figure>\n<svg role=\"img\" aria-label=\"{}\" width=\"{w}\" height=\"{ht}\" viewBox=\"0 0 {w} {ht}\" style=\"direction:ltr\">",
        escape(l.chart_caption)
    );
    let _ = write!(
        h,
        "<text x=\"{xl}\" y=\"14\" text-anchor=\"middle\">BM25</text><text x=\"{xr}\" y=\"14\" text-anchor=\"middle\">embeddings</text>"
    );
    for (i, label) in ["1", "2", "3", "4", "5", "6–50", "—"].iter().enumerate() {
        let yy = top + i as f64 * row;
        let _ = write!(
            h,
            "<line x1=\"{xl}\" x2=\"{xr}\" y1=\"{yy}\" y2=\"{yy}\" stroke=\"#eee\"/>\
             <text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\">{label}</text><text x=\"{:.0}\" y=\"{:.0}\">{label}</text>",
            xl - 10.0,
            yy + 4.0,
            xr + 10.0,
            yy + 4.0
        );
    }
    // Each chunk once: lexical entries first, then semantic-only ones.
    let mut lines: Vec<(String, Option<usize>, Option<usize>)> = Vec::new();
    for (i, s) in lexical.iter().enumerate() {
        lines.push((s.chunk_id.clone(), Some(i + 1), s.other_rank));
    }
    for (i, s) in semantic.iter().enumerate() {
        if !lines.iter().any(|(id, _, _)| *id == s.chunk_id) {
            lines.push((s.chunk_id.clone(), s.other_rank, Some(i + 1)));
        }
    }
    for (i, (id, lr, sr)) in lines.iter().enumerate() {
        let colour = ["#3b6ea5", "#d08c2e", "#3f9b5c", "#8e5ea2", "#c0392b"][i % 5];
        let _ = write!(
            h,
            "<g><title>{}: BM25 {}, embeddings {}</title><line x1=\"{xl}\" x2=\"{xr}\" y1=\"{:.0}\" y2=\"{:.0}\" stroke=\"{colour}\" stroke-width=\"2\"/>\
             <circle cx=\"{xl}\" cy=\"{:.0}\" r=\"4\" fill=\"{colour}\"/><circle cx=\"{xr}\" cy=\"{:.0}\" r=\"4\" fill=\"{colour}\"/></g>",
            escape(id),
            rank_text(*lr),
            rank_text(*sr),
            y(*lr),
            y(*sr),
            y(*lr),
            y(*sr)
        );
    }
    let _ = writeln!(
        h,
        "</svg>\n<figcaption>{}</figcaption>\n</figure>",
        escape(l.chart_caption)
    );
}

fn html_cite_check(h: &mut String, l: &Labels, x: &CiteCheck, key: bool) {
    let _ = writeln!(
        h,
        "<p>{}: <strong>{}</strong></p>",
        escape(l.question),
        escape(&x.task.question)
    );
    let _ = writeln!(h, "<blockquote>{}</blockquote>", escape(&x.task.answer));
    let _ = writeln!(h, "<p>{}:</p>\n<ol>", escape(l.sources));
    for s in &x.task.sources {
        let _ = writeln!(
            h,
            "<li value=\"{}\">{} {}</li>",
            s.n,
            bidi(&crumbs(&s.passage)),
            id_code(&s.passage.chunk_id)
        );
    }
    h.push_str("</ol>\n");
    if !key {
        let _ = writeln!(
            h,
            "<p>{}</p>\n<div class=\"line\"></div>",
            escape(l.which_wrong)
        );
        return;
    }
    let wrong = &x.task.sources[x.key.swapped - 1];
    let right = &x.key.citations[x.key.swapped - 1];
    h.push_str("<table>\n<tbody>\n");
    let _ = writeln!(
        h,
        "<tr><th>{}</th><td class=\"answer\">[{}]</td></tr>",
        escape(l.swapped),
        x.key.swapped
    );
    let _ = writeln!(
        h,
        "<tr><th>{}</th><td>{}</td></tr>",
        escape(l.sentence),
        escape(&x.key.sentence)
    );
    let _ = writeln!(
        h,
        "<tr><th>{}</th><td>{} {}</td></tr>",
        escape(l.cites_now),
        bidi(&crumbs(&wrong.passage)),
        id_code(&wrong.passage.chunk_id)
    );
    let _ = writeln!(
        h,
        "<tr><th>{}</th><td>{} {}</td></tr>",
        escape(l.should_cite),
        bidi(&right.breadcrumb.join(" › ")),
        id_code(&right.chunk_id)
    );
    let _ = writeln!(
        h,
        "<tr><th>{}</th><td>{}–{} {}</td></tr>",
        escape(l.quote),
        right.start,
        right.end,
        escape(l.bytes)
    );
    h.push_str("</tbody>\n</table>\n");
    let _ = writeln!(h, "<p>{}:</p>\n<ol>", escape(l.before_swap));
    for c in &x.key.citations {
        let _ = writeln!(
            h,
            "<li value=\"{}\">{} {}: «{}»</li>",
            c.n,
            bidi(&c.breadcrumb.join(" › ")),
            id_code(&c.chunk_id),
            escape(c.quote.trim())
        );
    }
    h.push_str("</ol>\n");
    let _ = writeln!(h, "<p class=\"sub\">{}</p>", escape(l.answered_by));
}

fn html_normalization(h: &mut String, l: &Labels, items: &[&Item], key: bool) {
    if key {
        let _ = writeln!(h, "<p>{}</p>", escape(l.match_rule));
    }
    let _ = write!(
        h,
        "<table>\n<thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th>",
        escape(l.spelling_a),
        escape(l.spelling_b),
        escape(l.same_word)
    );
    if key {
        let _ = write!(
            h,
            "<th>{}</th><th>{}</th><th>{}</th><th>{}</th>",
            escape(l.variation),
            escape(l.analyzer),
            escape(l.found_by_search),
            escape(l.source)
        );
    } else {
        let _ = write!(h, "<th>{}</th>", escape(l.why));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for item in items {
        let Body::Normalization(x) = &item.body else {
            continue;
        };
        let _ = write!(
            h,
            "<tr id=\"{0}\"><td>{0}</td><td>{1}</td><td>{2}</td>",
            escape(&item.id),
            bidi(&x.task.a),
            bidi(&x.task.b)
        );
        if key {
            let _ = write!(
                h,
                "<td class=\"answer\">{}</td><td>{}</td><td>{} / {}</td><td>{}</td><td>{}</td>",
                if x.key.matches { l.yes } else { l.no },
                escape(l.variation_name[variation_index(x.key.variation)]),
                id_code(&x.key.a_terms.join(" ")),
                id_code(&x.key.b_terms.join(" ")),
                if x.key.found_by_search == Some(true) {
                    l.yes
                } else {
                    l.no
                },
                id_code(&x.key.source.chunk_id)
            );
        } else {
            h.push_str("<td></td><td></td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
}

fn html_report(h: &mut String, l: &Labels, set: &ExerciseSet) {
    let _ = writeln!(
        h,
        "<section>\n<h2>{}</h2>\n<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>",
        escape(l.report),
        escape(l.kind),
        escape(l.requested),
        escape(l.written),
        escape(l.dropped),
        escape(l.note)
    );
    for r in &set.report {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            escape(r.kind.name()),
            r.requested,
            r.written,
            r.dropped,
            bidi(&report_note(r))
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}
