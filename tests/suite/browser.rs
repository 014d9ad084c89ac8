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
use super::util::{models_dir, Workspace};

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
    ws.index_kb_with_model();
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

/// Made-up documents for the direction and safety checks: a Persian standard guide whose
/// title, headings and sentences start with Latin letters, and a document whose title,
/// headings and body carry HTML and `javascript:` links that must stay text.
fn write_direction_and_hostile_docs(kb: &Path) {
    std::fs::write(
        kb.join("fa/iso-energy.md"),
        "---\ntitle: \"ISO 50001 بازنگری انرژی\"\ndoc_type: standard-guidance\nlang: fa\n---\n\n\
         # ISO 50001 بازنگری انرژی\n\n\
         ## ISO 50001 بند 6.3 بازنگری انرژی\n\n\
         ISO 50001 بند 6.3 می‌گوید سازمان باید **بازنگری انرژی** را دست‌کم سالی یک بار و پس از هر تغییر بزرگ در تأسیسات انجام دهد.\n\n\
         در این بازنگری مصرف انرژی هر واحد با شاخص‌های عملکرد انرژی سنجیده و فرصت‌های بهبود فهرست می‌شود.\n",
    )
    .unwrap();
    std::fs::write(
        kb.join("en/hostile.md"),
        "---\ntitle: \"<script>window.__pwned = 1</script> Hostilia <img src=x onerror=\\\"window.__pwned = 2\\\">\"\nlang: en\n---\n\n\
         # <img src=x onerror=\"window.__pwned = 3\"> Hostilia heading\n\n\
         ## <script>window.__pwned = 4</script> Second heading\n\n\
         The hostilia paragraph links [press here](javascript:window.__pwned=5) and \
         ![picture](javascript:window.__pwned=6) and holds <script>window.__pwned = 7</script> \
         and <img src=x onerror=\"window.__pwned = 8\"> as plain text.\n",
    )
    .unwrap();
}

/// Elements among `selectors` whose text is mostly Persian but whose computed direction is
/// not right to left.
const NOT_RTL: &str = r#"
const ar = /[\u0600-\u06FF]/g, la = /[A-Za-z]/g;
const bad = [];
let checked = 0;
for (const sel of arguments[0]) for (const e of document.querySelectorAll(sel)) {
  if (!e.getClientRects().length) continue;
  const t = e.tagName === "INPUT" ? e.value : e.textContent;
  if ((t.match(ar) || []).length <= (t.match(la) || []).length) continue;
  checked++;
  if (getComputedStyle(e).direction !== "rtl") bad.push(sel + ": " + t.slice(0, 60));
}
return { checked, bad };"#;

/// Elements that stick out of the viewport sideways, and the page's sideways scroll.
const OVERFLOW: &str = r#"
const w = document.documentElement.clientWidth;
const bad = [];
for (const e of document.querySelectorAll("body *")) {
  const r = e.getBoundingClientRect();
  if (!r.width && !r.height) continue;
  if (r.right > w + 1 || r.left < -1) bad.push(`${e.tagName}#${e.id}.${e.className} ${Math.round(r.left)}..${Math.round(r.right)} of ${w}`);
}
return { scroll: document.documentElement.scrollWidth - w, bad: bad.slice(0, 8) };"#;

/// What the page did with the hostile document: any script run, any element a document
/// could have injected.
const INJECTED: &str = r#"
return {
  pwned: window.__pwned === undefined ? null : window.__pwned,
  images: document.querySelectorAll("main img, dialog img").length,
  scripts: [...document.scripts].map(s => s.src.replace(location.origin, "")),
  links: [...document.querySelectorAll("a")].filter(a => /^\s*javascript:/i.test(a.getAttribute("href") || "")).length,
};"#;

async fn check_rtl(c: &Client, selectors: &[&str], min_checked: u64, at: &str) {
    let r = c
        .execute(NOT_RTL, vec![json!(selectors)])
        .await
        .expect("script runs");
    assert!(
        r["checked"].as_u64().unwrap() >= min_checked,
        "{at}: too few Persian elements checked: {r}"
    );
    assert_eq!(
        r["bad"],
        json!([]),
        "{at}: Persian text not right to left: {r}"
    );
}

async fn check_no_overflow(c: &Client, at: &str) {
    let r = js(c, OVERFLOW).await;
    assert!(
        r["scroll"].as_i64().unwrap() <= 0,
        "{at}: the page scrolls sideways: {r}"
    );
    assert_eq!(
        r["bad"],
        json!([]),
        "{at}: elements overflow the viewport: {r}"
    );
}

async fn check_nothing_injected(c: &Client, at: &str) {
    let r = js(c, INJECTED).await;
    assert_eq!(
        r,
        json!({ "pwned": null, "images": 0, "scripts": ["/assets/app.js"], "links": 0 }),
        "{at}: a document injected something"
    );
}

/// Polls `script` (returning a boolean) until it is true.
async fn until(c: &Client, script: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if js(c, script).await == json!(true) {
            return;
        }
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn tab(c: &Client, id: &str) {
    c.find(Locator::Css(&format!("#{id}")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Types `text` into `input` (cleared first) and presses Enter.
async fn submit(c: &Client, input: &str, text: &str) {
    let field = c.find(Locator::Css(input)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(&format!("{text}\u{E007}")).await.unwrap();
}

/// Runs a search and waits for its status to change from "searching".
async fn search(c: &Client, q: &str) {
    js(
        c,
        "document.getElementById('search-status').textContent = ''; return 0",
    )
    .await;
    submit(c, "#q", q).await;
    until(
        c,
        "const s = document.getElementById('search-status'); return s.textContent !== '' && !s.textContent.endsWith('…')",
        &format!("search for {q} finished"),
    )
    .await;
}

#[test]
fn the_page_takes_direction_from_language_fits_phones_speaks_the_ui_language_and_injects_nothing() {
    let ws = Workspace::new();
    write_direction_and_hostile_docs(&ws.kb());
    let models = models_dir();
    ws.index_kb_with_model();
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
        let favicon = js(&c, "return fetch('/assets/favicon.svg').then(r => r.status)").await;
        assert_eq!(favicon, 200, "the favicon is served");

        // Nothing from a document is HTML: search it, open it, list it.
        search(&c, "hostilia paragraph").await;
        wait_for(&c, "#results li").await;
        let title = js(&c, "return document.querySelector('#results .hit-title').textContent").await;
        assert!(title.as_str().unwrap().contains("<script>"), "the title shows its markup as text: {title}");
        check_nothing_injected(&c, "hostile search results").await;
        let opened = js(&c, "const li = [...document.querySelectorAll('#results li')].find(li => li.querySelector('.snippet').textContent.includes('press here')); if (li) li.querySelector('.hit-title button').click(); return !!li").await;
        assert_eq!(opened, true, "the hostile body is among the hits");
        until(&c, "return document.getElementById('passage-text').textContent.includes('press here')", "hostile passage").await;
        let passage = js(&c, "return document.getElementById('passage-text').textContent").await;
        let passage = passage.as_str().unwrap();
        assert!(!passage.contains("javascript:") && !passage.contains("](") && !passage.contains("# "), "{passage}");
        check_nothing_injected(&c, "hostile passage").await;
        c.find(Locator::Css("#passage-close")).await.unwrap().click().await.unwrap();

        for lang in ["fa", "en"] {
            c.set_window_size(1280, 900).await.unwrap();
            tab(&c, "tab-search").await;
            c.find(Locator::Css("#lang-switch")).await.unwrap().select_by_value(lang).await.unwrap();
            for width in [1280u32, 390] {
                let at = |view: &str| format!("{view} {lang} {width}px");
                c.set_window_size(width, if width > 800 { 900 } else { 844 }).await.unwrap();
                tab(&c, "tab-search").await;

                // Persian text that starts with «ISO» reads right to left everywhere.
                search(&c, "ISO 50001 بازنگری انرژی").await;
                until(&c, "return [...document.querySelectorAll('#results li')].some(li => li.dataset.chunk.startsWith('fa/iso-energy'))", "the ISO guide in the results").await;
                check_rtl(&c, &["#results .hit-title", "#results .crumb", "#results .snippet", "#q"], 4, &at("search")).await;
                let iso = js(&c, "const h = [...document.querySelectorAll('#results .hit-title')].find(h => h.textContent.startsWith('ISO 50001')); return getComputedStyle(h).direction").await;
                assert_eq!(iso, "rtl", "{}", at("title starting with ISO"));
                let snippet = js(&c, "return [...document.querySelectorAll('#results li')].filter(li => li.dataset.chunk.startsWith('fa/iso-energy')).map(li => li.querySelector('.snippet').textContent).join(' ')").await;
                assert!(!snippet.as_str().unwrap().contains("**") && !snippet.as_str().unwrap().contains("## "), "raw Markdown in a snippet: {snippet}");
                check_no_overflow(&c, &at("search")).await;
                shot(&c, &format!("search-{lang}-{width}.png")).await;

                // The passage box: title, breadcrumb and text right to left, Markdown hidden.
                js(&c, "document.querySelector('#results li[data-chunk^=\"fa/iso-energy\"] .hit-title button').click(); return 0").await;
                until(&c, "return document.getElementById('passage-text').textContent.includes('سالی یک بار')", "the ISO passage").await;
                check_rtl(&c, &["#passage-title", "#passage-crumb", "#passage-text"], 3, &at("passage")).await;
                let text = js(&c, "return document.getElementById('passage-text').textContent").await;
                assert!(!text.as_str().unwrap().contains("**"), "{text}");
                check_no_overflow(&c, &at("passage")).await;
                shot(&c, &format!("passage-{lang}-{width}.png")).await;
                c.find(Locator::Css("#passage-close")).await.unwrap().click().await.unwrap();

                // Nonsense: the closest passages, said to be no exact match.
                search(&c, "zzzzqqq").await;
                let status = js(&c, "return document.getElementById('search-status').textContent").await;
                let notice = if lang == "fa" { "نتیجهٔ دقیقی یافت نشد؛ نزدیک‌ترین بخش‌ها:" } else { "No exact match; the closest passages:" };
                assert!(status.as_str().unwrap().contains(notice), "{}: {status}", at("nonsense"));

                // An API error in the UI's language, with the code isolated left to right.
                c.find(Locator::Css("#f-year")).await.unwrap().send_keys("abc").await.unwrap();
                search(&c, "پساب").await;
                let status = js(&c, "const s = document.getElementById('search-status'); return [s.textContent, getComputedStyle(s.querySelector('bdi.code')).direction]").await;
                let expected = if lang == "fa" { "درخواست پذیرفته نشد" } else { "The request was not accepted" };
                assert!(status[0].as_str().unwrap().contains(expected), "{}: {status}", at("error"));
                assert!(status[0].as_str().unwrap().contains("bad_request"), "{status}");
                assert_eq!(status[1], "ltr");
                c.find(Locator::Css("#f-year")).await.unwrap().clear().await.unwrap();
                check_no_overflow(&c, &at("error")).await;

                // A cited answer to a Persian question that starts with «ISO».
                tab(&c, "tab-ask").await;
                js(&c, "document.getElementById('ask-status').textContent = ''; document.getElementById('citations').replaceChildren(); return 0").await;
                submit(&c, "#question", "ISO 50001 بازنگری انرژی را چند وقت یک بار باید انجام داد؟").await;
                until(&c, "const s = document.getElementById('ask-status').textContent; return s !== '' && !s.endsWith('…')", "the answer").await;
                check_rtl(&c, &["#question", "#answer-text", "#citations button", "#citations blockquote"], 2, &at("ask")).await;
                check_no_overflow(&c, &at("ask")).await;
                shot(&c, &format!("ask-{lang}-{width}.png")).await;

                // Documents: Persian titles right to left, nothing sideways on a phone.
                tab(&c, "tab-docs").await;
                until(&c, "return document.querySelectorAll('#doc-table tbody tr').length >= 6", "the document list").await;
                check_rtl(&c, &["#doc-table td:nth-child(2)"], 2, &at("documents")).await;
                check_no_overflow(&c, &at("documents")).await;
                check_nothing_injected(&c, &at("documents")).await;
                shot(&c, &format!("docs-{lang}-{width}.png")).await;

                // Exercises without a key: the page points at the «API key» box.
                tab(&c, "tab-exercises").await;
                c.find(Locator::Css("#exercises-form button[type=submit]")).await.unwrap().click().await.unwrap();
                until(&c, "return document.getElementById('exercises-status').classList.contains('error')", "the exercises error").await;
                let status = js(&c, "return document.getElementById('exercises-status').textContent").await;
                let status = status.as_str().unwrap();
                let key_box = if lang == "fa" { "«کلید API»" } else { "“API key”" };
                assert!(status.contains(key_box) && !status.contains("Authorization"), "{}: {status}", at("no key"));
                check_no_overflow(&c, &at("exercises")).await;

                tab(&c, "tab-compare").await;
                check_no_overflow(&c, &at("compare")).await;
            }
        }
        // The narrowest phone too.
        c.set_window_size(360, 740).await.unwrap();
        for view in ["tab-search", "tab-ask", "tab-compare", "tab-exercises", "tab-docs"] {
            tab(&c, view).await;
            check_no_overflow(&c, &format!("{view} 360px")).await;
        }
        c.close().await.unwrap();
    });
}
