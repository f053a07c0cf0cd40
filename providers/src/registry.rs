//! Turns configuration into providers and chains. The only `match` over [`ProviderKind`].
//!
//! Also zero-config: [`detect_providers`] builds a sensible setup from the keys in the
//! environment and the local model servers that answer, in this order:
//!
//! - completion (FIM-capable first, then chat models prompted for FIM): `codestral`
//!   (CODESTRAL_API_KEY), `mistral` (MISTRAL_API_KEY, Codestral on api.mistral.ai),
//!   `deepseek` (DEEPSEEK_API_KEY, FIM beta), `ollama`, `llamacpp`, then the chat vendors'
//!   fast models: `openai-fast`, `anthropic-fast`, `gemini-fast`, `openrouter-fast`;
//! - code actions (strong chat models first): `anthropic`, `openai`, `gemini`, `deepseek`,
//!   `mistral-chat`, `openrouter`, `ollama-chat`, `llamacpp`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::chain::{Chain, ChainOptions};
use crate::health::{Health, ProviderInfo};
use crate::provider::Provider;
use crate::spec::{KeySource, ProviderKind, ProviderSpec};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("[providers.{name}]: {message}")]
    InvalidSpec { name: String, message: String },
    #[error("[providers.{0}] needs a `kind`")]
    MissingKind(String),
    #[error("chain {chain} names provider \"{name}\", which is not configured")]
    UnknownProvider { chain: String, name: String },
}

/// Builds one provider from its config.
pub fn build_provider(name: &str, spec: &ProviderSpec) -> Result<Arc<dyn Provider>, RegistryError> {
    let kind = spec.kind.ok_or_else(|| RegistryError::MissingKind(name.to_owned()))?;
    let invalid = |message: String| RegistryError::InvalidSpec { name: name.to_owned(), message };
    let provider: Arc<dyn Provider> = match kind {
        ProviderKind::Openai => Arc::new(crate::openai::OpenAi::from_spec(name, spec).map_err(invalid)?),
        ProviderKind::Anthropic => Arc::new(crate::anthropic::Anthropic::from_spec(name, spec).map_err(invalid)?),
        ProviderKind::Gemini => Arc::new(crate::gemini::Gemini::from_spec(name, spec).map_err(invalid)?),
        ProviderKind::Mistral => Arc::new(crate::mistral::Mistral::from_spec(name, spec).map_err(invalid)?),
        ProviderKind::Deepseek => Arc::new(crate::deepseek::DeepSeek::from_spec(name, spec).map_err(invalid)?),
        ProviderKind::Ollama => Arc::new(crate::ollama::Ollama::from_spec(name, spec).map_err(invalid)?),
        ProviderKind::Llamacpp => Arc::new(crate::llamacpp::LlamaCpp::from_spec(name, spec).map_err(invalid)?),
    };
    Ok(provider)
}

/// Who the vendor is and where its keys and credit live, for messages that say what to do.
pub fn provider_info(spec: &ProviderSpec) -> ProviderInfo {
    // An OpenAI-kind provider pointed elsewhere is a gateway; name it by its host.
    let gateway = spec.base_url.as_deref().map(|url| url.contains("openrouter.ai"));
    let (vendor, key_url, billing_url, default_env) = match (spec.kind, gateway) {
        (Some(ProviderKind::Openai), Some(true)) => {
            ("OpenRouter", Some("openrouter.ai/keys"), Some("openrouter.ai/credits"), None)
        }
        (Some(ProviderKind::Openai), Some(false)) => ("OpenAI-compatible server", None, None, None),
        (Some(ProviderKind::Openai), None) => (
            "OpenAI",
            Some("platform.openai.com/api-keys"),
            Some("platform.openai.com/settings/organization/billing"),
            Some("OPENAI_API_KEY"),
        ),
        (Some(ProviderKind::Anthropic), _) => (
            "Anthropic",
            Some("console.anthropic.com"),
            Some("console.anthropic.com/settings/billing"),
            spec.base_url.is_none().then_some("ANTHROPIC_API_KEY"),
        ),
        (Some(ProviderKind::Gemini), _) => ("Google Gemini", Some("aistudio.google.com/apikey"), None, None),
        (Some(ProviderKind::Mistral), _) => {
            ("Mistral", Some("console.mistral.ai/api-keys"), Some("console.mistral.ai/billing"), None)
        }
        (Some(ProviderKind::Deepseek), _) => {
            ("DeepSeek", Some("platform.deepseek.com/api_keys"), Some("platform.deepseek.com/top_up"), None)
        }
        (Some(ProviderKind::Ollama), _) => ("Ollama", None, None, None),
        (Some(ProviderKind::Llamacpp), _) => ("llama.cpp", None, None, None),
        (None, _) => ("unknown", None, None, None),
    };
    let key_env = match spec.key_source() {
        KeySource::Env(env) => Some(env),
        KeySource::None => default_env.map(str::to_owned),
        KeySource::Command(_) | KeySource::Inline(_) => None,
    };
    ProviderInfo {
        vendor: spec.kind.map(|_| vendor.to_owned()),
        key_env,
        key_url: key_url.map(str::to_owned),
        billing_url: billing_url.map(str::to_owned),
        endpoint: endpoint(spec),
    }
}

/// Scheme, host and port of where the provider's requests go: the configured `base_url`, else
/// the vendor's default. No path or query (a gateway URL may carry a token there).
fn endpoint(spec: &ProviderSpec) -> Option<String> {
    let default = match spec.kind? {
        ProviderKind::Openai => crate::openai::DEFAULT_BASE_URL,
        ProviderKind::Anthropic => crate::anthropic::DEFAULT_BASE_URL,
        ProviderKind::Gemini => crate::gemini::DEFAULT_BASE_URL,
        ProviderKind::Mistral if spec.api_key_env.as_deref() == Some(crate::mistral::CODESTRAL_KEY_ENV) => {
            crate::mistral::CODESTRAL_BASE_URL
        }
        ProviderKind::Mistral => crate::mistral::DEFAULT_BASE_URL,
        ProviderKind::Deepseek => crate::deepseek::DEFAULT_BASE_URL,
        ProviderKind::Ollama => crate::ollama::DEFAULT_BASE_URL,
        ProviderKind::Llamacpp => crate::llamacpp::DEFAULT_BASE_URL,
    };
    let url = spec.base_url.as_deref().unwrap_or(default);
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Never credentials (validation refuses them; this is a second guard).
    let host = authority.rsplit('@').next().unwrap_or_default();
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

/// The configured providers and the health state their chains share.
#[derive(Debug, Default)]
pub struct Registry {
    providers: BTreeMap<String, Arc<dyn Provider>>,
    health: Arc<Health>,
}

impl Registry {
    pub fn new(health: Arc<Health>) -> Self {
        Self { providers: BTreeMap::new(), health }
    }

    /// Builds every provider it can. Broken entries are returned as errors for the user, and
    /// the rest still work.
    pub fn from_specs<'a>(
        specs: impl IntoIterator<Item = (&'a String, &'a ProviderSpec)>,
        health: Arc<Health>,
    ) -> (Self, Vec<RegistryError>) {
        let mut registry = Self::new(health);
        let mut errors = Vec::new();
        for (name, spec) in specs {
            match build_provider(name, spec) {
                Ok(provider) => registry.insert(provider, provider_info(spec)),
                Err(error) => errors.push(error),
            }
        }
        (registry, errors)
    }

    /// Adds a provider built elsewhere (tests use [`crate::fake::FakeProvider`]).
    pub fn insert(&mut self, provider: Arc<dyn Provider>, info: ProviderInfo) {
        self.health.describe(provider.name(), info);
        self.providers.insert(provider.name().to_owned(), provider);
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }

    pub fn health(&self) -> &Arc<Health> {
        &self.health
    }

    /// A chain of the named providers, in order.
    pub fn chain(&self, chain: &str, names: &[String], options: ChainOptions) -> Result<Chain, RegistryError> {
        let providers = names
            .iter()
            .map(|name| {
                self.providers
                    .get(name)
                    .cloned()
                    .ok_or_else(|| RegistryError::UnknownProvider { chain: chain.to_owned(), name: name.clone() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Chain::new(chain, providers, options, self.health.clone()))
    }
}

/// Which local model servers answered a TCP connect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalServers {
    pub ollama: bool,
    pub llamacpp: bool,
}

pub const OLLAMA_ADDR: &str = "127.0.0.1:11434";
pub const LLAMACPP_ADDR: &str = "127.0.0.1:8080";

/// Probes the default local ports with a short TCP connect (no HTTP, nothing sent).
pub async fn probe_local_servers(timeout: Duration) -> LocalServers {
    async fn listening(addr: &str, timeout: Duration) -> bool {
        let Ok(addr) = addr.parse::<SocketAddr>() else { return false };
        matches!(tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await, Ok(Ok(_)))
    }
    let (ollama, llamacpp) = tokio::join!(listening(OLLAMA_ADDR, timeout), listening(LLAMACPP_ADDR, timeout));
    LocalServers { ollama, llamacpp }
}

/// A zero-config setup: providers, and the order the two features try them in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detected {
    pub providers: Vec<(String, ProviderSpec)>,
    pub completion: Vec<String>,
    pub actions: Vec<String>,
}

/// Builds providers from what the machine has. `env` stands in for the environment (tests
/// pass a map); only variable names are recorded in the specs, never the keys.
pub fn detect_providers(env: &dyn Fn(&str) -> Option<String>, local: LocalServers) -> Detected {
    let has = |name: &str| env(name).is_some_and(|value| !value.trim().is_empty());
    let spec = |kind: ProviderKind, model: &str, key_env: Option<&str>| ProviderSpec {
        kind: Some(kind),
        model: Some(model.to_owned()),
        api_key_env: key_env.map(str::to_owned),
        ..ProviderSpec::default()
    };
    let mut detected = Detected::default();
    let mut add = |name: &str, spec: ProviderSpec, completion: Option<usize>, actions: Option<usize>| {
        detected.providers.push((name.to_owned(), spec));
        // Ranks keep the documented order whatever order we discover things in.
        if let Some(rank) = completion {
            detected.completion.push(format!("{rank:02}{name}"));
        }
        if let Some(rank) = actions {
            detected.actions.push(format!("{rank:02}{name}"));
        }
    };

    if has("CODESTRAL_API_KEY") {
        let mut codestral = spec(ProviderKind::Mistral, "codestral-latest", Some("CODESTRAL_API_KEY"));
        codestral.base_url = Some("https://codestral.mistral.ai".to_owned());
        codestral.fim = Some("native".to_owned());
        add("codestral", codestral, Some(0), None);
    }
    if has("MISTRAL_API_KEY") {
        let mut mistral = spec(ProviderKind::Mistral, "codestral-latest", Some("MISTRAL_API_KEY"));
        mistral.fim = Some("native".to_owned());
        add("mistral", mistral, Some(1), None);
        add(
            "mistral-chat",
            spec(ProviderKind::Mistral, "mistral-large-latest", Some("MISTRAL_API_KEY")),
            None,
            Some(4),
        );
    }
    if has("DEEPSEEK_API_KEY") {
        let mut deepseek = spec(ProviderKind::Deepseek, crate::deepseek::DEFAULT_MODEL, Some("DEEPSEEK_API_KEY"));
        deepseek.fim = Some("native".to_owned());
        add("deepseek", deepseek, Some(2), Some(3));
    }
    if local.ollama {
        let mut ollama = spec(ProviderKind::Ollama, "qwen2.5-coder:1.5b-base", None);
        ollama.base_url = Some(format!("http://{OLLAMA_ADDR}"));
        ollama.fim = Some("native".to_owned());
        add("ollama", ollama, Some(3), None);
        let mut chat = spec(ProviderKind::Ollama, "qwen2.5-coder:7b", None);
        chat.base_url = Some(format!("http://{OLLAMA_ADDR}"));
        add("ollama-chat", chat, None, Some(6));
    }
    if local.llamacpp {
        // llama-server serves whatever model it was started with; the name is informational.
        let mut llamacpp = spec(ProviderKind::Llamacpp, "default", None);
        llamacpp.base_url = Some(format!("http://{LLAMACPP_ADDR}"));
        llamacpp.fim = Some("native".to_owned());
        add("llamacpp", llamacpp, Some(4), Some(7));
    }
    if has("OPENAI_API_KEY") {
        add("openai-fast", spec(ProviderKind::Openai, "gpt-4.1-mini", Some("OPENAI_API_KEY")), Some(5), None);
        add("openai", spec(ProviderKind::Openai, "gpt-4.1", Some("OPENAI_API_KEY")), None, Some(1));
    }
    if has("ANTHROPIC_API_KEY") {
        let fast = spec(ProviderKind::Anthropic, "claude-haiku-4-5", Some("ANTHROPIC_API_KEY"));
        add("anthropic-fast", fast, Some(6), None);
        add("anthropic", spec(ProviderKind::Anthropic, "claude-sonnet-4-5", Some("ANTHROPIC_API_KEY")), None, Some(0));
    }
    if has("GEMINI_API_KEY") {
        add("gemini-fast", spec(ProviderKind::Gemini, "gemini-2.5-flash", Some("GEMINI_API_KEY")), Some(7), None);
        add("gemini", spec(ProviderKind::Gemini, "gemini-2.5-pro", Some("GEMINI_API_KEY")), None, Some(2));
    }
    if has("OPENROUTER_API_KEY") {
        let openrouter = |model: &str| ProviderSpec {
            base_url: Some("https://openrouter.ai/api/v1".to_owned()),
            ..spec(ProviderKind::Openai, model, Some("OPENROUTER_API_KEY"))
        };
        add("openrouter-fast", openrouter("openai/gpt-4.1-mini"), Some(8), None);
        add("openrouter", openrouter("anthropic/claude-sonnet-4.5"), None, Some(5));
    }

    for order in [&mut detected.completion, &mut detected.actions] {
        order.sort();
        for name in order.iter_mut() {
            *name = name.split_off(2);
        }
    }
    detected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with<'a>(keys: &'a [&'a str]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| keys.contains(&name).then(|| "sk-detect-test-000000".to_owned())
    }

    #[test]
    fn nothing_detected_on_a_bare_machine() {
        let detected = detect_providers(&env_with(&[]), LocalServers::default());
        assert_eq!(detected, Detected::default());
    }

    #[test]
    fn documented_order() {
        let env = env_with(&[
            "OPENAI_API_KEY",
            "ANTHROPIC_API_KEY",
            "GEMINI_API_KEY",
            "DEEPSEEK_API_KEY",
            "MISTRAL_API_KEY",
            "CODESTRAL_API_KEY",
            "OPENROUTER_API_KEY",
        ]);
        let detected = detect_providers(&env, LocalServers { ollama: true, llamacpp: true });
        assert_eq!(
            detected.completion,
            [
                "codestral",
                "mistral",
                "deepseek",
                "ollama",
                "llamacpp",
                "openai-fast",
                "anthropic-fast",
                "gemini-fast",
                "openrouter-fast"
            ]
        );
        assert_eq!(
            detected.actions,
            ["anthropic", "openai", "gemini", "deepseek", "mistral-chat", "openrouter", "ollama-chat", "llamacpp"]
        );
        // Every chain entry is a provider, and no key value is copied into a spec.
        for name in detected.completion.iter().chain(&detected.actions) {
            assert!(detected.providers.iter().any(|(provider, _)| provider == name), "{name}");
        }
        assert!(!format!("{detected:?}").contains("sk-detect-test"));
    }

    #[test]
    fn only_what_is_there() {
        let detected = detect_providers(&env_with(&["ANTHROPIC_API_KEY"]), LocalServers::default());
        assert_eq!(detected.completion, ["anthropic-fast"]);
        assert_eq!(detected.actions, ["anthropic"]);
        let blank = |name: &str| (name == "OPENAI_API_KEY").then(|| "  ".to_owned());
        assert_eq!(detect_providers(&blank, LocalServers::default()), Detected::default());
    }

    #[test]
    fn every_kind_builds_and_config_errors_say_so() {
        for kind in ProviderKind::ALL {
            let spec = ProviderSpec { kind: Some(kind), model: Some("m".into()), ..Default::default() };
            let provider = build_provider("p", &spec).unwrap_or_else(|error| panic!("{}: {error}", kind.as_str()));
            assert_eq!(provider.name(), "p");
        }
        let spec = ProviderSpec { kind: Some(ProviderKind::Gemini), fim: Some("native".into()), ..Default::default() };
        let error = build_provider("g", &spec).unwrap_err();
        assert_eq!(error.to_string(), "[providers.g]: fim = \"native\" is not supported for kind gemini; use \"chat\"");
        let error = build_provider("x", &ProviderSpec::default()).unwrap_err();
        assert_eq!(error, RegistryError::MissingKind("x".into()));
    }
}
