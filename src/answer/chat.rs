//! The OpenAI-compatible chat-completions wire types, shared by the remote client, the
//! local model's endpoint (`POST /v1/chat/completions` in the server) and the prompt.
//!
//! Owns the JSON shapes only (request, response, streamed chunk, Server-Sent Events
//! framing); it does no I/O and runs no model.

use serde::{Deserialize, Serialize};

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// "system", "user" or "assistant".
    pub role: String,
    /// The message's text.
    pub content: String,
}

impl ChatMessage {
    /// A message from `role` ("system", "user" or "assistant") saying `content`.
    pub fn new(role: &str, content: impl Into<String>) -> ChatMessage {
        ChatMessage {
            role: role.to_string(),
            content: content.into(),
        }
    }
}

/// A chat-completions request (the fields envkb uses; others are ignored when received).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The model to ask for, by the server's name for it; empty when a received request
    /// names none.
    #[serde(default)]
    pub model: String,
    /// The conversation, oldest message first; the model replies to the last.
    pub messages: Vec<ChatMessage>,
    /// The most tokens to generate; `None` leaves it to the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Sampling temperature; `None` leaves it to the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Whether to answer as a stream of Server-Sent Events ([`ChatChunk`]s) rather than one
    /// [`ChatResponse`].
    #[serde(default)]
    pub stream: bool,
}

/// Token counts of a completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: u32,
    /// Tokens generated.
    pub completion_tokens: u32,
    /// Both together.
    pub total_tokens: u32,
}

/// One choice of a non-streamed completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatChoice {
    /// The choice's position (envkb asks for one, so 0).
    pub index: u32,
    /// The generated message.
    pub message: ChatMessage,
    /// Why generation stopped ("stop", "length", ...), if the server says.
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// A non-streamed completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The completion's id, as the server named it.
    #[serde(default)]
    pub id: String,
    /// The object type, "chat.completion" by the protocol.
    #[serde(default)]
    pub object: String,
    /// When the completion was made, in Unix seconds.
    #[serde(default)]
    pub created: u64,
    /// The model that answered.
    #[serde(default)]
    pub model: String,
    /// The generated alternatives; envkb reads the first.
    pub choices: Vec<ChatChoice>,
    /// Token counts, if the server reports them.
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// The new part of the assistant message in a streamed chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ChatDelta {
    /// The speaker, sent in the first chunk only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The next piece of text, if this chunk carries any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// One choice of a streamed chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice {
    /// The choice this delta extends.
    pub index: u32,
    /// The new text of the choice.
    pub delta: ChatDelta,
    /// Why generation stopped, in the choice's last chunk; `None` before.
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// One `data:` event of a streamed completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatChunk {
    /// The completion's id, the same in every chunk of one stream.
    #[serde(default)]
    pub id: String,
    /// The object type, "chat.completion.chunk" by the protocol.
    #[serde(default)]
    pub object: String,
    /// When the completion was started, in Unix seconds.
    #[serde(default)]
    pub created: u64,
    /// The model that answers.
    #[serde(default)]
    pub model: String,
    /// The choices this chunk extends.
    pub choices: Vec<ChunkChoice>,
}

impl ChatResponse {
    /// The first choice's text.
    pub fn text(&self) -> Option<&str> {
        self.choices.first().map(|c| c.message.content.as_str())
    }
}

impl ChatChunk {
    /// A chunk carrying `content` (or only a finish reason when `content` is `None`).
    pub fn content(id: &str, model: &str, created: u64, content: Option<String>) -> ChatChunk {
        let finish = content.is_none().then(|| "stop".to_string());
        ChatChunk {
            id: id.to_string(),
            object: "chat.completion.chunk".into(),
            created,
            model: model.to_string(),
            choices: vec![ChunkChoice {
                index: 0,
                delta: ChatDelta {
                    role: None,
                    content,
                },
                finish_reason: finish,
            }],
        }
    }

    /// The text this chunk adds.
    pub fn text(&self) -> &str {
        self.choices
            .first()
            .and_then(|c| c.delta.content.as_deref())
            .unwrap_or("")
    }
}

/// Reads Server-Sent Events line by line: `data:` payloads, `[DONE]` as the end.
#[derive(Debug, Default)]
pub struct SseReader {
    data: String,
}

/// What one line of an event stream completes.
#[derive(Debug, PartialEq, Eq)]
pub enum SseLine {
    /// Nothing complete yet.
    Pending,
    /// An event's data.
    Data(String),
    /// The `[DONE]` sentinel.
    Done,
}

impl SseReader {
    /// Feeds one line (without its line ending).
    pub fn line(&mut self, line: &str) -> SseLine {
        if line.is_empty() {
            let data = std::mem::take(&mut self.data);
            return match data.as_str() {
                "" => SseLine::Pending,
                "[DONE]" => SseLine::Done,
                _ => SseLine::Data(data),
            };
        }
        if let Some(rest) = line.strip_prefix("data:") {
            if !self.data.is_empty() {
                self.data.push('\n');
            }
            self.data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        }
        SseLine::Pending
    }
}

/// One Server-Sent Event carrying `json`.
pub fn sse_event(json: &str) -> String {
    format!("data: {json}\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_responses_read_common_server_json() {
        let req: ChatRequest = serde_json::from_str(
            r#"{"model":"m","messages":[{"role":"user","content":"سلام"}],"stream":true,"n":1}"#,
        )
        .unwrap();
        assert!(req.stream);
        assert_eq!(req.messages[0].content, "سلام");
        let resp: ChatResponse = serde_json::from_str(
            r#"{"id":"x","object":"chat.completion","created":1,"model":"m",
                "choices":[{"index":0,"message":{"role":"assistant","content":"Hi [1]."},"finish_reason":"stop"}],
                "usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#,
        )
        .unwrap();
        assert_eq!(resp.text(), Some("Hi [1]."));
    }

    #[test]
    fn sse_lines_become_events() {
        let mut r = SseReader::default();
        let chunk = ChatChunk::content("id", "m", 0, Some("آب".into()));
        let wire = sse_event(&serde_json::to_string(&chunk).unwrap()) + "data: [DONE]\n\n";
        let mut got = Vec::new();
        for line in wire.lines() {
            match r.line(line) {
                SseLine::Data(d) => got.push(
                    serde_json::from_str::<ChatChunk>(&d)
                        .unwrap()
                        .text()
                        .to_string(),
                ),
                SseLine::Done => got.push("<done>".into()),
                SseLine::Pending => {}
            }
        }
        assert_eq!(got, vec!["آب", "<done>"]);
        assert_eq!(r.line(": comment"), SseLine::Pending);
    }
}
