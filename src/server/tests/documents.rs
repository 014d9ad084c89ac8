//! Router tests: documents and passages.

use super::*;

#[tokio::test]
async fn documents_list_read_and_passages() {
    let s = server(Options::default());
    let v = s.get("/api/documents", Some(READER)).await.json();
    let ids: Vec<&str> = v["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["doc_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"fa/sample-law") && ids.contains(&"en/sample-iso"),
        "{ids:?}"
    );
    assert_eq!(v["documents"][0]["uploaded"], false);

    let d = s.get("/api/documents/fa/sample-law", Some(READER)).await;
    assert_eq!(d.status, StatusCode::OK);
    let d = d.json();
    assert_eq!(d["document"]["doc_type"], "law");
    let chunks = d["chunks"].as_array().unwrap();
    assert_eq!(
        chunks.len() as u64,
        d["document"]["chunks"].as_u64().unwrap()
    );
    assert_eq!(chunks[0]["chunk_id"], "fa/sample-law#0");

    let c = s.get("/api/chunks/fa/sample-law%231", Some(READER)).await;
    assert_eq!(c.status, StatusCode::OK);
    let c = c.json();
    assert_eq!(c["chunk_id"], "fa/sample-law#1");
    assert!(!c["text"].as_str().unwrap().is_empty());

    s.get("/api/documents/fa/missing", Some(READER))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    s.get("/api/chunks/fa/sample-law%23999", Some(READER))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    for uri in [
        "/api/documents/..%2F..%2Fetc%2Fpasswd",
        "/api/documents/fa/%2E%2E/%2E%2E/secret",
        "/api/documents/%2Fetc%2Fpasswd",
        "/api/documents/a%00b",
        "/api/chunks/fa/sample-law",
        "/api/chunks/..%2Fx%231",
        "/api/documents/%FF%FE",
    ] {
        s.get(uri, Some(READER))
            .await
            .error(StatusCode::BAD_REQUEST, "bad_request");
    }
}

#[tokio::test]
async fn an_editor_uploads_replaces_and_deletes_and_readers_see_it() {
    let s = server(Options::default());
    let doc = "---\ntitle: دستورالعمل پایش پسماند\ndoc_type: policy\nlang: fa\nyear: 2020\n---\n# دستورالعمل پایش پسماند\n\n## ماده ۱\n\nپسماند ویژه باید جداگانه جمع‌آوری و ثبت شود.\n";
    // Readers may not write.
    s.upload(Some(READER), "pasmand.md", doc.as_bytes())
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    let r = s.upload(Some(EDITOR), "pasmand.md", doc.as_bytes()).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let v = r.json();
    assert_eq!(v["doc_id"], "pasmand");
    assert_eq!(v["replaced"], false);
    assert!(v["chunks"].as_u64().unwrap() >= 1);
    assert!(s.dir.path().join("index/uploads/pasmand.md").is_file());
    // Readers see it at once (the engine was swapped).
    let hits = s
        .get(
            &format!("/api/search?q={}&mode=lexical", q("پسماند ویژه")),
            Some(READER),
        )
        .await
        .json();
    assert_eq!(hits["hits"][0]["doc_id"], "pasmand");
    let list = s.get("/api/documents", Some(READER)).await.json();
    let mine = list["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["doc_id"] == "pasmand")
        .unwrap()
        .clone();
    assert_eq!(mine["uploaded"], true);
    assert_eq!(mine["year"], 2020);

    // The same name again replaces it.
    let r = s
        .upload(
            Some(EDITOR),
            "pasmand.md",
            "# Waste\n\nHazardous waste is logged.\n".as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["replaced"], true);
    let hits = s
        .get(
            &format!("/api/search?q={}&mode=lexical", q("پسماند ویژه")),
            Some(READER),
        )
        .await
        .json();
    assert!(hits["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["doc_id"] != "pasmand"));

    // Editors delete uploads; the file goes too.
    s.delete("pasmand", Some(READER))
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    let r = s.delete("pasmand", Some(EDITOR)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["file_removed"], true);
    assert!(!s.dir.path().join("index/uploads/pasmand.md").exists());
    s.get("/api/documents/pasmand", Some(READER))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    s.delete("pasmand", Some(EDITOR))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn documents_from_indexed_folders_need_an_admin_to_delete() {
    let s = server(Options::default());
    let m = s
        .delete("fa/note", Some(EDITOR))
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    assert!(m.contains("admin"), "{m}");
    let r = s.delete("fa/note", Some(ADMIN)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["file_removed"], false);
    assert!(
        fixtures().join("fa/note.txt").exists(),
        "source files are left alone"
    );
    assert!(!s.committed().1.contains(&"fa/note".to_string()));
    s.delete("..%2F..%2Fetc", Some(ADMIN))
        .await
        .error(StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn bad_uploads_are_refused_and_leave_the_index_as_it_was() {
    let s = server(Options {
        limits: Limits {
            upload_bytes: 4096,
            ..Limits::default()
        },
        ..Options::default()
    });
    let before = s.committed();
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "tool.exe",
            b"MZ\x90\x00".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "blob.md",
            b"abc\x00\x01\x02".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "latin1.txt",
            b"caf\xe9 \xe0 la carte".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "empty.txt",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "bad-front.md",
            b"---\ntitle: [unclosed\n---\nbody\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "../../escape.md",
            b"# x\n\ntext".to_vec(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            ".hidden.md",
            b"# x\n\ntext".to_vec(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "glossary.md",
            b"# Glossary\n\nanother text".to_vec(),
            StatusCode::CONFLICT,
            "conflict",
        ),
        (
            "huge.txt",
            vec![b'a'; 64 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
    ];
    for (name, bytes, status, code) in cases {
        let r = s.upload(Some(EDITOR), name, &bytes).await;
        let m = r.error(status, code);
        assert!(
            !m.contains(s.dir.path().to_str().unwrap()),
            "no server paths: {m}"
        );
    }
    // Not multipart at all, and multipart without a file part.
    s.post_json("/api/documents", Some(EDITOR), "{}")
        .await
        .error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let r = s
        .send(
            Request::post("/api/documents")
                .header(header::AUTHORIZATION, format!("Bearer {EDITOR}"))
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
                .body(Body::from(
                    "--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--B--\r\n",
                ))
                .unwrap(),
        )
        .await;
    r.error(StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(s.committed(), before, "the index is unchanged");
    let uploads: Vec<_> = std::fs::read_dir(s.dir.path().join("index/uploads"))
        .unwrap()
        .collect();
    assert!(uploads.is_empty(), "nothing left in uploads/: {uploads:?}");
    // And the server still answers.
    assert_eq!(s.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn scanned_uploads_are_read_by_ocr_unless_the_upload_says_never() {
    let s = server(Options::default());
    let scan = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/scans/en-rule-150-noisy.pdf"),
    )
    .unwrap();
    s.upload_to(
        "/api/documents?ocr=sometimes",
        Some(EDITOR),
        "rule.pdf",
        &scan,
    )
    .await
    .error(StatusCode::BAD_REQUEST, "bad_request");
    s.upload_to("/api/documents?ocr=never", Some(EDITOR), "rule.pdf", &scan)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let r = s
        .upload_to("/api/documents?ocr=auto", Some(EDITOR), "rule.pdf", &scan)
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let v = r.json();
    assert!(v["chunks"].as_u64().unwrap() > 0, "{v}");
    assert!(v.get("pages_skipped").is_none(), "{v}");
    assert!(s.committed().1.contains(&"rule".to_string()));
}
