//! The `openai` kind: OpenAI's Chat Completions API, and the legacy Completions API with
//! `prompt` + `suffix` for fill-in-the-middle on OpenAI-compatible servers that support it.
//!
//! One kind serves OpenAI and every OpenAI-compatible gateway or server (OpenRouter, LiteLLM,
//! vLLM, LM Studio, Groq, Together, Gemini's OpenAI endpoint): only `base_url`, the key and the
//! extra headers differ. This file is the reference vendor: the others follow its shape
//! (spec → struct, `generate` = resolve key, build body, `http::send`, classify, decode).

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::http::{self, Flow, FrameDecoder, SseEvent};
use crate::keys;
use crate::provider::{
    BoxFuture, Capabilities, ChatPrompt, ChatRole, ErrorKind, FimMode, GenerateRequest, Prompt, Provider,
    ProviderError, StreamEvent, TextStream, Usage,
};
use crate::spec::{KeySource, ProviderSpec};

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// The variable read when the config names no key and talks to OpenAI itself.
pub const DEFAULT_KEY_ENV: &str = "OPENAI_API_KEY";

/// OpenAI accepts at most four stop sequences; most compatible servers copy that limit.
const MAX_STOP_SEQUENCES: usize = 4;

#[derive(Debug)]
pub struct OpenAi {
    name: String,
    model: String,
    /// Without a trailing slash.
    base_url: String,
    key: KeySource,
    /// Extra headers, organization and project, sent with every request.
    headers: HeaderMap,
    capabilities: Capabilities,
    timeout: Option<Duration>,
}

impl OpenAi {
    /// Builds the provider from its config. The error says what to fix in `[providers.NAME]`.
    pub fn from_spec(name: &str, spec: &ProviderSpec) -> Result<Self, String> {
        let model = spec.model.clone().filter(|model| !model.trim().is_empty()).ok_or("`model` is required")?;
        let base_url = spec.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL).trim_end_matches('/').to_owned();
        let key = match spec.key_source() {
            // Local servers (LM Studio, vLLM, llama.cpp) need no key; OpenAI itself always does.
            KeySource::None if spec.base_url.is_none() => KeySource::Env(DEFAULT_KEY_ENV.to_owned()),
            source => source,
        };
        let mut headers = HeaderMap::new();
        let mut add = |name: &str, value: &str| -> Result<(), String> {
            let header =
                HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("invalid header name `{name}`"))?;
            let mut value = HeaderValue::from_str(value).map_err(|_| format!("invalid value for header `{name}`"))?;
            // Extra headers may carry gateway tokens: keep them out of any debug output.
            value.set_sensitive(true);
            headers.insert(header, value);
            Ok(())
        };
        for (header, value) in &spec.headers {
            add(header, value)?;
        }
        if let Some(organization) = &spec.organization {
            add("OpenAI-Organization", organization)?;
        }
        if let Some(project) = &spec.project {
            add("OpenAI-Project", project)?;
        }
        // The model table decides (e.g. gpt-3.5-turbo-instruct takes `suffix`); config overrides win.
        let (capabilities, _) = crate::models::capabilities(crate::spec::ProviderKind::Openai, &model, spec)?;
        Ok(Self {
            name: name.to_owned(),
            model,
            base_url,
            key,
            headers,
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
        let stream_options = stream.then_some(StreamOptions { include_usage: true });
        // A FIM prompt sent as chat: the code is extracted from the whole answer at the end.
        let mut chat_fim = None;
        let (path, body) = match &request.prompt {
            Prompt::Fim(fim) if self.capabilities.fim == FimMode::Native => {
                let body = serde_json::to_value(CompletionRequest {
                    model: &self.model,
                    prompt: &fim.prefix,
                    suffix: &fim.suffix,
                    max_tokens: request.max_tokens,
                    temperature: request.temperature,
                    stop,
                    stream,
                    stream_options,
                });
                ("/completions", body)
            }
            Prompt::Fim(fim) => {
                chat_fim = Some(fim.clone());
                let chat = crate::chat_fim::to_chat(fim);
                ("/chat/completions", serde_json::to_value(self.chat_request(&chat, &request, stop, stream)))
            }
            Prompt::Chat(chat) => {
                ("/chat/completions", serde_json::to_value(self.chat_request(chat, &request, stop, stream)))
            }
        };
        let body =
            body.map_err(|error| ProviderError::new(ErrorKind::InvalidRequest, &self.name, error.to_string()))?;
        let mut builder =
            http::client().post(format!("{}{path}", self.base_url)).headers(self.headers.clone()).json(&body);
        if let Some(key) = &key {
            builder = builder.bearer_auth(key.expose());
        }
        if stream {
            builder = builder.header(reqwest::header::ACCEPT, "text/event-stream");
        }
        tracing::debug!(provider = %self.name, path, stream, "sending request");
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
            max_completion_tokens: request.max_tokens,
            temperature: request.temperature,
            stop,
            stream,
            stream_options: stream.then_some(StreamOptions { include_usage: true }),
        }
    }
}

impl Provider for OpenAi {
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

/// OpenAI-specific readings of an error status; the shared map covers the rest.
fn refine_status(status: u16, body: &str) -> Option<ErrorKind> {
    let error = serde_json::from_str::<ErrorBody>(body).ok()?.error?;
    let code = error.code.as_ref().and_then(|code| code.as_str());
    match (status, code) {
        (_, Some("insufficient_quota")) => Some(ErrorKind::Quota),
        (401, _) | (403, _) if error.message.as_deref().is_some_and(http::is_blocked_credential_message) => {
            Some(ErrorKind::BlockedCredential)
        }
        _ => None,
    }
}

/// Classifies an error object that arrived inside a 200 stream (OpenRouter sends
/// `{"error":{"code":502,"message":…}}`, OpenAI-style servers a string `code`).
fn classify_in_stream(provider: &str, error: &WireError) -> ProviderError {
    let message = error.message.clone().unwrap_or_else(|| "error in the middle of the stream".to_owned());
    let kind = match &error.code {
        Some(serde_json::Value::Number(code)) => {
            let status = code.as_u64().and_then(|code| u16::try_from(code).ok()).unwrap_or(500);
            http::classify_status(status, &message)
        }
        Some(serde_json::Value::String(code)) => match code.as_str() {
            "insufficient_quota" => ErrorKind::Quota,
            "rate_limit_exceeded" => ErrorKind::RateLimited,
            "invalid_api_key" => ErrorKind::Auth,
            _ => ErrorKind::Server,
        },
        // Whatever failed after the vendor accepted the request is on their side.
        _ => ErrorKind::Server,
    };
    ProviderError::new(kind, provider, http::shorten(&message))
}

fn usage_event(usage: &WireUsage) -> StreamEvent {
    StreamEvent::Usage(Usage { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens })
}

/// Decodes a non-streamed answer (chat `message.content` or completions `text`).
fn decode_whole(provider: &str, body: &str) -> Result<Vec<StreamEvent>, ProviderError> {
    let answer: Chunk = serde_json::from_str(body).map_err(|error| {
        ProviderError::new(ErrorKind::BadResponse, provider, format!("malformed response: {error}"))
    })?;
    if let Some(error) = &answer.error {
        return Err(classify_in_stream(provider, error));
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

/// Decodes `data:` chunks of either API until `[DONE]`.
struct SseDecoder {
    provider: String,
    /// A `finish_reason` arrived: a server that then closes without `[DONE]` still answered.
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
            return Err(classify_in_stream(&self.provider, error));
        }
        // We ask for one choice; a server that sends more gets its first read.
        if let Some(choice) = chunk.choices.iter().find(|choice| choice.index.unwrap_or(0) == 0) {
            let text = choice.delta.as_ref().and_then(|delta| delta.content.as_ref()).or(choice.text.as_ref());
            if let Some(text) = text.filter(|text| !text.is_empty()) {
                events.push(StreamEvent::Text(text.clone()));
            }
            match choice.finish_reason.as_deref() {
                Some("error") => {
                    let error = ProviderError::new(ErrorKind::Server, &self.provider, "the stream ended with an error");
                    return Err(error);
                }
                Some(_) => self.finished = true,
                None => {}
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
struct StreamOptions {
    include_usage: bool,
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
    /// Not `max_tokens`: reasoning models reject that one.
    max_completion_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
}

#[derive(Serialize)]
struct CompletionRequest<'a> {
    model: &'a str,
    prompt: &'a str,
    suffix: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
}

/// One shape for chat and completions answers, streamed or not, and in-stream errors.
#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<WireUsage>,
    error: Option<WireError>,
}

#[derive(Deserialize)]
struct Choice {
    index: Option<u32>,
    /// Streamed chat.
    delta: Option<Content>,
    /// Non-streamed chat.
    message: Option<Content>,
    /// Completions, streamed or not.
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
struct ErrorBody {
    error: Option<WireError>,
}

#[derive(Deserialize)]
struct WireError {
    message: Option<String>,
    code: Option<serde_json::Value>,
}
