//! The command line as a user meets it outside the checkout and the test harness: output
//! to pipes and files without escape codes, `NO_COLOR`, the model found from any working
//! directory, `--mode semantic` refusing to quietly become keyword search, UTF-16 text,
//! one file-size limit for every type, the no-exact-match line for nonsense queries, and a
//! quiet end when the reader of a pipe stops early (`envkb search ... | head`).

use std::path::Path;
use std::process::{Command, Output};

use super::util::*;

/// envkb with a working directory and a home directory of its own, so neither the
/// checkout's `models/` nor a per-user model directory can be found by accident.
fn elsewhere(cwd: &Path, home: &Path, index: &Path, args: &[&str]) -> Output {
    envkb()
        .current_dir(cwd)
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .env_remove("ENVKB_MODEL_DIR")
        .env_remove("ENVKB_INDEX")
        .env_remove("NO_COLOR")
        .env("CANDLE_NUM_THREADS", "1")
        .arg("--index")
        .arg(index)
        .args(args)
        .output()
        .expect("envkb runs")
}

/// Runs `envkb` inside a pseudo-terminal (util-linux `script`), as a user at a terminal
/// would; returns what the terminal showed.
fn in_terminal(index: &Path, args: &str, no_color: bool) -> String {
    let cmd = format!(
        "{} --index {} {args}",
        env!("CARGO_BIN_EXE_envkb"),
        index.display()
    );
    let mut c = Command::new("script");
    c.args(["-qec", &cmd, "/dev/null"]).env_remove("NO_COLOR");
    if no_color {
        c.env("NO_COLOR", "1");
    }
    let o = c.output().expect("script (util-linux) runs");
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let ws = Workspace::new();
    ws.index_kb();
    let search = "search --mode lexical groundwater";
    // At a terminal the matched words are bold: the test can see escape codes when they are there.
    let tty = in_terminal(&ws.index(), search, false);
    assert!(tty.contains("\x1b[1m"), "no bold at a terminal: {tty:?}");
    // NO_COLOR turns them off at a terminal too.
    let plain = in_terminal(&ws.index(), search, true);
    assert!(plain.contains("en/law-explainer#0"), "{plain:?}");
    assert!(
        !plain.contains('\x1b'),
        "escape codes despite NO_COLOR: {plain:?}"
    );
    // Piped (as `> file` or `| less` would be): no escape codes.
    let o = run(&ws.index(), &["search", "--mode", "lexical", "groundwater"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("en/law-explainer#0"));
    assert!(!o.stdout.contains(&0x1b), "escape codes in piped output");
    assert!(!o.stderr.contains(&0x1b), "escape codes in piped stderr");
}

#[test]
fn the_server_log_written_to_a_file_has_no_colour() {
    let ws = Workspace::new();
    ws.index_kb();
    let log = ws.dir.path().join("serve.log");
    let mut child = envkb()
        .arg("--index")
        .arg(ws.index())
        .args([
            "--no-model",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--open-read",
        ])
        .env_remove("NO_COLOR")
        .env_remove("ENVKB_API_KEYS")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    let base = first
        .trim()
        .strip_prefix("envkb serving on ")
        .unwrap()
        .to_string();
    let r = super::serve_util::agent()
        .get(&format!("{base}/api/search?q=groundwater"))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let text = loop {
        let text = std::fs::read_to_string(&log).unwrap();
        if text.contains("/api/search") || std::time::Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        text.contains("/api/search"),
        "the request was not logged: {text}"
    );
    assert!(
        !text.contains('\x1b'),
        "escape codes in the log file: {text:?}"
    );
}

#[test]
fn without_a_model_semantic_mode_exits_2_and_hybrid_warns_once_with_absolute_paths() {
    let ws = Workspace::new();
    ws.index_kb();
    let cwd = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let o = elsewhere(
        cwd.path(),
        home.path(),
        &ws.index(),
        &["search", "--mode", "semantic", "groundwater"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("--mode semantic cannot run"), "{err}");
    assert!(
        o.stdout.is_empty(),
        "no keyword results in place of semantic ones"
    );
    // The default (hybrid) falls back to keywords with exactly one warning that names the
    // absolute directories it looked in.
    let o = elsewhere(
        cwd.path(),
        home.path(),
        &ws.index(),
        &["search", "groundwater"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.matches("warning:").count(), 1, "{err}");
    assert_eq!(err.matches("fetch.sh").count(), 1, "{err}");
    let looked = cwd.path().join("models");
    assert!(err.contains(&looked.display().to_string()), "{err}");
    assert!(
        err.contains(
            &home
                .path()
                .join(".local/share/envkb/models")
                .display()
                .to_string()
        ),
        "{err}"
    );
    assert!(stdout(&o).contains("en/law-explainer#0"));
    // `ask` too: one warning, and it names where it looked.
    let o = elsewhere(
        cwd.path(),
        home.path(),
        &ws.index(),
        &["ask", "who prepares the wastewater monitoring criteria?"],
    );
    let err = stderr(&o);
    assert_eq!(err.matches("fetch.sh").count(), 1, "{err}");
}

#[test]
fn the_index_remembers_its_model_so_envkb_finds_it_from_another_directory() {
    let ws = Workspace::new();
    let models = models_dir();
    let cwd = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let kb = ws.kb();
    let o = elsewhere(
        cwd.path(),
        home.path(),
        &ws.index(),
        &[
            "--model-dir",
            &models,
            "index",
            kb.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.index().join("model.json")).unwrap()).unwrap();
    assert_eq!(record["dir"], models.as_str(), "{record}");
    assert_eq!(
        record["blake3"].as_str().map(str::len),
        Some(64),
        "{record}"
    );
    // From another directory, without --model-dir: the model of the index is found.
    let o = elsewhere(
        cwd.path(),
        home.path(),
        &ws.index(),
        &[
            "search",
            "--json",
            "--mode",
            "semantic",
            "industrial wastewater reuse in a tile factory",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["mode"], "semantic", "{r}");
    assert_eq!(r["hits"][0]["doc_id"], "fa/note", "{r}");
    assert_eq!(r["no_exact_match"], false, "{r}");

    // A nonsense query: no term matches anywhere and nothing is close. The hits are still
    // the nearest passages, but the JSON and the text say that they are not matches.
    let o = elsewhere(
        cwd.path(),
        home.path(),
        &ws.index(),
        &["search", "--json", "zzzzqqq"],
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!r["hits"].as_array().unwrap().is_empty(), "{r}");
    assert_eq!(r["no_exact_match"], true, "{r}");
    let o = elsewhere(cwd.path(), home.path(), &ws.index(), &["search", "zzzzqqq"]);
    assert!(
        stdout(&o).starts_with("no exact match for \"zzzzqqq\"; the closest passages:"),
        "{}",
        stdout(&o)
    );
    // A real query that matches words is not flagged, in any mode.
    for mode in ["hybrid", "semantic", "lexical"] {
        let o = elsewhere(
            cwd.path(),
            home.path(),
            &ws.index(),
            &["search", "--json", "--mode", mode, "groundwater"],
        );
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["no_exact_match"], false, "{mode}: {r}");
    }
}

/// `text` as UTF-16 little endian with a byte-order mark, as Windows Notepad saves "Unicode".
fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        out.extend(u.to_le_bytes());
    }
    out
}

#[test]
fn utf16_text_is_indexed_and_one_size_limit_applies_to_text_files() {
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    std::fs::create_dir_all(&kb).unwrap();
    std::fs::write(
        kb.join("windows-note.txt"),
        utf16le("یادداشت پایش\n\nپایش ماهانهٔ پساب کارخانهٔ کاشی در دفتر ثبت می‌شود.\n"),
    )
    .unwrap();
    // About 1.7 MB of text: over a 1 MB limit, under a 2 MB one.
    std::fs::write(
        kb.join("big.txt"),
        "واژهٔ نمونه در متنی بلند ".repeat(40_000),
    )
    .unwrap();
    // A skipped empty file does not make its namesake an id clash.
    std::fs::write(kb.join("empty.md"), "").unwrap();
    std::fs::write(kb.join("empty.txt"), "متن کوتاه دربارهٔ پسماند.\n").unwrap();
    let index = dir.path().join("index");
    let r = json(
        &index,
        &[
            "--no-model",
            "index",
            kb.to_str().unwrap(),
            "--json",
            "--max-file-mb",
            "1",
        ],
    );
    let skipped = r["skipped"].as_array().unwrap();
    let reason = |name: &str| {
        skipped
            .iter()
            .find(|s| s["path"].as_str().unwrap().ends_with(name))
            .map(|s| s["reason"].as_str().unwrap().to_string())
    };
    let big = reason("big.txt").expect("big.txt is over the limit");
    assert!(
        big.contains("the limit is 1 MB") && big.contains("--max-file-mb"),
        "{big}"
    );
    assert!(reason("windows-note.txt").is_none(), "{r}");
    assert!(reason("empty.md").unwrap().contains("empty"), "{r}");
    assert!(reason("empty.txt").is_none(), "empty.txt is no clash: {r}");
    let hits = json(
        &index,
        &["search", "--json", "--mode", "lexical", "پساب کاشی"],
    );
    assert_eq!(hits["hits"][0]["doc_id"], "windows-note", "{hits}");
    // Raising the limit indexes the large text file.
    let r = json(
        &index,
        &[
            "--no-model",
            "index",
            kb.to_str().unwrap(),
            "--json",
            "--max-file-mb",
            "2",
        ],
    );
    assert!(
        !r["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["path"].as_str().unwrap().ends_with("big.txt")),
        "{r}"
    );
}

#[test]
fn a_pipe_closed_early_ends_the_command_quietly() {
    let ws = Workspace::new();
    ws.index_kb();
    // `sh` runs the pipe as a user would; `true` leaves without reading (as `head` does
    // once it has its lines), while envkb is still opening the index, so the JSON is
    // written into a closed pipe.
    let cmd = format!(
        "{} --index {} search --mode lexical groundwater -k 20 --json | true",
        env!("CARGO_BIN_EXE_envkb"),
        ws.index().display()
    );
    let o = Command::new("sh")
        .args(["-c", &cmd])
        .env_remove("ENVKB_INDEX")
        .output()
        .expect("sh runs");
    let err = stderr(&o);
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "a closed pipe made envkb panic: {err}"
    );
}
