//! The `llamacpp` kind: a llama.cpp `llama-server`. FIM through `/infill` (the server applies
//! the model's FIM tokens, and its repository layout for other files' snippets), a built-in
//! template through `/completion` when configured, and chat through the OpenAI-compatible
//! `/v1/chat/completions`.
//!
//! `/infill` and `/completion` stream SSE `data:` lines with no `[DONE]`: the line with
//! `"stop": true` is the last, and carries the token counts. We pass `t_max_predict_ms` from the
//! request's deadline so the server itself stops generating once the answer is too late, and
//! `cache_prompt` so the unchanged start of the file is not evaluated again on every keystroke.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::fim_templates::{self, FimTemplate};
use crate::http::{self, Flow, FrameDecoder, SseEvent};
use crate::keys;
use crate::models;
use crate::openai_compat::{self, ChatRequest, Choice, WireUsage};
use crate::provider::{
    Capabilities, ChatPrompt, ErrorKind, FimMode, FimPrompt, GenerateRequest, Prompt, ProviderError, StreamEvent,
    TextStream, Usage,
};
use crate::request_setup;
use crate::spec::{KeySource, ProviderSpec, Secret};

#[derive(Debug)]
pub struct LlamaCpp {
    name: String,
    model: String,
    /// Without a trailing slash.
    base_url: String,
    /// Set when the server was started with `--api-key`.
    key: KeySource,
    capabilities: Capabilities,
    /// The model the config names, sent to `/infill` and `/completion` too (router mode).
    configured_model: Option<String>,
    /// The configured template (`fim = "<name>"`), rendered for `/completion`.
    template: Option<&'static FimTemplate>,
    /// Set once `/infill` said the model has no FIM tokens: chat prompting from then on.
    infill_refused: AtomicBool,
    timeout: Option<Duration>,
}

impl LlamaCpp {
    /// Builds the provider from its config. The error says what to fix in `[providers.NAME]`.
    pub fn from_spec(name: &str, spec: &ProviderSpec) -> Result<Self, String> {
        // llama-server serves the one model it was started with, and then ignores the name; in
        // router mode (`--models-dir`, several models) every request must name its model, or it
        // is refused with 400 "model name is missing from the request". So a configured name goes
        // with every request; without one, only the chat endpoint gets the descriptor's placeholder.
        let descriptor = &crate::kinds::LLAMACPP;
        let model = descriptor.model(spec)?;
        let (capabilities, _) = models::capabilities(descriptor.kind, &model, spec)?;
        let template = match &capabilities.fim {
            FimMode::Template(template) => fim_templates::by_name(template),
            _ => None,
        };
        Ok(Self {
            name: name.to_owned(),
            model,
            base_url: descriptor.base_url(spec),
            key: descriptor.key_source(spec),
            capabilities,
            configured_model: spec.model.clone(),
            template,
            infill_refused: AtomicBool::new(false),
            timeout: request_setup::timeout(spec),
        })
    }

    async fn send(&self, request: GenerateRequest) -> Result<TextStream, ProviderError> {
        let key = request_setup::resolve_key(&self.name, &self.key).await?;
        let key = key.as_ref();
        let fim = match &request.prompt {
            Prompt::Chat(chat) => return self.chat(chat, &request, key, None).await,
            Prompt::Fim(fim) => fim,
        };
        let chat_fim = || crate::chat_fim::to_chat(fim);
        match (&self.capabilities.fim, self.template) {
            (FimMode::Chat, _) => self.chat(&chat_fim(), &request, key, Some(fim)).await,
            (FimMode::Template(_), Some(template)) => self.complete(fim, template, &request, key).await,
            _ if self.infill_refused.load(Ordering::Relaxed) => self.chat(&chat_fim(), &request, key, Some(fim)).await,
            _ => match self.infill(fim, &request, key).await {
                Err(error) if is_infill_unsupported(&error) => {
                    self.infill_refused.store(true, Ordering::Relaxed);
                    tracing::info!(provider = %self.name, "the model has no FIM tokens; using chat prompting");
                    self.chat(&chat_fim(), &request, key, Some(fim)).await
                }
                other => other,
            },
        }
    }

    fn completion_options<'a>(&'a self, request: &GenerateRequest, stop: &'a [String]) -> CompletionOptions<'a> {
        let deadline = http::effective_deadline(request.deadline, self.timeout);
        CompletionOptions {
            model: self.configured_model.as_deref(),
            n_predict: request.max_tokens,
            temperature: request.temperature,
            stop,
            stream: self.capabilities.streaming,
            cache_prompt: true,
            t_max_predict_ms: deadline.map(remaining_ms),
        }
    }

    async fn infill(
        &self,
        fim: &FimPrompt,
        request: &GenerateRequest,
        key: Option<&Secret>,
    ) -> Result<TextStream, ProviderError> {
        let body = InfillBody {
            input_prefix: &fim.prefix,
            input_suffix: &fim.suffix,
            input_extra: fim
                .extra
                .iter()
                .map(|snippet| Extra { filename: &snippet.path, text: &snippet.text })
                .collect(),
            options: self.completion_options(request, &request.stop),
        };
        self.post("/infill", &body, request, key).await
    }

    async fn complete(
        &self,
        fim: &FimPrompt,
        template: &FimTemplate,
        request: &GenerateRequest,
        key: Option<&Secret>,
    ) -> Result<TextStream, ProviderError> {
        let rendered = fim_templates::render(template, fim);
        let mut stop = request.stop.clone();
        stop.extend(rendered.stops.into_iter().filter(|token| !request.stop.contains(token)));
        let body = CompletionBody { prompt: &rendered.prompt, options: self.completion_options(request, &stop) };
        self.post("/completion", &body, request, key).await
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
        let body = ChatRequest::new(&self.model, chat, request, &stop, self.capabilities.streaming);
        let answer = self.post("/v1/chat/completions", &body, request, key).await?;
        Ok(crate::chat_fim::extract_from_answer(answer, fim.cloned(), true))
    }

    async fn post(
        &self,
        path: &str,
        body: &impl Serialize,
        request: &GenerateRequest,
        key: Option<&Secret>,
    ) -> Result<TextStream, ProviderError> {
        let deadline = http::effective_deadline(request.deadline, self.timeout);
        let mut builder = request_setup::bearer(
            http::client_for(&self.base_url).await.post(format!("{}{path}", self.base_url)).json(body),
            key,
        );
        let stream = self.capabilities.streaming;
        if stream {
            builder = builder.header(reqwest::header::ACCEPT, "text/event-stream");
        }
        tracing::debug!(provider = %self.name, path, stream, "sending request");
        let response = http::send(&self.name, builder, deadline).await?;
        if !response.status().is_success() {
            let mut error = http::error_from_response(&self.name, response, deadline, refine_status).await;
            error.message = keys::scrub(&error.message, key);
            return Err(error);
        }
        let mut decoder = Decoder { provider: self.name.clone(), finished: false };
        if stream {
            return Ok(http::decode_stream(http::sse_stream(&self.name, response, deadline), decoder));
        }
        let body = http::read_body(&self.name, response, deadline).await?;
        let mut events = Vec::new();
        decoder.decode(SseEvent { event: String::new(), data: body }, &mut events)?;
        Ok(http::ready_stream(events))
    }
}

request_setup::provider_via_send!(LlamaCpp);

/// What is left of the deadline, for the server's own generation limit. At least 1 ms: 0 would
/// mean "no limit" to llama-server.
fn remaining_ms(deadline: Instant) -> u64 {
    let left = deadline.saturating_duration_since(Instant::now());
    u64::try_from(left.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// `/infill` on a model without FIM tokens: llama-server answers 501 `not_supported_error`
/// (older builds: 400 or 500 with a message saying infill is not supported).
fn is_infill_unsupported(error: &ProviderError) -> bool {
    let message = error.message.to_lowercase();
    error.status == Some(501) || (message.contains("infill") && message.contains("not supported"))
}

/// llama-server's errors are OpenAI-shaped with a `type` that says more than the status.
fn refine_status(_status: u16, body: &str) -> Option<ErrorKind> {
    let error = serde_json::from_str::<ErrorBody>(body).ok()?.error?;
    match error.kind.as_deref()? {
        "authentication_error" => Some(ErrorKind::Auth),
        "permission_error" => Some(ErrorKind::Auth),
        // "Loading model": the server is up but not ready yet.
        "unavailable_error" => Some(ErrorKind::Overloaded),
        "not_supported_error" | "not_found_error" | "invalid_request_error" => Some(ErrorKind::InvalidRequest),
        "exceed_context_size_error" => Some(ErrorKind::InvalidRequest),
        _ => None,
    }
}

fn in_stream_error(provider: &str, error: &WireError) -> ProviderError {
    let message = error.message.clone().unwrap_or_else(|| "error in the middle of the stream".to_owned());
    let status = error.code.and_then(|code| u16::try_from(code).ok()).unwrap_or(500);
    let body = serde_json::json!({ "error": { "type": error.kind } }).to_string();
    let kind = refine_status(status, &body).unwrap_or_else(|| http::classify_status(status, &message));
    ProviderError::new(kind, provider, http::shorten(&message))
}

/// Decodes `/infill` and `/completion` lines (`content`, `stop`) and chat chunks (`choices`,
/// `[DONE]`) alike: a server answers one shape per endpoint, and the fields do not overlap.
struct Decoder {
    provider: String,
    finished: bool,
}

impl FrameDecoder<SseEvent> for Decoder {
    fn decode(&mut self, frame: SseEvent, events: &mut Vec<StreamEvent>) -> Result<Flow, ProviderError> {
        let data = frame.data.trim();
        if data == "[DONE]" {
            self.finished = true;
            return Ok(Flow::Done);
        }
        let chunk: Chunk = serde_json::from_str(data).map_err(|error| {
            ProviderError::new(ErrorKind::BadResponse, &self.provider, format!("malformed stream chunk: {error}"))
        })?;
        if let Some(error) = &chunk.error {
            return Err(in_stream_error(&self.provider, error));
        }
        let chat_text = chunk.choices.first().and_then(|choice| {
            if choice.finish_reason.is_some() {
                self.finished = true;
            }
            choice.delta.as_ref().or(choice.message.as_ref()).and_then(|content| content.content.as_ref())
        });
        if let Some(text) = chunk.content.as_ref().or(chat_text).filter(|text| !text.is_empty()) {
            events.push(StreamEvent::Text(text.clone()));
        }
        if let Some(usage) = &chunk.usage {
            events.push(openai_compat::usage_event(usage));
        }
        if chunk.stop {
            self.finished = true;
            // tools/server/README.md: `tokens_evaluated` is the whole prompt and
            // `timings.prompt_n` the part processed anew, so the rest came from the slot's KV
            // cache (newer servers say so as `timings.cache_n`). `tokens_cached` is not that
            // count: it is the slot's position after the answer, generated tokens included.
            let has_timings = chunk.timings.is_some();
            let timings = chunk.timings.unwrap_or_default();
            let input_tokens =
                chunk.tokens_evaluated.unwrap_or(timings.prompt_n.saturating_add(timings.cache_n.unwrap_or(0)));
            let cached = match (timings.cache_n, has_timings) {
                (Some(cache_n), _) => cache_n,
                (None, true) => input_tokens.saturating_sub(timings.prompt_n),
                (None, false) => 0,
            };
            events.push(StreamEvent::Usage(
                Usage::new(input_tokens, chunk.tokens_predicted.unwrap_or(timings.predicted_n)).with_cached(cached),
            ));
            return Ok(Flow::Done);
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

/// The generation options `/infill` and `/completion` share.
#[derive(Serialize)]
struct CompletionOptions<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    n_predict: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
    stream: bool,
    cache_prompt: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    t_max_predict_ms: Option<u64>,
}

#[derive(Serialize)]
struct Extra<'a> {
    filename: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct InfillBody<'a> {
    input_prefix: &'a str,
    input_suffix: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    input_extra: Vec<Extra<'a>>,
    #[serde(flatten)]
    options: CompletionOptions<'a>,
}

#[derive(Serialize)]
struct CompletionBody<'a> {
    prompt: &'a str,
    #[serde(flatten)]
    options: CompletionOptions<'a>,
}

#[derive(Deserialize)]
struct Chunk {
    /// `/infill`, `/completion`.
    content: Option<String>,
    #[serde(default)]
    stop: bool,
    tokens_evaluated: Option<u64>,
    tokens_predicted: Option<u64>,
    timings: Option<Timings>,
    /// `/v1/chat/completions`.
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<WireUsage>,
    error: Option<WireError>,
}

#[derive(Deserialize, Default)]
struct Timings {
    #[serde(default)]
    prompt_n: u64,
    #[serde(default)]
    predicted_n: u64,
    cache_n: Option<u64>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<WireError>,
}

#[derive(Deserialize)]
struct WireError {
    code: Option<u64>,
    message: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}
