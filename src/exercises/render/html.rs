//! The handout and key as one self-contained, printable HTML page (`dir="rtl"` and
//! `lang="fa"` for Persian), with the rank chart of the disagreement items.

use std::fmt::Write as _;

use crate::eval::report::escape;
use crate::exercises::cite_check::CiteCheck;
use crate::exercises::disagreement::{Disagreement, Scored};
use crate::exercises::find_source::FindSource;
use crate::exercises::{Body, ExerciseSet, Item, Kind};

use super::labels::{kind_index, variation_index, Labels};
use super::markdown::{hint_texts, report_note};
use super::{crumbs, rank_text, sections, subtitle};

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
pub(super) fn bidi(s: &str) -> String {
    format!("<bdi>{}</bdi>", escape(s))
}

fn id_code(s: &str) -> String {
    format!("<bdi dir=\"ltr\"><code>{}</code></bdi>", escape(s))
}

pub(super) fn html(set: &ExerciseSet, l: &Labels, key: bool) -> String {
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
