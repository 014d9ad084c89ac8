//! Finding and loading the embedding model for the commands that can use it, with the
//! fallback rule: no model files means lexical search and a one-line warning, not an error.

use std::path::PathBuf;

use clap::Args;

use crate::embed::{Encoder, ModelSource};

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

/// A loaded encoder and the identity recorded with the vectors it makes.
pub struct LoadedModel {
    pub encoder: Encoder,
    pub model_id: String,
}

/// Loads the model, or explains why there is none (the caller decides whether that is a
/// warning or an error).
pub fn load(args: &ModelArgs) -> Result<LoadedModel, String> {
    if args.no_model {
        return Err("--no-model was given".into());
    }
    let source =
        ModelSource::discover(&args.model_dir).map_err(|e| format!("{e}; run models/fetch.sh"))?;
    let model_id = match &source {
        ModelSource::Packed { bin, .. } => format!(
            "multilingual-e5-small/packed-q4/{}",
            std::fs::metadata(bin).map(|m| m.len()).unwrap_or(0)
        ),
        ModelSource::HfDir(dir) => format!(
            "multilingual-e5-small/hf/{}",
            std::fs::metadata(dir.join("model.safetensors"))
                .map(|m| m.len())
                .unwrap_or(0)
        ),
    };
    let encoder = Encoder::load(&source).map_err(|e| e.to_string())?;
    Ok(LoadedModel { encoder, model_id })
}
