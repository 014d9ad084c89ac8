//! Helpers to run the real binary against temporary folders.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn envkb() -> Command {
    Command::new(env!("CARGO_BIN_EXE_envkb"))
}

/// Runs envkb with `args` and `--index index`; returns the output.
pub fn run(index: &Path, args: &[&str]) -> Output {
    envkb()
        .arg("--index")
        .arg(index)
        .args(args)
        .env_remove("ENVKB_INDEX")
        .output()
        .expect("envkb binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and parses stdout as JSON, failing with stderr when the command failed.
pub fn json(index: &Path, args: &[&str]) -> serde_json::Value {
    let o = run(index, args);
    assert!(o.status.success(), "envkb {args:?} failed: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&o)))
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Copies a folder recursively (fixtures are edited by some tests).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A temporary knowledge base (copy of the fixtures) and an index folder beside it.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixtures().join("kb"), &dir.path().join("kb"));
        Workspace { dir }
    }
    pub fn kb(&self) -> PathBuf {
        self.dir.path().join("kb")
    }
    pub fn index(&self) -> PathBuf {
        self.dir.path().join("index")
    }
    /// Indexes the workspace for lexical search only (the semantic side has its own tests).
    pub fn index_kb(&self) -> serde_json::Value {
        json(
            &self.index(),
            &["--no-model", "index", self.kb().to_str().unwrap(), "--json"],
        )
    }
    /// Indexes the fixture knowledge base with the real model (lexical and vectors).
    pub fn index_kb_with_model(&self) -> serde_json::Value {
        json(
            &self.index(),
            &[
                "--model-dir",
                &models_dir(),
                "index",
                self.kb().to_str().unwrap(),
                "--json",
            ],
        )
    }
    /// Lexical search (the tests of the lexical side pin the mode).
    pub fn search(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["search", "--json", "--mode", "lexical"];
        all.extend_from_slice(args);
        json(&self.index(), &all)
    }
}

pub fn hit_ids(result: &serde_json::Value) -> Vec<String> {
    result["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["chunk_id"].as_str().unwrap().to_string())
        .collect()
}

/// The model folder filled by models/fetch.sh; the semantic tests need it and say so.
pub fn models_dir() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    assert!(
        dir.join("e5-small-q4.bin").is_file(),
        "model files missing: run models/fetch.sh first"
    );
    dir.to_string_lossy().into_owned()
}

/// How long a bounded fuzz loop runs and where its random choices start: `ENVKB_FUZZ_SECS`
/// (60 by default) and `ENVKB_FUZZ_SEED` (1), shared by every fuzz target so a run is
/// repeated the same way for each.
pub struct FuzzRun {
    /// Seconds the loop runs.
    pub secs: u64,
    /// Seed of its random choices.
    pub seed: u64,
}

impl FuzzRun {
    /// The settings from the environment, or the defaults.
    pub fn from_env() -> FuzzRun {
        let var = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(default)
        };
        FuzzRun {
            secs: var("ENVKB_FUZZ_SECS", 60),
            seed: var("ENVKB_FUZZ_SEED", 1),
        }
    }
}
