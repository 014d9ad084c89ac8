//! The fast E5 tokenizer (`embed::unigram`) against Hugging Face `tokenizers` on the
//! real `models/tokenizer.json`: identical ids on the Persian bench corpus, the shipped
//! corpus, their normalized forms, hand-picked odd inputs and random mixtures of
//! awkward characters; and the cache beside the tokenizer is rebuilt when stale or
//! damaged. Needs `models/fetch.sh` and the bench data in `../shared/bench/`.

use std::path::{Path, PathBuf};

use envkb::embed::unigram::{CacheState, Opened, UnigramTokenizer};
use envkb::embed::{TextKind, TextTokenizer};
use rand::{Rng, SeedableRng};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tokenizer_json() -> PathBuf {
    let p = root().join("models/tokenizer.json");
    assert!(
        p.is_file(),
        "run models/fetch.sh first: {} is missing",
        p.display()
    );
    p
}

/// The Persian QA bench passages and questions (JSONL, a `text` or `query` field).
fn bench_texts() -> Vec<String> {
    let dir = root().join("../shared/bench/persian-wiki-qa");
    let mut out = Vec::new();
    for (file, field) in [
        ("corpus.jsonl", "text"),
        ("parsinlu-dev.queries.jsonl", "query"),
        ("parsinlu-train.queries.jsonl", "query"),
    ] {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("bench data needed: {} ({e})", path.display()));
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let t = v[field]
                .as_str()
                .or_else(|| v["text"].as_str())
                .unwrap_or_default();
            if !t.is_empty() {
                out.push(t.to_string());
            }
        }
    }
    out
}

/// Every file of the shipped corpus, whole (most are far over 512 tokens) and by line.
fn corpus_texts() -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root().join("corpus")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(t) = std::fs::read_to_string(&p) {
                out.extend(t.lines().filter(|l| !l.is_empty()).map(str::to_string));
                out.push(t);
            }
        }
    }
    assert!(out.len() > 100, "the shipped corpus is missing");
    out
}

/// Inputs chosen to hit each step: special tokens, the charsmap (NFKC, graphemes,
/// controls), space runs, `▁` in the text, unknown characters, digits of three
/// scripts, ZWNJ/ZWJ, emoji sequences, mixed scripts and long unbroken words.
fn odd_texts() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "   ",
        "\t\n\r",
        "\u{0}",
        "ماده ۶ قانون حفاظت و بهسازی محیط زیست",
        "ماده 6 و ماده ٦ و ماده ۶",
        "۱۲۳۴۵۶۷۸۹۰ 1234567890 ١٢٣٤٥٦٧٨٩٠ 3.14 ۳٫۱۴ 1,000,000 ۱۴۰۴/۰۱/۱۵",
        "می‌خواهم نمی‌شود خانه‌ها",
        "می\u{200d}خواهم \u{200c}\u{200c} x\u{200c}y \u{200c}",
        "🌍🔥 👩‍👩‍👧‍👦 🇮🇷 👍🏽 ❤️ 1️⃣",
        "ISO 14001:2015 استاندارد EMS و KPI‌ها (CO₂, PM2.5, m³/s)",
        "<s>hello</s> <mask> <unk><pad> <<s>> </s</s>",
        "x<mask>y",
        "＜s＞ ＡＢＣ ｱｲｳ ﷲ ﷺ ™ ℃ ½ ﬁ Ⅻ ㍿",
        "e\u{301}te\u{301} cafe\u{301} ñ n\u{303} ا\u{64b}\u{64e}\u{650}",
        "\u{301}\u{301}start with combining marks",
        "▁ ▁▁x ▁▁ a▁b",
        "a  b   c    d\t\te \n\n f",
        "  leading and trailing  ",
        "\u{feff}bom \u{200f}rtl\u{200e} \u{a0}nbsp\u{a0} \u{202f}n \u{3000}wide \u{ad}soft",
        "中文测试 日本語のテキスト 한국어 텍스트 ภาษาไทย हिन्दी नमस्ते",
        "\u{e000}\u{f8ff} 𓀀𓀁 𝐀𝐁𝐂 𝕏 \u{10ffff}",
        "ـــــ کـــشـــور تطويل",
        "كيف يمكن للمؤسسات العربية، والي والكتاب",
        "https://example.org/a/b?c=1&d=%20e#frag user@example.com",
        "C:\\Program Files\\x.exe /usr/bin/env -- --flag=1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("a".repeat(3000));
    v.push("محیط‌زیست".repeat(400));
    v.push("🌍".repeat(700));
    v.push("\u{e000}".repeat(50) + "x" + &"\u{e001}".repeat(50));
    v.push("word ".repeat(1200));
    v
}

/// Random strings from a pool of awkward characters (seeded: the same every run).
fn random_texts() -> Vec<String> {
    let pool: Vec<char> = "aZ09 ۰۹٠٩ابپکكیيهةۀء\u{64b}\u{650}\u{670}\u{200c}\u{200d}\u{200f}\u{feff}\
        \u{a0}\u{3000}\t\n\u{0}\u{7f}\u{85}\u{301}\u{303}ｱＡ＜＞ﷲ™½ﬁ▁<>/smkaupd🌍👩\u{1f3fd}\u{fe0f}\u{20e3}\
        🇮🇷中한ไ\u{e31}ि\u{94d}\u{e000}𓀀𝐀-_.,:;!?()«»؛،"
        .chars()
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20);
    (0..3000)
        .map(|_| {
            let n = rng.random_range(1..40);
            (0..n)
                .map(|_| pool[rng.random_range(0..pool.len())])
                .collect()
        })
        .collect()
}

/// Where two id lists first differ, for a readable failure.
fn first_difference(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[test]
fn fast_tokenizer_ids_equal_the_tokenizers_crate_on_100k_words_and_odd_inputs() {
    let path = tokenizer_json();
    let fast = TextTokenizer::open(&path).unwrap();
    assert!(
        fast.is_fast(),
        "tokenizer.json should take the fast E5 path"
    );
    let reference = TextTokenizer::open_reference(&path).unwrap();
    assert!(!reference.is_fast());

    let mut texts = bench_texts();
    let words: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
    assert!(words >= 100_000, "only {words} words of bench text");
    texts.extend(corpus_texts());
    let normalized: Vec<String> = texts
        .iter()
        .map(|t| envkb::text::normalize_for_embedding(t))
        .collect();
    texts.extend(normalized);
    texts.extend(odd_texts());
    texts.extend(random_texts());

    let (mut total_ids, mut long, mut failures) = (0usize, 0usize, Vec::new());
    for (i, t) in texts.iter().enumerate() {
        let want = reference.raw(t, i).unwrap();
        let got = fast.raw(t, i).unwrap();
        total_ids += want.len();
        long += usize::from(want.len() > 512);
        if got != want {
            let at = first_difference(&got, &want);
            failures.push(format!(
                "text {i} ({} chars) differs at token {at}: fast {:?} vs tokenizers {:?}; text {:?}",
                t.chars().count(),
                &got[at..(at + 5).min(got.len())],
                &want[at..(at + 5).min(want.len())],
                t.chars().take(80).collect::<String>()
            ));
        }
    }
    eprintln!(
        "{} texts, {words} bench words, {total_ids} ids, {long} texts over 512 tokens",
        texts.len()
    );
    assert!(long >= 20, "only {long} texts over 512 tokens");
    assert!(
        failures.is_empty(),
        "{} of {} texts differ; first: {:#?}",
        failures.len(),
        texts.len(),
        &failures[..failures.len().min(5)]
    );

    // The prefixed forms the encoder uses agree too (and split off the same prefix).
    for t in odd_texts().iter().chain(&texts[..200]) {
        for kind in [TextKind::Query, TextKind::Passage] {
            assert_eq!(
                fast.tokenize(t, kind, 0).unwrap(),
                reference.tokenize(t, kind, 0).unwrap(),
                "{kind:?} {t:?}"
            );
        }
    }
}

/// A private copy of tokenizer.json, so the cache tests do not race other tests.
fn private_copy() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("tokenizer.json");
    std::fs::copy(tokenizer_json(), &p).unwrap();
    (d, p)
}

fn open_fast(p: &Path) -> (UnigramTokenizer, CacheState) {
    match UnigramTokenizer::open(p).unwrap() {
        Opened::Fast(t, s) => (*t, s),
        Opened::Unsupported(r) => panic!("unsupported: {r}"),
    }
}

#[test]
fn the_cache_is_built_once_then_mapped_and_rebuilt_when_stale_or_damaged() {
    let (_d, p) = private_copy();
    let text = "قانون حفاظت و بهسازی محیط زیست، ماده ۶ (ISO 14001)";
    let (t, s) = open_fast(&p);
    assert_eq!(s, CacheState::Rebuilt);
    let ids = t.encode(text);
    assert!(ids.len() > 5);
    let cache = UnigramTokenizer::cache_path(&p);
    assert!(cache.is_file());

    let (t, s) = open_fast(&p);
    assert_eq!(s, CacheState::Reused);
    assert!(t.is_mapped());
    assert_eq!(t.encode(text), ids);

    // A damaged cache (one flipped byte in the piece bytes) is detected and rebuilt.
    let mut bytes = std::fs::read(&cache).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0x20;
    std::fs::write(&cache, &bytes).unwrap();
    let (t, s) = open_fast(&p);
    assert_eq!(s, CacheState::Rebuilt);
    assert_eq!(t.encode(text), ids);
    // A truncated one too.
    std::fs::write(&cache, &bytes[..bytes.len() / 3]).unwrap();
    let (t, s) = open_fast(&p);
    assert_eq!(s, CacheState::Rebuilt);
    assert_eq!(t.encode(text), ids);

    // A changed tokenizer.json (one piece's score lowered) makes the cache stale: the
    // new ids follow the new file.
    let json = std::fs::read_to_string(&p).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let vocab = v["model"]["vocab"].as_array_mut().unwrap();
    // The first piece of the text (ids index the vocabulary), made very unlikely.
    vocab[ids[0] as usize][1] = serde_json::json!(-30.0);
    std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
    let (t, s) = open_fast(&p);
    assert_eq!(s, CacheState::Rebuilt);
    let reference = TextTokenizer::open_reference(&p).unwrap();
    let new_ids = t.encode(text);
    assert_eq!(new_ids, reference.raw(text, 0).unwrap());
    assert_ne!(
        new_ids, ids,
        "lowering a used piece's score should change the segmentation"
    );
}

#[test]
fn a_read_only_directory_still_gets_the_fast_tokenizer_in_memory() {
    let (d, p) = private_copy();
    use std::os::unix::fs::PermissionsExt;
    let mode = |m| std::fs::Permissions::from_mode(m);
    std::fs::set_permissions(d.path(), mode(0o555)).unwrap();
    let writable = tempfile::NamedTempFile::new_in(d.path()).is_ok(); // root ignores modes
    let (t, s) = open_fast(&p);
    std::fs::set_permissions(d.path(), mode(0o755)).unwrap();
    if !writable {
        assert_eq!(s, CacheState::InMemory);
        assert!(!t.is_mapped());
    }
    let text = "آب و محیط زیست";
    let reference = TextTokenizer::open_reference(&p).unwrap();
    assert_eq!(t.encode(text), reference.raw(text, 0).unwrap());
}

#[test]
fn a_tokenizer_that_is_not_e5_unigram_loads_through_tokenizers() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("tokenizer.json");
    // A small WordPiece tokenizer (BERT-style), written here.
    let json = serde_json::json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [
            {"id": 0, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": 1, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
        ],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": null,
        "decoder": null,
        "model": {
            "type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": {"<s>": 0, "</s>": 1, "[UNK]": 2, "query": 3, ":": 4, "passage": 5,
                      "water": 6, "##s": 7, "آب": 8}
        }
    });
    std::fs::write(&p, json.to_string()).unwrap();
    assert!(matches!(
        UnigramTokenizer::open(&p).unwrap(),
        Opened::Unsupported(_)
    ));
    let t = TextTokenizer::open(&p).unwrap();
    assert!(!t.is_fast());
    assert_eq!(t.raw("Waters آب", 0).unwrap(), vec![6, 7, 8]);
    assert!(!UnigramTokenizer::cache_path(&p).exists());
}
