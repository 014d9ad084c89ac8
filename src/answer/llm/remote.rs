//! A client of an OpenAI-compatible chat-completions endpoint over plain HTTP, streaming by
//! SSE (and reading a plain JSON reply from servers that do not stream).

use std::io::{BufRead, BufReader};
use std::time::Duration;

use super::{Generator, LlmError};
use crate::answer::chat::{ChatChunk, ChatMessage, ChatRequest, ChatResponse, SseLine, SseReader};

/// A client of an OpenAI-compatible `/chat/completions` endpoint, streaming by SSE (and
/// reading a plain JSON reply from servers that do not stream).
pub struct RemoteChat {
    url: String,
    model: String,
    key: Option<String>,
    agent: ureq::Agent,
}

impl RemoteChat {
    /// A client of the endpoint at `url` (the `/v1` base). Connecting may take 10 s; the
    /// server may then think up to 5 minutes before a token and between tokens.
    pub fn new(url: &str, model: &str, key: &Option<String>) -> RemoteChat {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_per_read(Some(Duration::from_secs(300)))
            .build()
            .into();
        RemoteChat {
            url: url.to_string(),
            model: model.to_string(),
            key: key.clone(),
            agent,
        }
    }
}

impl Generator for RemoteChat {
    fn generate(
        &self,
        messages: &[ChatMessage],
        max_tokens: u32,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<String, LlmError> {
        let endpoint = format!("{}/chat/completions", self.url);
        let fail = |detail: String| LlmError::Remote {
            url: endpoint.clone(),
            detail,
        };
        let body = serde_json::to_string(&ChatRequest {
            model: self.model.clone(),
            messages: messages.to_vec(),
            max_tokens: Some(max_tokens),
            temperature: Some(0.0),
            stream: true,
        })
        .map_err(|e| fail(e.to_string()))?;
        let mut req = self
            .agent
            .post(&endpoint)
            .header("Content-Type", "application/json")
            .header("Accept", "text/event-stream");
        if let Some(k) = &self.key {
            req = req.header("Authorization", &format!("Bearer {k}"));
        }
        let mut resp = req.send(body.as_str()).map_err(|e| match e {
            ureq::Error::Io(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::Timeout(_) => LlmError::Unreachable {
                url: endpoint.clone(),
                detail: e.to_string(),
            },
            other => fail(other.to_string()),
        })?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.body_mut().read_to_string().unwrap_or_default();
            let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            return Err(fail(format!(
                "status {}: {}",
                status.as_u16(),
                text.chars().take(300).collect::<String>()
            )));
        }
        let streamed = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let mut text = String::new();
        if streamed {
            let mut sse = SseReader::default();
            for line in BufReader::new(resp.body_mut().as_reader()).lines() {
                let line = line.map_err(|e| fail(e.to_string()))?;
                match sse.line(line.trim_end_matches('\r')) {
                    SseLine::Data(d) => {
                        let chunk: ChatChunk = serde_json::from_str(&d)
                            .map_err(|e| fail(format!("bad stream event: {e}")))?;
                        let piece = chunk.text();
                        if !piece.is_empty() {
                            on_text(piece);
                            text.push_str(piece);
                        }
                    }
                    SseLine::Done => break,
                    SseLine::Pending => {}
                }
            }
        } else {
            let raw = resp
                .body_mut()
                .read_to_string()
                .map_err(|e| fail(e.to_string()))?;
            let r: ChatResponse =
                serde_json::from_str(&raw).map_err(|e| fail(format!("bad response: {e}")))?;
            text = r.text().unwrap_or_default().to_string();
            on_text(&text);
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Fault;

    #[test]
    fn an_endpoint_that_is_not_listening_is_unreachable() {
        // A port that was free a moment ago: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let chat = RemoteChat::new(&format!("http://127.0.0.1:{port}/v1"), "", &None);
        let e = chat
            .generate(&[ChatMessage::new("user", "hi")], 4, &mut |_| {})
            .unwrap_err();
        assert!(matches!(e, LlmError::Unreachable { .. }), "{e}");
        assert_eq!(e.fault(), Fault::User);
    }
}
