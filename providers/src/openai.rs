//! The `openai` kind: OpenAI's Chat Completions API, and the legacy Completions API with
//! `prompt` + `suffix` for fill-in-the-middle on OpenAI-compatible servers that support it.
//!
//! One kind serves OpenAI and every OpenAI-compatible gateway or server (OpenRouter, LiteLLM,
//! vLLM, LM Studio, Groq, Together, Gemini's OpenAI endpoint): only `base_url`, the key and the
//! extra headers differ. This file is the reference vendor: the others follow its shape
//! (spec → struct, `generate` = resolve key, build body, `http::send`, classify, decode).

use std::time::Duration;

use crate::http;
use crate::keys;
use crate::openai_compat::{self, ChatRequest, Dialect, ErrorBody, FimRequest, StreamOptions};
use crate::provider::{
    BoxFuture, Capabilities, ChatPrompt, ErrorKind, FimMode, GenerateRequest, Prompt, Provider, ProviderError,
    TextStream,
};
use crate::spec::{KeySource, ProviderSpec};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

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
        // A FIM prompt sent as chat: the code is extracted from the whole answer at the end.
        let mut chat_fim = None;
        let (path, body) = match &request.prompt {
            Prompt::Fim(fim) if self.capabilities.fim == FimMode::Native => {
                let body = serde_json::to_value(FimRequest {
                    model: &self.model,
                    prompt: &fim.prefix,
                    suffix: &fim.suffix,
                    max_tokens: request.max_tokens,
                    temperature: request.temperature,
                    stop,
                    stream,
                    stream_options: StreamOptions::usage(stream),
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
        let builder = http::client().post(format!("{}{path}", self.base_url)).headers(self.headers.clone()).json(&body);
        tracing::debug!(provider = %self.name, path, stream, "sending request");
        openai_compat::send(&self.name, builder, key.as_ref(), stream, deadline, &DIALECT, chat_fim).await
    }

    fn chat_request<'a>(
        &'a self,
        chat: &'a ChatPrompt,
        request: &GenerateRequest,
        stop: &'a [String],
        stream: bool,
    ) -> ChatRequest<'a> {
        let mut body = ChatRequest::new(&self.model, chat, request, stop, stream);
        // Not `max_tokens`: reasoning models reject that one.
        body.max_completion_tokens = body.max_tokens.take();
        body
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

/// OpenAI reads the choice with index 0, fails on `finish_reason: "error"`, and names in-band
/// errors by a string `code`.
static DIALECT: Dialect = Dialect {
    index_zero_only: true,
    error_finish_reason: true,
    other_code: |code, _message| match code {
        Some("insufficient_quota") => ErrorKind::Quota,
        Some("rate_limit_exceeded") => ErrorKind::RateLimited,
        Some("invalid_api_key") => ErrorKind::Auth,
        // Whatever failed after the vendor accepted the request is on their side.
        _ => ErrorKind::Server,
    },
    refine_status,
};
