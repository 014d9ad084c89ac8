//! `envkb serve` end to end: the real binary on loopback, the real model, a real index on
//! disk. Uploads survive a graceful restart and re-indexing; bad input of every kind gets
//! the right 4xx while the server stays up and the index stays unchanged.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use super::serve_util::{self as su, agent, get, read, upload, Served, ADMIN, EDITOR, READER};
use super::util::{json as cli_json, models_dir, Workspace};

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn search(s: &Served, q: &str, mode: &str) -> serde_json::Value {
    let (st, body) = get(
        s,
        &format!("/api/search?q={}&mode={mode}&explain=true", enc(q)),
        Some(READER),
    );
    assert_eq!(st, 200, "{body}");
    su::json(&body)
}

fn doc_ids(v: &serde_json::Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["doc_id"].as_str().unwrap().to_string())
        .collect()
}

const UPLOAD: &str = "---\ntitle: راهنمای مدیریت پسماند بیمارستانی\ndoc_type: course\nlang: fa\nyear: 2021\n---\n# راهنمای مدیریت پسماند بیمارستانی\n\n## بخش ۱: تفکیک\n\nپسماندهای عفونی بیمارستان باید در مبدأ تفکیک و در کیسه‌های زرد نگهداری شوند.\n\n## بخش ۲: بی‌خطرسازی\n\nپیش از دفع، پسماند عفونی با اتوکلاو بی‌خطر می‌شود و سپس به محل دفن بهداشتی می‌رود.\n";

#[test]
fn serve_searches_uploads_and_keeps_uploads_across_a_graceful_restart() {
    let ws = Workspace::new();
    let models = models_dir();
    let kb = ws.kb();
    let indexed = cli_json(
        &ws.index(),
        &[
            "--model-dir",
            &models,
            "index",
            kb.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(indexed["vectors"].as_u64().unwrap() > 0);
    let s = su::start(&ws.index(), &["--model-dir", &models], &[]);

    let (st, body) = get(&s, "/readyz", None);
    assert_eq!(st, 200, "{body}");
    let ready = su::json(&body);
    assert_eq!(ready["semantic"], true);

    // Hybrid search in Persian: the clause lookup wins, both retrievers contribute.
    let v = search(&s, "ماده ۶ بند د", "hybrid");
    assert_eq!(v["mode"], "hybrid");
    assert!(v.get("warning").is_none(), "{v}");
    assert_eq!(v["hits"][0]["doc_id"], "fa/sample-law");
    assert_eq!(v["hits"][0]["clause"], "د");

    // A cited answer over HTTP, whole and streamed: the stream ends with the same answer.
    let question = r#"{"question": "تهیه معیارهای پایش پساب وظیفه کیست؟"}"#;
    let (st, body) = su::post_json(&s, "/api/ask", Some(READER), question);
    assert_eq!(st, 200, "{body}");
    let answer = su::json(&body);
    assert_eq!(answer["abstained"], false, "{answer}");
    assert_eq!(answer["lang"], "fa");
    assert!(
        answer["answer"].as_str().unwrap().contains("[1]"),
        "{answer}"
    );
    let cited = &answer["citations"][0];
    let (_, chunk) = get(
        &s,
        &format!("/api/chunks/{}", enc(cited["chunk_id"].as_str().unwrap())),
        Some(READER),
    );
    let stored = su::json(&chunk)["text"].as_str().unwrap().to_string();
    let span = cited["start"].as_u64().unwrap() as usize..cited["end"].as_u64().unwrap() as usize;
    assert_eq!(&stored[span], cited["quote"].as_str().unwrap());
    let (st, stream) = su::post_json(&s, "/api/ask/stream", Some(READER), question);
    assert_eq!(st, 200, "{stream}");
    let done = stream
        .split("\n\n")
        .find(|e| e.starts_with("event: done") || e.contains("\nevent: done"))
        .and_then(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
        .map(su::json)
        .unwrap_or_else(|| panic!("no done event in {stream}"));
    assert_eq!(done["answer"], answer);

    // An editor uploads; the document is searchable lexically and semantically at once.
    let (st, body) = upload(&s, EDITOR, "pasmand-bimarestani.md", UPLOAD.as_bytes());
    assert_eq!(st, 201, "{body}");
    let up = su::json(&body);
    assert_eq!(up["doc_id"], "pasmand-bimarestani");
    assert!(up["embedded"].as_u64().unwrap() >= 1, "{up}");
    let v = search(&s, "پسماند عفونی بیمارستان", "lexical");
    assert_eq!(doc_ids(&v)[0], "pasmand-bimarestani");
    let v = search(&s, "بی‌خطرسازی زباله‌های بیمارستان با اتوکلاو", "semantic");
    assert_eq!(v["mode"], "semantic");
    assert!(
        doc_ids(&v).contains(&"pasmand-bimarestani".to_string()),
        "{v}"
    );

    // ... and answerable at once.
    let (st, body) = su::post_json(
        &s,
        "/api/ask",
        Some(READER),
        r#"{"question": "پسماند عفونی بیمارستان چگونه بی‌خطر می‌شود؟"}"#,
    );
    assert_eq!(st, 200, "{body}");
    let answer = su::json(&body);
    assert_eq!(
        answer["citations"][0]["doc_id"], "pasmand-bimarestani",
        "{answer}"
    );

    // A second upload is in flight when SIGTERM arrives: it completes, then the server stops.
    let second = "# Energy review checklist\n\n## Step 1\n\nList the significant energy uses of the plant and their drivers.\n\n## Step 2\n\nSet an energy baseline and energy performance indicators.\n";
    let uploads_dir = ws.index().join("uploads");
    let base = s.base.clone();
    let in_flight = std::thread::spawn(move || {
        let (ct, body) = su::multipart("energy-review.md", second.as_bytes());
        read(
            agent()
                .post(&format!("{base}/api/documents"))
                .header("Authorization", &format!("Bearer {EDITOR}"))
                .header("Content-Type", &ct)
                .send(&body[..]),
        )
    });
    wait_for(&uploads_dir.join("energy-review.md"));
    let status = s.terminate();
    let (st, body) = in_flight.join().unwrap();
    assert_eq!(st, 201, "the upload in flight finished: {body}");
    assert!(status.success(), "graceful exit: {status:?}");

    // Re-indexing the knowledge-base folder keeps the uploads.
    let again = cli_json(
        &ws.index(),
        &[
            "--model-dir",
            &models,
            "index",
            kb.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(again["removed"], 0, "{again}");

    let s = su::start(&ws.index(), &["--model-dir", &models], &[]);
    let (_, body) = get(&s, "/api/documents", Some(READER));
    let list = su::json(&body);
    let uploaded: Vec<&str> = list["documents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["uploaded"] == true)
        .map(|d| d["doc_id"].as_str().unwrap())
        .collect();
    assert_eq!(uploaded, ["energy-review", "pasmand-bimarestani"]);
    let v = search(&s, "energy baseline indicators", "hybrid");
    assert_eq!(doc_ids(&v)[0], "energy-review");

    // Delete: editors may remove uploads, only admins documents from the folders.
    let del = |id: &str, key: &str| {
        read(
            agent()
                .delete(&s.url(&format!("/api/documents/{id}")))
                .header("Authorization", &format!("Bearer {key}"))
                .call(),
        )
    };
    assert_eq!(del("pasmand-bimarestani", EDITOR).0, 200);
    assert!(!uploads_dir.join("pasmand-bimarestani.md").exists());
    assert_eq!(del("fa/note", EDITOR).0, 403);
    assert_eq!(del("fa/note", ADMIN).0, 200);
    let v = search(&s, "پسماند عفونی بیمارستان", "hybrid");
    assert!(!doc_ids(&v).contains(&"pasmand-bimarestani".to_string()));
}

fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Every file in the index folder with its size: any change to the index shows here.
fn snapshot(dir: &Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for e in walk(dir) {
        let rel = e.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
        out.insert(rel, std::fs::metadata(&e).unwrap().len());
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn bad_input_gets_the_right_4xx_and_changes_nothing() {
    let ws = Workspace::new();
    ws.index_kb();
    let s = su::start(
        &ws.index(),
        &["--no-model"],
        &["--upload-limit-mb", "1", "--body-limit-kb", "16"],
    );
    // Let the startup write (uploads/ folder) settle before the snapshot.
    assert_eq!(get(&s, "/healthz", None).0, 200);
    let before = snapshot(&ws.index());
    let auth = format!("Bearer {READER}");
    let post_json = |path: &str, ct: &str, body: &[u8]| {
        read(
            agent()
                .post(&s.url(path))
                .header("Authorization", &auth)
                .header("Content-Type", ct)
                .send(body),
        )
    };
    let big_json = format!("{{\"input\": \"{}\"}}", "x".repeat(64 * 1024));
    let cases: Vec<(&str, (u16, String), u16)> = vec![
        (
            "malformed JSON",
            post_json("/v1/embeddings", "application/json", b"{\"input\": [\"a\""),
            400,
        ),
        (
            "not JSON at all",
            post_json("/v1/embeddings", "application/json", b"input=a"),
            400,
        ),
        (
            "wrong type",
            post_json(
                "/v1/embeddings",
                "application/json",
                b"{\"input\": {\"a\": 1}}",
            ),
            422,
        ),
        (
            "unknown field",
            post_json(
                "/v1/embeddings",
                "application/json",
                b"{\"input\": \"a\", \"temperature\": 1}",
            ),
            422,
        ),
        (
            "invalid UTF-8 body",
            post_json(
                "/v1/embeddings",
                "application/json",
                b"{\"input\": \"\xc3\x28\"}",
            ),
            400,
        ),
        (
            "wrong content type",
            post_json("/v1/embeddings", "text/plain", b"{\"input\": \"a\"}"),
            415,
        ),
        (
            "huge JSON body",
            post_json("/v1/embeddings", "application/json", big_json.as_bytes()),
            413,
        ),
        (
            "invalid UTF-8 query",
            get(&s, "/api/search?q=%C3%28", Some(READER)),
            400,
        ),
        (
            "bad percent escape",
            get(&s, "/api/search?q=%Z1", Some(READER)),
            400,
        ),
        (
            "query too long",
            get(
                &s,
                &format!("/api/search?q={}", "a%20".repeat(1200)),
                Some(READER),
            ),
            400,
        ),
        (
            "bad filter",
            get(&s, "/api/search?q=air&filter=year=soon", Some(READER)),
            400,
        ),
        (
            "traversal in doc id",
            get(
                &s,
                "/api/documents/..%2F..%2F..%2Fetc%2Fpasswd",
                Some(READER),
            ),
            400,
        ),
        (
            "dot segments in doc id",
            get(&s, "/api/documents/fa/%2e%2e/%2e%2e/Cargo", Some(READER)),
            400,
        ),
        (
            "absolute doc id",
            get(&s, "/api/documents/%2Fetc%2Fpasswd", Some(READER)),
            400,
        ),
        (
            "traversal in chunk id",
            get(&s, "/api/chunks/..%2Fsecret%230", Some(READER)),
            400,
        ),
        (
            "NUL in doc id",
            get(&s, "/api/documents/fa%00note", Some(READER)),
            400,
        ),
        (
            "unknown document",
            get(&s, "/api/documents/fa/nothing", Some(READER)),
            404,
        ),
        ("missing key", get(&s, "/api/search?q=air", None), 401),
        (
            "invalid key",
            get(&s, "/api/search?q=air", Some("this-key-was-never-issued")),
            401,
        ),
        (
            "reader uploads",
            upload(&s, READER, "x.md", b"# x\n\ntext"),
            403,
        ),
        (
            "no key uploads",
            read(agent().post(&s.url("/api/documents")).send(&b"x"[..])),
            401,
        ),
        (
            "traversal in file name",
            upload(&s, EDITOR, "../../../tmp/evil.md", b"# x\n\ntext"),
            400,
        ),
        (
            "binary upload",
            upload(&s, EDITOR, "blob.txt", b"\x00\x01\x02\x03"),
            422,
        ),
        (
            "Latin-1 upload",
            upload(&s, EDITOR, "latin.txt", b"d\xe9chets"),
            422,
        ),
        (
            "unsupported type",
            upload(&s, EDITOR, "run.sh", b"#!/bin/sh\n"),
            415,
        ),
        (
            "huge upload",
            {
                // Refused before it is all read: a client may see a broken pipe, so the
                // answer is read from a raw socket.
                let (ct, body) = su::multipart("huge.txt", &vec![b'a'; 2 * 1024 * 1024]);
                let head = format!(
                    "POST /api/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {EDITOR}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                su::early_answer(&s, &head, &body)
            },
            413,
        ),
        (
            "reader deletes",
            read(
                agent()
                    .delete(&s.url("/api/documents/fa/note"))
                    .header("Authorization", &auth)
                    .call(),
            ),
            403,
        ),
        (
            "editor deletes a folder document",
            read(
                agent()
                    .delete(&s.url("/api/documents/fa/note"))
                    .header("Authorization", &format!("Bearer {EDITOR}"))
                    .call(),
            ),
            403,
        ),
        (
            "delete with traversal",
            read(
                agent()
                    .delete(&s.url("/api/documents/..%2F..%2Fx"))
                    .header("Authorization", &format!("Bearer {ADMIN}"))
                    .call(),
            ),
            400,
        ),
    ];
    for (what, (status, body), expected) in cases {
        assert_eq!(status, expected, "{what}: {body}");
        let v = su::json(&body);
        assert!(
            v["error"].is_string() && v["message"].is_string(),
            "{what}: {body}"
        );
        assert!(
            !body.contains(ws.dir.path().to_str().unwrap()),
            "{what} leaks a path: {body}"
        );
        assert_eq!(get(&s, "/healthz", None).0, 200, "still up after {what}");
    }
    // Bytes no client library sends: raw non-UTF-8 in the request line, broken framing.
    let raw = [
        &b"GET /api/search?q=\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"[..],
        &b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\nConnection: close\r\n\r\n"[..],
        &b"GARBAGE\r\n\r\n"[..],
    ];
    for req in raw {
        let st = su::raw_status(&s, req);
        assert!(
            (400..500).contains(&st),
            "{:?}: {st}",
            String::from_utf8_lossy(req)
        );
        assert_eq!(get(&s, "/healthz", None).0, 200);
    }
    assert_eq!(snapshot(&ws.index()), before, "the index is unchanged");
    let (st, body) = get(
        &s,
        "/api/search?q=%D9%BE%D8%B3%D8%A7%D8%A8&mode=lexical",
        Some(READER),
    );
    assert_eq!(st, 200, "{body}");
    assert!(!su::json(&body)["hits"].as_array().unwrap().is_empty());
}
