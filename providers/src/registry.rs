//! Turns configuration into providers and chains. [`build_provider`] holds the one `match` in
//! the crate that tells kinds apart, and it is over wire protocols ([`Protocol`]): everything
//! else about a kind is read from its descriptor ([`crate::kinds`]).
//!
//! Also zero-config: [`detect_providers`] builds a sensible setup from the keys in the
//! environment and the local model servers that answer, from each descriptor's
//! [`ZeroConfig`] entries, in this order:
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
use crate::kinds::{DESCRIPTORS, Protocol, When, ZeroConfig};
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

/// Builds one provider from its config: the kind's descriptor names its wire protocol, and each
/// protocol has one constructor.
pub fn build_provider(name: &str, spec: &ProviderSpec) -> Result<Arc<dyn Provider>, RegistryError> {
    let kind = spec.kind.ok_or_else(|| RegistryError::MissingKind(name.to_owned()))?;
    let invalid = |message: String| RegistryError::InvalidSpec { name: name.to_owned(), message };
    let descriptor = kind.descriptor();
    let provider: Arc<dyn Provider> = match &descriptor.protocol {
        Protocol::OpenAiCompatible(profile) => {
            Arc::new(crate::openai_compat::OpenAiCompatible::new(descriptor, profile, name, spec).map_err(invalid)?)
        }
        Protocol::Anthropic => Arc::new(crate::anthropic::Anthropic::from_spec(name, spec).map_err(invalid)?),
        Protocol::Gemini => Arc::new(crate::gemini::Gemini::from_spec(name, spec).map_err(invalid)?),
        Protocol::Ollama => Arc::new(crate::ollama::Ollama::from_spec(name, spec).map_err(invalid)?),
        Protocol::LlamaCpp => Arc::new(crate::llamacpp::LlamaCpp::from_spec(name, spec).map_err(invalid)?),
    };
    Ok(provider)
}

/// Who the vendor is and where its keys and credit live, for messages that say what to do.
pub fn provider_info(spec: &ProviderSpec) -> ProviderInfo {
    let Some(descriptor) = spec.kind.map(ProviderKind::descriptor) else {
        return ProviderInfo { vendor: None, key_env: None, key_url: None, billing_url: None, endpoint: None };
    };
    // A kind pointed elsewhere may be a gateway (named by its host) or another server.
    let vendor = descriptor.vendor_at(spec);
    let key_env = match descriptor.key_source(spec) {
        KeySource::Env(env) => Some(env),
        KeySource::None | KeySource::Command(_) | KeySource::Inline(_) => None,
    };
    ProviderInfo {
        vendor: Some(vendor.name.to_owned()),
        key_env,
        key_url: vendor.key_url.map(str::to_owned),
        billing_url: vendor.billing_url.map(str::to_owned),
        endpoint: endpoint(spec),
    }
}

/// Scheme, host and port of where the provider's requests go: the configured `base_url`, else
/// the vendor's default. No path or query (a gateway URL may carry a token there).
fn endpoint(spec: &ProviderSpec) -> Option<String> {
    let descriptor = spec.kind?.descriptor();
    let url = spec.base_url.as_deref().unwrap_or_else(|| descriptor.default_base_url(spec));
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

    /// Adds a provider built elsewhere (tests use `fake::FakeProvider`, behind the `test-support`
    /// feature).
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalServers {
    listening: Vec<ProviderKind>,
}

impl LocalServers {
    /// The servers of these kinds answered.
    pub fn listening(kinds: impl IntoIterator<Item = ProviderKind>) -> Self {
        Self { listening: kinds.into_iter().collect() }
    }

    pub fn is_listening(&self, kind: ProviderKind) -> bool {
        self.listening.contains(&kind)
    }
}

/// Probes every kind's default local address ([`crate::kinds::Descriptor::local_addr`]) with a
/// short TCP connect (no HTTP, nothing sent).
pub async fn probe_local_servers(timeout: Duration) -> LocalServers {
    async fn listening(addr: &str, timeout: Duration) -> bool {
        let Ok(addr) = addr.parse::<SocketAddr>() else { return false };
        matches!(tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await, Ok(Ok(_)))
    }
    let local = DESCRIPTORS.iter().filter_map(|descriptor| Some((descriptor.kind, descriptor.local_addr?)));
    let probes = local.map(|(kind, addr)| async move { listening(addr, timeout).await.then_some(kind) });
    let answered = futures_util::future::join_all(probes).await;
    LocalServers::listening(answered.into_iter().flatten())
}

/// A zero-config setup: providers, and the order the two features try them in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detected {
    pub providers: Vec<(String, ProviderSpec)>,
    pub completion: Vec<String>,
    pub actions: Vec<String>,
}

/// Builds providers from what the machine has, as the descriptors' [`ZeroConfig`] entries say.
/// `env` stands in for the environment (tests pass a map); only variable names are recorded in
/// the specs, never the keys.
pub fn detect_providers(env: &dyn Fn(&str) -> Option<String>, local: LocalServers) -> Detected {
    let has = |name: &str| env(name).is_some_and(|value| !value.trim().is_empty());
    let mut found: Vec<(ProviderKind, &ZeroConfig)> = Vec::new();
    for descriptor in DESCRIPTORS {
        for entry in descriptor.zero_config {
            let present = match entry.when {
                When::Key(variable) => has(variable),
                When::Listening => local.is_listening(descriptor.kind),
            };
            if present {
                found.push((descriptor.kind, entry));
            }
        }
    }
    // Providers are listed by what found them (a key, a server), in completion order.
    let group_rank = |kind: ProviderKind, when: When| {
        let same = found.iter().filter(|(other, entry)| *other == kind && entry.when == when);
        same.filter_map(|(_, entry)| entry.completion_rank).min().unwrap_or(u8::MAX)
    };
    let mut ordered: Vec<(u8, ProviderKind, &ZeroConfig)> =
        found.iter().map(|&(kind, entry)| (group_rank(kind, entry.when), kind, entry)).collect();
    ordered.sort_by_key(|(rank, _, _)| *rank);

    let mut detected = Detected::default();
    for (_, kind, entry) in &ordered {
        let descriptor = kind.descriptor();
        let local_url =
            descriptor.local_addr.filter(|_| entry.when == When::Listening).map(|addr| format!("http://{addr}"));
        let spec = ProviderSpec {
            kind: Some(*kind),
            model: Some(entry.model.to_owned()),
            base_url: entry.base_url.map(str::to_owned).or(local_url),
            api_key_env: match entry.when {
                When::Key(variable) => Some(variable.to_owned()),
                When::Listening => None,
            },
            fim: entry.fim_native.then(|| "native".to_owned()),
            ..ProviderSpec::default()
        };
        detected.providers.push((entry.name.to_owned(), spec));
    }
    for (order, rank) in [
        (&mut detected.completion, (|entry: &ZeroConfig| entry.completion_rank) as fn(&ZeroConfig) -> Option<u8>),
        (&mut detected.actions, |entry: &ZeroConfig| entry.actions_rank),
    ] {
        let mut ranked: Vec<(u8, &str)> =
            ordered.iter().filter_map(|(_, _, entry)| Some((rank(entry)?, entry.name))).collect();
        ranked.sort_unstable();
        *order = ranked.into_iter().map(|(_, name)| name.to_owned()).collect();
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
        let detected = detect_providers(&env, LocalServers::listening([ProviderKind::Ollama, ProviderKind::Llamacpp]));
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
        for kind in ProviderKind::all() {
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
