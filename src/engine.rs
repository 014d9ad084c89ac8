//! An opened knowledge base: the lexical index, the embedding model and the chunk vectors,
//! held together so that the CLI, the answer layer and the server run the same retrieval.
//!
//! Owns the rule that the semantic side is optional: a missing model or vectors made by
//! another model leave a lexical-only engine with the reason recorded for the warning.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::embed::{EmbedError, Encoder, ModelSource};
use crate::lexical::{LexicalError, LexicalIndex};
use crate::search::{HybridConfig, Retriever, Semantic};
use crate::vector::{SentenceStore, VectorError, VectorStore};

/// A loaded encoder and the identity recorded with the vectors it makes.
pub struct LoadedModel {
    /// The encoder.
    pub encoder: Encoder,
    /// Names the model; vectors made by another model are not used with it.
    pub model_id: String,
}

impl LoadedModel {
    /// Loads the model in `dir` (packed files or a Hugging Face directory), or says why it
    /// cannot; the caller decides whether that is a warning or an error.
    pub fn load(dir: &Path) -> Result<LoadedModel, EmbedError> {
        let source = ModelSource::discover(dir)?;
        // The identity changes when the weights file does, so vectors from other weights
        // are never mixed with this model's queries.
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
        let encoder = Encoder::load(&source)?;
        Ok(LoadedModel { encoder, model_id })
    }
}

/// The vector store of an index, when it exists and was made by the loaded model.
pub fn open_vectors(index: &LexicalIndex, model: &LoadedModel) -> Result<VectorStore, VectorError> {
    let m = index.manifest();
    let Some(name) = &m.vectors else {
        return Err(VectorError::Missing);
    };
    if m.model.as_deref() != Some(model.model_id.as_str()) {
        return Err(VectorError::OtherModel);
    }
    // For searching: the int8 codes resident, the f32 rows read from the file.
    VectorStore::open(index.dir(), name)
}

/// Why the vectors cannot be used, naming the file but not the folder it is in: this
/// text reaches readers of the search API as its warning.
fn vectors_unreadable(name: &str, e: VectorError) -> String {
    match e {
        VectorError::Corrupt { detail, .. } => {
            format!("the vector file {name} is damaged: {detail}; rebuild the index")
        }
        VectorError::Format {
            found, expected, ..
        } => format!(
            "the vector file {name} was written by an incompatible envkb (format {found}, expected {expected}); rebuild the index"
        ),
        VectorError::Io(io) => format!(
            "the vector file {name} cannot be read ({}); rebuild the index",
            io.kind()
        ),
        other => format!("the vector file {name} cannot be used ({other}); rebuild the index"),
    }
}

/// Whether the index's vectors exist for `model` but could not be read: writing then
/// would have to rebuild or drop them, so writers stop until the index is repaired.
pub fn vectors_damaged(engine: &Engine) -> bool {
    let m = engine.index.manifest();
    match (&engine.model, &engine.vectors) {
        (Some(model), None) => {
            m.vectors.is_some() && m.model.as_deref() == Some(model.model_id.as_str())
        }
        _ => false,
    }
}

/// The sentence vectors of an engine's index, opened on first use: a search never reads
/// them, an answer maps the file once per engine (per process for the CLI, per index
/// generation for the server).
#[derive(Debug, Default)]
pub struct SentenceSlot(OnceLock<Option<SentenceStore>>);

/// The index's sentence vectors when they exist and were made by `model`. A file that
/// cannot be opened is logged and left out: answers then embed their sentences themselves.
fn open_sentences(index: &LexicalIndex, model: Option<&LoadedModel>) -> Option<SentenceStore> {
    let m = index.manifest();
    let (Some(name), Some(model)) = (&m.sentences, model) else {
        return None;
    };
    if m.model.as_deref() != Some(model.model_id.as_str()) {
        return None;
    }
    match SentenceStore::open(index.dir(), name) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!("sentence vectors not used ({e}); answers embed their sentences");
            None
        }
    }
}

/// An index opened for searching, with its semantic side when it can run.
pub struct Engine {
    /// The tantivy index and its manifest.
    pub index: LexicalIndex,
    /// Shared so that a long-lived process (the server) can reopen the index after a write
    /// without loading the model again.
    pub model: Option<Arc<LoadedModel>>,
    /// One vector per chunk, when the index has them and they match the model.
    pub vectors: Option<VectorStore>,
    /// Why the semantic side is missing, for the fallback warning.
    pub semantic_unavailable: Option<String>,
    /// Depth and fusion for searches on this engine.
    pub config: HybridConfig,
    /// The evidence sentences' vectors (see [`Engine::sentence_vectors`]).
    pub sentences: SentenceSlot,
}

impl Engine {
    /// Opens the index at `dir` with `model`, or the reason there is none as the words of the
    /// fallback warning (a front end decides how a missing model is phrased). A model whose
    /// vectors cannot be opened is kept (it can still embed questions) but search is lexical.
    pub fn open(dir: &Path, model: Result<LoadedModel, String>) -> Result<Engine, LexicalError> {
        let index = LexicalIndex::open(dir)?;
        Ok(Engine::with_index(index, model))
    }

    /// Builds an engine over an index that is already open.
    pub fn with_index(index: LexicalIndex, model: Result<LoadedModel, String>) -> Engine {
        Engine::with_shared_model(index, model.map(Arc::new))
    }

    /// Builds an engine over an open index with a model that other engines may share.
    pub fn with_shared_model(
        index: LexicalIndex,
        model: Result<Arc<LoadedModel>, String>,
    ) -> Engine {
        let (model, vectors, why) = match model {
            Ok(m) => match open_vectors(&index, &m) {
                Ok(v) => (Some(m), Some(v), None),
                Err(why) => {
                    let name = index.manifest().vectors.clone().unwrap_or_default();
                    let why = match why {
                        VectorError::Missing | VectorError::OtherModel => why.to_string(),
                        other => vectors_unreadable(&name, other),
                    };
                    (Some(m), None, Some(why))
                }
            },
            Err(why) => (None, None, Some(why)),
        };
        Engine {
            index,
            model,
            vectors,
            semantic_unavailable: why,
            config: HybridConfig::default(),
            sentences: SentenceSlot::default(),
        }
    }

    /// The stored vectors of the index's evidence sentences, when the index has them for
    /// the loaded model; opened (mapped and checksummed) on the first call.
    pub fn sentence_vectors(&self) -> Option<&SentenceStore> {
        self.sentences
            .0
            .get_or_init(|| open_sentences(&self.index, self.model.as_deref()))
            .as_ref()
    }

    /// Opens the index at `dir` again (after a write) with this engine's model, so the new
    /// engine sees the latest commit and shares the already loaded encoder.
    pub fn reopen(&self, dir: &Path) -> Result<Engine, LexicalError> {
        let model = match &self.model {
            Some(m) => Ok(Arc::clone(m)),
            None => Err(self
                .semantic_unavailable
                .clone()
                .unwrap_or_else(|| "no model loaded".into())),
        };
        Ok(Engine::with_shared_model(LexicalIndex::open(dir)?, model))
    }

    /// The encoder, when the model is loaded (even if the index has no vectors).
    pub fn encoder(&self) -> Option<&Encoder> {
        self.model.as_ref().map(|m| &m.encoder)
    }

    /// A retriever over this engine, semantic side included when it can run.
    pub fn retriever(&self) -> Retriever<'_> {
        let semantic = match (&self.model, &self.vectors) {
            (Some(m), Some(v)) => Some(Semantic {
                encoder: &m.encoder,
                vectors: v,
            }),
            _ => None,
        };
        Retriever {
            lexical: &self.index,
            semantic,
            config: self.config,
            semantic_unavailable: self.semantic_unavailable.clone(),
        }
    }
}
