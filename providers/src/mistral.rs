//! The `mistral` kind: Codestral's fill-in-the-middle endpoint (`/v1/fim/completions`) and
//! Mistral's chat API (`/v1/chat/completions`).
//!
//! Codestral is served from two hosts with different keys: `api.mistral.ai` takes a normal
//! Mistral key, `codestral.mistral.ai` a Codestral-specific one (`CODESTRAL_API_KEY`). Both use
//! `Authorization: Bearer`. FIM answers are chat-shaped (`choices[0].message.content`, streamed
//! as `choices[0].delta.content`, ending with `[DONE]`).

use std::time::Duration;

use crate::common;
use crate::http;
use crate::models;
use crate::openai_compat::{self, Dialect, Endpoint};
use crate::provider::{Capabilities, ErrorKind, GenerateRequest, ProviderError, TextStream};
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
        let model = common::model_or(spec, DEFAULT_MODEL);
        let (capabilities, _) = models::capabilities(ProviderKind::Mistral, model, spec)?;
        let key = common::key_or_env(spec, DEFAULT_KEY_ENV);
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
            Endpoint::Fim => format!("{}/v1/fim/completions", self.base_url),
            Endpoint::Chat => format!("{}/v1/chat/completions", self.base_url),
        })
        .await
    }
}

common::provider_via_send!(Mistral);

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

/// Mistral reads the first choice; an in-band error without an HTTP status is the vendor's.
static DIALECT: Dialect = Dialect {
    index_zero_only: false,
    // Mistral's stream chunks may end with `finish_reason: "error"` (docs.mistral.ai/api,
    // `FinishReason`): the answer failed and is not complete.
    error_finish_reason: true,
    other_code: |_code, _message| ErrorKind::Server,
    refine_status,
    max_stop_sequences: MAX_STOP_SEQUENCES,
    max_fim_tokens: u32::MAX,
    // Mistral is not sent `stream_options`.
    stream_usage: false,
    max_completion_tokens: false,
    // docs.mistral.ai/api (chat and FIM): `temperature` <= 1.5; above it, 422 `less_than_equal`.
    max_temperature: 1.5,
};
