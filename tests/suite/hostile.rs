//! Hostile input against a real `envkb serve` on loopback (and the real `envkb index`):
//! every test builds the hostile file or request itself, checks that it is refused with a
//! reason (or read safely), and then that the server still answers a normal search.
//! Memory is asserted from the server process's own peak RSS in /proc.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::serve_util::{self as su, Served, EDITOR, READER};
use super::util::*;

/// A search any fixture index answers with hits: the server is alive and well.
fn assert_serves(s: &Served) {
    let (st, body) = su::get(
        s,
        "/api/search?q=environmental%20aspects&mode=lexical",
        Some(READER),
    );
    assert_eq!(st, 200, "the server stopped answering searches: {body}");
    let v = su::json(&body);
    assert!(
        !v["hits"].as_array().unwrap().is_empty(),
        "no hits after a hostile request: {body}"
    );
}

/// A lexical index of the fixtures and a server over it (no model: these tests are about
/// input handling, and start in about a second).
fn indexed_server(serve_args: &[&str]) -> (Workspace, Served) {
    let ws = Workspace::new();
    ws.index_kb();
    let s = su::start(&ws.index(), &["--no-model"], serve_args);
    (ws, s)
}

/// A PDF file of `objects` (numbered from 1, the first the catalog) with a correct
/// cross-reference table.
pub fn assemble(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A PDF with one page whose objects are `extra` (numbered from 4) and whose content
/// stream is `content`, with a correct cross-reference table.
fn pdf(page_extra: &str, content: &[u8], extra: &[Vec<u8>]) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> {page_extra} >>"
        )
        .into_bytes(),
    ];
    let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    stream.extend_from_slice(content);
    stream.extend_from_slice(b"\nendstream");
    objects.push(stream);
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec());
    objects.extend(extra.iter().cloned());
    assemble(&objects)
}

const TEXT: &[u8] = b"BT /F1 12 Tf 72 700 Td (Boiler emissions are measured every month.) Tj ET";

fn nested_pdf(levels: usize) -> Vec<u8> {
    let nest = format!("/Hostile {}{}", "[".repeat(levels), "]".repeat(levels));
    pdf(&nest, TEXT, &[])
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Zlib of `prefix` then `fill` up to `n` bytes, made a megabyte at a time so the test
/// itself stays small.
fn zlib_stream(prefix: &[u8], fill: u8, n: usize) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(prefix).unwrap();
    let block = vec![fill; 1 << 20];
    let mut left = n - prefix.len();
    while left > 0 {
        let k = left.min(block.len());
        e.write_all(&block[..k]).unwrap();
        left -= k;
    }
    e.finish().unwrap()
}

/// Peak resident memory of a process, in bytes (VmHWM from /proc).
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmHWM in /proc status");
    kb * 1024
}

#[test]
fn deeply_nested_pdfs_are_refused_by_the_server_and_by_index() {
    let (ws, s) = indexed_server(&[]);
    // 1,000 levels overflowed the writer thread's 2 MiB stack and aborted the server.
    let file = nested_pdf(1_000);
    assert!(file.len() < 4096, "a small file: {} bytes", file.len());
    let (st, body) = su::upload(&s, EDITOR, "nested.pdf", &file);
    assert_eq!(st, 422, "{body}");
    assert!(su::json(&body)["message"]
        .as_str()
        .unwrap()
        .contains("nested more than"));
    // The same depth inside the page's content stream.
    let deep_content = format!("BT {} TJ ET", "[".repeat(5_000));
    let (st, body) = su::upload(
        &s,
        EDITOR,
        "content.pdf",
        &pdf("", deep_content.as_bytes(), &[]),
    );
    assert_eq!(st, 422, "{body}");
    assert_serves(&s);
    // A shallow PDF of the same layout is accepted: the limit does not refuse real files.
    let (st, body) = su::upload(&s, EDITOR, "fine.pdf", &nested_pdf(3));
    assert_eq!(st, 201, "{body}");

    // `envkb index` aborted at 10,000 levels (the main thread's 8 MiB stack).
    let folder = ws.dir.path().join("pdfs");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("deep.pdf"), nested_pdf(10_000)).unwrap();
    std::fs::write(folder.join("fine.pdf"), nested_pdf(2)).unwrap();
    let other = ws.dir.path().join("other-index");
    let o = run(
        &other,
        &["--no-model", "index", folder.to_str().unwrap(), "--json"],
    );
    assert!(o.status.success(), "index failed: {}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let skipped = report["skipped"].to_string();
    assert!(
        skipped.contains("deep.pdf") && skipped.contains("nested"),
        "{report}"
    );
    assert_eq!(report["indexed"], 1, "{report}");
}

#[test]
fn deeply_nested_html_is_refused_at_once_and_shallow_nesting_is_indexed() {
    let (_ws, s) = indexed_server(&[]);
    let page = |depth: usize| {
        format!(
            "<html><head><title>Nested</title></head><body>{}<p>Quarantined lagoon sediment.</p>{}</body></html>",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        )
    };
    // 20,000 levels once overflowed the stack of the recursive text walk; the HTML
    // parser's scope checks then made it cost the square of the depth (8 MiB of them: most
    // of an hour of the writer). Refused before parsing, in well under a second.
    let started = Instant::now();
    let (st, body) = su::upload(&s, EDITOR, "deep.html", page(20_000).as_bytes());
    assert_eq!(st, 422, "{body}");
    assert!(
        su::json(&body)["message"]
            .as_str()
            .unwrap()
            .contains("nested more than 1000 levels"),
        "{body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // A page nested deeper than any real one, within the limit, is indexed.
    let (st, body) = su::upload(&s, EDITOR, "nested.html", page(900).as_bytes());
    assert_eq!(st, 201, "{body}");
    let (st, body) = su::get(
        &s,
        "/api/search?q=lagoon%20sediment&mode=lexical",
        Some(READER),
    );
    assert_eq!(st, 200, "{body}");
    assert_eq!(su::json(&body)["hits"][0]["doc_id"], "nested");
    assert_serves(&s);
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn an_index_missing_meta_json_is_refused_and_left_as_it_was() {
    let ws = Workspace::new();
    ws.index_kb();
    let index = ws.index();
    std::fs::remove_file(index.join("meta.json")).unwrap();
    let before = files_in(&index);
    // `serve` used to start empty over it, and the first upload deleted the segments.
    let o = run(
        &index,
        &[
            "--no-model",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--open-read",
        ],
    );
    assert!(!o.status.success(), "serve started over a damaged index");
    let err = stderr(&o);
    assert!(err.contains("meta.json is missing"), "{err}");
    assert!(!err.contains("starting with an empty one"), "{err}");
    // `index` refuses too, and neither touched a file.
    let o = run(&index, &["--no-model", "index", ws.kb().to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("meta.json is missing"),
        "{}",
        stderr(&o)
    );
    assert_eq!(files_in(&index), before);
    // A folder of unrelated files is not made into an index either.
    let foreign = ws.dir.path().join("home");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("letter.txt"), "personal").unwrap();
    let o = run(
        &foreign,
        &["--no-model", "index", ws.kb().to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not an envkb index"), "{}", stderr(&o));
    assert_eq!(files_in(&foreign), ["letter.txt"]);
    // An empty folder is still where a new index starts.
    let empty = ws.dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let s = su::start(&empty, &["--no-model"], &[]);
    let (st, body) = su::get(&s, "/readyz", None);
    assert_eq!(st, 200, "{body}");
}

/// Flips one byte in the middle of the largest file with `ext` in `index`.
fn damage(index: &Path, ext: &str) -> String {
    let victim: PathBuf = std::fs::read_dir(index)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap_or_else(|| panic!("no .{ext} file in the index"));
    let mut bytes = std::fs::read(&victim).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x5a;
    std::fs::write(&victim, bytes).unwrap();
    victim.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn damaged_segment_files_are_refused_at_start_with_their_name() {
    for ext in ["store", "idx", "term"] {
        let ws = Workspace::new();
        ws.index_kb();
        let name = damage(&ws.index(), ext);
        let o = run(
            &ws.index(),
            &[
                "--no-model",
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--open-read",
            ],
        );
        assert!(!o.status.success(), "serve started over a damaged .{ext}");
        let err = stderr(&o);
        assert!(
            err.contains("checksum mismatch") && err.contains(&name),
            "{ext}: {err}"
        );
    }
}

#[test]
fn envkb_check_passes_a_sound_index_and_names_the_damaged_file() {
    let ws = Workspace::new();
    ws.index_kb_with_model();
    let report = json(&ws.index(), &["check", "--json"]);
    assert_eq!(report["ok"], true, "{report}");
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["manifest", "segments", "vectors", "sentences"]);
    let text = stdout(&run(&ws.index(), &["check"]));
    assert_eq!(
        text.lines().filter(|l| l.starts_with("ok  ")).count(),
        4,
        "{text}"
    );
    // The vector file first: a damaged segment file stops the check before the vectors.
    for ext in ["bin", "store"] {
        let name = damage(&ws.index(), ext);
        let o = run(&ws.index(), &["check"]);
        assert!(!o.status.success(), "check passed a damaged .{ext}");
        let err = stderr(&o);
        assert!(
            err.contains(&name) && err.lines().count() <= 3,
            "{ext}: {err}"
        );
    }
}

#[test]
fn uploads_left_by_a_killed_server_are_cleaned_at_start_and_reported() {
    let ws = Workspace::new();
    ws.index_kb();
    let log = ws.dir.path().join("serve.log");
    let s = su::start(&ws.index(), &["--no-model"], &[]);
    let (st, body) = su::upload(&s, EDITOR, "kept.md", b"# Kept\n\nWetland buffer strips.\n");
    assert_eq!(st, 201, "{body}");
    drop(s); // SIGKILL
             // What a kill during an upload leaves: a stored file the index never committed, and a
             // half-written one.
    let uploads = ws.index().join("uploads");
    std::fs::write(uploads.join("orphan.md"), "# Orphan\n\nNever committed.\n").unwrap();
    std::fs::write(uploads.join(".incoming-half.md"), "# Ha").unwrap();
    let s = su::start_logged(&ws.index(), &["--no-model"], &[], &log);
    assert_serves(&s);
    assert_eq!(files_in(&uploads), ["kept.md"]);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("orphan.md") && logged.contains("half.md"),
        "{logged}"
    );
    // The same name uploaded again is new, not a replacement.
    let (st, body) = su::upload(&s, EDITOR, "orphan.md", b"# Orphan\n\nNow committed.\n");
    assert_eq!(st, 201, "{body}");
    assert_eq!(su::json(&body)["replaced"], false, "{body}");
}

#[test]
fn damaged_vectors_warn_without_paths_and_pause_uploads() {
    let ws = Workspace::new();
    let models = models_dir();
    ws.index_kb_with_model();
    // The chunk vectors (the sentence vectors are the larger .bin; see sentence_vectors.rs).
    let vectors = std::fs::read_dir(ws.index())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("vectors-")
        })
        .unwrap();
    let mut bytes = std::fs::read(&vectors).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x5a;
    std::fs::write(&vectors, bytes).unwrap();
    let s = su::start(&ws.index(), &["--model-dir", &models], &[]);
    let (st, body) = su::get(&s, "/api/search?q=environmental%20aspects", Some(READER));
    assert_eq!(st, 200, "{body}");
    let v = su::json(&body);
    let warning = v["warning"].as_str().expect("a fallback warning");
    assert!(warning.contains("vectors-"), "{warning}");
    let dir = ws.dir.path().to_string_lossy().into_owned();
    assert!(
        !warning.contains(&dir) && !warning.contains('/'),
        "{warning}"
    );
    let (st, body) = su::upload(&s, EDITOR, "new.md", b"# New\n\nText.\n");
    assert_eq!(st, 503, "{body}");
    assert!(body.contains("vectors file"), "{body}");
    assert_serves(&s);
}

fn assert_json_error(status: u16, body: &str, code: &str) {
    let v: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {body:?}"));
    assert_eq!(v["error"], code, "{status}: {body}");
    assert!(!v["message"].as_str().unwrap().is_empty());
}

#[test]
fn every_error_is_json_and_api_answers_are_not_cached() {
    let (_ws, s) = indexed_server(&[]);
    // Over hyper's own 64 KB limit, over ours (16 KB), and 600, 300 and 80 headers.
    for len in [70_000, 20_000] {
        let head = format!(
            "GET /api/search?q={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "a".repeat(len)
        );
        let (st, _, body, _) = su::exchange(&s, &head, b"");
        assert_eq!(st, 414);
        assert_json_error(st, &body, "uri_too_long");
    }
    for n in [600, 300, 80] {
        let mut head = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
        for i in 0..n {
            head.push_str(&format!("X-Filler-{i}: v\r\n"));
        }
        head.push_str("\r\n");
        let (st, _, body, _) = su::exchange(&s, &head, b"");
        assert_eq!(st, 431, "{n} headers");
        assert_json_error(st, &body, "headers_too_large");
    }
    let (st, _, body, _) = su::exchange(&s, "GARBAGE\r\n\r\n", b"");
    assert_eq!(st, 400);
    assert_json_error(st, &body, "bad_request");
    // API answers, errors included, are never cached; the page may be.
    for path in [
        "/api/search?q=aspects",
        "/api/documents",
        "/healthz",
        "/nope",
    ] {
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {READER}\r\nConnection: close\r\n\r\n"
        );
        let (_, headers, _, _) = su::exchange(&s, &head, b"");
        assert!(
            headers.contains("cache-control: no-store"),
            "{path}: {headers}"
        );
    }
    // Names that reorder themselves on screen are refused.
    for name in ["invoice\u{202E}fdp.md", "\u{2066}notes.md"] {
        let (st, body) = su::upload(&s, EDITOR, name, b"# x\n\ntext\n");
        assert_eq!(st, 400, "{name:?}: {body}");
    }
    assert_serves(&s);
}

#[test]
fn slow_idle_and_excess_connections_are_closed() {
    let (_ws, s) = indexed_server(&["--header-timeout-secs", "2", "--max-connections", "8"]);
    // Idle: nothing sent. Slow: a header byte every 300 ms. Both closed at about 2 s.
    let idle = {
        let addr = s.host_port();
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut c = TcpStream::connect(addr).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let mut buf = [0u8; 64];
            let _ = c.read(&mut buf);
            started.elapsed()
        })
    };
    let slow = {
        let addr = s.host_port();
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut c = TcpStream::connect(addr).unwrap();
            for b in b"GET /api/search?q=aspects HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
                if c.write_all(&[*b]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(300));
                if started.elapsed() > Duration::from_secs(30) {
                    break;
                }
            }
            started.elapsed()
        })
    };
    let idle = idle.join().unwrap();
    let slow = slow.join().unwrap();
    assert!(
        idle < Duration::from_secs(6),
        "idle connection kept {idle:?}"
    );
    assert!(slow < Duration::from_secs(8), "slow headers kept {slow:?}");
    // Over the cap: the ninth connection gets a JSON 503 while eight are held open.
    let held: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(s.host_port()).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let (st, _, body, _) = su::exchange(&s, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", b"");
    assert_eq!(st, 503, "{body}");
    assert_json_error(st, &body, "unavailable");
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    assert_serves(&s);
}

#[test]
fn huge_declared_bodies_are_refused_at_once_and_stalled_ones_time_out() {
    let (_ws, s) = indexed_server(&["--body-idle-secs", "2"]);
    for (path, ctype) in [
        ("/api/ask", "application/json"),
        ("/api/documents", "multipart/form-data; boundary=x"),
        ("/api/exercises", "application/json"),
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {EDITOR}\r\nContent-Type: {ctype}\r\nContent-Length: 10000000000\r\n\r\n"
        );
        let (st, _, body, took) = su::exchange(&s, &head, b"{\"question\":");
        assert_eq!(st, 413, "{path}: {body}");
        assert_json_error(st, &body, "too_large");
        assert!(took < Duration::from_secs(3), "{path} took {took:?}");
    }
    // A body that stops half way is answered 408 after the idle limit, not the 30 s
    // (or, for writes, 600 s) request timeout.
    for (path, ctype) in [
        ("/api/ask", "application/json"),
        ("/api/documents", "multipart/form-data; boundary=x"),
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {EDITOR}\r\nContent-Type: {ctype}\r\nContent-Length: 1000\r\n\r\n"
        );
        let mut stream = TcpStream::connect(s.host_port()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let started = Instant::now();
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(b"--x\r\n{\"q").unwrap();
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf);
        let took = started.elapsed();
        let text = String::from_utf8_lossy(&buf);
        assert!(text.starts_with("HTTP/1.1 408"), "{path}: {text}");
        assert!(took < Duration::from_secs(8), "{path} took {took:?}");
    }
    assert_serves(&s);
}

#[test]
fn decompression_bombs_are_refused_within_a_bounded_memory() {
    let (_ws, s) = indexed_server(&[]);
    let base = peak_rss(s.pid());
    // FlateDecode applied twice: 2 KB that inflate to 1 GB.
    let double = pdf_with_contents(&zlib(&zlib_stream(b"", b' ', 1 << 30)));
    assert!(double.len() < 64 * 1024, "{} bytes", double.len());
    let (st, body) = su::upload(&s, EDITOR, "double.pdf", &double);
    assert_eq!(st, 413, "{body}");
    assert!(body.contains("inflate"), "{body}");
    // An object stream of 1 MB that inflates to 1 GB, which was accepted.
    let objstm = zlib_stream(b"7 0 ", b' ', 1 << 30);
    let mut stream = format!(
        "<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n",
        objstm.len()
    )
    .into_bytes();
    stream.extend_from_slice(&objstm);
    stream.extend_from_slice(b"\nendstream");
    let (st, body) = su::upload(&s, EDITOR, "objstm.pdf", &pdf("", TEXT, &[stream]));
    assert_eq!(st, 413, "{body}");
    // A DOCX of 40 million empty elements.
    let docx = {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("word/document.xml", opts).unwrap();
        zip.write_all(b"<?xml version=\"1.0\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>").unwrap();
        let block = "<w:p/>".repeat(100_000);
        for _ in 0..400 {
            zip.write_all(block.as_bytes()).unwrap();
        }
        zip.write_all(b"</w:body></w:document>").unwrap();
        zip.finish().unwrap().into_inner()
    };
    let (st, body) = su::upload(&s, EDITOR, "nodes.docx", &docx);
    assert!(st == 413 || st == 422, "{st}: {body}");
    let grown = peak_rss(s.pid()).saturating_sub(base);
    eprintln!("server peak RSS growth: {} MiB", grown >> 20);
    assert!(
        grown < 400 << 20,
        "the server's peak memory grew by {} MB",
        grown >> 20
    );
    assert_serves(&s);
}

/// A one-page PDF whose content stream is `data` under two FlateDecode filters.
fn pdf_with_contents(data: &[u8]) -> Vec<u8> {
    let mut stream = format!(
        "<< /Length {} /Filter [/FlateDecode /FlateDecode] >>\nstream\n",
        data.len()
    )
    .into_bytes();
    stream.extend_from_slice(data);
    stream.extend_from_slice(b"\nendstream");
    pdf_raw_contents(stream)
}

/// A one-page PDF whose content stream object is exactly `stream` (dictionary and data).
fn pdf_raw_contents(stream: Vec<u8>) -> Vec<u8> {
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
        stream,
    ];
    assemble(&objects)
}

#[test]
fn inputs_that_grow_under_normalization_are_counted_after_it() {
    let (_ws, s) = indexed_server(&[]);
    let base = peak_rss(s.pid());
    // U+FDFA is one character that NFKC turns into 18.
    let ligature = "\u{FDFA}";
    let body = format!("{{\"input\": \"{}\"}}", ligature.repeat(5_000));
    let started = Instant::now();
    let (st, resp) = su::post_json(&s, "/v1/embeddings", Some(READER), &body);
    assert_eq!(st, 422, "{resp}");
    assert!(resp.contains("normalized"), "{resp}");
    let q: String = ligature.repeat(900);
    let enc: String = q.bytes().map(|b| format!("%{b:02X}")).collect();
    let (st, resp) = su::get(&s, &format!("/api/search?q={enc}"), Some(READER));
    assert_eq!(st, 400, "{resp}");
    let question = format!("{{\"question\": \"{}\"}}", ligature.repeat(900));
    let (st, resp) = su::post_json(&s, "/api/ask", Some(READER), &question);
    assert_eq!(st, 422, "{resp}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let grown = peak_rss(s.pid()).saturating_sub(base);
    eprintln!("server peak RSS growth: {} MiB", grown >> 20);
    assert!(grown < 64 << 20, "peak memory grew by {} MB", grown >> 20);
    assert_serves(&s);
}

/// A server with the real model over the fixtures indexed with vectors, so searches and
/// questions embed their query.
fn model_server(serve_args: &[&str]) -> (Workspace, Served) {
    let ws = Workspace::new();
    ws.index_kb_with_model();
    let s = su::start(&ws.index(), &["--model-dir", &models_dir()], serve_args);
    (ws, s)
}

/// `n` characters of one-digit words: about one model token per two characters, so few
/// characters make many tokens (digits are kept as they are by normalization).
fn dense_text(n: usize) -> String {
    (0..n / 2)
        .map(|i| char::from(b'1' + (i % 9) as u8).to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `n` characters that the model's tokenizer keeps one token each: CJK ideographs spread
/// over the block, each followed by a Latin letter.
fn cjk_text(n: usize) -> String {
    (0..n as u32 / 2)
        .flat_map(|i| {
            [
                char::from_u32(0x4E00 + (i * 7_919) % 20_000).unwrap(),
                char::from(b'a' + (i % 26) as u8),
            ]
        })
        .collect()
}

fn percent(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[test]
fn encoder_work_is_counted_in_tokens_and_windows() {
    // Room in characters, so the limits in the model's tokens are the ones that apply.
    let (_ws, s) = model_server(&["--max-query-chars", "4000"]);
    let base = peak_rss(s.pid());
    // Within 8,192 characters but about 3,000 tokens: over 2,048 tokens for one input.
    let long = dense_text(6_000);
    let (st, resp) = su::post_json(
        &s,
        "/v1/embeddings",
        Some(READER),
        &serde_json::json!({ "input": [ "کیفیت هوا", long ] }).to_string(),
    );
    assert_eq!(st, 413, "{resp}");
    let message = su::json(&resp)["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("text #1") && message.contains("tokens") && message.contains("2048"),
        "{message}"
    );
    // Each input under the token limit, all together over 32 windows of 512 tokens.
    let inputs: Vec<String> = (0..8).map(|_| dense_text(3_800)).collect();
    let started = Instant::now();
    let (st, resp) = su::post_json(
        &s,
        "/v1/embeddings",
        Some(READER),
        &serde_json::json!({ "input": inputs }).to_string(),
    );
    assert_eq!(st, 413, "{resp}");
    let message = su::json(&resp)["message"].as_str().unwrap().to_string();
    assert!(message.contains("windows"), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused before any model work: {:?}",
        started.elapsed()
    );
    // A semantic search is a query: 1,024 tokens at most. Within the characters
    // allowed here (and the 16 KiB request target), these characters are a token each.
    let q = cjk_text(1_800);
    let (st, resp) = su::post_json(
        &s,
        "/v1/embeddings",
        Some(READER),
        &serde_json::json!({ "input": q, "input_type": "query" }).to_string(),
    );
    assert_eq!(st, 200, "{resp}");
    let tokens = su::json(&resp)["usage"]["prompt_tokens"].as_u64().unwrap();
    assert!(
        tokens > 1100,
        "the query must be over 1,024 tokens: {tokens}"
    );
    let (st, resp) = su::get(
        &s,
        &format!("/api/search?mode=semantic&q={}", percent(&q)),
        Some(READER),
    );
    assert_eq!(st, 413, "{resp}");
    let message = su::json(&resp)["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("tokens") && message.contains("1024"),
        "{message}"
    );
    // Under the limits the same routes work.
    let (st, resp) = su::post_json(
        &s,
        "/v1/embeddings",
        Some(READER),
        &serde_json::json!({ "input": [dense_text(200)] }).to_string(),
    );
    assert_eq!(st, 200, "{resp}");
    let (st, resp) = su::get(
        &s,
        "/api/search?mode=semantic&q=air%20quality%20monitoring",
        Some(READER),
    );
    assert_eq!(st, 200, "{resp}");
    let grown = peak_rss(s.pid()).saturating_sub(base);
    eprintln!("server peak RSS growth: {} MiB", grown >> 20);
    assert!(grown < 200 << 20, "peak memory grew by {} MB", grown >> 20);
    assert_serves(&s);
}

#[test]
fn a_timed_out_request_frees_its_model_slot_promptly() {
    // One slot and a one-second limit: a request whose embedding takes many seconds is
    // answered 503 at one second, and its work must stop so the slot serves the next one.
    let (_ws, s) = model_server(&["--timeout-secs", "1", "--max-concurrency", "1"]);
    // 64 short inputs: many forward passes of four inputs each (the unit of work a
    // stopped request finishes), about 16 s of model work in a debug build.
    let inputs: Vec<String> = (0..64).map(|_| dense_text(120)).collect();
    let body = serde_json::json!({ "input": inputs }).to_string();
    let started = Instant::now();
    let (st, resp) = su::post_json(&s, "/v1/embeddings", Some(READER), &body);
    assert_eq!(st, 503, "the heavy request ends at its time limit: {resp}");
    assert_eq!(su::json(&resp)["error"], "timeout", "{resp}");
    let answered = Instant::now();
    assert!(answered - started < Duration::from_secs(3));
    // The next request needs the one slot: it gets it within one forward pass.
    let freed = loop {
        let (st, resp) = su::get(
            &s,
            "/api/search?q=environmental%20aspects&mode=lexical",
            Some(READER),
        );
        match st {
            200 => break answered.elapsed(),
            429 if answered.elapsed() < Duration::from_secs(30) => {
                std::thread::sleep(Duration::from_millis(50))
            }
            _ => panic!("{st}: {resp}"),
        }
    };
    eprintln!("model slot free {freed:?} after the 503");
    assert!(
        freed < Duration::from_secs(4),
        "the slot stayed busy for {freed:?} after the request timed out"
    );
    assert_serves(&s);
}
