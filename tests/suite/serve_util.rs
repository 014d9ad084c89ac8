//! A real `envkb serve` on loopback for the end-to-end and browser tests, and a small
//! HTTP client for it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use super::util::envkb;

pub const READER: &str = "reader-key-for-e2e-tests-0001";
pub const EDITOR: &str = "editor-key-for-e2e-tests-0002";
pub const ADMIN: &str = "admin-key-for-e2e-tests-00003";

/// A running `envkb serve`; killed when dropped (tests that stop it gracefully call
/// [`Served::terminate`]).
pub struct Served {
    child: Option<Child>,
    pub base: String,
    _stdout: BufReader<ChildStdout>,
}

/// Starts `envkb serve` on a free port over `index`, with `extra` arguments before
/// `serve` (e.g. `--model-dir DIR` or `--no-model`) and `serve_args` after it; waits for
/// the address line.
pub fn start(index: &Path, extra: &[&str], serve_args: &[&str]) -> Served {
    start_with_env(index, extra, serve_args, &[])
}

/// [`start`] with extra environment variables for the server.
pub fn start_with_env(
    index: &Path,
    extra: &[&str],
    serve_args: &[&str],
    env: &[(&str, &str)],
) -> Served {
    start_inner(index, extra, serve_args, env, Stdio::inherit())
}

/// [`start`] with the server's log (stderr) written to `log`.
pub fn start_logged(index: &Path, extra: &[&str], serve_args: &[&str], log: &Path) -> Served {
    let file = std::fs::File::create(log).expect("log file");
    start_inner(index, extra, serve_args, &[], Stdio::from(file))
}

fn start_inner(
    index: &Path,
    extra: &[&str],
    serve_args: &[&str],
    env: &[(&str, &str)],
    stderr: Stdio,
) -> Served {
    let mut cmd: Command = envkb();
    cmd.envs(env.iter().copied());
    cmd.arg("--index")
        .arg(index)
        .args(extra)
        .arg("serve")
        .args(["--addr", "127.0.0.1:0"])
        .args(serve_args)
        .env_remove("ENVKB_INDEX")
        .env_remove("ENVKB_OPEN_READ")
        .env_remove("ENVKB_KEYS_FILE")
        .env(
            "ENVKB_API_KEYS",
            format!("reader:{READER},editor:{EDITOR},admin:{ADMIN}"),
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(stderr);
    let mut child = cmd.spawn().expect("envkb serve starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .expect("envkb serve prints its address");
    let base = line
        .trim()
        .strip_prefix("envkb serving on ")
        .unwrap_or_else(|| {
            let _ = child.kill();
            panic!("unexpected first line from envkb serve: {line:?}")
        })
        .to_string();
    Served {
        child: Some(child),
        base,
        _stdout: stdout,
    }
}

impl Served {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGTERM, then the exit status (the server finishes in-flight requests first).
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "SIGTERM sent");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("envkb serve did not stop after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's process id (for its memory in /proc).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    pub fn host_port(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// An HTTP client that returns 4xx/5xx responses instead of failing on them.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into()
}

/// (status, body) of a response.
pub fn read(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, String) {
    let mut r = r.expect("the server answers");
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_string().unwrap_or_default();
    (status, body)
}

pub fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// A multipart body with one file part; returns (content type, body).
pub fn multipart(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "envkb-test-boundary-7d1f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub fn upload(s: &Served, key: &str, name: &str, bytes: &[u8]) -> (u16, String) {
    let (ct, body) = multipart(name, bytes);
    read(
        agent()
            .post(&s.url("/api/documents"))
            .header("Authorization", &format!("Bearer {key}"))
            .header("Content-Type", &ct)
            .send(&body[..]),
    )
}

pub fn post_json(s: &Served, path: &str, key: Option<&str>, body: &str) -> (u16, String) {
    let mut req = agent()
        .post(&s.url(path))
        .header("Content-Type", "application/json");
    if let Some(k) = key {
        req = req.header("Authorization", &format!("Bearer {k}"));
    }
    read(req.send(body))
}

pub fn get(s: &Served, path: &str, key: Option<&str>) -> (u16, String) {
    let mut req = agent().get(&s.url(path));
    if let Some(k) = key {
        req = req.header("Authorization", &format!("Bearer {k}"));
    }
    read(req.call())
}

/// Sends a body the server may refuse before reading it all (over a size limit): write
/// errors after the server has answered are expected, so only the answer counts.
pub fn early_answer(s: &Served, head: &str, body: &[u8]) -> (u16, String) {
    let (status, _, body, _) = exchange(s, head, body);
    (status, body)
}

/// Sends `head` (and `body`) on a fresh connection; returns (status, headers, body) and how
/// long the answer took.
pub fn exchange(s: &Served, head: &str, body: &[u8]) -> (u16, String, String, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(s.host_port()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf);
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let (headers, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, headers.to_ascii_lowercase(), body.to_string(), took)
}

/// Sends raw bytes as one HTTP/1.1 request and returns the status code, for requests no
/// client library would send (invalid UTF-8 in the request line, broken framing).
pub fn raw_status(s: &Served, request: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(s.host_port()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf);
    let head = String::from_utf8_lossy(&buf);
    head.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"))
}
