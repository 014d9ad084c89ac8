//! Embeddings of a JSONL bench corpus, cached on disk by corpus content and model so
//! repeated evaluations do not embed the same passages again.

use std::path::Path;

use crate::engine::LoadedModel;
use crate::indexer::Progress;
use crate::ingest::Document;
use crate::vector::{VectorError, VectorStore};

/// The vectors of `docs` under `model`: read from `cache` when an earlier run stored them,
/// else embedded (reporting to `progress`) and stored there for next time.
pub fn cached_corpus_vectors(
    cache: &Path,
    docs: &[Document],
    model: &LoadedModel,
    progress: &mut dyn Progress,
) -> crate::Result<VectorStore> {
    let mut h = blake3::Hasher::new();
    h.update(model.model_id.as_bytes());
    for d in docs {
        h.update(d.id.as_bytes());
        h.update(d.hash.as_bytes());
    }
    let key = h.finalize().to_hex().to_string();
    let dir = cache.join(format!("eval-{}", &key[..16]));
    let name = crate::vector::file_name(1);
    // Opened for searching like a served index's (int8 codes resident, f32 rows read
    // from the file for rescoring), so evaluations run the served code path.
    if let Ok(store) = VectorStore::open(&dir, &name) {
        return Ok(store);
    }
    let store = crate::indexer::embed_documents(docs, &model.encoder, progress)?;
    std::fs::create_dir_all(&dir).map_err(VectorError::Io)?;
    store.write(&dir, 1).map_err(VectorError::Io)?;
    Ok(store)
}
