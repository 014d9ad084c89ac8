//! Gold given by document and heading path (`relevant_refs`) resolved to the chunk ids of
//! an index, so bench questions survive re-chunking.

use super::QueryRecord;
use crate::lexical::LexicalIndex;

/// Resolves `relevant_refs` (document id + " > "-separated heading parts) to chunk ids:
/// a chunk matches when each part appears, in order, in its breadcrumb below the title;
/// an empty section means the document's opening text.
pub fn resolve_refs(index: &LexicalIndex, q: &QueryRecord) -> Vec<String> {
    let norm = |s: &str| {
        crate::text::normalize(s)
            .chars()
            .filter(|c| c.is_alphanumeric() || c.is_whitespace() || *c == '.')
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = Vec::new();
    for r in &q.relevant_refs {
        if let Some(unit) = r.unit() {
            let chunks = index.document_chunks(&r.doc).unwrap_or_default();
            out.extend(
                chunks
                    .into_iter()
                    .filter(|c| unit.is_own_text(c))
                    .map(|c| c.passage.chunk_id),
            );
            continue;
        }
        let parts: Vec<String> = r
            .section
            .split(" > ")
            .map(norm)
            .filter(|p| !p.is_empty())
            .collect();
        let Ok(chunks) = index.document_chunks(&r.doc) else {
            continue;
        };
        for c in chunks {
            let crumbs: Vec<String> = c.breadcrumb.iter().skip(1).map(|b| norm(b)).collect();
            // An empty section names the document's opening, before its first heading.
            if parts.is_empty() {
                if crumbs.is_empty() {
                    out.push(c.passage.chunk_id);
                }
                continue;
            }
            let mut at = 0;
            let all = parts.iter().all(|p| {
                while at < crumbs.len() {
                    at += 1;
                    if crumbs[at - 1].contains(p.as_str()) {
                        return true;
                    }
                }
                false
            });
            if all {
                out.push(c.passage.chunk_id);
            }
        }
    }
    out
}
