//! The `openai` kind: OpenAI's Chat Completions API, and the legacy Completions API with
//! `prompt` + `suffix` for fill-in-the-middle on OpenAI-compatible servers that support it.
//!
//! One kind serves OpenAI and every OpenAI-compatible gateway or server (OpenRouter, LiteLLM,
//! vLLM, LM Studio, Groq, Together, Gemini's OpenAI endpoint): only `base_url`, the key and the
//! extra headers differ. This file is the reference vendor: the others follow its shape
//! (spec → struct, `generate` = resolve key, build body, `http::send`, classify, decode). The
//! wire format and its decoding live in [`crate::openai_compat`], shared with the vendors that
//! copy it; what is OpenAI's own is its [`Dialect`].

use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::common;
use crate::http;
use crate::openai_compat::{self, Dialect, Endpoint, ErrorBody};
use crate::provider::{Capabilities, ErrorKind, GenerateRequest, ProviderError, TextStream};
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
    /// A reasoning model: no `temperature`, no `stop` ([`crate::models::ModelInfo::fixed_sampling`]).
    fixed_sampling: bool,
}

impl OpenAi {
    /// Builds the provider from its config. The error says what to fix in `[providers.NAME]`.
    pub fn from_spec(name: &str, spec: &ProviderSpec) -> Result<Self, String> {
        let model = common::required_model(spec)?;
        let base_url = common::base_url(spec, DEFAULT_BASE_URL);
        let key = match spec.key_source() {
            // Local servers (LM Studio, vLLM, llama.cpp) need no key; OpenAI itself always does.
            KeySource::None if spec.base_url.is_none() => KeySource::Env(DEFAULT_KEY_ENV.to_owned()),
            source => source,
        };
        let organization = spec.organization.as_deref().map(|value| ("OpenAI-Organization", value));
        let project = spec.project.as_deref().map(|value| ("OpenAI-Project", value));
        let configured = spec.headers.iter().map(|(header, value)| (header.as_str(), value.as_str()));
        let headers = common::sensitive_headers(configured.chain(organization).chain(project))?;
        // The model table decides (e.g. gpt-3.5-turbo-instruct takes `suffix`); config overrides win.
        let (capabilities, info) = crate::models::capabilities(crate::spec::ProviderKind::Openai, &model, spec)?;
        Ok(Self {
            name: name.to_owned(),
            model,
            base_url,
            key,
            headers,
            capabilities,
            timeout: common::timeout(spec),
            fixed_sampling: info.fixed_sampling,
        })
    }

    async fn send(&self, mut request: GenerateRequest) -> Result<TextStream, ProviderError> {
        if self.fixed_sampling {
            request.temperature = None;
            request.stop.clear();
        }
        let target = openai_compat::Target {
            name: &self.name,
            model: &self.model,
            capabilities: &self.capabilities,
            key: &self.key,
            headers: Some(&self.headers),
            timeout: self.timeout,
            dialect: &DIALECT,
        };
        openai_compat::generate(target, request, |endpoint| match endpoint {
            Endpoint::Fim => format!("{}/completions", self.base_url),
            Endpoint::Chat => format!("{}/chat/completions", self.base_url),
        })
        .await
    }
}

common::provider_via_send!(OpenAi);

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
    max_stop_sequences: MAX_STOP_SEQUENCES,
    max_fim_tokens: u32::MAX,
    stream_usage: true,
    // Not `max_tokens`: reasoning models reject that one.
    max_completion_tokens: true,
    // platform.openai.com/docs/api-reference/chat/create: `temperature` 0 to 2.
    max_temperature: 2.0,
};
