//! A hybrid search that names an article the index has is answered by the structural
//! look-up without loading the model (and says so); every other query still runs hybrid.

use super::util::*;

fn with_model(index: &std::path::Path, model_dir: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--model-dir", model_dir];
    all.extend_from_slice(args);
    json(index, &all)
}

#[test]
fn article_lookups_skip_the_model_and_explain_why() {
    let ws = Workspace::new();
    let models = models_dir();
    let report = with_model(
        &ws.index(),
        &models,
        &["index", ws.kb().to_str().unwrap(), "--json"],
    );
    assert_eq!(report["vectors"], report["chunks"], "{report}");

    // A model directory with nothing in it: any attempt to load the model would show up
    // as the lexical-fallback warning.
    let empty = tempfile::tempdir().unwrap();
    let nothing = empty.path().to_str().unwrap();
    for q in ["ماده ۶", "ماده ۶ بند د", "article 6 clause d"] {
        let r = with_model(&ws.index(), nothing, &["search", "--json", "--explain", q]);
        assert_eq!(r["hits"][0]["article"], "6", "{q}: {r}");
        assert!(
            r.get("warning").is_none(),
            "{q}: the model was looked for: {r}"
        );
        let why = r["semantic_skipped"]
            .as_str()
            .unwrap_or_else(|| panic!("{q}: {r}"));
        assert!(
            why.contains("article 6") && why.contains("not loaded"),
            "{why}"
        );
        assert_eq!(r["mode"], "lexical");
    }
    // The text output says it under --explain.
    let o = run(
        &ws.index(),
        &["--model-dir", nothing, "search", "--explain", "ماده ۶"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("semantic side skipped"),
        "{}",
        stdout(&o)
    );

    // An article the index does not have, and a plain question, still need the model.
    for q in ["ماده ۹۹", "وظایف سازمان"] {
        let r = with_model(&ws.index(), nothing, &["search", "--json", q]);
        assert!(r.get("semantic_skipped").is_none(), "{q}: {r}");
        assert!(
            r["warning"].as_str().unwrap_or("").contains("semantic"),
            "{q}: {r}"
        );
        let r = with_model(&ws.index(), &models, &["search", "--json", q]);
        assert_eq!(r["mode"], "hybrid", "{q}: {r}");
    }
    // --mode semantic forces the model even for a look-up.
    let r = with_model(
        &ws.index(),
        &models,
        &["search", "--json", "--mode", "semantic", "ماده ۶"],
    );
    assert_eq!(r["mode"], "semantic", "{r}");
    assert!(r.get("semantic_skipped").is_none());
}
