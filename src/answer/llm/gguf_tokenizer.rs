//! A byte-level BPE tokenizer built from the `tokenizer.ggml.*` metadata of a GGUF file, so
//! a local model needs no tokenizer file beside it.

use candle_core::quantized::gguf_file;

/// A byte-level BPE tokenizer from the `tokenizer.ggml.*` metadata of a GGUF file (the
/// `gpt2` tokenizer model that SmolLM, Qwen and Llama 3 files carry).
pub(super) fn tokenizer_from_gguf(
    content: &gguf_file::Content,
) -> Result<tokenizers::Tokenizer, String> {
    use tokenizers::models::bpe::{Vocab, BPE};
    use tokenizers::pre_tokenizers::byte_level::ByteLevel;
    use tokenizers::pre_tokenizers::digits::Digits;
    use tokenizers::pre_tokenizers::sequence::Sequence;
    use tokenizers::AddedToken;

    let meta = |key: &str| {
        content
            .metadata
            .get(key)
            .ok_or_else(|| format!("no {key} in the file"))
    };
    let kind = meta("tokenizer.ggml.model")?
        .to_string()
        .map_err(|e| e.to_string())?;
    if kind != "gpt2" {
        return Err(format!(
            "tokenizer {kind:?} is not supported (byte-level BPE, \"gpt2\", is)"
        ));
    }
    let strings = |key: &str| -> Result<Vec<String>, String> {
        meta(key)?
            .to_vec()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|v| v.to_string().cloned().map_err(|e| e.to_string()))
            .collect()
    };
    let tokens = strings("tokenizer.ggml.tokens")?;
    let merges: Vec<(String, String)> = strings("tokenizer.ggml.merges")?
        .into_iter()
        .filter_map(|m| {
            m.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect();
    let types: Vec<i32> = match meta("tokenizer.ggml.token_type") {
        Ok(v) => v
            .to_vec()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|t| t.to_i32().unwrap_or(1))
            .collect(),
        Err(_) => Vec::new(),
    };
    let vocab: Vocab = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .map_err(|e| e.to_string())?;
    let mut tok = tokenizers::Tokenizer::new(bpe);
    let byte_level = ByteLevel::new(false, true, true);
    // SmolLM and Qwen2 split numbers into single digits before byte-level BPE.
    let pre = meta("tokenizer.ggml.pre")
        .ok()
        .and_then(|v| v.to_string().ok().cloned())
        .unwrap_or_default();
    if matches!(pre.as_str(), "smollm" | "qwen2") {
        tok.with_pre_tokenizer(Some(Sequence::new(vec![
            Digits::new(true).into(),
            byte_level.into(),
        ])));
    } else {
        tok.with_pre_tokenizer(Some(byte_level));
    }
    tok.with_decoder(Some(ByteLevel::default()));
    // Control tokens (type 3: <|im_start|>, <|im_end|>, ...) must match whole, never be
    // split into bytes, and are dropped when decoding a reply.
    let specials: Vec<AddedToken> = types
        .iter()
        .enumerate()
        .filter(|(_, t)| **t == 3)
        .filter_map(|(i, _)| tokens.get(i))
        .map(|t| AddedToken::from(t.clone(), true))
        .collect();
    tok.add_special_tokens(specials)
        .map_err(|e| e.to_string())?;
    Ok(tok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_tokenizer_from_smollm2_metadata_keeps_control_tokens_whole_and_round_trips() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
        assert!(
            path.is_file(),
            "model file missing: run models/fetch.sh first"
        );
        let mut file = std::fs::File::open(&path).unwrap();
        let content = gguf_file::Content::read(&mut file).unwrap();
        let tok = tokenizer_from_gguf(&content).unwrap();
        let start = tok.token_to_id("<|im_start|>").unwrap();
        let end = tok.token_to_id("<|im_end|>").unwrap();
        let text = "<|im_start|>user\nسلام، ISO 14001 clause 6.1.2?<|im_end|>";
        let ids = tok.encode(text, false).unwrap().get_ids().to_vec();
        assert_eq!(ids.first(), Some(&start));
        assert_eq!(ids.last(), Some(&end));
        assert_eq!(
            tok.decode(&ids, true).unwrap(),
            "user\nسلام، ISO 14001 clause 6.1.2?",
            "control tokens dropped, the rest (Persian bytes included) exact"
        );
        // Numbers go digit by digit, as SmolLM2 was trained.
        let digits = tok.encode("14001", false).unwrap();
        assert_eq!(digits.get_ids().len(), 5);
    }
}
