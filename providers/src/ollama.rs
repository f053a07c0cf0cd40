//! The `ollama` kind: a local (or remote) Ollama server. FIM through `/api/generate` with
//! `suffix`, chat through `/api/chat`; both stream NDJSON.
//!
//! `suffix` works only when the model's Ollama template has `{{ .Suffix }}` (the "insert"
//! capability); otherwise Ollama answers 400 "… does not support insert". We then retry the same
//! request once in the best way left: `raw: true` with our own built-in template when one is
//! known for the model family (declared in [`crate::models`]) or configured (`fim = "<name>"`),
//! else chat prompting. The provider remembers the refusal, so later requests skip the failed
//! round trip.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fim_templates::{self, FimTemplate};
use crate::http::{self, Flow, FrameDecoder};
use crate::keys;
use crate::models;
use crate::openai_compat::WireMessage;
use crate::provider::{
    Capabilities, ChatPrompt, ErrorKind, FimMode, FimPrompt, GenerateRequest, Prompt, ProviderError, StreamEvent,
    TextStream, Usage,
};
use crate::request_setup;
use crate::spec::{KeySource, ProviderSpec, Secret};

/// What Ollama says when a model's template has no `{{ .Suffix }}`.
const NO_INSERT: &str = "does not support insert";

#[derive(Debug)]
pub struct Ollama {
    name: String,
    model: String,
    /// Without a trailing slash.
    base_url: String,
    /// Usually none: Ollama has no auth, but a proxy in front of it may want a bearer token.
    key: KeySource,
    capabilities: Capabilities,
    /// The raw template to use instead of `suffix` when the model refuses it.
    fallback_template: Option<&'static FimTemplate>,
    /// Set once the server said the model does not support insert.
    native_refused: AtomicBool,
    keep_alive: Option<String>,
    /// Sent as `num_ctx` only when the user set `context_tokens`: otherwise the server's own
    /// setting stands (a larger context reloads the model and costs memory).
    num_ctx: Option<u32>,
    timeout: Option<Duration>,
}

/// How a FIM request is sent.
#[derive(Debug, Clone, Copy)]
enum FimRoute {
    Suffix,
    Raw(&'static FimTemplate),
    Chat,
}

impl Ollama {
    /// Builds the provider from its config. The error says what to fix in `[providers.NAME]`.
    pub fn from_spec(name: &str, spec: &ProviderSpec) -> Result<Self, String> {
        let descriptor = &crate::kinds::OLLAMA;
        let model = descriptor.model(spec)?;
        let (capabilities, info) = models::capabilities(descriptor.kind, &model, spec)?;
        let configured = match &capabilities.fim {
            FimMode::Template(template) => fim_templates::by_name(template),
            _ => None,
        };
        let fallback_template = configured.or_else(|| info.fallback_template.and_then(fim_templates::by_name));
        Ok(Self {
            name: name.to_owned(),
            model,
            base_url: descriptor.base_url(spec),
            key: descriptor.key_source(spec),
            capabilities,
            fallback_template,
            native_refused: AtomicBool::new(false),
            keep_alive: spec.keep_alive.clone(),
            num_ctx: spec.context_tokens,
            timeout: request_setup::timeout(spec),
        })
    }

    fn fim_route(&self) -> FimRoute {
        match &self.capabilities.fim {
            FimMode::Chat => FimRoute::Chat,
            FimMode::Template(_) => self.fallback_template.map_or(FimRoute::Chat, FimRoute::Raw),
            FimMode::Native if self.native_refused.load(Ordering::Relaxed) => {
                self.fallback_template.map_or(FimRoute::Chat, FimRoute::Raw)
            }
            FimMode::Native => FimRoute::Suffix,
        }
    }

    async fn send(&self, request: GenerateRequest) -> Result<TextStream, ProviderError> {
        let key = request_setup::resolve_key(&self.name, &self.key).await?;
        let fim = match &request.prompt {
            Prompt::Chat(chat) => return self.chat(chat, &request, key.as_ref(), None).await,
            Prompt::Fim(fim) => fim,
        };
        let route = self.fim_route();
        let result = match route {
            FimRoute::Chat => {
                return self.chat(&crate::chat_fim::to_chat(fim), &request, key.as_ref(), Some(fim)).await;
            }
            FimRoute::Suffix => self.generate_fim(fim, None, &request, key.as_ref()).await,
            FimRoute::Raw(template) => self.generate_fim(fim, Some(template), &request, key.as_ref()).await,
        };
        match result {
            Err(error)
                if matches!(route, FimRoute::Suffix)
                    && error.status == Some(400)
                    && error.message.contains(NO_INSERT) =>
            {
                // Remembered for this provider: the model's template will not grow a suffix.
                self.native_refused.store(true, Ordering::Relaxed);
                tracing::info!(provider = %self.name, model = %self.model, "the model does not support insert; using a fallback");
                match self.fim_route() {
                    FimRoute::Raw(template) => self.generate_fim(fim, Some(template), &request, key.as_ref()).await,
                    _ => self.chat(&crate::chat_fim::to_chat(fim), &request, key.as_ref(), Some(fim)).await,
                }
            }
            other => other,
        }
    }

    /// `/api/generate`: `suffix` when `template` is none, else `raw: true` with the rendered
    /// template and its stop tokens.
    async fn generate_fim(
        &self,
        fim: &FimPrompt,
        template: Option<&FimTemplate>,
        request: &GenerateRequest,
        key: Option<&Secret>,
    ) -> Result<TextStream, ProviderError> {
        let mut stop = request.stop.clone();
        let body = match template {
            None => GenerateBody {
                model: &self.model,
                prompt: fim.prefix.clone(),
                suffix: Some(&fim.suffix),
                raw: None,
                stream: self.capabilities.streaming,
                options: Options::default(),
                keep_alive: self.keep_alive.as_deref(),
            },
            Some(template) => {
                let rendered = fim_templates::render(template, fim);
                for token in rendered.stops {
                    if !stop.contains(&token) {
                        stop.push(token);
                    }
                }
                GenerateBody {
                    model: &self.model,
                    prompt: rendered.prompt,
                    suffix: None,
                    raw: Some(true),
                    stream: self.capabilities.streaming,
                    options: Options::default(),
                    keep_alive: self.keep_alive.as_deref(),
                }
            }
        };
        let body = GenerateBody { options: self.options(request, &stop), ..body };
        self.post("/api/generate", &body, request, key).await
    }

    async fn chat(
        &self,
        chat: &ChatPrompt,
        request: &GenerateRequest,
        key: Option<&Secret>,
        fim: Option<&Arc<FimPrompt>>,
    ) -> Result<TextStream, ProviderError> {
        // A FIM prompt is answered in a fenced block: a line-end stop would end it at the fence.
        let stop = if fim.is_some() { crate::chat_fim::chat_stops(&request.stop) } else { request.stop.clone() };
        let body = ChatBody {
            model: &self.model,
            messages: WireMessage::all(chat),
            stream: self.capabilities.streaming,
            options: self.options(request, &stop),
            keep_alive: self.keep_alive.as_deref(),
        };
        let answer = self.post("/api/chat", &body, request, key).await?;
        Ok(crate::chat_fim::extract_from_answer(answer, fim.cloned(), true))
    }

    fn options<'a>(&self, request: &GenerateRequest, stop: &'a [String]) -> Options<'a> {
        Options { num_predict: Some(request.max_tokens), temperature: request.temperature, stop, num_ctx: self.num_ctx }
    }

    async fn post(
        &self,
        path: &str,
        body: &impl Serialize,
        request: &GenerateRequest,
        key: Option<&Secret>,
    ) -> Result<TextStream, ProviderError> {
        let deadline = http::effective_deadline(request.deadline, self.timeout);
        let builder = request_setup::bearer(
            http::client_for(&self.base_url).await.post(format!("{}{path}", self.base_url)).json(body),
            key,
        );
        tracing::debug!(provider = %self.name, path, "sending request");
        let response = http::send(&self.name, builder, deadline).await?;
        if !response.status().is_success() {
            let mut error = http::error_from_response(&self.name, response, deadline, refine_status).await;
            error.message = keys::scrub(&error.message, key);
            return Err(error);
        }
        let decoder = LineDecoder { provider: self.name.clone(), done: false };
        if self.capabilities.streaming {
            Ok(http::decode_stream(http::ndjson_stream(&self.name, response, deadline), decoder))
        } else {
            let body = http::read_body(&self.name, response, deadline).await?;
            let mut decoder = decoder;
            let mut events = Vec::new();
            decoder.decode(body.trim().to_owned(), &mut events)?;
            decoder.finish()?;
            Ok(http::ready_stream(events))
        }
    }
}

request_setup::provider_via_send!(Ollama);

/// Ollama's bodies are `{"error":"…"}`; its statuses mostly say enough. A model that is not
/// pulled is a 404 the user fixes with `ollama pull`, not a server failure.
fn refine_status(status: u16, _body: &str) -> Option<ErrorKind> {
    match status {
        404 => Some(ErrorKind::InvalidRequest),
        _ => None,
    }
}

/// An `{"error":"…"}` line after a 200: the model crashed or the runner went away.
fn in_stream_error(provider: &str, message: &str) -> ProviderError {
    let lower = message.to_lowercase();
    let kind = if lower.contains("rate limit") || lower.contains("too many requests") {
        ErrorKind::RateLimited
    } else if lower.contains("server busy") || lower.contains("overloaded") {
        ErrorKind::Overloaded
    } else {
        ErrorKind::Server
    };
    ProviderError::new(kind, provider, http::shorten(message))
}

/// Decodes NDJSON lines of either endpoint (`response` for generate, `message.content` for
/// chat) until the line with `done: true`, which carries the token counts.
struct LineDecoder {
    provider: String,
    done: bool,
}

impl FrameDecoder<String> for LineDecoder {
    fn decode(&mut self, line: String, events: &mut Vec<StreamEvent>) -> Result<Flow, ProviderError> {
        let chunk: Line = serde_json::from_str(&line).map_err(|error| {
            ProviderError::new(ErrorKind::BadResponse, &self.provider, format!("malformed stream line: {error}"))
        })?;
        if let Some(message) = &chunk.error {
            return Err(in_stream_error(&self.provider, message));
        }
        let text = chunk.response.as_ref().or(chunk.message.as_ref().and_then(|message| message.content.as_ref()));
        if let Some(text) = text.filter(|text| !text.is_empty()) {
            events.push(StreamEvent::Text(text.clone()));
        }
        if chunk.done {
            self.done = true;
            // Ollama reports no cached count: `prompt_eval_count` is the prompt tokens it
            // evaluated, and a prompt it found in its KV cache shows only as a smaller count.
            events.push(StreamEvent::Usage(Usage::new(chunk.prompt_eval_count, chunk.eval_count)));
            return Ok(Flow::Done);
        }
        Ok(Flow::Continue)
    }

    fn finish(&mut self) -> Result<(), ProviderError> {
        if self.done {
            return Ok(());
        }
        Err(ProviderError::new(ErrorKind::Network, &self.provider, "the stream ended before the answer was complete"))
    }
}

#[derive(Serialize, Default)]
struct Options<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    num_predict: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    num_ctx: Option<u32>,
}

#[derive(Serialize)]
struct GenerateBody<'a> {
    model: &'a str,
    prompt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    suffix: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<bool>,
    stream: bool,
    options: Options<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_alive: Option<&'a str>,
}

#[derive(Serialize)]
struct ChatBody<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    stream: bool,
    options: Options<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_alive: Option<&'a str>,
}

#[derive(Deserialize)]
struct Line {
    /// `/api/generate`.
    response: Option<String>,
    /// `/api/chat`.
    message: Option<LineMessage>,
    #[serde(default)]
    done: bool,
    #[serde(default)]
    prompt_eval_count: u64,
    #[serde(default)]
    eval_count: u64,
    error: Option<String>,
}

#[derive(Deserialize)]
struct LineMessage {
    content: Option<String>,
}
