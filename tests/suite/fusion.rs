//! Per-query fusion end to end (issue 21), with the real model over the fixtures: a question
//! that copies a passage's words and one that paraphrases get different semantic weights,
//! explain shows the weight and the signals behind it, and eval reports the spread.

use super::util::*;

fn run_m(index: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--model-dir", &*Box::leak(models_dir().into_boxed_str())];
    all.extend_from_slice(args);
    json(index, &all)
}

/// The chosen weight, after checking the `fusion` object and the hits agree on it.
fn weight_of(r: &serde_json::Value) -> f64 {
    let f = &r["fusion"];
    let w = f["semantic_weight"]
        .as_f64()
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(f["adaptive"], true, "{f}");
    assert!(f["signals"]["query_terms"].as_u64().unwrap() > 0, "{f}");
    let contributions = f["contributions"].as_array().unwrap();
    assert_eq!(contributions[0]["signal"], "intercept", "{f}");
    assert!(contributions.len() > 1, "{f}");
    assert!(
        f["reason"]
            .as_str()
            .unwrap()
            .starts_with(&format!("semantic weight {w:.2}")),
        "{f}"
    );
    for h in r["hits"].as_array().unwrap() {
        let hw = h["explain"]["semantic_weight"].as_f64().unwrap();
        assert!((hw - w).abs() < 1e-6, "{h}");
    }
    w
}

#[test]
fn passage_words_and_paraphrases_get_different_weights_and_explain_says_why() {
    let ws = Workspace::new();
    run_m(&ws.index(), &["index", ws.kb().to_str().unwrap(), "--json"]);
    // The sentence of the ISO notes, word for word, and the same need in other words.
    let copied = "The organization keeps a register of the legal requirements that apply to it";
    let paraphrased = "how does a company keep track of which laws it has to obey";
    let a = run_m(&ws.index(), &["search", "--json", "--explain", copied]);
    let b = run_m(&ws.index(), &["search", "--json", "--explain", paraphrased]);
    assert_eq!(a["hits"][0]["chunk_id"], "en/sample-iso#1", "{a}");
    let (wa, wb) = (weight_of(&a), weight_of(&b));
    assert!(
        wa < wb,
        "the copied sentence should lean lexical: {wa} vs {wb}\n{}\n{}",
        a["fusion"],
        b["fusion"]
    );
    // The lexical side's first hit stands out for the copied sentence, not the paraphrase.
    assert!(
        a["fusion"]["signals"]["lexical_margin"].as_f64()
            > b["fusion"]["signals"]["lexical_margin"].as_f64(),
        "{} {}",
        a["fusion"],
        b["fusion"]
    );
    // The lexical first hit holds every word of the copied sentence (IDF-weighted share 1,
    // the `whole_query` input on), but not every word of the paraphrase.
    let share = |r: &serde_json::Value| r["fusion"]["signals"]["top_hit_share"].as_f64().unwrap();
    assert!(share(&a) >= 0.95, "{}", a["fusion"]);
    assert!(share(&b) < 0.95 && share(&b) >= 0.0, "{}", b["fusion"]);
    let input = |r: &serde_json::Value, name: &str| {
        r["fusion"]["contributions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["signal"] == name)
            .unwrap_or_else(|| panic!("no {name} in {}", r["fusion"]))["value"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(input(&a, "whole_query"), 1.0, "{}", a["fusion"]);
    assert_eq!(input(&b, "whole_query"), 0.0, "{}", b["fusion"]);
    // Text output names the weight; without --explain or in one-sided modes there is none.
    let o = run(
        &ws.index(),
        &["--model-dir", &models_dir(), "search", "--explain", copied],
    );
    assert!(
        stdout(&o).contains(&format!("explain: fusion semantic weight {wa:.2}")),
        "{}",
        stdout(&o)
    );
    let plain = run_m(&ws.index(), &["search", "--json", copied]);
    assert!(plain.get("fusion").is_none(), "{plain}");
    let lexical = run_m(
        &ws.index(),
        &["search", "--json", "--explain", "--mode", "lexical", copied],
    );
    assert!(lexical.get("fusion").is_none(), "{lexical}");
    assert!(lexical["hits"][0]["explain"]
        .get("semantic_weight")
        .is_none());
}

#[test]
fn eval_reports_the_spread_of_weights_and_the_sweep_keeps_the_fixed_baseline() {
    let ws = Workspace::new();
    run_m(&ws.index(), &["index", ws.kb().to_str().unwrap(), "--json"]);
    let questions = ws.kb().join("../fusion.jsonl");
    std::fs::write(
        &questions,
        concat!(
            r#"{"id":"f1","text":"The organization keeps a register of the legal requirements that apply to it","relevant":["en/sample-iso#1"]}"#,
            "\n",
            r#"{"id":"f2","text":"how does a company keep track of which laws it has to obey","relevant":["en/sample-iso#1"]}"#,
            "\n",
            r#"{"id":"f3","text":"industrial wastewater treatment and water reuse","relevant":["fa/note#0"]}"#,
            "\n"
        ),
    )
    .unwrap();
    let q = questions.to_str().unwrap();
    let m = run_m(&ws.index(), &["eval", "--queries", q, "--json"]);
    let w = &m["fusion_weights"];
    assert_eq!(w["adaptive"], true, "{m}");
    let (min, median, max) = (
        w["min"].as_f64().unwrap(),
        w["median"].as_f64().unwrap(),
        w["max"].as_f64().unwrap(),
    );
    assert!(min <= median && median <= max && min < max, "{w}");
    let counted: u64 = w["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b[1].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 3, "{w}");
    // One-sided modes fuse nothing and report no weights.
    let lex = run_m(
        &ws.index(),
        &["eval", "--queries", q, "--json", "--mode", "lexical"],
    );
    assert!(lex.get("fusion_weights").is_none(), "{lex}");
    // The sweep still scores fixed weights, after the default's own line.
    let o = run(
        &ws.index(),
        &[
            "--model-dir",
            &models_dir(),
            "eval",
            "--queries",
            q,
            "--sweep",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("adaptive (default):"), "{err}");
    assert!(
        err.contains("Normalized { semantic_weight: 0.7 }:"),
        "{err}"
    );
    assert!(stdout(&o).contains("semantic weight per question (adaptive)"));
}
