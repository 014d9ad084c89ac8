//! The language-model settings shared by `envkb ask --generate` and `envkb serve`: a local
//! GGUF file or an OpenAI-compatible endpoint, from flags or `ENVKB_LLM_*` variables.

use std::path::PathBuf;

use clap::Args;

use crate::answer::{AnswerError, LlmConfig};
use crate::Error;

#[derive(Debug, Clone, Args)]
pub struct LlmArgs {
    /// Base URL of an OpenAI-compatible chat-completions server, up to and including /v1
    /// (for example http://127.0.0.1:8080/v1); wins over --llm-gguf.
    #[arg(long, env = "ENVKB_LLM_URL")]
    pub llm_url: Option<String>,
    /// The model name sent to that server.
    #[arg(long, env = "ENVKB_LLM_MODEL")]
    pub llm_model: Option<String>,
    /// The API key sent to that server as a bearer token (set it in the environment, not
    /// on the command line, where other users can see it).
    #[arg(long, env = "ENVKB_LLM_KEY", hide_env_values = true)]
    pub llm_key: Option<String>,
    /// A local GGUF chat model (llama or qwen2 family; models/fetch.sh fetches
    /// models/SmolLM2-135M-Instruct.Q4_1.gguf).
    #[arg(long, env = "ENVKB_LLM_GGUF")]
    pub llm_gguf: Option<PathBuf>,
}

impl LlmArgs {
    /// The checked settings; `None` when no model is named. A bad URL is one clear line.
    pub fn resolve(&self) -> Result<Option<LlmConfig>, Error> {
        LlmConfig::resolve(
            self.llm_url.clone(),
            self.llm_model.clone(),
            self.llm_key.clone(),
            self.llm_gguf.clone(),
        )
        .map_err(|e| Error::Answer(AnswerError::Llm(e)))
    }
}
