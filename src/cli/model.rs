//! Finding and loading the embedding model for the commands that can use it, with the
//! fallback rule: no model files means lexical search and one warning naming the absolute
//! directories looked in, not an error (except where semantic search was asked for).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::embed::location::{self, ModelRecord};
use crate::embed::ModelSource;

#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Model directory: e5-small-q4.bin + tokenizer.json (models/fetch.sh puts them in
    /// models/), or a Hugging Face directory (config.json, model.safetensors, tokenizer.json).
    /// Without it: the directory recorded in the index when it was built, models/ in the
    /// working directory, models/ next to the envkb binary, then the per-user data directory
    /// ($XDG_DATA_HOME/envkb/models or ~/.local/share/envkb/models).
    #[arg(long, global = true, env = "ENVKB_MODEL_DIR")]
    pub model_dir: Option<PathBuf>,
    /// Do not load the model: lexical search only.
    #[arg(long, global = true)]
    pub no_model: bool,
}

pub use crate::engine::LoadedModel;

/// A loaded model and the directory it came from.
pub struct Found {
    pub model: LoadedModel,
    pub dir: PathBuf,
}

/// Loads the model without an index to consult (see [`load_for`]).
pub fn load(args: &ModelArgs) -> Result<LoadedModel, String> {
    locate(args, None).map(|f| f.model)
}

/// Loads the model for the index at `index_dir`, or explains why there is none (the caller
/// decides whether that is a warning or an error).
pub fn load_for(args: &ModelArgs, index_dir: &Path) -> Result<LoadedModel, String> {
    locate(args, Some(index_dir)).map(|f| f.model)
}

/// Finds and loads the model: the given directory only, or the first of
/// [`location::candidates`] that holds model files.
pub fn locate(args: &ModelArgs, index_dir: Option<&Path>) -> Result<Found, String> {
    if args.no_model {
        return Err("--no-model was given".into());
    }
    let dirs = match &args.model_dir {
        Some(d) => vec![location::absolute(d)],
        None => location::candidates(index_dir),
    };
    for dir in &dirs {
        if ModelSource::discover(dir).is_ok() {
            let model = LoadedModel::load(dir).map_err(|e| e.to_string())?;
            return Ok(Found {
                model,
                dir: dir.clone(),
            });
        }
    }
    if let (Some(_), [dir]) = (&args.model_dir, dirs.as_slice()) {
        if let Err(e) = ModelSource::discover(dir) {
            // The error names the absolute directory and says how to fill it.
            return Err(e.to_string());
        }
    }
    Err(format!(
        "no embedding model found (looked in {}); run models/fetch.sh in the envkb source folder, or give --model-dir",
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// Records in the index where its model is, so later commands find it from any directory.
pub fn record(index_dir: &Path, found_dir: &Path, model_id: &str) {
    if let Err(e) = ModelRecord::of(found_dir, model_id).write(index_dir) {
        eprintln!("warning: could not record the model's location in the index: {e}");
    }
}
