//! The handout and key as Markdown, for trainers who edit them.

use std::fmt::Write as _;

use crate::exercises::cite_check::CiteCheck;
use crate::exercises::disagreement::{Disagreement, Hint};
use crate::exercises::find_source::FindSource;
use crate::exercises::{Body, ExerciseSet, Item, Kind};

use super::labels::{hint_index, kind_index, variation_index, Labels};
use super::{crumbs, rank_text, sections, subtitle};

/// Escapes a table cell: pipes and line breaks would end it.
pub(super) fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub(super) fn markdown(set: &ExerciseSet, l: &Labels, key: bool) -> String {
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

pub(super) fn hint_texts(l: &Labels, hints: &[Hint]) -> Vec<&'static str> {
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

pub(super) fn report_note(r: &crate::exercises::KindReport) -> String {
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
