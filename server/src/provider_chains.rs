//! Turns the configuration into what the features run on: which providers each feature's chain
//! holds, in which order, and the actions feature's settings (the completion feature's are
//! `CompletionSettings::from_config`). How a chain runs a request (failover,
//! hedging, circuits) is the provider layer's `switchboard_providers::chain`; this module only
//! decides what goes in it.
//!
//! A feature whose `providers` list is empty uses the other feature's list; only when neither
//! names a provider does a zero-config chain get built from what the machine has (API keys in
//! the environment, local model servers). Code goes only where the user said, once they said.
//! The `Health` value is made once per process and shared by every chain, so circuit breakers
//! and usage survive reloads.

use std::sync::Arc;
use std::time::Duration;

use switchboard_providers::registry::{Detected, LocalServers, detect_providers, probe_local_servers};
use switchboard_providers::{Chain, ChainOptions, Health, ProviderSpec, Registry};

use crate::config::Config;
use crate::runtime::redact::Redaction;

/// The chains in force, and what went wrong building them (for `window/showMessage`).
#[derive(Debug, Default)]
pub struct Chains {
    pub completion: Option<Arc<Chain>>,
    pub actions: Option<Arc<Chain>>,
    pub problems: Vec<String>,
    /// Whether the chains came from zero-config detection.
    pub detected: bool,
}

/// The problem of a configuration under which completions have no provider at all.
pub const NO_PROVIDER: &str = "no provider is available for completions: configure one in config.toml (see docs/providers.md), set an API key such as MISTRAL_API_KEY or OPENAI_API_KEY, or start Ollama or llama.cpp locally";

/// The actions chain's name (in events and messages).
pub const ACTIONS_CHAIN: &str = "actions";

/// Per-provider attempt limit within a request: a hanging provider must leave time for the next.
const COMPLETION_ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1500);
const ACTIONS_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);

/// Builds the chains from `config`; `env` stands in for the environment and `local` for the
/// result of probing local model servers (needed only when a chain is empty).
pub fn build(
    config: &Config,
    health: &Arc<Health>,
    env: &dyn Fn(&str) -> Option<String>,
    local: LocalServers,
) -> Chains {
    if config.locked {
        return Chains { problems: vec![crate::config::LOCKED_MESSAGE.to_owned()], ..Chains::default() };
    }
    let needs_detection = needs_detection(config);
    let detected = if needs_detection { detect_providers(env, local) } else { Detected::default() };
    let mut specs: Vec<(String, ProviderSpec)> =
        config.providers.iter().map(|(name, spec)| (name.clone(), spec.clone())).collect();
    for (name, spec) in &detected.providers {
        if !config.providers.contains_key(name) {
            specs.push((name.clone(), spec.clone()));
        }
    }
    let (registry, errors) = Registry::from_specs(specs.iter().map(|(name, spec)| (name, spec)), health.clone());
    let mut problems: Vec<String> = errors.iter().map(ToString::to_string).collect();

    let mut chain = |feature: &str, configured: &[String], other: &[String], detected_order: &[String], options| {
        let names: Vec<String> = [configured, other, detected_order]
            .into_iter()
            .find(|names| !names.is_empty())
            .unwrap_or_default()
            .to_vec();
        let names: Vec<String> = names.into_iter().filter(|name| registry.get(name).is_some()).collect();
        if names.is_empty() {
            return None;
        }
        match registry.chain(feature, &names, options) {
            Ok(chain) => Some(Arc::new(chain)),
            Err(error) => {
                problems.push(error.to_string());
                None
            }
        }
    };
    let completion = chain(
        "completion",
        &config.completion.providers,
        &config.actions.providers,
        &detected.completion,
        ChainOptions {
            hedge_after: config.completion.hedge_after(),
            attempt_timeout: Some(COMPLETION_ATTEMPT_TIMEOUT),
        },
    );
    let actions = chain(
        ACTIONS_CHAIN,
        &config.actions.providers,
        &config.completion.providers,
        &detected.actions,
        ChainOptions { hedge_after: None, attempt_timeout: Some(ACTIONS_ATTEMPT_TIMEOUT) },
    );
    if completion.is_none() && config.completion.enabled {
        problems.push(NO_PROVIDER.to_owned());
    }
    Chains { completion, actions, problems, detected: needs_detection }
}

/// Whether the chains come from zero-config detection: the configuration is usable and names no
/// provider for any feature.
pub fn needs_detection(config: &Config) -> bool {
    !config.locked && config.completion.providers.is_empty() && config.actions.providers.is_empty()
}

/// Probes local model servers only when the chains will need zero-config detection.
pub async fn probe_if_needed(config: &Config) -> LocalServers {
    if needs_detection(config) {
        probe_local_servers(Duration::from_millis(150)).await
    } else {
        LocalServers::default()
    }
}

/// The process environment, as `build` wants it.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The actions feature's settings from the configuration.
pub fn action_settings(config: &Config, redaction: Redaction) -> crate::actions::ActionSettings {
    let actions = &config.actions;
    crate::actions::ActionSettings {
        enabled: actions.enabled,
        max_tokens: actions.max_tokens,
        timeout: std::time::Duration::from_millis(actions.timeout_ms),
        actions: crate::actions::catalog::all(&actions.custom),
        config_locked: config.locked,
        redaction,
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    fn config(toml: &str) -> Config {
        let mut state = crate::config::ConfigState::new();
        let update = state.apply_user_toml(std::path::Path::new("/test/config.toml"), toml);
        assert!(update.applied, "{:?}", update.problems);
        (*state.config()).clone()
    }

    #[test]
    fn configured_chains_keep_their_order() {
        let config = config(
            "[providers.a]\nkind = \"anthropic\"\nmodel = \"m\"\napi_key_env = \"Y\"\n[providers.b]\nkind = \"openai\"\nmodel = \"gpt\"\napi_key_env = \"X\"\n[completion]\nproviders = [\"b\", \"a\"]\n[actions]\nproviders = [\"a\"]\n",
        );
        let chains = build(&config, &Arc::new(Health::default()), &|_| None, LocalServers::default());
        let names: Vec<&str> = chains.completion.as_ref().unwrap().providers().iter().map(|p| p.name()).collect();
        assert_eq!(names, ["b", "a"]);
        assert!(!chains.detected);
        assert!(chains.problems.is_empty(), "{:?}", chains.problems);
    }

    #[test]
    fn empty_chains_use_what_the_machine_has() {
        let env =
            |name: &str| ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"].contains(&name).then(|| "k-000000000000".to_owned());
        let chains = build(&Config::default(), &Arc::new(Health::default()), &env, LocalServers::default());
        let names: Vec<&str> = chains.completion.as_ref().unwrap().providers().iter().map(|p| p.name()).collect();
        assert_eq!(names, ["openai-fast", "anthropic-fast"]);
        let names: Vec<&str> = chains.actions.as_ref().unwrap().providers().iter().map(|p| p.name()).collect();
        assert_eq!(names, ["anthropic", "openai"]);
        assert!(chains.detected);
    }

    #[test]
    fn nothing_available_is_explained() {
        let chains = build(&Config::default(), &Arc::new(Health::default()), &|_| None, LocalServers::default());
        assert!(chains.completion.is_none());
        assert!(chains.problems.iter().any(|p| p.contains("no provider is available")), "{:?}", chains.problems);
    }

    /// Defect: a broken config file once fell back on the defaults, whose empty chains sent the
    /// next completion to the public OpenAI endpoint with OPENAI_API_KEY although the file pointed
    /// `base_url` at the user's own gateway. Every layer, each broken in both ways (a TOML or
    /// JSON error, an unknown key), must leave no chain and detect nothing.
    #[test]
    fn an_invalid_user_configuration_uses_no_provider_and_detects_nothing() {
        use crate::config::ConfigState;
        use serde_json::json;

        let env = |name: &str| (name == "OPENAI_API_KEY").then(|| "sk-proj-000000000000".to_owned());
        let gateway = "[providers.gw]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\n";
        let workspace = tempfile::tempdir().expect("temp dir");
        let broken_workspace = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            broken_workspace.path().join(crate::config::WORKSPACE_FILE_NAME),
            "[completion]\ndebounce = 5\n",
        )
        .expect("write");
        let path = std::path::Path::new("/home/me/.config/switchboard/config.toml");
        type Break = Box<dyn Fn(&mut ConfigState)>;
        let cases: Vec<(&str, Break)> = vec![
            ("file: TOML syntax", Box::new(move |s| drop(s.apply_user_toml(path, &format!("{gateway}[completion\n"))))),
            ("file: unknown key", Box::new(move |s| drop(s.apply_user_toml(path, &format!("{gateway}bse_url = 1\n"))))),
            (
                "initializationOptions: unknown key",
                Box::new(|s| drop(s.apply_init_options(&json!({"completion": {"provider": ["gw"]}})))),
            ),
            ("initializationOptions: not an object", Box::new(|s| drop(s.apply_init_options(&json!([1]))))),
            ("settings: unknown key", Box::new(|s| drop(s.apply_settings(&json!({"switchboard": {"providerz": {}}}))))),
            (
                "settings: wrong type",
                Box::new(|s| drop(s.apply_settings(&json!({"completion": {"debounce_ms": "x"}})))),
            ),
            ("workspace file: unknown key", {
                let root = broken_workspace.path().to_owned();
                Box::new(move |s| drop(s.load_workspace_file(&root)))
            }),
        ];
        for (case, break_it) in &cases {
            // As `initialize` does: the user file first (here absent), then the other layers.
            let mut state = ConfigState::new();
            let _ = state.load_workspace_file(workspace.path());
            break_it(&mut state);
            let config = state.config();
            assert!(config.locked, "{case}: the configuration in force is not locked");
            let chains = build(&config, &Arc::new(Health::default()), &env, LocalServers::default());
            assert!(chains.completion.is_none() && chains.actions.is_none(), "{case}: a chain was built");
            assert!(!chains.detected, "{case}: providers were detected");
            assert_eq!(chains.problems, [crate::config::LOCKED_MESSAGE], "{case}");
            assert_eq!(
                crate::doctor::run(&config, &env, LocalServers::default()).now_or_never().map(|rows| rows.len()),
                Some(0),
                "{case}: doctor would check providers"
            );
        }

        // Fixing the layer unlocks; a later typo then keeps that last good configuration.
        let mut state = ConfigState::new();
        let _ = state.apply_user_toml(path, &format!("{gateway}[completion\n"));
        assert!(state.config().locked);
        let update = state.apply_user_toml(path, &format!("{gateway}[completion]\nproviders = [\"gw\"]\n"));
        assert!(update.applied && update.changed, "{:?}", update.problems);
        assert!(!state.config().locked);
        let _ = state.apply_user_toml(path, &format!("{gateway}bse_url = 1\n"));
        assert!(!state.config().locked);
        assert_eq!(state.config().completion.providers, ["gw"]);
    }
}
