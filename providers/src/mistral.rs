//! The `mistral` kind: Codestral's fill-in-the-middle endpoint (`/v1/fim/completions`) and
//! Mistral's chat API (`/v1/chat/completions`).
//!
//! Codestral is served from two hosts with different keys: `api.mistral.ai` takes a normal
//! Mistral key, `codestral.mistral.ai` a Codestral-specific one (`CODESTRAL_API_KEY`). Both use
//! `Authorization: Bearer`. FIM answers are chat-shaped (`choices[0].message.content`, streamed
//! as `choices[0].delta.content`, ending with `[DONE]`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::http::{self, Flow, FrameDecoder, SseEvent};
use crate::keys;
use crate::models;
use crate::provider::{
    BoxFuture, Capabilities, ChatPrompt, ChatRole, ErrorKind, FimMode, GenerateRequest, Prompt, Provider,
    ProviderError, StreamEvent, TextStream, Usage,
};
use crate::spec::{KeySource, ProviderKind, ProviderSpec};

pub const DEFAULT_BASE_URL: &str = "https://api.mistral.ai";

/// The host for Codestral-specific keys.
pub const CODESTRAL_BASE_URL: &str = "https://codestral.mistral.ai";

pub const DEFAULT_KEY_ENV: &str = "MISTRAL_API_KEY";

/// The variable that holds a Codestral-specific key; such a key works only on
/// [`CODESTRAL_BASE_URL`].
pub const CODESTRAL_KEY_ENV: &str = "CODESTRAL_API_KEY";

pub const DEFAULT_MODEL: &str = "codestral-latest";

/// A bound on stop sequences, so a long list from a caller cannot make the request invalid.
const MAX_STOP_SEQUENCES: usize = 16;

#[derive(Debug)]
pub struct Mistral {
    name: String,
    model: String,
    /// The host, without a trailing slash or `/v1` (the paths add it).
    base_url: String,
    key: KeySource,
    capabilities: Capabilities,
    timeout: Option<Duration>,
}

impl Mistral {
    /// Builds the provider from its config. The error says what to fix in `[providers.NAME]`.
    pub fn from_spec(name: &str, spec: &ProviderSpec) -> Result<Self, String> {
        let model = spec.model.as_deref().map(str::trim).filter(|model| !model.is_empty()).unwrap_or(DEFAULT_MODEL);
        let (capabilities, _) = models::capabilities(ProviderKind::Mistral, model, spec)?;
        let key = match spec.key_source() {
            KeySource::None => KeySource::Env(DEFAULT_KEY_ENV.to_owned()),
            source => source,
        };
        // A Codestral key is refused by api.mistral.ai, so it picks the Codestral host.
        let codestral_key = matches!(&key, KeySource::Env(env) if env == CODESTRAL_KEY_ENV);
        let default_base = if codestral_key { CODESTRAL_BASE_URL } else { DEFAULT_BASE_URL };
        let base_url = spec.base_url.as_deref().unwrap_or(default_base).trim_end_matches('/');
        let base_url = base_url.strip_suffix("/v1").unwrap_or(base_url).to_owned();
        Ok(Self {
            name: name.to_owned(),
            model: model.to_owned(),
            base_url,
            key,
            capabilities,
            timeout: spec.timeout_ms.map(Duration::from_millis),
        })
    }

    async fn send(&self, request: GenerateRequest) -> Result<TextStream, ProviderError> {
        let deadline = http::effective_deadline(request.deadline, self.timeout);
        let key = keys::resolve_key(&self.key)
            .await
            .map_err(|error| ProviderError::new(ErrorKind::Auth, &self.name, error.to_string()))?;
        let stream = self.capabilities.streaming;
        let stop = &request.stop[..request.stop.len().min(MAX_STOP_SEQUENCES)];
        let mut chat_fim = None;
        let (url, body) = match &request.prompt {
            Prompt::Fim(fim) if self.capabilities.fim == FimMode::Native => {
                let body = serde_json::to_value(FimRequest {
                    model: &self.model,
                    prompt: &fim.prefix,
                    suffix: &fim.suffix,
                    max_tokens: request.max_tokens,
                    temperature: request.temperature,
                    stop,
                    stream,
                });
                (format!("{}/v1/fim/completions", self.base_url), body)
            }
            Prompt::Fim(fim) => {
                let chat = crate::chat_fim::to_chat(fim);
                chat_fim = Some(fim.clone());
                let body = serde_json::to_value(self.chat_request(&chat, &request, stop, stream));
                (format!("{}/v1/chat/completions", self.base_url), body)
            }
            Prompt::Chat(chat) => {
                let body = serde_json::to_value(self.chat_request(chat, &request, stop, stream));
                (format!("{}/v1/chat/completions", self.base_url), body)
            }
        };
        let body =
            body.map_err(|error| ProviderError::new(ErrorKind::InvalidRequest, &self.name, error.to_string()))?;
        let mut builder = http::client().post(url).json(&body);
        if let Some(key) = &key {
            builder = builder.bearer_auth(key.expose());
        }
        if stream {
            builder = builder.header(reqwest::header::ACCEPT, "text/event-stream");
        }
        tracing::debug!(provider = %self.name, stream, fim = chat_fim.is_none(), "sending request");
        let response = http::send(&self.name, builder, deadline).await?;
        if !response.status().is_success() {
            let mut error = http::error_from_response(&self.name, response, deadline, refine_status).await;
            error.message = keys::scrub(&error.message, key.as_ref());
            return Err(error);
        }
        let answer = if stream {
            let decoder = SseDecoder { provider: self.name.clone(), finished: false };
            http::decode_stream(http::sse_stream(&self.name, response, deadline), decoder)
        } else {
            let body = http::read_body(&self.name, response, deadline).await?;
            http::ready_stream(decode_whole(&self.name, &body)?)
        };
        Ok(match chat_fim {
            Some(fim) => http::map_whole_text(answer, move |text| crate::chat_fim::extract_completion(&text, &fim)),
            None => answer,
        })
    }

    fn chat_request<'a>(
        &'a self,
        chat: &'a ChatPrompt,
        request: &GenerateRequest,
        stop: &'a [String],
        stream: bool,
    ) -> ChatRequest<'a> {
        let system = chat.system.iter().map(|system| WireMessage { role: "system", content: system });
        let turns = chat.messages.iter().map(|message| WireMessage {
            role: match message.role {
                ChatRole::User => "user",
                ChatRole::Assistant => "assistant",
            },
            content: &message.content,
        });
        ChatRequest {
            model: &self.model,
            messages: system.chain(turns).collect(),
            max_tokens: request.max_tokens,
            temperature: request.temperature,
            stop,
            stream,
        }
    }
}

impl Provider for Mistral {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn generate(&self, request: GenerateRequest) -> BoxFuture<'_, Result<TextStream, ProviderError>> {
        Box::pin(self.send(request))
    }
}

/// Mistral's bodies carry little beyond the status (`{"message":"Unauthorized"}`); a message
/// about the plan or billing means no retry will help.
fn refine_status(status: u16, body: &str) -> Option<ErrorKind> {
    let message = http::error_message(body).to_lowercase();
    let about_billing = message.contains("billing") || message.contains("subscription") || message.contains("payment");
    match status {
        401 | 403 if http::is_blocked_credential_message(&message) => Some(ErrorKind::BlockedCredential),
        402 => Some(ErrorKind::Quota),
        429 | 403 if about_billing => Some(ErrorKind::Quota),
        _ => None,
    }
}

fn in_stream_error(provider: &str, error: &WireError) -> ProviderError {
    let message = error.message.clone().unwrap_or_else(|| "error in the middle of the stream".to_owned());
    let kind = match &error.code {
        Some(serde_json::Value::Number(code)) => {
            let status = code.as_u64().and_then(|code| u16::try_from(code).ok()).unwrap_or(500);
            http::classify_status(status, &message)
        }
        _ => ErrorKind::Server,
    };
    ProviderError::new(kind, provider, http::shorten(&message))
}

fn usage_event(usage: &WireUsage) -> StreamEvent {
    StreamEvent::Usage(Usage { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens })
}

/// Decodes a whole answer.
fn decode_whole(provider: &str, body: &str) -> Result<Vec<StreamEvent>, ProviderError> {
    let answer: Chunk = serde_json::from_str(body.trim()).map_err(|error| {
        ProviderError::new(ErrorKind::BadResponse, provider, format!("malformed response: {error}"))
    })?;
    if let Some(error) = &answer.error {
        return Err(in_stream_error(provider, error));
    }
    let choice = answer
        .choices
        .first()
        .ok_or_else(|| ProviderError::new(ErrorKind::BadResponse, provider, "the response has no choices"))?;
    let text = choice.message.as_ref().and_then(|message| message.content.clone()).or_else(|| choice.text.clone());
    let mut events = vec![StreamEvent::Text(text.unwrap_or_default())];
    events.extend(answer.usage.as_ref().map(usage_event));
    Ok(events)
}

/// Decodes `data:` chunks of chat or FIM (the same shape) until `[DONE]`.
struct SseDecoder {
    provider: String,
    finished: bool,
}

impl FrameDecoder<SseEvent> for SseDecoder {
    fn decode(&mut self, frame: SseEvent, events: &mut Vec<StreamEvent>) -> Result<Flow, ProviderError> {
        let data = frame.data.trim();
        if data == "[DONE]" {
            return Ok(Flow::Done);
        }
        let chunk: Chunk = serde_json::from_str(data).map_err(|error| {
            ProviderError::new(ErrorKind::BadResponse, &self.provider, format!("malformed stream chunk: {error}"))
        })?;
        if let Some(error) = &chunk.error {
            return Err(in_stream_error(&self.provider, error));
        }
        if let Some(choice) = chunk.choices.first() {
            let text = choice.delta.as_ref().and_then(|delta| delta.content.as_ref()).or(choice.text.as_ref());
            if let Some(text) = text.filter(|text| !text.is_empty()) {
                events.push(StreamEvent::Text(text.clone()));
            }
            if choice.finish_reason.is_some() {
                self.finished = true;
            }
        }
        if let Some(usage) = &chunk.usage {
            events.push(usage_event(usage));
        }
        Ok(Flow::Continue)
    }

    fn finish(&mut self) -> Result<(), ProviderError> {
        if self.finished {
            return Ok(());
        }
        Err(ProviderError::new(ErrorKind::Network, &self.provider, "the stream ended before the answer was complete"))
    }
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
    stream: bool,
}

#[derive(Serialize)]
struct FimRequest<'a> {
    model: &'a str,
    prompt: &'a str,
    suffix: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
    stream: bool,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<WireUsage>,
    error: Option<WireError>,
}

#[derive(Deserialize)]
struct Choice {
    delta: Option<Content>,
    message: Option<Content>,
    text: Option<String>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    content: Option<String>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
}

#[derive(Deserialize)]
struct WireError {
    message: Option<String>,
    code: Option<serde_json::Value>,
}
