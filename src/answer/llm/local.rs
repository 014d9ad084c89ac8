//! A local GGUF chat model on candle's quantized llama and qwen2: loading (with Q4_1/Q5
//! tensors requantized to Q8_0), the ChatML template and greedy decoding.

use std::path::Path;
use std::sync::Mutex;

use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use candle_transformers::models::{quantized_llama, quantized_qwen2};

use super::gguf_tokenizer::tokenizer_from_gguf;
use super::{Generator, LlmError};
use crate::answer::chat::{ChatMessage, Usage};

/// The architectures whose quantized weights candle runs here.
enum Weights {
    Llama(quantized_llama::ModelWeights),
    Qwen2(quantized_qwen2::ModelWeights),
}

impl Weights {
    /// The weights of a checked architecture (`llama` or `qwen2`) from a GGUF file.
    fn load<R: std::io::Read + std::io::Seek>(
        arch: &str,
        content: gguf_file::Content,
        reader: &mut R,
    ) -> candle_core::Result<Weights> {
        let device = Device::Cpu;
        Ok(match arch {
            "qwen2" => Weights::Qwen2(quantized_qwen2::ModelWeights::from_gguf(
                content, reader, &device,
            )?),
            _ => Weights::Llama(quantized_llama::ModelWeights::from_gguf(
                content, reader, &device,
            )?),
        })
    }

    /// Logits of the last position; `pos` 0 starts a new sequence (the KV cache restarts).
    fn forward(&mut self, input: &Tensor, pos: usize) -> candle_core::Result<Tensor> {
        match self {
            Weights::Llama(m) => m.forward(input, pos),
            Weights::Qwen2(m) => m.forward(input, pos),
        }
    }
}

/// Quantized types whose dot product candle computes without SIMD on x86 (several times
/// slower than Q8_0's, measured in docs/BENCHMARKS.md).
const WITHOUT_SIMD: [GgmlDType; 3] = [GgmlDType::Q4_1, GgmlDType::Q5_0, GgmlDType::Q5_1];

/// When the file holds tensors of a type in [`WITHOUT_SIMD`] (SmolLM2's Q4_1 file does),
/// a copy of the model in memory with those tensors requantized to Q8_0: about twice their
/// memory, a few seconds at load, much faster generation, and 8-bit steps cannot add much
/// error to 4- or 5-bit values. `None` when the file can be used as it is (or
/// `ENVKB_LLM_REQUANTIZE=0` asks for the file's own types, for comparison).
fn requantize(
    content: &gguf_file::Content,
    file: &mut std::fs::File,
) -> candle_core::Result<Option<(gguf_file::Content, Vec<u8>)>> {
    if std::env::var("ENVKB_LLM_REQUANTIZE").is_ok_and(|v| v == "0")
        || !content
            .tensor_infos
            .values()
            .any(|t| WITHOUT_SIMD.contains(&t.ggml_dtype))
    {
        return Ok(None);
    }
    let device = Device::Cpu;
    let mut data = Vec::new();
    let mut infos = std::collections::HashMap::new();
    for (name, info) in &content.tensor_infos {
        let mut t = info.read(file, content.tensor_data_offset, &device)?;
        if WITHOUT_SIMD.contains(&info.ggml_dtype) {
            t = QTensor::quantize(&t.dequantize(&device)?, GgmlDType::Q8_0)?;
        }
        let offset = data.len() as u64;
        data.extend_from_slice(&t.data()?);
        infos.insert(
            name.clone(),
            gguf_file::TensorInfo {
                ggml_dtype: t.dtype(),
                shape: t.shape().clone(),
                offset,
            },
        );
    }
    let content = gguf_file::Content {
        magic: content.magic,
        metadata: content.metadata.clone(),
        tensor_infos: infos,
        tensor_data_offset: 0,
    };
    Ok(Some((content, data)))
}

/// Why a completion ended, as OpenAI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// The model ended its reply (or the caller stopped reading).
    Stop,
    /// `max_tokens` was reached.
    Length,
}

impl Finish {
    /// The reason as the chat-completions protocol spells it (`finish_reason`).
    pub fn as_str(self) -> &'static str {
        match self {
            Finish::Stop => "stop",
            Finish::Length => "length",
        }
    }
}

/// A finished local completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The generated reply.
    pub text: String,
    /// Token counts of the prompt and the reply.
    pub usage: Usage,
    /// Why generation stopped.
    pub finish: Finish,
}

/// A local GGUF chat model: weights, the tokenizer from the file's metadata, and the
/// ChatML template. One generation at a time (the KV cache is the model's state); other
/// callers wait for the lock.
pub struct LocalModel {
    weights: Mutex<Weights>,
    tokenizer: tokenizers::Tokenizer,
    /// Token ids that end a reply.
    stop: Vec<u32>,
    /// The file's name, reported as the model id.
    name: String,
    /// Longest prompt plus reply, in tokens.
    context: usize,
}

/// Longest prompt in tokens, to bound memory and time on a CPU whatever the model's
/// context length.
pub const MAX_PROMPT_TOKENS: usize = 3072;

impl LocalModel {
    /// Loads a GGUF file of the llama (also SmolLM, Mistral) or qwen2 family whose
    /// tokenizer is byte-level BPE.
    pub fn load(path: &Path) -> Result<LocalModel, LlmError> {
        let bad = |detail: String| LlmError::Model {
            path: path.to_path_buf(),
            detail,
        };
        if path.is_dir() {
            return Err(bad("this is a folder; give the .gguf file".into()));
        }
        let mut file = std::fs::File::open(path).map_err(|e| {
            bad(format!(
                "{e}; run models/fetch.sh or point --llm-gguf (ENVKB_LLM_GGUF) at a .gguf file"
            ))
        })?;
        let content = gguf_file::Content::read(&mut file)
            .map_err(|e| bad(format!("not a readable GGUF file ({e})")))?;
        let meta = |key: &str| content.metadata.get(key);
        let arch = meta("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        let declared = meta(&format!("{arch}.context_length"))
            .and_then(|v| v.to_u32().ok())
            .map_or(2048, |c| c as usize);
        let tokenizer = tokenizer_from_gguf(&content).map_err(&bad)?;
        let mut stop = Vec::new();
        if let Some(eos) = meta("tokenizer.ggml.eos_token_id").and_then(|v| v.to_u32().ok()) {
            stop.push(eos);
        }
        for t in ["<|im_end|>", "<|endoftext|>"] {
            if let Some(id) = tokenizer.token_to_id(t) {
                stop.push(id);
            }
        }
        let context = match arch.as_str() {
            // candle's llama precomputes rotary embeddings this far.
            "llama" => declared.min(quantized_llama::MAX_SEQ_LEN),
            "qwen2" => declared,
            other => {
                return Err(bad(format!(
                    "architecture {other:?} is not supported (llama and qwen2 are)"
                )))
            }
        };
        let weights = match requantize(&content, &mut file).map_err(|e| bad(e.to_string()))? {
            None => Weights::load(&arch, content, &mut file),
            Some((content, data)) => Weights::load(&arch, content, &mut std::io::Cursor::new(data)),
        }
        .map_err(|e| bad(e.to_string()))?;
        Ok(LocalModel {
            weights: Mutex::new(weights),
            tokenizer,
            stop,
            name: path
                .file_stem()
                .map_or("local".into(), |s| s.to_string_lossy().into_owned()),
            context,
        })
    }

    /// The model id reported in responses (the file name without `.gguf`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The conversation in the ChatML template that SmolLM and Qwen chat models use.
    pub fn chat_template(messages: &[ChatMessage]) -> String {
        let mut out = String::new();
        for m in messages {
            out.push_str(&format!(
                "<|im_start|>{}\n{}<|im_end|>\n",
                m.role, m.content
            ));
        }
        out.push_str("<|im_start|>assistant\n");
        out
    }

    /// The prompt's token ids, or [`LlmError::PromptTooLong`] when it and a reply of
    /// `max_tokens` do not fit the model's context (or [`MAX_PROMPT_TOKENS`]).
    pub fn encode_prompt(
        &self,
        messages: &[ChatMessage],
        max_tokens: u32,
    ) -> Result<Vec<u32>, LlmError> {
        let ids = self
            .tokenizer
            .encode(Self::chat_template(messages), false)
            .map_err(|e| LlmError::Generation(e.to_string()))?
            .get_ids()
            .to_vec();
        let limit = MAX_PROMPT_TOKENS.min(self.context.saturating_sub(max_tokens.max(1) as usize));
        if ids.len() > limit {
            return Err(LlmError::PromptTooLong {
                tokens: ids.len(),
                limit,
            });
        }
        Ok(ids)
    }

    /// Greedy decoding of the reply to `messages`. Each new piece of text goes to
    /// `on_text` as soon as it is whole (a byte-level token can end inside a character);
    /// `on_text` returning false stops generation (a client went away).
    pub fn complete(
        &self,
        messages: &[ChatMessage],
        max_tokens: u32,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Completion, LlmError> {
        let gen = |e: candle_core::Error| LlmError::Generation(e.to_string());
        let tok = |e: tokenizers::Error| LlmError::Generation(e.to_string());
        let prompt = self.encode_prompt(messages, max_tokens)?;
        let max_tokens = (max_tokens as usize).max(1);
        let mut weights = self.weights.lock().unwrap_or_else(|e| e.into_inner());
        let device = Device::Cpu;
        let mut reply: Vec<u32> = Vec::new();
        let mut shown = String::new();
        let mut input = prompt.clone();
        let mut pos = 0;
        let mut finish = Finish::Length;
        while reply.len() < max_tokens {
            let x = Tensor::new(input.as_slice(), &device)
                .and_then(|t| t.unsqueeze(0))
                .map_err(gen)?;
            let logits = weights.forward(&x, pos).map_err(gen)?;
            pos += input.len();
            let next = logits
                .flatten_all()
                .and_then(|l| l.argmax(0))
                .and_then(|t| t.to_scalar::<u32>())
                .map_err(gen)?;
            if self.stop.contains(&next) {
                finish = Finish::Stop;
                break;
            }
            reply.push(next);
            input = vec![next];
            let text = self.tokenizer.decode(&reply, true).map_err(tok)?;
            if !text.ends_with('\u{FFFD}') && text.len() > shown.len() && text.starts_with(&shown) {
                let more = on_text(&text[shown.len()..]);
                shown = text;
                if !more {
                    finish = Finish::Stop;
                    break;
                }
            }
        }
        let text = self.tokenizer.decode(&reply, true).map_err(tok)?;
        if text.len() > shown.len() && text.starts_with(&shown) {
            on_text(&text[shown.len()..]);
        }
        Ok(Completion {
            text,
            usage: Usage {
                prompt_tokens: prompt.len() as u32,
                completion_tokens: reply.len() as u32,
                total_tokens: (prompt.len() + reply.len()) as u32,
            },
            finish,
        })
    }
}

impl Generator for LocalModel {
    fn generate(
        &self,
        messages: &[ChatMessage],
        max_tokens: u32,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<String, LlmError> {
        let mut go_on = |t: &str| {
            on_text(t);
            true
        };
        self.complete(messages, max_tokens, &mut go_on)
            .map(|c| c.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Fault;

    #[test]
    fn a_missing_or_wrong_model_file_is_a_user_fault_that_says_what_to_do() {
        let missing = LocalModel::load(Path::new("no/such/model.gguf"))
            .err()
            .unwrap();
        assert!(missing.to_string().contains("models/fetch.sh"), "{missing}");
        assert_eq!(missing.fault(), Fault::User);
        let dir = tempfile::tempdir().unwrap();
        let not_gguf = dir.path().join("x.gguf");
        std::fs::write(&not_gguf, "# not a model\n").unwrap();
        let e = LocalModel::load(&not_gguf).err().unwrap();
        assert!(e.to_string().contains("not a readable GGUF"), "{e}");
        let e = LocalModel::load(dir.path()).err().unwrap();
        assert!(e.to_string().contains("folder"), "{e}");
    }

    #[test]
    fn chat_template_is_chatml_ending_with_the_assistant_turn() {
        let t = LocalModel::chat_template(&[
            ChatMessage::new("system", "S"),
            ChatMessage::new("user", "U"),
        ]);
        assert_eq!(
            t,
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"
        );
    }
}
