//! Finding and loading the embedding model for the commands that can use it, with the
//! fallback rule: no model files means lexical search and a one-line warning, not an error.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Model directory: e5-small-q4.bin + tokenizer.json (models/fetch.sh puts them in
    /// models/), or a Hugging Face directory (config.json, model.safetensors, tokenizer.json).
    #[arg(long, global = true, env = "ENVKB_MODEL_DIR", default_value = crate::embed::DEFAULT_MODEL_DIR)]
    pub model_dir: PathBuf,
    /// Do not load the model: lexical search only.
    #[arg(long, global = true)]
    pub no_model: bool,
}

pub use crate::engine::LoadedModel;

/// Loads the model, or explains why there is none (the caller decides whether that is a
/// warning or an error).
pub fn load(args: &ModelArgs) -> Result<LoadedModel, String> {
    if args.no_model {
        return Err("--no-model was given".into());
    }
    LoadedModel::load(&args.model_dir).map_err(|e| e.to_string())
}
