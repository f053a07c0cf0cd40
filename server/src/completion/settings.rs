//! The completion feature's settings, made from the configuration. Their defaults are the
//! configuration's defaults (`Config::default().completion`), so there is one set of them:
//! what docs/configuration.md states is what a test, the CLI and the server get.

use std::time::Duration;

use super::CompletionSettings;
use crate::config::Config;
use crate::runtime::redact::Redaction;

/// How long a suggestion may take before it is worthless; not a setting.
const DEADLINE: Duration = Duration::from_secs(4);

/// Most lines one suggestion may have; not a setting.
const MAX_LINES: usize = 30;

impl CompletionSettings {
    /// The settings `config` asks for; `redaction` is the masking in force (shared with
    /// actions, so `switchboard/status` counts both).
    pub fn from_config(config: &Config, redaction: Redaction) -> Self {
        let completion = &config.completion;
        Self {
            enabled: completion.enabled,
            // The configured debounce is the typical wait; it adapts to the typing rhythm between
            // half and twice that.
            debounce_min: completion.debounce() / 2,
            debounce_max: completion.debounce() * 2,
            deadline: DEADLINE,
            max_tokens: completion.max_tokens,
            context_tokens: completion.context_tokens as usize,
            n_items_invoked: completion.n_items_invoked as usize,
            max_lines: MAX_LINES,
            temperature: Some(completion.temperature),
            system_prompt: completion.prompt.clone(),
            config_locked: config.locked,
            redaction,
        }
    }
}

impl Default for CompletionSettings {
    /// The default configuration's settings, with the built-in secret shapes masked.
    fn default() -> Self {
        Self::from_config(&Config::default(), Redaction::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_configurations_defaults() {
        let config = Config::default().completion;
        let settings = CompletionSettings::default();
        assert!(settings.enabled);
        assert_eq!(settings.max_tokens, config.max_tokens);
        assert_eq!(settings.context_tokens, config.context_tokens as usize);
        assert_eq!(settings.n_items_invoked, config.n_items_invoked as usize);
        assert_eq!(settings.temperature, Some(config.temperature));
        assert_eq!(settings.debounce_min, Duration::from_millis(config.debounce_ms) / 2);
        assert_eq!(settings.debounce_max, Duration::from_millis(config.debounce_ms) * 2);
        assert_eq!(settings.system_prompt, config.prompt);
        assert!(!settings.config_locked);
    }

    #[test]
    fn a_locked_configuration_locks_the_feature() {
        let settings = CompletionSettings::from_config(&Config::locked(), Redaction::default());
        assert!(settings.config_locked);
    }
}
