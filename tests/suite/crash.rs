//! Crash safety: `envkb index` killed with SIGKILL at several points of a real run leaves an
//! index that opens with its lexical and vector sides in agreement, and a re-run completes
//! the job with nothing duplicated or lost.

use std::time::Duration;

use super::util::*;

/// Adds `n` small documents, each with a unique word, so a run takes a few seconds.
fn grow(ws: &Workspace, n: usize) {
    let dir = ws.kb().join("gen");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..n {
        let body = format!(
            "---\ntitle: سند آزمایشی {i}\ndoc_type: course\nlang: fa\nyear: 2025\nstatus: course-note\nsource: test\n---\n# سند آزمایشی {i}\n\n## بخش یک\n\nواژه‌یکتا{i} درباره پایش پساب و انرژی در کارخانه شماره {i} است.\n\n## بخش دو\n\nشاخص شدت انرژی کارخانه {i} برابر {} کیلووات ساعت بر تن است.\n",
            100 + i
        );
        std::fs::write(dir.join(format!("doc-{i:03}.md")), body).unwrap();
    }
}

fn stats(ws: &Workspace) -> Option<serde_json::Value> {
    let o = run(
        &ws.index(),
        &["--model-dir", &models_dir(), "stats", "--json"],
    );
    if o.status.code() == Some(2) && stderr(&o).contains("no index") {
        return None;
    }
    assert!(
        o.status.success(),
        "stats failed after a crash: {}",
        stderr(&o)
    );
    Some(serde_json::from_slice(&o.stdout).unwrap())
}

#[test]
fn killed_index_runs_leave_a_consistent_index_and_a_rerun_completes() {
    let ws = Workspace::new();
    grow(&ws, 24);
    let model = models_dir();
    let kb = ws.kb();
    // A first complete run of part of the folder, so later kills hit an index with content.
    std::fs::rename(kb.join("gen"), ws.dir.path().join("gen-later")).unwrap();
    json(
        &ws.index(),
        &[
            "--model-dir",
            &model,
            "index",
            kb.to_str().unwrap(),
            "--json",
        ],
    );
    std::fs::rename(ws.dir.path().join("gen-later"), kb.join("gen")).unwrap();
    for delay_ms in [50u64, 400, 1200, 2500, 5000] {
        let mut child = envkb()
            .args([
                "--index",
                ws.index().to_str().unwrap(),
                "--model-dir",
                &model,
                "index",
                kb.to_str().unwrap(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let s = stats(&ws).expect("the committed index survives");
        assert_eq!(
            s["vectors"], s["chunks"],
            "lexical and vector sides disagree after a kill at {delay_ms} ms: {s}"
        );
        let r = json(&ws.index(), &["--no-model", "search", "--json", "پساب"]);
        assert!(r["hits"].is_array());
        // Between kills, touch one file so every run has work to do.
        let f = kb.join("gen/doc-000.md");
        let text = std::fs::read_to_string(&f).unwrap();
        std::fs::write(&f, format!("{text}\nبازنگری {delay_ms}.\n")).unwrap();
    }
    let done = json(
        &ws.index(),
        &[
            "--model-dir",
            &model,
            "index",
            kb.to_str().unwrap(),
            "--json",
        ],
    );
    // A fresh index of the same folder is the reference for "nothing duplicated or lost".
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = json(
        &fresh_dir.path().join("idx"),
        &[
            "--model-dir",
            &model,
            "index",
            kb.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(done["documents"], fresh["documents"], "{done} vs {fresh}");
    assert_eq!(done["chunks"], fresh["chunks"], "{done} vs {fresh}");
    assert_eq!(done["vectors"], done["chunks"], "{done}");
    for i in [0usize, 7, 23] {
        let r = json(
            &ws.index(),
            &["--no-model", "search", "--json", &format!("واژه‌یکتا{i}")],
        );
        let hits: Vec<_> = r["hits"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["doc_id"] == format!("gen/doc-{i:03}"))
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "document {i} found {} times: {r}",
            hits.len()
        );
    }
    // No leftover temporary or superseded files.
    let leftovers: Vec<String> = std::fs::read_dir(ws.index())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.ends_with(".tmp")
                || n.starts_with("manifest-")
                || n.starts_with("vectors-")
                || n.starts_with("sentences-")
        })
        .collect();
    assert_eq!(
        leftovers.len(),
        3,
        "expected one manifest, one vector and one sentence-vector file: {leftovers:?}"
    );
}
