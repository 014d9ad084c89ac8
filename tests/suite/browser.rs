//! The web page in a real browser: Debian's headless Chromium, driven through chromedriver
//! (WebDriver, with the fantoccini client), against a real `envkb serve` on loopback over
//! the test fixtures indexed with the real model. Screenshots go to
//! `target/test-artifacts/`. `scripts/test.sh` installs chromium and chromium-driver.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use super::serve_util as su;
use super::util::{json as cli_json, models_dir, Workspace};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_driver() -> (Driver, String) {
    assert!(
        Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists(),
        "the browser test needs Debian's chromium and chromium-driver: bash scripts/test.sh installs them"
    );
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = su::agent().get(&format!("{url}/status")).call() {
            if r.status() == 200 {
                break;
            }
        }
        assert!(Instant::now() < deadline, "chromedriver did not come up");
        std::thread::sleep(Duration::from_millis(200));
    }
    (Driver(child), url)
}

async fn browser(driver: &str, lang: &str) -> Client {
    let caps = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                format!("--lang={lang}"),
            ],
            "prefs": { "intl.accept_languages": lang },
        }
    });
    let caps = match caps {
        Value::Object(m) => m,
        _ => unreachable!(),
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver)
        .await
        .expect("a WebDriver session with chromium")
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.expect("script runs")
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    assert_eq!(&png[1..4], b"PNG");
    std::fs::write(artifacts().join(name), png).unwrap();
}

async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(120))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

#[test]
fn the_page_searches_and_answers_in_persian_right_to_left_in_a_real_browser() {
    let ws = Workspace::new();
    let models = models_dir();
    cli_json(
        &ws.index(),
        &[
            "--model-dir",
            &models,
            "index",
            ws.kb().to_str().unwrap(),
            "--json",
        ],
    );
    let server = su::start(&ws.index(), &["--model-dir", &models], &["--open-read"]);
    let (_driver, driver_url) = start_driver();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = browser(&driver_url, "fa-IR").await;
        c.goto(&server.url("/")).await.unwrap();
        wait_for(&c, "#q").await;
        // The browser asks for Persian: the page is Persian, right to left, with the font.
        assert_eq!(js(&c, "return document.documentElement.lang").await, "fa");
        assert_eq!(js(&c, "return document.documentElement.dir").await, "rtl");
        assert_eq!(js(&c, "return getComputedStyle(document.body).direction").await, "rtl");
        assert_eq!(
            js(&c, "return document.getElementById('tab-search').textContent").await,
            "جستجو"
        );
        let font_loaded = js(
            &c,
            "return document.fonts.load('16px Vazirmatn', 'ماده').then(f => f.length > 0)",
        )
        .await;
        assert_eq!(font_loaded, true, "the shipped Vazirmatn font loads");

        // A Persian search, typed and submitted with the keyboard.
        let q = c.find(Locator::Css("#q")).await.unwrap();
        q.send_keys("ماده ۶ بند د\u{E007}").await.unwrap();
        let first = wait_for(&c, "#results li").await;
        let title = first.find(Locator::Css(".hit-title")).await.unwrap().text().await.unwrap();
        assert!(title.contains("قانون نمونه"), "{title}");
        let crumb = first.find(Locator::Css(".crumb")).await.unwrap().text().await.unwrap();
        assert!(crumb.contains("ماده ۶"), "{crumb}");
        let marks = js(&c, "return document.querySelectorAll('#results li:first-child .snippet mark').length").await;
        assert!(marks.as_u64().unwrap() >= 1, "highlighted terms");
        assert_eq!(
            js(&c, "return getComputedStyle(document.querySelector('#results .snippet')).direction").await,
            "rtl",
            "Persian snippets run right to left"
        );
        // The hit sits against the right edge in RTL.
        let edges = js(
            &c,
            "const r = document.querySelector('#results li .hit-title button').getBoundingClientRect(); const p = document.querySelector('#results li').getBoundingClientRect(); return [p.right - r.right, r.left - p.left]",
        )
        .await;
        assert!(edges[0].as_f64().unwrap() < edges[1].as_f64().unwrap(), "title starts at the right: {edges}");
        shot(&c, "search-fa.png").await;

        // Opening the hit shows the full passage in a dialog.
        first.find(Locator::Css(".hit-title button")).await.unwrap().click().await.unwrap();
        let text = wait_for(&c, "#passage[open] #passage-text").await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while !text.text().await.unwrap().contains("آموزش همگانی") {
            assert!(Instant::now() < deadline, "the passage never loaded");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        shot(&c, "passage-fa.png").await;
        c.find(Locator::Css("#passage-close")).await.unwrap().click().await.unwrap();

        // English UI: left to right; English results render LTR inside it too.
        c.find(Locator::Css("#lang-switch")).await.unwrap().select_by_value("en").await.unwrap();
        assert_eq!(js(&c, "return document.documentElement.dir").await, "ltr");
        let status = js(&c, "return document.getElementById('search-status').textContent").await;
        assert!(status.as_str().unwrap().contains("result"), "the status follows the language: {status}");
        assert_eq!(
            js(&c, "return document.getElementById('tab-search').textContent").await,
            "Search"
        );
        let q = c.find(Locator::Css("#q")).await.unwrap();
        q.clear().await.unwrap();
        q.send_keys("energy performance indicators\u{E007}").await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let t = js(&c, "const h = document.querySelector('#results li .hit-title'); return h ? h.textContent : ''").await;
            if t.as_str().unwrap().contains("ISO") {
                break;
            }
            assert!(Instant::now() < deadline, "English search never showed the ISO notes: {t}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            js(&c, "return getComputedStyle(document.querySelector('#results .snippet')).direction").await,
            "ltr"
        );
        shot(&c, "search-en.png").await;

        // Phone width: nothing wider than the screen.
        c.set_window_size(390, 844).await.unwrap();
        c.find(Locator::Css("#lang-switch")).await.unwrap().select_by_value("fa").await.unwrap();
        let overflow = js(&c, "return document.documentElement.scrollWidth - document.documentElement.clientWidth").await;
        assert!(overflow.as_i64().unwrap() <= 0, "horizontal overflow at phone width: {overflow}");
        shot(&c, "search-phone-fa.png").await;

        // Ask view, reached with the keyboard: a Persian question, a cited answer, and
        // the citation marker opens the passage with the quote highlighted.
        c.find(Locator::Css("#tab-search")).await.unwrap().send_keys("\u{E012}").await.unwrap();
        assert_eq!(js(&c, "return document.getElementById('view-ask').hidden").await, false, "ArrowLeft moves to the next tab in RTL");
        c.set_window_size(1280, 900).await.unwrap();
        let question = c.find(Locator::Css("#question")).await.unwrap();
        question.send_keys("تهیه معیارهای پایش پساب وظیفه کیست؟\u{E007}").await.unwrap();
        let marker = wait_for(&c, "#answer-text button.cite").await;
        let answer = js(&c, "return document.getElementById('answer-text').textContent").await;
        assert!(answer.as_str().unwrap().contains("پایش پساب"), "{answer}");
        assert_eq!(js(&c, "return getComputedStyle(document.getElementById('answer-text')).direction").await, "rtl");
        let quote = js(&c, "return document.querySelector('#citations li blockquote').textContent").await;
        shot(&c, "ask-fa.png").await;
        marker.click().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let marked = js(&c, "const m = document.querySelector('#passage[open] #passage-text mark.quote'); return m ? m.textContent : ''").await;
            if !marked.as_str().unwrap().is_empty() {
                assert_eq!(marked, quote, "the highlighted text is the cited quote");
                break;
            }
            assert!(Instant::now() < deadline, "the cited passage never opened with its quote marked");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        shot(&c, "ask-citation-fa.png").await;
        c.find(Locator::Css("#passage-close")).await.unwrap().click().await.unwrap();

        // Compare view, the next tab.
        c.find(Locator::Css("#tab-ask")).await.unwrap().send_keys("\u{E012}").await.unwrap();
        assert_eq!(js(&c, "return document.getElementById('view-compare').hidden").await, false);
        let cq = c.find(Locator::Css("#cq")).await.unwrap();
        cq.send_keys("آموزش مدیران صنایع\u{E007}").await.unwrap();
        for col in ["#cmp-lexical li", "#cmp-semantic li", "#cmp-hybrid li"] {
            wait_for(&c, col).await;
        }
        shot(&c, "compare-fa.png").await;

        // Trainer page: with an editor key, a small set from the law documents comes back
        // with its report and two downloads.
        c.find(Locator::Css("#tab-compare")).await.unwrap().send_keys("\u{E012}").await.unwrap();
        assert_eq!(js(&c, "return document.getElementById('view-exercises').hidden").await, false);
        let key = c.find(Locator::Css("#api-key")).await.unwrap();
        key.send_keys(su::EDITOR).await.unwrap();
        key.send_keys("\u{E004}").await.unwrap(); // Tab: the change event stores the key
        c.find(Locator::Css("#x-doc-type")).await.unwrap().select_by_value("law").await.unwrap();
        let count = c.find(Locator::Css("#x-count")).await.unwrap();
        count.clear().await.unwrap();
        count.send_keys("1").await.unwrap();
        for kind in ["retriever-disagreement", "cite-check"] {
            c.find(Locator::Css(&format!("input[name=kind][value={kind}]")))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
        c.find(Locator::Css("#exercises-form button[type=submit]")).await.unwrap().click().await.unwrap();
        wait_for(&c, "#exercises-result:not([hidden]) #kinds-table tbody tr").await;
        let rows = js(&c, "return [...document.querySelectorAll('#kinds-table tbody tr td:first-child')].map(td => td.textContent)").await;
        assert_eq!(rows, json!(["find-the-source", "normalization"]));
        let href = js(&c, "return document.getElementById('dl-exercises').href").await;
        assert!(href.as_str().unwrap().starts_with("blob:"), "{href}");
        let name = js(&c, "return document.getElementById('dl-key').download").await;
        assert_eq!(name, "key.html");
        shot(&c, "exercises-fa.png").await;
        c.close().await.unwrap();
    });
}
