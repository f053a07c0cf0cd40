//! The `deepseek` kind: DeepSeek's OpenAI-shaped chat API, and fill-in-the-middle through its
//! beta Completions endpoint (`/beta/completions` with `prompt` + `suffix`).
//!
//! Under load DeepSeek holds the connection open before answering: blank lines ahead of a
//! non-streamed body, `: keep-alive` comments in a stream. Both are tolerated (the SSE parser
//! skips comments; JSON parsing skips leading whitespace). A 402 means the balance is empty.

use std::time::Duration;

use crate::http;
use crate::keys;
use crate::models;
use crate::openai_compat::{self, ChatRequest, Dialect, FimRequest, StreamOptions};
use crate::provider::{
    BoxFuture, Capabilities, ChatPrompt, ErrorKind, FimMode, GenerateRequest, Prompt, Provider, ProviderError,
    TextStream,
};
use crate::spec::{KeySource, ProviderKind, ProviderSpec};

pub const DEFAULT_BASE_URL: &str = "https://api.deepseek.com";

pub const DEFAULT_KEY_ENV: &str = "DEEPSEEK_API_KEY";

pub const DEFAULT_MODEL: &str = "deepseek-chat";

/// The FIM endpoint refuses more output than this.
const MAX_FIM_TOKENS: u32 = 4096;

/// DeepSeek accepts up to 16 stop sequences.
const MAX_STOP_SEQUENCES: usize = 16;

#[derive(Debug)]
pub struct DeepSeek {
    name: String,
    model: String,
    /// Where `/chat/completions` lives, without a trailing slash.
    base_url: String,
    /// Where `/beta/completions` lives: the host, without a `/v1` the user may have added.
    fim_base_url: String,
    key: KeySource,
    capabilities: Capabilities,
    timeout: Option<Duration>,
}

impl DeepSeek {
    /// Builds the provider from its config. The error says what to fix in `[providers.NAME]`.
    pub fn from_spec(name: &str, spec: &ProviderSpec) -> Result<Self, String> {
        let model = spec.model.as_deref().map(str::trim).filter(|model| !model.is_empty()).unwrap_or(DEFAULT_MODEL);
        let (capabilities, _) = models::capabilities(ProviderKind::Deepseek, model, spec)?;
        let base_url = spec.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL).trim_end_matches('/').to_owned();
        let fim_base_url = base_url.strip_suffix("/v1").unwrap_or(&base_url).to_owned();
        let key = match spec.key_source() {
            KeySource::None => KeySource::Env(DEFAULT_KEY_ENV.to_owned()),
            source => source,
        };
        Ok(Self {
            name: name.to_owned(),
            model: model.to_owned(),
            base_url,
            fim_base_url,
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
                    max_tokens: request.max_tokens.min(MAX_FIM_TOKENS),
                    temperature: request.temperature,
                    stop,
                    stream,
                    stream_options: StreamOptions::usage(stream),
                });
                (format!("{}/beta/completions", self.fim_base_url), body)
            }
            Prompt::Fim(fim) => {
                let chat = crate::chat_fim::to_chat(fim);
                chat_fim = Some(fim.clone());
                let body = serde_json::to_value(self.chat_request(&chat, &request, stop, stream));
                (format!("{}/chat/completions", self.base_url), body)
            }
            Prompt::Chat(chat) => {
                let body = serde_json::to_value(self.chat_request(chat, &request, stop, stream));
                (format!("{}/chat/completions", self.base_url), body)
            }
        };
        let body =
            body.map_err(|error| ProviderError::new(ErrorKind::InvalidRequest, &self.name, error.to_string()))?;
        let builder = http::client().post(url).json(&body);
        tracing::debug!(provider = %self.name, stream, fim = chat_fim.is_none(), "sending request");
        openai_compat::send(&self.name, builder, key.as_ref(), stream, deadline, &DIALECT, chat_fim).await
    }

    fn chat_request<'a>(
        &'a self,
        chat: &'a ChatPrompt,
        request: &GenerateRequest,
        stop: &'a [String],
        stream: bool,
    ) -> ChatRequest<'a> {
        ChatRequest::new(&self.model, chat, request, stop, stream)
    }
}

impl Provider for DeepSeek {
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

/// DeepSeek puts a generic `code` in its bodies; the status and message say more. An empty
/// balance can also come as a 400/429 whose message says so.
fn refine_status(status: u16, body: &str) -> Option<ErrorKind> {
    let message = http::error_message(body).to_lowercase();
    if message.contains("insufficient balance") {
        return Some(ErrorKind::Quota);
    }
    match status {
        // "Server Overloaded": retry later, or move on.
        503 => Some(ErrorKind::Overloaded),
        _ => None,
    }
}

/// DeepSeek reads the first choice; an in-band error without an HTTP status is the vendor's,
/// unless it says the balance is empty.
static DIALECT: Dialect = Dialect {
    index_zero_only: false,
    error_finish_reason: false,
    other_code: |_code, message| {
        if message.to_lowercase().contains("insufficient balance") { ErrorKind::Quota } else { ErrorKind::Server }
    },
    refine_status,
};
