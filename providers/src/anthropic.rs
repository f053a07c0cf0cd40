//! The `anthropic` kind: the Messages API with an API key (`x-api-key`), streamed as named
//! SSE events, with assistant prefill for fill-in-the-middle.
//!
//! Subscription (Claude Pro/Max OAuth) credentials are refused by the vendor outside its own
//! tool; that answer is classified as `blocked_credential` so the chain moves on and the user
//! is told to set an API key.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::http::{self, Flow, FrameDecoder, SseEvent};
use crate::keys;
use crate::provider::{
    Capabilities, ChatRole, ErrorKind, GenerateRequest, Prompt, ProviderError, StreamEvent, TextStream, Usage,
};
use crate::request_setup;
use crate::spec::{KeySource, ProviderSpec};

pub const API_VERSION: &str = "2023-06-01";

#[derive(Debug)]
pub struct Anthropic {
    name: String,
    model: String,
    /// Without a trailing slash; `/v1/messages` is appended.
    base_url: String,
    key: KeySource,
    headers: HeaderMap,
    capabilities: Capabilities,
    timeout: Option<Duration>,
}

impl Anthropic {
    pub fn from_spec(name: &str, spec: &ProviderSpec) -> Result<Self, String> {
        let descriptor = &crate::kinds::ANTHROPIC;
        let model = descriptor.model(spec)?;
        let base_url = descriptor.base_url(spec);
        let key = descriptor.key_source(spec);
        let headers = request_setup::sensitive_headers(
            spec.headers.iter().map(|(header, value)| (header.as_str(), value.as_str())),
        )?;
        let (capabilities, _) = crate::models::capabilities(descriptor.kind, &model, spec)?;
        Ok(Self {
            name: name.to_owned(),
            model,
            base_url,
            key,
            headers,
            capabilities,
            timeout: request_setup::timeout(spec),
        })
    }

    async fn send(&self, request: GenerateRequest) -> Result<TextStream, ProviderError> {
        let deadline = http::effective_deadline(request.deadline, self.timeout);
        let key = request_setup::resolve_key(&self.name, &self.key).await?;
        let stream = self.capabilities.streaming;
        // The Messages API refuses a stop sequence with no visible character (HTTP 400, "each stop
        // sequence must contain non-whitespace"), and a single-line completion asks to stop at
        // "\n". Leave those out: the caller's stream reader already ends a single line itself.
        let mut stop: Vec<String> = request.stop.iter().filter(|stop| !stop.trim().is_empty()).cloned().collect();
        let (chat, prefill, fim) = match &request.prompt {
            Prompt::Chat(chat) => (chat.clone(), None, None),
            Prompt::Fim(fim) => {
                // The answer continues inside an opened fence, so it is code from its first
                // token; the closing fence stops it. Anthropic refuses a prefill that ends in
                // whitespace, hence no newline after the language tag.
                let prefill = format!("```{}", fim.language.as_deref().unwrap_or(""));
                stop.push("```".to_owned());
                (crate::chat_fim::to_chat(fim), Some(prefill), Some(fim.clone()))
            }
        };
        let mut messages: Vec<WireMessage<'_>> = chat
            .messages
            .iter()
            .map(|message| WireMessage {
                role: match message.role {
                    ChatRole::User => "user",
                    ChatRole::Assistant => "assistant",
                },
                content: &message.content,
            })
            .collect();
        if let Some(prefill) = &prefill {
            messages.push(WireMessage { role: "assistant", content: prefill });
        }
        let body = MessagesRequest {
            model: &self.model,
            max_tokens: request.max_tokens,
            system: chat.system.as_deref(),
            messages,
            stop_sequences: &stop,
            // docs.anthropic.com/en/api/messages: `temperature` 0.0 to 1.0.
            temperature: request_setup::temperature(request.temperature, 1.0),
            stream,
        };
        let mut builder = http::client_for(&self.base_url)
            .await
            .post(format!("{}/v1/messages", self.base_url))
            .headers(self.headers.clone())
            .header("anthropic-version", API_VERSION)
            .json(&body);
        if let Some(key) = &key {
            let mut value = HeaderValue::from_str(key.expose()).map_err(|_| {
                ProviderError::new(ErrorKind::Auth, &self.name, "the API key contains characters a header cannot carry")
            })?;
            value.set_sensitive(true);
            builder = builder.header("x-api-key", value);
        }
        if stream {
            builder = builder.header(reqwest::header::ACCEPT, "text/event-stream");
        }
        tracing::debug!(provider = %self.name, stream, "sending request");
        let response = http::send(&self.name, builder, deadline).await?;
        if !response.status().is_success() {
            let mut error = http::error_from_response(&self.name, response, deadline, refine_status).await;
            error.message = keys::scrub(&error.message, key.as_ref());
            return Err(error);
        }
        let answer = if stream {
            let decoder = SseDecoder { provider: self.name.clone(), usage: Usage::default(), stopped: false };
            http::decode_stream(http::sse_stream(&self.name, response, deadline), decoder)
        } else {
            let body = http::read_body(&self.name, response, deadline).await?;
            http::ready_stream(decode_whole(&self.name, &body)?)
        };
        Ok(match (prefill, fim) {
            (Some(prefill), Some(fim)) => crate::chat_fim::stream_completion(answer, fim, prefill, true),
            _ => answer,
        })
    }
}

request_setup::provider_via_send!(Anthropic);

/// Anthropic's `error.type` says more than the status (docs: "check error.type").
fn kind_of(error_type: &str, message: &str) -> Option<ErrorKind> {
    if http::is_blocked_credential_message(message) {
        return Some(ErrorKind::BlockedCredential);
    }
    Some(match error_type {
        "authentication_error" | "permission_error" => ErrorKind::Auth,
        "billing_error" => ErrorKind::Quota,
        // Out of prepaid credit is reported as a 400.
        "invalid_request_error" if message.to_lowercase().contains("credit balance") => ErrorKind::Quota,
        "rate_limit_error" => ErrorKind::RateLimited,
        "overloaded_error" => ErrorKind::Overloaded,
        "api_error" => ErrorKind::Server,
        "timeout_error" => ErrorKind::Timeout,
        "invalid_request_error" | "not_found_error" | "request_too_large" => ErrorKind::InvalidRequest,
        _ => return None,
    })
}

fn refine_status(_status: u16, body: &str) -> Option<ErrorKind> {
    let error = serde_json::from_str::<ErrorBody>(body).ok()?.error;
    kind_of(&error.kind, error.message.as_deref().unwrap_or(""))
}

fn decode_whole(provider: &str, body: &str) -> Result<Vec<StreamEvent>, ProviderError> {
    let message: WholeMessage = serde_json::from_str(body).map_err(|error| {
        ProviderError::new(ErrorKind::BadResponse, provider, format!("malformed response: {error}"))
    })?;
    let text: String =
        message.content.iter().filter(|block| block.kind == "text").filter_map(|block| block.text.as_deref()).collect();
    let mut events = vec![StreamEvent::Text(text)];
    if let Some(usage) = message.usage {
        events.push(StreamEvent::Usage(Usage {
            input_tokens: usage.input_tokens.unwrap_or(0),
            output_tokens: usage.output_tokens.unwrap_or(0),
        }));
    }
    Ok(events)
}

struct SseDecoder {
    provider: String,
    /// Input tokens from `message_start`, output tokens from the last `message_delta`.
    usage: Usage,
    stopped: bool,
}

impl FrameDecoder<SseEvent> for SseDecoder {
    fn decode(&mut self, frame: SseEvent, events: &mut Vec<StreamEvent>) -> Result<Flow, ProviderError> {
        // Dispatch on the JSON `type`, which always matches the event name; new event types
        // appear over time and are ignored.
        let event: StreamFrame = serde_json::from_str(&frame.data).map_err(|error| {
            ProviderError::new(ErrorKind::BadResponse, &self.provider, format!("malformed stream event: {error}"))
        })?;
        match event.kind.as_str() {
            "message_start" => {
                if let Some(usage) = event.message.and_then(|message| message.usage) {
                    self.usage.input_tokens = usage.input_tokens.unwrap_or(0);
                    self.usage.output_tokens = usage.output_tokens.unwrap_or(0);
                }
            }
            "content_block_delta" => {
                if let Some(delta) = event.delta
                    && delta.kind.as_deref() == Some("text_delta")
                    && let Some(text) = delta.text.filter(|text| !text.is_empty())
                {
                    events.push(StreamEvent::Text(text));
                }
            }
            "message_delta" => {
                if let Some(output_tokens) = event.usage.and_then(|usage| usage.output_tokens) {
                    self.usage.output_tokens = output_tokens;
                }
            }
            "message_stop" => {
                self.stopped = true;
                events.push(StreamEvent::Usage(self.usage));
                return Ok(Flow::Done);
            }
            "error" => {
                let (kind, message) = match event.error {
                    Some(error) => {
                        let message = error.message.unwrap_or_else(|| error.kind.clone());
                        (kind_of(&error.kind, &message).unwrap_or(ErrorKind::Server), message)
                    }
                    None => (ErrorKind::Server, "error event without details".to_owned()),
                };
                return Err(ProviderError::new(kind, &self.provider, http::shorten(&message)));
            }
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn finish(&mut self) -> Result<(), ProviderError> {
        if self.stopped {
            return Ok(());
        }
        Err(ProviderError::new(ErrorKind::Network, &self.provider, "the stream ended before message_stop"))
    }
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct MessagesRequest<'a> {
    model: &'a str,
    /// Required by the API.
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a str>,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop_sequences: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    stream: bool,
}

#[derive(Deserialize)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct WireError {
    #[serde(rename = "type")]
    kind: String,
    message: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: WireError,
}

#[derive(Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
}

#[derive(Deserialize)]
struct WholeMessage {
    #[serde(default)]
    content: Vec<ContentBlock>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct StartedMessage {
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct StreamFrame {
    #[serde(rename = "type")]
    kind: String,
    message: Option<StartedMessage>,
    delta: Option<Delta>,
    usage: Option<WireUsage>,
    error: Option<WireError>,
}
