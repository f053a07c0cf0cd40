//! The `deepseek` kind: DeepSeek's OpenAI-shaped chat API, and fill-in-the-middle through its
//! beta Completions endpoint (`/beta/completions` with `prompt` + `suffix`).
//!
//! Under load DeepSeek holds the connection open before answering: blank lines ahead of a
//! non-streamed body, `: keep-alive` comments in a stream. Both are tolerated (the SSE parser
//! skips comments; JSON parsing skips leading whitespace). A 402 means the balance is empty.

use std::time::Duration;

use crate::common;
use crate::http;
use crate::models;
use crate::openai_compat::{self, Dialect, Endpoint};
use crate::provider::{Capabilities, ErrorKind, GenerateRequest, ProviderError, TextStream};
use crate::spec::{KeySource, ProviderKind, ProviderSpec};

pub const DEFAULT_BASE_URL: &str = "https://api.deepseek.com";

pub const DEFAULT_KEY_ENV: &str = "DEEPSEEK_API_KEY";

/// The V4 model that takes FIM. `deepseek-chat` and `deepseek-reasoner` were retired on
/// 2026-07-24 (api-docs.deepseek.com/news/news260424) and now answer "Model Not Exist".
pub const DEFAULT_MODEL: &str = "deepseek-v4-flash";

/// Model names DeepSeek no longer serves, with what replaces them.
pub const RETIRED_MODELS: &[(&str, &str)] = &[
    ("deepseek-chat", "deepseek-v4-flash"),
    ("deepseek-reasoner", "deepseek-v4-pro"),
    ("deepseek-coder", "deepseek-v4-flash"),
];

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
        let model = common::model_or(spec, DEFAULT_MODEL);
        let (capabilities, _) = models::capabilities(ProviderKind::Deepseek, model, spec)?;
        let base_url = common::base_url(spec, DEFAULT_BASE_URL);
        let fim_base_url = base_url.strip_suffix("/v1").unwrap_or(&base_url).to_owned();
        let key = common::key_or_env(spec, DEFAULT_KEY_ENV);
        Ok(Self {
            name: name.to_owned(),
            model: model.to_owned(),
            base_url,
            fim_base_url,
            key,
            capabilities,
            timeout: common::timeout(spec),
        })
    }

    async fn send(&self, request: GenerateRequest) -> Result<TextStream, ProviderError> {
        let target = openai_compat::Target {
            name: &self.name,
            model: &self.model,
            capabilities: &self.capabilities,
            key: &self.key,
            headers: None,
            timeout: self.timeout,
            dialect: &DIALECT,
        };
        openai_compat::generate(target, request, |endpoint| match endpoint {
            Endpoint::Fim => format!("{}/beta/completions", self.fim_base_url),
            Endpoint::Chat => format!("{}/chat/completions", self.base_url),
        })
        .await
    }
}

common::provider_via_send!(DeepSeek);

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
    max_stop_sequences: MAX_STOP_SEQUENCES,
    max_fim_tokens: MAX_FIM_TOKENS,
    stream_usage: true,
    max_completion_tokens: false,
    // api-docs.deepseek.com/api/create-chat-completion and create-completion: `temperature` <= 2.
    max_temperature: 2.0,
};
