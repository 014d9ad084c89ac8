//! The trainers' HTML report of an evaluation: one self-contained page (inline CSS and
//! SVG, no scripts, no network) with the metrics of each retriever mode, a bar chart, the
//! rank distribution per mode, a lexical-vs-semantic rank scatter, a table per participant
//! and every question's ranks, sorted so that the questions where keyword and semantic
//! search disagree most come first.
//!
//! Owns layout and escaping only; scoring happens in [`super::evaluate`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Metrics, QueryRecord, QueryScore};

/// Ranks deeper than this are drawn in the "not found" slot.
const MAX_RANK: usize = 20;

/// The scores of one retriever mode.
#[derive(Debug, Clone)]
pub struct ModeScores {
    /// Shown as the mode's name ("lexical", "semantic", "hybrid").
    pub mode: String,
    pub(crate) metrics: Metrics,
    pub(crate) per_query: Vec<QueryScore>,
}

/// Everything the report shows.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    /// What was evaluated (question file, corpus or index).
    pub title: String,
    /// The questions, for per-kind and per-participant breakdowns.
    pub questions: &'a [QueryRecord],
    /// One entry per mode that could run, in display order.
    pub modes: Vec<ModeScores>,
    /// Modes that could not run and why (e.g. no model files).
    pub missing: Vec<(String, String)>,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A metric's label and how to read it off [`Metrics`].
type MetricColumn = (&'static str, fn(&Metrics) -> f64);

/// Mode colours: fixed so the same mode has the same colour in every chart.
fn colour(i: usize) -> &'static str {
    ["#3b6ea5", "#d08c2e", "#3f9b5c", "#8e5ea2"][i % 4]
}

/// A rank as the report writes it.
fn rank_label(r: Option<usize>) -> String {
    match r {
        Some(r) if r <= MAX_RANK => r.to_string(),
        _ => "—".to_string(),
    }
}

/// Renders the page.
pub fn render(report: &Report) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>envkb evaluation: {}</title>\n<style>{}</style>\n</head>\n<body>\n",
        escape(&report.title),
        CSS
    );
    let scored = report.modes.first().map_or(0, |m| m.per_query.len());
    let _ = write!(
        h,
        "<h1>Retrieval evaluation</h1>\n<p class=\"sub\"><span dir=\"auto\">{}</span> · {} questions, {} scored (questions without gold passages are not scored)</p>\n",
        escape(&report.title),
        report.questions.len(),
        scored
    );
    for (mode, why) in &report.missing {
        let _ = writeln!(
            h,
            "<p class=\"warn\">{} mode not run: {}</p>",
            escape(mode),
            escape(why)
        );
    }
    metrics_table(&mut h, report);
    h.push_str("<div class=\"charts\">\n");
    bar_chart(&mut h, report);
    rank_distribution(&mut h, report);
    scatter(&mut h, report);
    h.push_str("</div>\n");
    participants(&mut h, report);
    question_table(&mut h, report);
    h.push_str("</body>\n</html>\n");
    h
}

const CSS: &str = "body{font-family:system-ui,'Vazirmatn','Noto Sans Arabic',sans-serif;margin:1.5rem;color:#222;max-width:72rem}\
h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.15rem;margin-top:2rem}\
.sub{color:#555;margin-top:0}.warn{color:#8a4b00;background:#fff4e0;padding:.4rem .6rem}\
table{border-collapse:collapse;margin:.5rem 0;font-size:.92rem}\
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}\
td.best{font-weight:bold}.charts{display:flex;flex-wrap:wrap;gap:1.5rem}\
figure{margin:0}figcaption{font-size:.9rem;color:#444;max-width:26rem}\
svg text{font-family:system-ui,sans-serif;font-size:11px}\
.q{max-width:32rem}@media print{.charts{display:block}}";

fn metrics_table(h: &mut String, report: &Report) {
    h.push_str("<h2>Metrics per mode</h2>\n<table>\n<thead><tr><th>mode</th><th>nDCG@10</th><th>MRR@10</th><th>Recall@1</th><th>Recall@5</th><th>Recall@20</th><th>questions</th></tr></thead>\n<tbody>\n");
    let cols: [fn(&Metrics) -> f64; 5] = [
        |m| m.ndcg10,
        |m| m.mrr10,
        |m| m.recall1,
        |m| m.recall5,
        |m| m.recall20,
    ];
    let best: Vec<f64> = cols
        .iter()
        .map(|f| {
            report
                .modes
                .iter()
                .map(|m| f(&m.metrics))
                .fold(f64::MIN, f64::max)
        })
        .collect();
    for m in &report.modes {
        let _ = write!(h, "<tr><th>{}</th>", escape(&m.mode));
        for (f, b) in cols.iter().zip(&best) {
            let v = f(&m.metrics);
            let class = if report.modes.len() > 1 && v >= *b {
                "num best"
            } else {
                "num"
            };
            let _ = write!(h, "<td class=\"{class}\">{v:.3}</td>");
        }
        let _ = writeln!(h, "<td class=\"num\">{}</td></tr>", m.metrics.queries);
    }
    h.push_str("</tbody>\n</table>\n");
}

/// Grouped bars: nDCG@10, Recall@5 and Recall@20, one bar per mode.
fn bar_chart(h: &mut String, report: &Report) {
    let metrics: [MetricColumn; 3] = [
        ("nDCG@10", |m| m.ndcg10),
        ("Recall@5", |m| m.recall5),
        ("Recall@20", |m| m.recall20),
    ];
    let (w, ht, left, bottom, top) = (380.0, 240.0, 36.0, 40.0, 12.0);
    let plot_h = ht - bottom - top;
    let n = report.modes.len().max(1) as f64;
    let group_w = (w - left - 10.0) / metrics.len() as f64;
    let bar_w = (group_w - 16.0) / n;
    let _ = write!(
        h,
        "<figure><svg role=\"img\" aria-label=\"bar chart of nDCG@10 and recall per mode\" width=\"{w}\" height=\"{ht}\" viewBox=\"0 0 {w} {ht}\">"
    );
    grid_lines(h, left, w, top, plot_h);
    for (gi, (name, f)) in metrics.iter().enumerate() {
        let gx = left + gi as f64 * group_w + 8.0;
        for (mi, m) in report.modes.iter().enumerate() {
            let v = f(&m.metrics).clamp(0.0, 1.0);
            let bh = v * plot_h;
            let x = gx + mi as f64 * bar_w;
            let y = top + plot_h - bh;
            let _ = write!(
                h,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{} {name}: {v:.3}</title></rect>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{:.2}</text>",
                bar_w - 2.0,
                colour(mi),
                escape(&m.mode),
                x + (bar_w - 2.0) / 2.0,
                y - 2.0,
                v
            );
        }
        let _ = write!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{name}</text>",
            gx + (group_w - 16.0) / 2.0,
            ht - bottom + 16.0
        );
    }
    legend(h, report, left, ht - 12.0);
    h.push_str("</svg><figcaption>nDCG@10, Recall@5 and Recall@20 per mode (0 to 1).</figcaption></figure>\n");
}

fn grid_lines(h: &mut String, left: f64, w: f64, top: f64, plot_h: f64) {
    for i in 0..=4 {
        let v = i as f64 / 4.0;
        let y = top + plot_h - v * plot_h;
        let _ = write!(
            h,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{v:.2}</text>",
            w - 6.0,
            left - 4.0,
            y + 4.0
        );
    }
}

fn legend(h: &mut String, report: &Report, x0: f64, y: f64) {
    let mut x = x0;
    for (i, m) in report.modes.iter().enumerate() {
        let _ = write!(
            h,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{y:.1}\">{}</text>",
            y - 9.0,
            colour(i),
            x + 14.0,
            escape(&m.mode)
        );
        x += 24.0 + 7.0 * m.mode.chars().count() as f64;
    }
}

/// Buckets of the first relevant rank, shared by the distribution chart and its test.
const BUCKETS: [(&str, usize, usize); 6] = [
    ("1", 1, 1),
    ("2–3", 2, 3),
    ("4–5", 4, 5),
    ("6–10", 6, 10),
    ("11–20", 11, 20),
    ("not found", 21, usize::MAX),
];

fn bucket_counts(scores: &[QueryScore]) -> [usize; 6] {
    let mut c = [0; 6];
    for s in scores {
        let r = s.first_relevant_rank.unwrap_or(usize::MAX);
        if let Some(i) = BUCKETS.iter().position(|(_, lo, hi)| r >= *lo && r <= *hi) {
            c[i] += 1;
        }
    }
    c
}

/// How many questions find their first relevant passage at each depth, per mode.
fn rank_distribution(h: &mut String, report: &Report) {
    let (w, ht, left, bottom, top) = (380.0, 240.0, 36.0, 40.0, 12.0);
    let plot_h = ht - bottom - top;
    let counts: Vec<[usize; 6]> = report
        .modes
        .iter()
        .map(|m| bucket_counts(&m.per_query))
        .collect();
    let max = counts
        .iter()
        .flat_map(|c| c.iter())
        .copied()
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = report.modes.len().max(1) as f64;
    let group_w = (w - left - 10.0) / BUCKETS.len() as f64;
    let bar_w = (group_w - 6.0) / n;
    let _ = write!(
        h,
        "<figure><svg role=\"img\" aria-label=\"rank of the first relevant passage, per mode\" width=\"{w}\" height=\"{ht}\" viewBox=\"0 0 {w} {ht}\">"
    );
    for i in 0..=4 {
        let v = max * i as f64 / 4.0;
        let y = top + plot_h - plot_h * i as f64 / 4.0;
        let _ = write!(
            h,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{v:.0}</text>",
            w - 6.0,
            left - 4.0,
            y + 4.0
        );
    }
    for (bi, (label, _, _)) in BUCKETS.iter().enumerate() {
        let gx = left + bi as f64 * group_w + 3.0;
        for (mi, c) in counts.iter().enumerate() {
            let v = c[bi] as f64;
            let bh = v / max * plot_h;
            let _ = write!(
                h,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{}: {} questions at rank {label}</title></rect>",
                gx + mi as f64 * bar_w,
                top + plot_h - bh,
                (bar_w - 1.0).max(1.0),
                colour(mi),
                escape(&report.modes[mi].mode),
                c[bi]
            );
        }
        let _ = write!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
            gx + (group_w - 6.0) / 2.0,
            ht - bottom + 16.0
        );
    }
    legend(h, report, left, ht - 12.0);
    h.push_str("</svg><figcaption>Questions by the rank of their first relevant passage.</figcaption></figure>\n");
}

/// Per question: lexical rank against semantic rank of the first relevant passage, so the
/// questions one retriever finds and the other misses stand out in the corners.
fn scatter(h: &mut String, report: &Report) {
    let find = |name: &str| report.modes.iter().find(|m| m.mode == name);
    let (Some(lex), Some(sem)) = (find("lexical"), find("semantic")) else {
        return;
    };
    let sem_rank: BTreeMap<&str, Option<usize>> = sem
        .per_query
        .iter()
        .map(|s| (s.id.as_str(), s.first_relevant_rank))
        .collect();
    let hyb: BTreeMap<&str, Option<usize>> = find("hybrid")
        .map(|m| {
            m.per_query
                .iter()
                .map(|s| (s.id.as_str(), s.first_relevant_rank))
                .collect()
        })
        .unwrap_or_default();
    let (size, pad) = (300.0, 40.0);
    let slots = (MAX_RANK + 1) as f64;
    let pos = |r: Option<usize>| {
        let r = r.filter(|&r| r <= MAX_RANK).unwrap_or(MAX_RANK + 1) as f64;
        (r - 0.5) / slots * size
    };
    let _ = write!(
        h,
        "<figure><svg role=\"img\" aria-label=\"lexical rank against semantic rank per question\" width=\"{w}\" height=\"{w}\" viewBox=\"0 0 {w} {w}\">\
         <rect x=\"{pad}\" y=\"10\" width=\"{size}\" height=\"{size}\" fill=\"none\" stroke=\"#bbb\"/>",
        w = size + pad + 10.0
    );
    for r in [1usize, 5, 10, 20] {
        let p = pos(Some(r));
        let _ = write!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{r}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{r}</text>",
            pad + p,
            size + 24.0,
            pad - 4.0,
            10.0 + p + 4.0
        );
    }
    let none = pos(None);
    let _ = write!(
        h,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">—</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">—</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">lexical rank</text>\
         <text transform=\"translate(12 {:.1}) rotate(-90)\" text-anchor=\"middle\">semantic rank</text>",
        pad + none,
        size + 24.0,
        pad - 4.0,
        10.0 + none + 4.0,
        pad + size / 2.0,
        size + 38.0,
        10.0 + size / 2.0
    );
    for (i, s) in lex.per_query.iter().enumerate() {
        let l = s.first_relevant_rank;
        let sr = sem_rank.get(s.id.as_str()).copied().flatten();
        // A small deterministic offset keeps questions with equal ranks visible.
        let jx = ((i * 7919) % 11) as f64 - 5.0;
        let jy = ((i * 104_729) % 11) as f64 - 5.0;
        let hr = hyb.get(s.id.as_str()).copied().flatten();
        let fill = match hr {
            Some(1) => "#3f9b5c",
            Some(r) if r <= 5 => "#d08c2e",
            _ if hyb.is_empty() => "#3b6ea5",
            _ => "#c0392b",
        };
        let _ = write!(
            h,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{fill}\" fill-opacity=\"0.7\"><title>{}: lexical {}, semantic {}, hybrid {}</title></circle>",
            pad + pos(l) + jx * 0.6,
            10.0 + pos(sr) + jy * 0.6,
            escape(&s.id),
            rank_label(l),
            rank_label(sr),
            rank_label(hr)
        );
    }
    h.push_str("</svg><figcaption>Each dot is a question: rank of its first relevant passage by keyword (x) and by meaning (y); — is not in the top 20. Colour is the hybrid rank: green 1, amber 2–5, red deeper or not found.</figcaption></figure>\n");
}

/// Metrics per participant per mode, when the questions say who wrote them.
fn participants(h: &mut String, report: &Report) {
    let who: BTreeMap<&str, &str> = report
        .questions
        .iter()
        .filter_map(|q| Some((q.id.as_str(), q.participant.as_deref()?)))
        .collect();
    if who.is_empty() {
        return;
    }
    let mut names: Vec<&str> = who.values().copied().collect();
    names.sort_unstable();
    names.dedup();
    h.push_str(
        "<h2>Per participant</h2>\n<table>\n<thead><tr><th>participant</th><th>questions</th>",
    );
    for m in &report.modes {
        let _ = write!(
            h,
            "<th>{0} nDCG@10</th><th>{0} Recall@5</th>",
            escape(&m.mode)
        );
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for name in names {
        let _ = write!(h, "<tr><th dir=\"auto\">{}</th>", escape(name));
        let mut count_written = false;
        for m in &report.modes {
            let mine: Vec<QueryScore> = m
                .per_query
                .iter()
                .filter(|s| who.get(s.id.as_str()) == Some(&name))
                .cloned()
                .collect();
            let a = Metrics::average(&mine);
            if !count_written {
                let _ = write!(h, "<td class=\"num\">{}</td>", a.queries);
                count_written = true;
            }
            let _ = write!(
                h,
                "<td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td>",
                a.ndcg10, a.recall5
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
}

/// Every scored question with its rank in each mode, largest keyword/semantic gap first.
fn question_table(h: &mut String, report: &Report) {
    let ranks: Vec<BTreeMap<&str, Option<usize>>> = report
        .modes
        .iter()
        .map(|m| {
            m.per_query
                .iter()
                .map(|s| (s.id.as_str(), s.first_relevant_rank))
                .collect()
        })
        .collect();
    let Some(first) = report.modes.first() else {
        return;
    };
    let depth = |r: Option<usize>| r.filter(|&r| r <= MAX_RANK).unwrap_or(MAX_RANK + 1);
    let gap_of = |id: &str| {
        let ds: Vec<usize> = ranks
            .iter()
            .filter_map(|m| m.get(id).map(|r| depth(*r)))
            .collect();
        ds.iter().max().unwrap_or(&0) - ds.iter().min().unwrap_or(&0)
    };
    let text: BTreeMap<&str, &QueryRecord> = report
        .questions
        .iter()
        .map(|q| (q.id.as_str(), q))
        .collect();
    let mut ids: Vec<&str> = first.per_query.iter().map(|s| s.id.as_str()).collect();
    ids.sort_by_key(|id| std::cmp::Reverse(gap_of(id)));
    let any_participant = report.questions.iter().any(|q| q.participant.is_some());
    h.push_str("<h2>Questions</h2>\n<p class=\"sub\">Rank of the first relevant passage in each mode (— is not in the top 20); the questions where the modes disagree most come first.</p>\n<table>\n<thead><tr><th>id</th>");
    if any_participant {
        h.push_str("<th>participant</th>");
    }
    h.push_str("<th>question</th>");
    for m in &report.modes {
        let _ = write!(h, "<th>{}</th>", escape(&m.mode));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for id in ids {
        let q = text.get(id);
        let _ = write!(h, "<tr><td>{}</td>", escape(id));
        if any_participant {
            let p = q.and_then(|q| q.participant.as_deref()).unwrap_or("");
            let _ = write!(h, "<td dir=\"auto\">{}</td>", escape(p));
        }
        let _ = write!(
            h,
            "<td class=\"q\" dir=\"auto\">{}</td>",
            escape(q.map_or("", |q| q.text.as_str()))
        );
        let best = ranks
            .iter()
            .filter_map(|m| m.get(id).map(|r| depth(*r)))
            .min()
            .unwrap_or(0);
        for m in &ranks {
            let r = m.get(id).copied().flatten();
            let class = if depth(r) == best && best <= MAX_RANK {
                "num best"
            } else {
                "num"
            };
            let _ = write!(h, "<td class=\"{class}\">{}</td>", rank_label(r));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(id: &str, text: &str, participant: Option<&str>) -> QueryRecord {
        serde_json::from_value(serde_json::json!({
            "id": id, "text": text, "relevant": ["x"], "participant": participant
        }))
        .unwrap()
    }

    fn score(id: &str, rank: Option<usize>) -> QueryScore {
        QueryScore {
            id: id.into(),
            first_relevant_rank: rank,
            ndcg10: if rank == Some(1) { 1.0 } else { 0.0 },
            rr10: rank.map_or(0.0, |r| 1.0 / r as f64),
            recall1: f64::from(rank == Some(1)),
            recall5: f64::from(rank.is_some_and(|r| r <= 5)),
            recall20: f64::from(rank.is_some()),
        }
    }

    fn mode(name: &str, ranks: &[(&str, Option<usize>)]) -> ModeScores {
        let per_query: Vec<QueryScore> = ranks.iter().map(|(id, r)| score(id, *r)).collect();
        ModeScores {
            mode: name.into(),
            metrics: Metrics::average(&per_query),
            per_query,
        }
    }

    fn sample<'a>(qs: &'a [QueryRecord]) -> Report<'a> {
        Report {
            title: "class <set>".into(),
            questions: qs,
            modes: vec![
                mode("lexical", &[("q1", Some(1)), ("q2", None)]),
                mode("semantic", &[("q1", Some(9)), ("q2", Some(2))]),
                mode("hybrid", &[("q1", Some(1)), ("q2", Some(3))]),
            ],
            missing: vec![],
        }
    }

    #[test]
    fn page_is_self_contained_and_escaped() {
        let qs = vec![
            question("q1", "ماده ۶ بند د چه می‌گوید؟", Some("مریم")),
            question("q2", "what is <ISO> 14001?", Some("ali")),
        ];
        let html = render(&sample(&qs));
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.trim_end().ends_with("</html>"));
        assert!(
            !html.contains("<script") && !html.contains("http://") && !html.contains("https://")
        );
        assert!(html.contains("class &lt;set&gt;") && html.contains("what is &lt;ISO&gt; 14001?"));
        assert!(html.contains("<td class=\"q\" dir=\"auto\">ماده ۶ بند د چه می‌گوید؟</td>"));
        // Three charts, one table per participant.
        assert_eq!(html.matches("<svg").count(), 3);
        assert!(html.contains("<h2>Per participant</h2>") && html.contains(">مریم</th>"));
        // Balanced tags of the kinds the page writes.
        for tag in ["table", "tr", "svg", "figure", "thead", "tbody"] {
            assert_eq!(
                html.matches(&format!("<{tag}>")).count()
                    + html.matches(&format!("<{tag} ")).count(),
                html.matches(&format!("</{tag}>")).count(),
                "{tag}"
            );
        }
    }

    #[test]
    fn questions_where_modes_disagree_come_first() {
        let qs = vec![question("q1", "a", None), question("q2", "b", None)];
        let html = render(&sample(&qs));
        // q2: lexical not found (21) vs semantic 2 → gap 19; q1: 1 vs 9 → gap 8.
        let table = &html[html.find("<h2>Questions</h2>").unwrap()..];
        assert!(table.find(">q2<").unwrap() < table.find(">q1<").unwrap());
        assert!(!html.contains("Per participant"));
    }

    #[test]
    fn rank_buckets_count_every_question_once() {
        let s: Vec<QueryScore> = [Some(1), Some(3), Some(5), Some(6), Some(20), None, Some(40)]
            .into_iter()
            .enumerate()
            .map(|(i, r)| score(&format!("q{i}"), r))
            .collect();
        assert_eq!(bucket_counts(&s), [1, 1, 1, 1, 1, 2]);
    }

    #[test]
    fn one_mode_report_has_no_scatter() {
        let qs = vec![question("q1", "a", None)];
        let r = Report {
            title: "t".into(),
            questions: &qs,
            modes: vec![mode("lexical", &[("q1", Some(2))])],
            missing: vec![("semantic".into(), "no model files".into())],
        };
        let html = render(&r);
        assert_eq!(html.matches("<svg").count(), 2);
        assert!(html.contains("semantic mode not run: no model files"));
    }
}
