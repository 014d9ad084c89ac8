//! Generative answers end to end with a real small model (SmolLM2-135M-Instruct, GGUF,
//! from models/fetch.sh): `envkb ask --generate --llm-gguf` on the shipped corpus, then
//! the same question through `envkb ask --generate --llm-url` against a real
//! `envkb serve --llm-gguf` on loopback (envkb's own OpenAI-compatible endpoint, no mock),
//! and the endpoint itself, streamed and not. Answer quality is not judged; every marker
//! must map to a citation whose quote is the stored chunk text at its offsets.
//! Replies are kept short (max_tokens) so a debug build finishes quickly.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use envkb::answer::citation;
use envkb::engine::Engine;
use serde_json::Value;

use super::serve_util::{self, agent, read, READER};
use super::util::*;

const QUESTIONS: [&str; 2] = [
    "When must the energy baseline be revised under ISO 50001?",
    "ماده ۶ بند د قانون حفاظت و بهسازی محیط زیست چه می‌گوید؟",
];
const MAX_TOKENS: &str = "40";
/// candle's worker threads spin while they wait for each other, which costs far more than
/// it gains on a busy machine with a 135M model; one thread keeps the test's time steady.
const CANDLE_THREADS: (&str, &str) = ("CANDLE_NUM_THREADS", "1");

fn gguf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/SmolLM2-135M-Instruct.Q4_1.gguf")
}

/// The shipped corpus indexed without the embedding model (fast in a debug build);
/// evidence and the support check then go by word overlap.
fn corpus_index(dir: &Path) {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    json(
        dir,
        &["--no-model", "index", corpus.to_str().unwrap(), "--json"],
    );
}

/// `envkb ask --generate --json` with `llm` flags; the parsed answer.
fn ask_generate(index: &Path, question: &str, llm: &[&str]) -> Value {
    let mut args = vec![
        "--no-model",
        "ask",
        "--generate",
        "--json",
        "--max-tokens",
        MAX_TOKENS,
        "--evidence",
        "2",
    ];
    args.extend_from_slice(llm);
    args.extend_from_slice(&["--", question]);
    let mut cmd = envkb();
    cmd.arg("--index")
        .arg(index)
        .args(&args)
        .env(CANDLE_THREADS.0, CANDLE_THREADS.1);
    for var in [
        "ENVKB_LLM_URL",
        "ENVKB_LLM_GGUF",
        "ENVKB_LLM_KEY",
        "ENVKB_LLM_MODEL",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{question}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&out)))
}

/// The contract keys (plus `unsupported` when a sentence was left out), every marker a
/// citation, every citation used and its quote the stored chunk text at its offsets.
fn assert_valid(engine: &Engine, question: &str, a: &Value) {
    let keys: HashSet<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
    let contract: HashSet<&str> = ["answer", "abstained", "lang", "citations", "see_also"].into();
    assert!(
        keys == contract || keys == &contract | &["unsupported"].into(),
        "{keys:?}"
    );
    if let Some(u) = a.get("unsupported") {
        assert!(!u.as_array().unwrap().is_empty());
    }
    let citations: Vec<citation::Citation> =
        serde_json::from_value(a["citations"].clone()).unwrap();
    let text = a["answer"].as_str().unwrap();
    let problems = citation::check(text, &citations, |id| {
        engine.index.chunk(id).unwrap().map(|h| h.passage.text)
    });
    assert!(problems.is_empty(), "{question}: {problems:?}\n{a:#}");
    for (_, n) in citation::markers(text) {
        assert!((1..=citations.len()).contains(&n), "{question}: [{n}]");
    }
    assert_eq!(
        a["abstained"], false,
        "{question}: the corpus answers it: {a:#}"
    );
    assert!(!citations.is_empty(), "{question}: {a:#}");
}

#[test]
fn generated_answers_from_the_local_model_and_from_envkbs_own_endpoint_cite_validly() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("index");
    corpus_index(&index);
    let engine = Engine::open(&index, Err("--no-model".into())).unwrap();
    let model = gguf();
    let model = model.to_str().unwrap();

    // (a) The local GGUF model, in process.
    let local: Vec<Value> = QUESTIONS
        .iter()
        .map(|q| {
            let a = ask_generate(&index, q, &["--llm-gguf", model]);
            assert_valid(&engine, q, &a);
            a
        })
        .collect();
    assert_eq!(local[1]["lang"], "fa");

    // (b) The same model behind envkb's own /v1/chat/completions, through the remote client.
    let served = serve_util::start_with_env(
        &index,
        &["--no-model"],
        &["--llm-gguf", model],
        &[CANDLE_THREADS],
    );
    let url = served.url("/v1");
    for (q, local) in QUESTIONS.iter().zip(&local) {
        let a = ask_generate(&index, q, &["--llm-url", &url, "--llm-key", READER]);
        assert_valid(&engine, q, &a);
        // Greedy decoding of the same prompt by the same model: the same answer.
        assert_eq!(a["answer"], local["answer"], "{q}");
    }

    // The endpoint itself: one JSON completion, and a stream of chunks ending in [DONE].
    let body = serde_json::json!({
        "model": "anything",
        "messages": [{"role": "user", "content": "Say hello."}],
        "max_tokens": 8,
        "temperature": 0.7,
    });
    let post = |body: &Value| {
        read(
            agent()
                .post(&served.url("/v1/chat/completions"))
                .header("Authorization", &format!("Bearer {READER}"))
                .header("Content-Type", "application/json")
                .send(body.to_string().as_str()),
        )
    };
    let (status, text) = post(&body);
    assert_eq!(status, 200, "{text}");
    let v = serve_util::json(&text);
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    let whole = v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!whole.is_empty());
    assert!(v["usage"]["completion_tokens"].as_u64().unwrap() <= 8);

    let mut streamed = body.clone();
    streamed["stream"] = true.into();
    let (status, text) = post(&streamed);
    assert_eq!(status, 200, "{text}");
    let events: Vec<&str> = text
        .split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| e.strip_prefix("data: ").unwrap_or_else(|| panic!("{e:?}")))
        .collect();
    assert_eq!(events.last(), Some(&"[DONE]"));
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serve_util::json(e))
        .collect();
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(chunks.last().unwrap()["choices"][0]["finish_reason"].is_string());
    let joined: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(
        joined, whole,
        "streamed and whole replies are the same text"
    );

    // Without a key the endpoint is closed like every read route.
    let (status, _) = read(
        agent()
            .post(&served.url("/v1/chat/completions"))
            .header("Content-Type", "application/json")
            .send(body.to_string().as_str()),
    );
    assert_eq!(status, 401);
}

#[test]
fn generative_mode_misconfigurations_are_one_clear_line_and_exit_2() {
    let ws = Workspace::new();
    let index = ws.index();
    ws.index_kb();
    let free_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = format!("http://127.0.0.1:{free_port}/v1");
    let question = "What must the organization determine about environmental aspects?";
    for (llm, hint) in [
        (vec![], "--generate needs a language model"),
        (vec!["--llm-gguf", "no/such/model.gguf"], "models/fetch.sh"),
        (vec!["--llm-url", "ftp://example.org/v1"], "http://"),
        (vec!["--llm-url", "https://example.org/v1"], "https"),
        (vec!["--llm-url", &unreachable], "cannot reach"),
    ] {
        let mut cmd = envkb();
        cmd.arg("--index")
            .arg(&index)
            .args(["--no-model", "ask", "--generate"])
            .args(&llm)
            .args(["--", question]);
        for var in [
            "ENVKB_LLM_URL",
            "ENVKB_LLM_GGUF",
            "ENVKB_LLM_KEY",
            "ENVKB_LLM_MODEL",
        ] {
            cmd.env_remove(var);
        }
        let out = cmd.output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{llm:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{llm:?}: one line: {err}");
        assert!(err.contains(hint), "{llm:?}: {err}");
        assert!(stdout(&out).is_empty(), "{llm:?}");
    }
}
