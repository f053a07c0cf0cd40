//! The OpenAI-compatible wire protocol: the provider that serves the `openai`, `deepseek` and
//! `mistral` kinds (each a [`Profile`] in its descriptor, [`crate::kinds`]), and the wire format
//! it shares with llama.cpp's chat endpoint: chat and completions request bodies, and the
//! decoding of their answers (chat `choices[].delta.content` / `message.content`, legacy
//! `choices[].text`, `usage`, `[DONE]`, and in-band `{"error":…}` chunks).
//!
//! One provider serves OpenAI and every OpenAI-compatible gateway or server (OpenRouter, LiteLLM,
//! vLLM, LM Studio, Groq, Together, Gemini's OpenAI endpoint): only `base_url`, the key and the
//! extra headers differ. DeepSeek (FIM through its beta `/beta/completions`) and Mistral
//! (Codestral's `/v1/fim/completions`) differ from OpenAI only in their profile's data: paths,
//! error readings, limits, and which request fields they take.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::http::{self, Flow, FrameDecoder, SseEvent};
use crate::json_text;
use crate::keys;
use crate::kinds::{Descriptor, Protocol};
use crate::provider::{
    Capabilities, ChatPrompt, ChatRole, ErrorKind, FimMode, FimPrompt, GenerateRequest, Prompt, ProviderError,
    StreamEvent, TextStream, Usage,
};
use crate::request_setup;
use crate::spec::{KeySource, ProviderKind, ProviderSpec, Secret};

/// What an OpenAI-compatible vendor does its own way: where the endpoints are, how errors and
/// answers read, and what a request may carry.
#[derive(Debug)]
pub struct Profile {
    /// Where `/chat/completions` is.
    pub(crate) chat: Route,
    /// Where the `prompt` + `suffix` completions endpoint is.
    pub(crate) fim: Route,
    pub(crate) dialect: Dialect,
}

/// An endpoint's URL: the base URL (without a trailing slash), then `path`.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// Drop a `/v1` the base URL ends with (the path brings its own, or lives outside it).
    pub(crate) drop_v1: bool,
    pub(crate) path: &'static str,
}

impl Route {
    fn url(self, base_url: &str) -> String {
        let base = if self.drop_v1 { base_url.strip_suffix("/v1").unwrap_or(base_url) } else { base_url };
        format!("{base}{}", self.path)
    }
}

/// A provider of any OpenAI-compatible kind.
pub struct OpenAiCompatible {
    name: String,
    model: String,
    chat_url: String,
    fim_url: String,
    /// The two URLs parsed once (`None` when one does not parse: the request then fails with
    /// the transport's error, as before), not for every request.
    parsed_urls: (Option<reqwest::Url>, Option<reqwest::Url>),
    key: KeySource,
    /// Extra headers, organization and project, where the kind sends them.
    headers: HeaderMap,
    capabilities: Capabilities,
    timeout: Option<Duration>,
    /// A reasoning model: no `temperature`, no `stop` ([`crate::models::ModelInfo::fixed_sampling`]).
    fixed_sampling: bool,
    dialect: &'static Dialect,
}

impl std::fmt::Debug for OpenAiCompatible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiCompatible")
            .field("name", &self.name)
            .field("model", &self.model)
            .field("chat_url", &self.chat_url)
            .field("fim_url", &self.fim_url)
            .field("key", &self.key)
            .field("headers", &self.headers)
            .field("capabilities", &self.capabilities)
            .field("timeout", &self.timeout)
            .field("fixed_sampling", &self.fixed_sampling)
            .finish_non_exhaustive()
    }
}

impl OpenAiCompatible {
    /// Builds a provider of `kind` from its config. The error says what to fix in
    /// `[providers.NAME]`.
    pub fn from_spec(kind: ProviderKind, name: &str, spec: &ProviderSpec) -> Result<Self, String> {
        let descriptor = kind.descriptor();
        match &descriptor.protocol {
            Protocol::OpenAiCompatible(profile) => Self::new(descriptor, profile, name, spec),
            _ => Err(format!("kind {} does not speak the OpenAI-compatible protocol", descriptor.name)),
        }
    }

    pub(crate) fn new(
        descriptor: &'static Descriptor,
        profile: &'static Profile,
        name: &str,
        spec: &ProviderSpec,
    ) -> Result<Self, String> {
        let model = descriptor.model(spec)?;
        let base_url = descriptor.base_url(spec);
        // Only what the descriptor says the kind reads (validation warns about the rest).
        let reads = descriptor.reads;
        let organization = spec.organization.as_deref().filter(|_| reads.organization);
        let organization = organization.map(|value| ("OpenAI-Organization", value));
        let project = spec.project.as_deref().filter(|_| reads.organization).map(|value| ("OpenAI-Project", value));
        let configured = spec.headers.iter().filter(|_| reads.headers);
        let configured = configured.map(|(header, value)| (header.as_str(), value.as_str()));
        let headers = request_setup::sensitive_headers(configured.chain(organization).chain(project))?;
        // The model table decides (e.g. gpt-3.5-turbo-instruct takes `suffix`); config overrides win.
        let (capabilities, info) = crate::models::capabilities(descriptor.kind, &model, spec)?;
        let (chat_url, fim_url) = (profile.chat.url(&base_url), profile.fim.url(&base_url));
        Ok(Self {
            name: name.to_owned(),
            model,
            parsed_urls: (reqwest::Url::parse(&chat_url).ok(), reqwest::Url::parse(&fim_url).ok()),
            chat_url,
            fim_url,
            key: descriptor.key_source(spec),
            headers,
            capabilities,
            timeout: request_setup::timeout(spec),
            fixed_sampling: info.fixed_sampling,
            dialect: &profile.dialect,
        })
    }

    async fn send(&self, mut request: GenerateRequest) -> Result<TextStream, ProviderError> {
        if self.fixed_sampling {
            request.temperature = None;
            request.stop.clear();
        }
        let target = Target {
            name: &self.name,
            model: &self.model,
            capabilities: &self.capabilities,
            key: &self.key,
            headers: (!self.headers.is_empty()).then_some(&self.headers),
            timeout: self.timeout,
            dialect: self.dialect,
        };
        generate(target, request, |endpoint| match endpoint {
            Endpoint::Fim => (self.fim_url.as_str(), self.parsed_urls.1.as_ref()),
            Endpoint::Chat => (self.chat_url.as_str(), self.parsed_urls.0.as_ref()),
        })
        .await
    }
}

request_setup::provider_via_send!(OpenAiCompatible);

/// What differs between vendors in how they read answers and in-band errors, and in what a
/// request may carry.
#[derive(Debug)]
pub struct Dialect {
    /// A stream chunk is read from its choice with `index` 0 (absent counts as 0), rather than
    /// from its first choice whatever the index.
    pub(crate) index_zero_only: bool,
    /// `finish_reason: "error"` fails the stream instead of ending it normally.
    pub(crate) error_finish_reason: bool,
    /// The kind of an in-band error whose `code` is not an HTTP status number: the `code` when it
    /// is a string, and the message.
    pub(crate) other_code: fn(code: Option<&str>, message: &str) -> ErrorKind,
    /// Refines an HTTP error status by its body (see [`http::error_from_response`]).
    pub(crate) refine_status: fn(status: u16, body: &str) -> Option<ErrorKind>,
    /// Stop sequences past this many are dropped.
    pub(crate) max_stop_sequences: usize,
    /// The FIM endpoint refuses more output than this.
    pub(crate) max_fim_tokens: u32,
    /// Streamed requests ask for a last chunk with the token counts (`stream_options`).
    pub(crate) stream_usage: bool,
    /// Chat requests bound the output with `max_completion_tokens` instead of `max_tokens`.
    pub(crate) max_completion_tokens: bool,
    /// The highest `temperature` the API accepts.
    pub(crate) max_temperature: f32,
}

/// Which endpoint a [`Prepared`] body goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `prompt` + `suffix` completions.
    Fim,
    Chat,
}

/// A request body, where it goes, and the FIM prompt to extract the answer for when a FIM
/// request is sent as chat.
pub(crate) struct Prepared {
    pub endpoint: Endpoint,
    /// The JSON body, written straight from the typed request (a `serde_json::Value` first
    /// would copy the ~12 KB prompt into a tree and out again).
    pub body: Vec<u8>,
    pub chat_fim: Option<Arc<FimPrompt>>,
}

/// Builds the body of a request: native FIM as `prompt` + `suffix` when the model takes it,
/// other FIM prompts as chat (the code is extracted from the whole answer at the end), chat as
/// chat.
pub(crate) fn prepare(
    provider: &str,
    model: &str,
    capabilities: &Capabilities,
    request: &GenerateRequest,
    dialect: &Dialect,
) -> Result<Prepared, ProviderError> {
    let stream = capabilities.streaming;
    let stop = &request.stop[..request.stop.len().min(dialect.max_stop_sequences)];
    let n = choices(capabilities, request);
    let n = (n > 1).then_some(n);
    let temperature = request_setup::temperature(request.temperature, dialect.max_temperature);
    let stream_options = || if dialect.stream_usage { StreamOptions::usage(stream) } else { None };
    // A FIM prompt asked of a chat model is answered in a fenced block whose first line is the
    // fence: a line-end stop would end the answer there (see `chat_fim::chat_stops`).
    let chat_stops = crate::chat_fim::chat_stops(stop);
    let chat_body = |chat: &ChatPrompt, stop: &[String]| {
        let mut body = ChatRequest::new(model, chat, request, stop, stream);
        body.temperature = temperature;
        body.stream_options = stream_options();
        body.n = n;
        if dialect.max_completion_tokens {
            body.max_completion_tokens = body.max_tokens.take();
        }
        body.into_json()
    };
    let (endpoint, body, chat_fim) = match &request.prompt {
        Prompt::Fim(fim) if capabilities.fim == FimMode::Native => {
            let body = FimRequest {
                model,
                prompt: &fim.prefix,
                suffix: &fim.suffix,
                max_tokens: request.max_tokens.min(dialect.max_fim_tokens),
                temperature,
                stop,
                n,
                stream,
                stream_options: stream_options(),
            }
            .to_json();
            (Endpoint::Fim, body, None)
        }
        Prompt::Fim(fim) => (Endpoint::Chat, chat_body(&crate::chat_fim::to_chat(fim), &chat_stops), Some(fim.clone())),
        Prompt::Chat(chat) => (Endpoint::Chat, chat_body(chat, stop), None),
    };
    let body = body.map_err(|error| ProviderError::new(ErrorKind::InvalidRequest, provider, error.to_string()))?;
    Ok(Prepared { endpoint, body, chat_fim })
}

/// How many answers a request gets: what it asks for, within what the provider can return.
pub(crate) fn choices(capabilities: &Capabilities, request: &GenerateRequest) -> u32 {
    request.choices.clamp(1, capabilities.max_choices.max(1))
}

/// Who an OpenAI-shaped request goes to: what differs between the vendors that speak the format.
pub(crate) struct Target<'a> {
    pub name: &'a str,
    pub model: &'a str,
    pub capabilities: &'a Capabilities,
    pub key: &'a crate::spec::KeySource,
    pub headers: Option<&'a reqwest::header::HeaderMap>,
    pub timeout: Option<std::time::Duration>,
    pub dialect: &'static Dialect,
}

/// A whole request to an OpenAI-shaped vendor: key, body, URL for the endpoint the prompt needs
/// (`url_for`), send and decode.
pub(crate) async fn generate<'u>(
    target: Target<'_>,
    request: GenerateRequest,
    url_for: impl Fn(Endpoint) -> (&'u str, Option<&'u reqwest::Url>),
) -> Result<TextStream, ProviderError> {
    let deadline = http::effective_deadline(request.deadline, target.timeout);
    let key = request_setup::resolve_key(target.name, target.key).await?;
    let stream = target.capabilities.streaming;
    let prepared = prepare(target.name, target.model, target.capabilities, &request, target.dialect)?;
    let choices = choices(target.capabilities, &request);
    let (url, parsed) = url_for(prepared.endpoint);
    let client = http::client_for(url).await;
    let builder = match parsed {
        Some(parsed) => client.post(parsed.clone()),
        None => client.post(url),
    };
    let mut builder = builder.header(reqwest::header::CONTENT_TYPE, "application/json").body(prepared.body);
    if let Some(headers) = target.headers {
        builder = builder.headers(headers.clone());
    }
    tracing::debug!(provider = %target.name, url, stream, "sending request");
    let answer = Answer { stream, choices, chat_fim: prepared.chat_fim };
    send(target.name, builder, key.as_ref(), deadline, target.dialect, answer).await
}

/// What the answer to a request looks like: streamed or whole, how many choices, and the FIM
/// prompt to extract the code for when a FIM request went to a chat model.
pub(crate) struct Answer {
    pub stream: bool,
    pub choices: u32,
    pub chat_fim: Option<Arc<FimPrompt>>,
}

/// Sends a request built by the vendor (URL, body, extra headers), with the key as a bearer
/// token, and decodes the OpenAI-shaped answer, streamed or whole. A FIM prompt sent as chat is
/// extracted from the whole answer at the end.
pub(crate) async fn send(
    provider: &str,
    mut builder: reqwest::RequestBuilder,
    key: Option<&Secret>,
    deadline: Option<tokio::time::Instant>,
    dialect: &'static Dialect,
    answer: Answer,
) -> Result<TextStream, ProviderError> {
    let Answer { stream, choices, chat_fim } = answer;
    builder = request_setup::bearer(builder, key);
    if stream {
        builder = builder.header(reqwest::header::ACCEPT, "text/event-stream");
    }
    let response = http::send(provider, builder, deadline).await?;
    if !response.status().is_success() {
        let mut error = http::error_from_response(provider, response, deadline, dialect.refine_status).await;
        error.message = keys::scrub(&error.message, key);
        return Err(error);
    }
    let answer = if stream {
        let decoder = SseDecoder { provider: provider.to_owned(), finished: false, dialect, choices };
        http::decode_stream(http::sse_stream(provider, response, deadline), decoder)
    } else {
        let body = http::read_body(provider, response, deadline).await?;
        http::ready_stream(decode_whole(provider, &body, dialect, choices)?)
    };
    Ok(crate::chat_fim::extract_from_answer(answer, chat_fim, choices <= 1))
}

/// Classifies an error object that arrived inside a 200 answer (OpenRouter sends
/// `{"error":{"code":502,"message":…}}`, OpenAI-style servers a string `code`).
pub(crate) fn in_stream_error(provider: &str, error: &WireError, dialect: &Dialect) -> ProviderError {
    let message = error.message.clone().unwrap_or_else(|| "error in the middle of the stream".to_owned());
    let kind = match &error.code {
        Some(serde_json::Value::Number(code)) => {
            let status = code.as_u64().and_then(|code| u16::try_from(code).ok()).unwrap_or(500);
            http::classify_status(status, &message)
        }
        code => (dialect.other_code)(code.as_ref().and_then(serde_json::Value::as_str), &message),
    };
    ProviderError::new(kind, provider, http::shorten(&message))
}

pub(crate) fn usage_event(usage: &WireUsage) -> StreamEvent {
    StreamEvent::Usage(usage.to_usage())
}

/// Decodes a non-streamed answer (chat `message.content` or completions `text`), with up to
/// `choices` answers.
pub(crate) fn decode_whole(
    provider: &str,
    body: &str,
    dialect: &Dialect,
    choices: u32,
) -> Result<Vec<StreamEvent>, ProviderError> {
    // Trimmed: DeepSeek sends blank keep-alive lines ahead of a body it is slow to produce.
    let answer: Chunk = serde_json::from_str(body.trim()).map_err(|error| {
        ProviderError::new(ErrorKind::BadResponse, provider, format!("malformed response: {error}"))
    })?;
    if let Some(error) = &answer.error {
        return Err(in_stream_error(provider, error, dialect));
    }
    if answer.choices.is_empty() {
        return Err(ProviderError::new(ErrorKind::BadResponse, provider, "the response has no choices"));
    }
    let mut events = Vec::new();
    if choices == 1 {
        let choice = &answer.choices[0];
        events.push(StreamEvent::Text(choice.whole_text().unwrap_or_default()));
    } else {
        // The first answer is always there (empty if the vendor sent none with index 0).
        events.push(StreamEvent::Text(String::new()));
        for choice in &answer.choices {
            if let Some(event) = choice_event(choice, choices, choice.whole_text()) {
                match event {
                    StreamEvent::Text(text) => events[0] = StreamEvent::Text(text),
                    other => events.push(other),
                }
            }
        }
    }
    events.extend(answer.usage.as_ref().map(usage_event));
    Ok(events)
}

/// The event for a piece of one of several choices: the one with index 0 is the answer, the
/// others its alternatives; an index past what was asked for is ignored.
fn choice_event(choice: &Choice, choices: u32, text: Option<String>) -> Option<StreamEvent> {
    let index = choice.index.unwrap_or(0);
    let text = text?;
    match index {
        0 => Some(StreamEvent::Text(text)),
        index if index < choices => Some(StreamEvent::Alternative { choice: index, text }),
        _ => None,
    }
}

/// Decodes `data:` chunks of chat or completions until `[DONE]`. Fields it does not read (e.g.
/// DeepSeek's `reasoning_content`, the reasoner's thinking) are not part of the answer.
pub(crate) struct SseDecoder {
    provider: String,
    /// A `finish_reason` arrived: a server that then closes without `[DONE]` still answered.
    finished: bool,
    dialect: &'static Dialect,
    /// How many answers were asked for (`n`); each chunk's choices are read by their `index`.
    choices: u32,
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
            return Err(in_stream_error(&self.provider, error, self.dialect));
        }
        let read: Vec<&Choice> = if self.choices > 1 {
            chunk.choices.iter().collect()
        } else if self.dialect.index_zero_only {
            // We asked for one choice; a server that sends more gets its first read.
            chunk.choices.iter().find(|choice| choice.index.unwrap_or(0) == 0).into_iter().collect()
        } else {
            chunk.choices.first().into_iter().collect()
        };
        for choice in read {
            let text = choice.delta.as_ref().and_then(|delta| delta.content.clone()).or_else(|| choice.text.clone());
            let text = text.filter(|text| !text.is_empty());
            if self.choices > 1 {
                events.extend(choice_event(choice, self.choices, text));
            } else if let Some(text) = text {
                events.push(StreamEvent::Text(text));
            }
            match choice.finish_reason.as_deref() {
                Some("error") if self.dialect.error_finish_reason => {
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
pub(crate) struct StreamOptions {
    include_usage: bool,
}

impl StreamOptions {
    /// Asks for a last chunk with the token counts, when streaming.
    pub(crate) fn usage(stream: bool) -> Option<Self> {
        stream.then_some(Self { include_usage: true })
    }
}

/// One chat message as OpenAI (and Ollama's `/api/chat`) take it.
#[derive(Serialize)]
pub(crate) struct WireMessage<'a> {
    role: &'static str,
    content: &'a str,
}

impl<'a> WireMessage<'a> {
    /// The system prompt first, then the turns.
    pub(crate) fn all(chat: &'a ChatPrompt) -> Vec<Self> {
        let system = chat.system.iter().map(|system| WireMessage { role: "system", content: system });
        let turns = chat.messages.iter().map(|message| WireMessage {
            role: match message.role {
                ChatRole::User => "user",
                ChatRole::Assistant => "assistant",
            },
            content: &message.content,
        });
        system.chain(turns).collect()
    }
}

#[derive(Serialize)]
pub(crate) struct ChatRequest<'a> {
    pub model: &'a str,
    /// Never empty in a request (every vendor refuses one without messages); left out when
    /// [`ChatRequest::into_json`] writes them itself.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// OpenAI itself takes this instead of `max_tokens`, which reasoning models reject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub stop: &'a [String],
    /// Several answers for one prompt; left out for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
}

impl<'a> ChatRequest<'a> {
    /// All messages ([`WireMessage::all`]); `max_tokens`, and usage asked for when streaming.
    pub(crate) fn new(
        model: &'a str,
        chat: &'a ChatPrompt,
        request: &GenerateRequest,
        stop: &'a [String],
        stream: bool,
    ) -> Self {
        ChatRequest {
            model,
            messages: WireMessage::all(chat),
            max_tokens: Some(request.max_tokens),
            max_completion_tokens: None,
            temperature: request.temperature,
            stop,
            n: None,
            stream,
            stream_options: StreamOptions::usage(stream),
        }
    }
}

impl ChatRequest<'_> {
    /// The body: the messages' contents (the prompt, most of it) through [`json_text`], the
    /// other fields through serde, as [`FimRequest::to_json`] does.
    pub(crate) fn into_json(mut self) -> Result<Vec<u8>, serde_json::Error> {
        let messages = std::mem::take(&mut self.messages);
        let rest = serde_json::to_vec(&self)?;
        let contents: usize = messages.iter().map(|message| message.content.len()).sum();
        let mut body = Vec::with_capacity(contents + contents / 16 + rest.len() + 32 * messages.len() + 16);
        body.extend_from_slice(b"{\"messages\":[");
        for (index, message) in messages.iter().enumerate() {
            if index > 0 {
                body.push(b',');
            }
            body.extend_from_slice(b"{\"role\":");
            json_text::write_str(&mut body, message.role);
            body.extend_from_slice(b",\"content\":");
            json_text::write_str(&mut body, message.content);
            body.push(b'}');
        }
        // `rest` is an object with `model` in it at least: join its members after these.
        body.extend_from_slice(b"],");
        body.extend_from_slice(rest.strip_prefix(b"{").unwrap_or(&rest));
        Ok(body)
    }
}

/// A completions body with `prompt` + `suffix` (OpenAI's legacy Completions, DeepSeek's beta
/// Completions, Codestral's FIM endpoint).
#[derive(Serialize)]
pub(crate) struct FimRequest<'a> {
    pub model: &'a str,
    /// Written by [`FimRequest::to_json`] itself, with the faster escaper.
    #[serde(skip)]
    pub prompt: &'a str,
    #[serde(skip)]
    pub suffix: &'a str,
    pub max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub stop: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
}

impl FimRequest<'_> {
    /// The body: the prompt and suffix (most of it) through [`json_text`], the other fields
    /// through serde. Key order does not matter in a JSON object.
    fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        let rest = serde_json::to_vec(self)?;
        let mut body = Vec::with_capacity(self.prompt.len() + self.suffix.len() + rest.len() + 32);
        body.extend_from_slice(b"{\"prompt\":");
        json_text::write_str(&mut body, self.prompt);
        body.extend_from_slice(b",\"suffix\":");
        json_text::write_str(&mut body, self.suffix);
        // `rest` is an object with `model` in it at least: join its members after these two.
        body.push(b',');
        body.extend_from_slice(rest.strip_prefix(b"{").unwrap_or(&rest));
        Ok(body)
    }
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
pub(crate) struct Choice {
    index: Option<u32>,
    /// Streamed chat.
    pub delta: Option<Content>,
    /// Non-streamed chat.
    pub message: Option<Content>,
    /// Completions, streamed or not.
    text: Option<String>,
    pub finish_reason: Option<String>,
}

impl Choice {
    /// The text of a non-streamed choice: chat `message.content` or completions `text`.
    fn whole_text(&self) -> Option<String> {
        self.message.as_ref().and_then(|message| message.content.clone()).or_else(|| self.text.clone())
    }
}

#[derive(Deserialize)]
pub(crate) struct Content {
    pub content: Option<String>,
}

/// `usage` as OpenAI-compatible APIs report it. Cached prompt tokens are counted inside
/// `prompt_tokens` everywhere; they are named `prompt_tokens_details.cached_tokens` by OpenAI
/// (platform.openai.com/docs/guides/prompt-caching), Gemini's and Ollama's compatible endpoints
/// and llama.cpp, and `prompt_cache_hit_tokens` (beside `prompt_cache_miss_tokens`) by DeepSeek
/// (api-docs.deepseek.com/guides/kv_cache).
#[derive(Deserialize)]
pub(crate) struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    prompt_tokens_details: Option<PromptTokensDetails>,
    prompt_cache_hit_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct PromptTokensDetails {
    cached_tokens: Option<u64>,
}

impl WireUsage {
    pub(crate) fn to_usage(&self) -> Usage {
        let cached = self
            .prompt_tokens_details
            .as_ref()
            .and_then(|details| details.cached_tokens)
            .or(self.prompt_cache_hit_tokens)
            .unwrap_or(0);
        Usage::new(self.prompt_tokens, self.completion_tokens).with_cached(cached)
    }
}

#[derive(Deserialize)]
pub(crate) struct ErrorBody {
    pub error: Option<WireError>,
}

#[derive(Deserialize)]
pub(crate) struct WireError {
    pub message: Option<String>,
    pub code: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fim_body_holds_every_field_once() {
        let stop = ["\n\n".to_owned()];
        let request = FimRequest {
            model: "codestral-latest",
            prompt: "def f(\"a\"):\n\t",
            suffix: "\n# é\u{1}",
            max_tokens: 64,
            temperature: Some(0.2),
            stop: &stop,
            n: None,
            stream: true,
            stream_options: StreamOptions::usage(true),
        };
        let body: serde_json::Value = serde_json::from_slice(&request.to_json().expect("body")).expect("valid JSON");
        assert_eq!(
            body,
            serde_json::json!({
                "model": "codestral-latest",
                "prompt": "def f(\"a\"):\n\t",
                "suffix": "\n# é\u{1}",
                "max_tokens": 64,
                "temperature": 0.2,
                "stop": ["\n\n"],
                "stream": true,
                "stream_options": {"include_usage": true},
            })
        );
    }

    #[test]
    fn a_chat_body_is_the_json_serde_writes() {
        let stop = ["```".to_owned()];
        let chat = ChatPrompt {
            system: Some("You complete code.\n\"Only\" code.".into()),
            messages: vec![
                crate::provider::ChatMessage {
                    role: ChatRole::User, content: "fn f() {\n\t<CURSOR>\n}\u{1} é".into()
                },
                crate::provider::ChatMessage { role: ChatRole::Assistant, content: "```rust\n".into() },
            ],
            stable_prefix: None,
        };
        let request = GenerateRequest {
            prompt: Prompt::Chat(chat.clone()),
            max_tokens: 64,
            stop: stop.to_vec(),
            temperature: Some(0.2),
            deadline: None,
            purpose: crate::provider::Purpose::InlineCompletion,
            choices: 2,
        };
        let body = || {
            let mut body = ChatRequest::new("gpt-4.1-mini", &chat, &request, &stop, true);
            body.temperature = Some(0.2);
            body.n = Some(2);
            body
        };
        let fast: serde_json::Value = serde_json::from_slice(&body().into_json().expect("body")).expect("valid JSON");
        let serde: serde_json::Value =
            serde_json::from_slice(&serde_json::to_vec(&body()).expect("serde's")).expect("valid JSON");
        assert_eq!(fast, serde);
        assert_eq!(fast["messages"].as_array().map(Vec::len), Some(3), "{fast}");
        assert_eq!(fast["messages"][1]["content"], "fn f() {\n\t<CURSOR>\n}\u{1} é");
    }

    /// The endpoints each OpenAI-compatible kind's profile puts under a base URL, written as the
    /// user may write it (with or without `/v1`, with a trailing slash).
    #[test]
    fn each_profile_routes_chat_and_fim_where_its_vendor_serves_them() {
        let urls = |kind: ProviderKind, base_url: Option<&str>, key_env: Option<&str>| {
            let spec = ProviderSpec {
                model: Some("m".into()),
                base_url: base_url.map(str::to_owned),
                api_key_env: key_env.map(str::to_owned),
                ..ProviderSpec::default()
            };
            let provider = OpenAiCompatible::from_spec(kind, "p", &spec).expect("valid");
            (provider.chat_url, provider.fim_url)
        };
        let pair = |chat: &str, fim: &str| (chat.to_owned(), fim.to_owned());
        assert_eq!(
            urls(ProviderKind::Openai, None, None),
            pair("https://api.openai.com/v1/chat/completions", "https://api.openai.com/v1/completions")
        );
        assert_eq!(
            urls(ProviderKind::Openai, Some("http://127.0.0.1:8000/v1/"), None),
            pair("http://127.0.0.1:8000/v1/chat/completions", "http://127.0.0.1:8000/v1/completions")
        );
        assert_eq!(
            urls(ProviderKind::Deepseek, None, None),
            pair("https://api.deepseek.com/chat/completions", "https://api.deepseek.com/beta/completions")
        );
        assert_eq!(
            urls(ProviderKind::Deepseek, Some("https://api.deepseek.com/v1"), None),
            pair("https://api.deepseek.com/v1/chat/completions", "https://api.deepseek.com/beta/completions")
        );
        assert_eq!(
            urls(ProviderKind::Mistral, Some("https://api.mistral.ai/v1/"), None),
            pair("https://api.mistral.ai/v1/chat/completions", "https://api.mistral.ai/v1/fim/completions")
        );
        assert_eq!(
            urls(ProviderKind::Mistral, None, Some("CODESTRAL_API_KEY")),
            pair("https://codestral.mistral.ai/v1/chat/completions", "https://codestral.mistral.ai/v1/fim/completions")
        );
        let error = OpenAiCompatible::from_spec(ProviderKind::Gemini, "g", &ProviderSpec::default()).unwrap_err();
        assert_eq!(error, "kind gemini does not speak the OpenAI-compatible protocol");
    }

    #[test]
    fn only_kinds_that_read_them_send_extra_headers() {
        let mut spec =
            ProviderSpec { model: Some("m".into()), organization: Some("org-1".into()), ..Default::default() };
        spec.headers.insert("x-team".into(), "a".into());
        let openai = OpenAiCompatible::from_spec(ProviderKind::Openai, "o", &spec).expect("valid");
        assert_eq!(openai.headers.len(), 2);
        let mistral = OpenAiCompatible::from_spec(ProviderKind::Mistral, "m", &spec).expect("valid");
        assert!(mistral.headers.is_empty());
    }
}
