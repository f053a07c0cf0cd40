//! The user-facing description of one provider (`[providers.NAME]` in the config file). The
//! server's configuration embeds this type, so there is one schema for it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Which kind of provider: a vendor's API, or a local server's. What each kind is and does
/// is its descriptor ([`crate::kinds`], [`ProviderKind::descriptor`]); the serde names are the
/// descriptors' names (a test checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Openai,
    Anthropic,
    Gemini,
    Mistral,
    Deepseek,
    Ollama,
    Llamacpp,
}

/// One `[providers.NAME]` table. `Debug` redacts the key and header values (a gateway token
/// often travels in an extra header).
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    /// The wire protocol.
    pub kind: Option<ProviderKind>,
    /// The model name as the vendor spells it.
    pub model: Option<String>,
    /// Overrides the vendor's default endpoint (gateways, proxies, local servers).
    pub base_url: Option<String>,
    /// Name of the environment variable that holds the API key.
    pub api_key_env: Option<String>,
    /// A command whose standard output is the API key (e.g. a password manager).
    pub api_key_cmd: Option<String>,
    /// The key itself. Allowed, discouraged: prefer `api_key_env` or `api_key_cmd`.
    pub api_key: Option<Secret>,
    /// Extra HTTP headers sent with every request.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// OpenAI organization header.
    pub organization: Option<String>,
    /// OpenAI project header.
    pub project: Option<String>,
    /// Overrides how fill-in-the-middle is done: "native", "chat", or a template name
    /// ("starcoder2", "codellama", "deepseek-coder", "qwen2.5-coder", "codestral", "codegemma").
    pub fim: Option<String>,
    /// Overrides whether responses are streamed.
    pub stream: Option<bool>,
    /// Overrides the model's context window, in tokens.
    pub context_tokens: Option<u32>,
    /// How many answers one request may return (OpenAI-compatible `n`), for servers that take
    /// it; 1 sends each of several items as its own request.
    pub max_choices: Option<u32>,
    /// Per-request timeout in milliseconds, on top of each request's own deadline.
    pub timeout_ms: Option<u64>,
    /// Ollama: how long the model stays loaded after a request (e.g. "30m").
    pub keep_alive: Option<String>,
}

impl std::fmt::Debug for ProviderSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: BTreeMap<&str, String> =
            self.headers.iter().map(|(name, value)| (name.as_str(), Secret::new(value.as_str()).redacted())).collect();
        f.debug_struct("ProviderSpec")
            .field("kind", &self.kind)
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("api_key_env", &self.api_key_env)
            .field("api_key_cmd", &self.api_key_cmd.as_ref().map(|_| ".."))
            .field("api_key", &self.api_key)
            .field("headers", &headers)
            .field("organization", &self.organization)
            .field("project", &self.project)
            .field("fim", &self.fim)
            .field("stream", &self.stream)
            .field("context_tokens", &self.context_tokens)
            .field("max_choices", &self.max_choices)
            .field("timeout_ms", &self.timeout_ms)
            .field("keep_alive", &self.keep_alive)
            .finish()
    }
}

/// Where a provider's key comes from. Never the key itself in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    None,
    Env(String),
    Command(String),
    Inline(Secret),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Env(name) => write!(f, "Env({name})"),
            Self::Command(_) => f.write_str("Command(..)"),
            Self::Inline(_) => f.write_str("Inline(..)"),
        }
    }
}

impl ProviderSpec {
    pub fn key_source(&self) -> KeySource {
        if let Some(env) = &self.api_key_env {
            KeySource::Env(env.clone())
        } else if let Some(cmd) = &self.api_key_cmd {
            KeySource::Command(cmd.clone())
        } else if let Some(key) = &self.api_key {
            KeySource::Inline(key.clone())
        } else {
            KeySource::None
        }
    }
}

/// A secret string (an API key). `Debug` and `Display` show only its last four characters, so
/// a secret cannot leak through a log line or an error message by accident.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself: call only where it goes on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `…abcd`: what logs and `doctor` may show.
    pub fn redacted(&self) -> String {
        let n_chars = self.0.chars().count();
        if n_chars <= 8 {
            return "…".to_owned();
        }
        let tail: String = self.0.chars().skip(n_chars - 4).collect();
        format!("…{tail}")
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print_whole() {
        let secret = Secret::new("sk-test-1234567890abcdef");
        assert_eq!(format!("{secret:?} {secret}"), "…cdef …cdef");
        let spec = ProviderSpec { api_key: Some(secret), ..ProviderSpec::default() };
        assert!(!format!("{spec:?}").contains("1234567890"));
        assert_eq!(Secret::new("short").redacted(), "…");
    }
}
