//! API keys and roles: who may read, who may change the knowledge base.
//!
//! Keys come from a keys file or `ENVKB_API_KEYS` as `role:key` pairs. Only their blake3
//! hashes are kept, compared in constant time, and a key never appears in a log line or an
//! error message. Reading can be opened to anonymous callers; writing never is.

use std::fmt;
use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde::Serialize;

use super::error::ApiError;
use super::state::AppState;

/// What a caller may do; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Search, ask, read documents and passages, embeddings.
    Reader,
    /// Also upload documents and delete uploaded ones.
    Editor,
    /// Also delete documents that came from the indexed folders.
    Admin,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Reader => "reader",
            Role::Editor => "editor",
            Role::Admin => "admin",
        })
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "reader" => Ok(Role::Reader),
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role {other:?} (use reader, editor or admin)"
            )),
        }
    }
}

/// Shortest key accepted, so that a typo such as `admin:x` cannot become a guessable key.
pub const MIN_KEY_CHARS: usize = 16;

/// The configured keys, by hash.
#[derive(Clone, Default)]
pub struct ApiKeys {
    keys: Vec<(blake3::Hash, Role)>,
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeys({} keys)", self.keys.len())
    }
}

impl ApiKeys {
    /// Adds `role:key` entries separated by commas or newlines; `#` starts a comment line.
    /// `origin` names where they came from, for the error message (never the key itself).
    pub fn add_from(&mut self, text: &str, origin: &str) -> Result<(), String> {
        for (n, entry) in text
            .split(['\n', ','])
            .map(str::trim)
            .enumerate()
            .filter(|(_, e)| !e.is_empty() && !e.starts_with('#'))
        {
            let Some((role, key)) = entry.split_once(':') else {
                return Err(format!(
                    "{origin}: entry {} is not role:key (roles: reader, editor, admin)",
                    n + 1
                ));
            };
            let role: Role = role.parse().map_err(|e| format!("{origin}: {e}"))?;
            let key = key.trim();
            if key.chars().count() < MIN_KEY_CHARS {
                return Err(format!(
                    "{origin}: the {role} key in entry {} is shorter than {MIN_KEY_CHARS} characters; use a long random key",
                    n + 1
                ));
            }
            self.keys.push((blake3::hash(key.as_bytes()), role));
        }
        Ok(())
    }

    /// How many keys are configured.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The role of a presented key. Every stored hash is compared, each in constant time
    /// (`blake3::Hash`'s equality), so timing says nothing about which key nearly matched.
    pub fn role_of(&self, presented: &str) -> Option<Role> {
        let h = blake3::hash(presented.as_bytes());
        let mut found = None;
        for (stored, role) in &self.keys {
            if *stored == h {
                found = found.max(Some(*role));
            }
        }
        found
    }
}

/// Who may do what.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// The API keys and their roles.
    pub keys: ApiKeys,
    /// Reading without a key.
    pub open_read: bool,
}

impl Access {
    /// The caller's role when it is at least `needed`, or why not. `None` is an anonymous
    /// reader (only when reading is open).
    pub fn check(&self, headers: &HeaderMap, needed: Role) -> Result<Option<Role>, ApiError> {
        match presented_key(headers)? {
            Some(key) => match self.keys.role_of(key) {
                None => Err(ApiError::Unauthorized(
                    "the API key is not valid; check it with the server's administrator".into(),
                )),
                Some(have) if have < needed => Err(ApiError::Forbidden { needed, have }),
                Some(have) => Ok(Some(have)),
            },
            None if needed == Role::Reader && self.open_read => Ok(None),
            None => Err(ApiError::Unauthorized(format!(
                "this needs an API key with the {needed} role: send the header `Authorization: Bearer KEY`"
            ))),
        }
    }
}

/// The key from `Authorization: Bearer KEY` or `X-API-Key: KEY`, when there is one.
fn presented_key(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let bad = || {
        ApiError::Unauthorized(
            "the Authorization header must be `Bearer KEY` with a key in plain ASCII".into(),
        )
    };
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let v = v.to_str().map_err(|_| bad())?;
        let key = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .ok_or_else(bad)?;
        return Ok(Some(key.trim()));
    }
    if let Some(v) = headers.get("x-api-key") {
        return Ok(Some(v.to_str().map_err(|_| bad())?.trim()));
    }
    Ok(None)
}

/// Extractor: the caller may read.
pub struct Reader;

/// Extractor: the caller may change documents; holds its role for finer checks.
pub struct Editor(pub Role);

impl FromRequestParts<AppState> for Reader {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state.access().check(&parts.headers, Role::Reader)?;
        Ok(Reader)
    }
}

impl FromRequestParts<AppState> for Editor {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let role = state.access().check(&parts.headers, Role::Editor)?;
        Ok(Editor(role.unwrap_or(Role::Editor)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const READER: &str = "reader-key-0123456789";
    const EDITOR: &str = "editor-key-0123456789";

    fn access(open_read: bool) -> Access {
        let mut keys = ApiKeys::default();
        keys.add_from(
            &format!("reader:{READER}\n# a comment\neditor:{EDITOR}"),
            "test",
        )
        .unwrap();
        Access { keys, open_read }
    }

    fn bearer(key: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {key}")).unwrap(),
        );
        h
    }

    #[test]
    fn roles_order_and_parse() {
        assert!(Role::Admin > Role::Editor && Role::Editor > Role::Reader);
        assert_eq!("Editor".parse::<Role>().unwrap(), Role::Editor);
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn keys_parse_from_env_style_and_refuse_short_or_malformed_ones() {
        let mut k = ApiKeys::default();
        k.add_from(
            "reader:aaaaaaaaaaaaaaaa, admin:bbbbbbbbbbbbbbbb",
            "ENVKB_API_KEYS",
        )
        .unwrap();
        assert_eq!(k.len(), 2);
        assert_eq!(k.role_of("bbbbbbbbbbbbbbbb"), Some(Role::Admin));
        assert_eq!(k.role_of("bbbbbbbbbbbbbbbc"), None);
        let short = ApiKeys::default()
            .add_from("admin:x", "keys.txt")
            .unwrap_err();
        assert!(
            short.contains("shorter") && !short.contains("admin:x"),
            "{short}"
        );
        assert!(ApiKeys::default()
            .add_from("justakeywithoutrole", "f")
            .is_err());
        assert!(ApiKeys::default()
            .add_from("owner:aaaaaaaaaaaaaaaa", "f")
            .is_err());
    }

    #[test]
    fn reading_is_open_only_when_configured_and_writing_never_is() {
        let closed = access(false);
        assert!(matches!(
            closed.check(&HeaderMap::new(), Role::Reader),
            Err(ApiError::Unauthorized(_))
        ));
        let open = access(true);
        assert_eq!(open.check(&HeaderMap::new(), Role::Reader).unwrap(), None);
        assert!(matches!(
            open.check(&HeaderMap::new(), Role::Editor),
            Err(ApiError::Unauthorized(_))
        ));
    }

    #[test]
    fn roles_are_enforced_and_bad_keys_rejected() {
        let a = access(false);
        assert_eq!(
            a.check(&bearer(READER), Role::Reader).unwrap(),
            Some(Role::Reader)
        );
        assert!(matches!(
            a.check(&bearer(READER), Role::Editor),
            Err(ApiError::Forbidden { .. })
        ));
        assert_eq!(
            a.check(&bearer(EDITOR), Role::Editor).unwrap(),
            Some(Role::Editor)
        );
        let e = a
            .check(&bearer("wrong-key-0123456789"), Role::Reader)
            .unwrap_err();
        assert!(matches!(e, ApiError::Unauthorized(_)));
        assert!(!e.to_string().contains("wrong-key"), "keys never echo back");
        let mut basic = HeaderMap::new();
        basic.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(a.check(&basic, Role::Reader).is_err());
        let mut x = HeaderMap::new();
        x.insert("x-api-key", HeaderValue::from_str(EDITOR).unwrap());
        assert_eq!(a.check(&x, Role::Reader).unwrap(), Some(Role::Editor));
    }
}
