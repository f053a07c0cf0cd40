//! The configuration schema: the effective [`Config`] and its sections, their defaults (the one
//! place defaults live), and [`ALL_KEYS`], the list of key paths that docs/configuration.md must
//! document.
//!
//! The same structs are the deserialization schema: every struct is `#[serde(default,
//! deny_unknown_fields)]`, so a partial table (one layer, or one key) deserializes on its own
//! and a misspelled key is reported instead of silently ignored.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use switchboard_core::documents::PositionEncoding;
use switchboard_providers::ProviderSpec;

/// The validated, merged configuration the server runs on. Plain data: share it in an `Arc`.
///
/// It derives `Serialize` so tests can list its key paths; do not serialize it for display,
/// because `providers.*.api_key` would serialize in clear (use `Debug`, which redacts it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// One entry per `[providers.NAME]` table, keyed by the user's label.
    pub providers: BTreeMap<String, ProviderSpec>,
    /// Globs of files that no feature ever sends to a provider (secrets by default). Read also
    /// from `completion.exclude`, its older name (see [`crate::config`]).
    pub exclude: Vec<String>,
    pub completion: CompletionConfig,
    pub actions: ActionsConfig,
    /// Secrets inside ordinary files, masked before any prompt is sent.
    pub redact: RedactConfig,
    pub server: ServerConfig,
    /// Set by [`crate::config::ConfigState`] when a layer the user wrote is invalid and no valid
    /// configuration of the same layers exists to fall back on: no provider may be used and
    /// nothing detected until the user fixes it, because the defaults' zero-config chains would
    /// send code to vendors the user never chose. Never read from a layer.
    #[serde(skip)]
    pub locked: bool,
}

/// What the user is told, wherever a provider would have been used, while [`Config::locked`].
pub const LOCKED_MESSAGE: &str = "Switchboard sends nothing to any provider until the configuration error is fixed (run `switchboard check-config` to list the problems)";

impl Default for Config {
    fn default() -> Self {
        Self {
            providers: BTreeMap::new(),
            exclude: DEFAULT_EXCLUDE.iter().map(|glob| (*glob).to_owned()).collect(),
            completion: CompletionConfig::default(),
            actions: ActionsConfig::default(),
            redact: RedactConfig::default(),
            server: ServerConfig::default(),
            locked: false,
        }
    }
}

impl Config {
    /// The configuration in force while the user's configuration is invalid (see [`Config::locked`]).
    pub fn locked() -> Self {
        Self { locked: true, ..Self::default() }
    }
}

/// `[completion]`: inline completions and completion items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompletionConfig {
    /// Ordered fallback chain of provider names. Empty: the provider layer builds a chain
    /// from what the machine has (zero-config).
    pub providers: Vec<String>,
    pub enabled: bool,
    pub surfaces: Surfaces,
    pub trigger: Trigger,
    /// Quiet time after the last keystroke before a request is sent.
    pub debounce_ms: u64,
    /// Most tokens one completion may generate.
    pub max_tokens: u32,
    /// Token budget for the prompt's context (prefix, suffix, related snippets).
    pub context_tokens: u32,
    /// How many alternatives to ask for when the user invokes completion explicitly.
    pub n_items_invoked: u32,
    /// Send the same request to the next provider of the chain when the first has not answered
    /// after this long; `None` or 0 turns hedging off.
    pub hedge_after_ms: Option<u64>,
    /// LSP language ids for which completion is off.
    pub languages_disabled: Vec<String>,
    pub temperature: f32,
    pub items_sort: ItemsSort,
    /// Replaces the built-in system prompt for chat models.
    pub prompt: Option<String>,
}

/// Which completion surfaces are offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Surfaces {
    /// `textDocument/inlineCompletion` (ghost text).
    pub inline: bool,
    /// Items in the `textDocument/completion` menu.
    pub items: bool,
}

/// When completion requests are made: `automatic` as the user types (after `debounce_ms`) and
/// when asked, `invoked` only when the user asks. It is also what asks for one completion
/// (`completion::Trigger` is this type), so the setting and a request's trigger cannot drift
/// apart: `automatic` serves both kinds of request, `invoked` only requests the user made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// The editor asks as the user types.
    #[default]
    Automatic,
    /// The user asked explicitly.
    Invoked,
}

/// Where AI items sort among the other completion items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ItemsSort {
    #[default]
    After,
    Before,
}

/// `[actions]`: AI code actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActionsConfig {
    /// Ordered fallback chain of provider names; empty means the zero-config chain.
    pub providers: Vec<String>,
    pub enabled: bool,
    /// Most tokens one action's answer may generate.
    pub max_tokens: u32,
    /// LSP language ids for which actions are off.
    pub languages_disabled: Vec<String>,
    /// How long one action may take, from the request to the last token of the answer.
    pub timeout_ms: u64,
    /// The user's own actions (`[[actions.custom]]`), offered beside the built-in ones.
    pub custom: Vec<CustomAction>,
    /// How a chosen action runs: as a command in the background, or by `codeAction/resolve`.
    pub run: ActionRun,
}

/// `[redact]`: secrets in ordinary files (keys, tokens, private key blocks, passwords in URLs)
/// replaced by placeholders before a prompt leaves the machine. Only the user's own
/// configuration may set it (a workspace file cannot turn it off).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedactConfig {
    pub enabled: bool,
    /// Regular expressions for the user's own secrets, beside the built-in shapes; where one
    /// has a capture group, only the first group is masked.
    pub patterns: Vec<String>,
}

impl Default for RedactConfig {
    fn default() -> Self {
        Self { enabled: true, patterns: Vec::new() }
    }
}

/// How the editor runs a chosen action (see docs/actions.md, "How an action runs").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ActionRun {
    /// A command for every client that can apply a server's edit; resolve for one that cannot.
    #[default]
    Auto,
    /// Always a command: answered at once, the edit comes with `workspace/applyEdit`.
    Command,
    /// The edit computed in `codeAction/resolve` where the client resolves edits without
    /// freezing (not Helix, which waits on resolve with its whole UI), else a command.
    Resolve,
}

/// One `[[actions.custom]]` table: an action the user defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustomAction {
    /// Lowercase letters, digits and `-`; unique; not the id of a built-in action.
    pub id: String,
    /// The menu entry; `{symbol}` is replaced by the symbol's name.
    pub title: String,
    /// The LSP code action kind (`refactor.rewrite`, `quickfix`, `source`, …).
    pub kind: String,
    pub scope: ActionScope,
    /// LSP language ids the action is offered for; empty: every language.
    pub languages: Vec<String>,
    /// The request to the model; `{code}`, `{language}`, `{path}`, `{symbol}`, `{before}`,
    /// `{after}` and `{diagnostics}` are replaced.
    pub prompt: String,
    pub output: ActionOutput,
}

/// What part of the document a custom action works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ActionScope {
    /// The selection's lines; with no selection, the enclosing symbol.
    Selection,
    /// The enclosing symbol (function, class, block); offered only inside one.
    #[default]
    Symbol,
    /// The cursor's line.
    Line,
    /// The whole file.
    File,
    /// The enclosing symbol, offered only where the editor reports diagnostics.
    Diagnostics,
}

/// What becomes of a custom action's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ActionOutput {
    /// The code in the answer replaces the scope (as the smallest line edit).
    #[default]
    Replace,
    /// The code in the answer is inserted above the scope.
    InsertBefore,
    /// The code in the answer is inserted below the scope.
    InsertAfter,
    /// The answer is shown to the user as a Markdown document.
    Message,
}

impl Default for CustomAction {
    fn default() -> Self {
        Self {
            id: String::new(),
            title: String::new(),
            kind: "refactor.rewrite".to_owned(),
            scope: ActionScope::default(),
            languages: Vec::new(),
            prompt: String::new(),
            output: ActionOutput::default(),
        }
    }
}

/// `[server]`: the server process itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub log_level: LogLevel,
    /// Overrides the position encoding negotiated with the client; only honored when the
    /// client offers it.
    pub position_encoding: Option<PositionEncodingSetting>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    /// The `tracing` filter directive.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }
}

/// The spelling of a position encoding in the config; converted to the core type at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PositionEncodingSetting {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-16")]
    Utf16,
    #[serde(rename = "utf-32")]
    Utf32,
}

impl PositionEncodingSetting {
    pub fn encoding(self) -> PositionEncoding {
        match self {
            Self::Utf8 => PositionEncoding::Utf8,
            Self::Utf16 => PositionEncoding::Utf16,
            Self::Utf32 => PositionEncoding::Utf32,
        }
    }
}

/// Files that may hold secrets: never sent to a model unless the user's own config says so.
pub const DEFAULT_EXCLUDE: &[&str] = &[
    ".env*",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.p12",
    "*.pfx",
    "*.crt",
    "*.jks",
    "*.keystore",
    "*.tfstate",
    "*.tfvars",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
];

impl Default for CompletionConfig {
    fn default() -> Self {
        Self {
            providers: Vec::new(),
            enabled: true,
            surfaces: Surfaces::default(),
            trigger: Trigger::Automatic,
            debounce_ms: 150,
            max_tokens: 256,
            context_tokens: 4096,
            n_items_invoked: 3,
            hedge_after_ms: None,
            languages_disabled: Vec::new(),
            temperature: 0.2,
            items_sort: ItemsSort::After,
            prompt: None,
        }
    }
}

impl Default for Surfaces {
    fn default() -> Self {
        Self { inline: true, items: true }
    }
}

impl Default for ActionsConfig {
    fn default() -> Self {
        Self {
            providers: Vec::new(),
            enabled: true,
            max_tokens: 2048,
            languages_disabled: Vec::new(),
            timeout_ms: 60_000,
            custom: Vec::new(),
            run: ActionRun::default(),
        }
    }
}

impl CompletionConfig {
    /// The hedging delay, or `None` when hedging is off (unset or 0).
    pub fn hedge_after(&self) -> Option<Duration> {
        self.hedge_after_ms.filter(|&ms| ms > 0).map(Duration::from_millis)
    }

    pub fn debounce(&self) -> Duration {
        Duration::from_millis(self.debounce_ms)
    }
}

/// Stands for the user's provider label in key paths.
pub const PROVIDER_NAME_PLACEHOLDER: &str = "<name>";

/// Every key path of the schema, `providers.<name>.*` standing for any provider. Kept by hand
/// next to the structs so a reader sees the whole schema at once; `schema_key_paths` derives
/// the same list from the structs and a test checks that they agree, and another that
/// docs/configuration.md documents each.
pub const ALL_KEYS: &[&str] = &[
    "providers.<name>.kind",
    "providers.<name>.model",
    "providers.<name>.base_url",
    "providers.<name>.api_key_env",
    "providers.<name>.api_key_cmd",
    "providers.<name>.api_key",
    "providers.<name>.headers",
    "providers.<name>.organization",
    "providers.<name>.project",
    "providers.<name>.fim",
    "providers.<name>.stream",
    "providers.<name>.context_tokens",
    "providers.<name>.max_choices",
    "providers.<name>.timeout_ms",
    "providers.<name>.keep_alive",
    "exclude",
    "completion.providers",
    "completion.enabled",
    "completion.surfaces.inline",
    "completion.surfaces.items",
    "completion.trigger",
    "completion.debounce_ms",
    "completion.max_tokens",
    "completion.context_tokens",
    "completion.n_items_invoked",
    "completion.hedge_after_ms",
    "completion.languages_disabled",
    "completion.temperature",
    "completion.items_sort",
    "completion.prompt",
    "actions.providers",
    "actions.enabled",
    "actions.max_tokens",
    "actions.languages_disabled",
    "actions.timeout_ms",
    "actions.custom",
    "actions.run",
    "redact.enabled",
    "redact.patterns",
    "server.log_level",
    "server.position_encoding",
];

/// The key paths of the schema, derived from the structs: a default [`Config`] with one
/// default provider, serialized to a value tree whose leaves (including `null` for unset
/// options and `{}` for free-form maps such as `headers`) are listed.
pub fn schema_key_paths() -> Vec<String> {
    let mut config = Config::default();
    config.providers.insert(PROVIDER_NAME_PLACEHOLDER.to_owned(), ProviderSpec::default());
    match serde_json::to_value(&config) {
        Ok(value) => super::tree::leaf_paths(&value),
        // Serializing plain structs and maps with string keys cannot fail; an empty list makes
        // the schema test fail loudly rather than panic here.
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_keys_matches_the_structs() {
        let mut derived = schema_key_paths();
        let mut listed: Vec<String> = ALL_KEYS.iter().map(|key| (*key).to_owned()).collect();
        derived.sort();
        listed.sort();
        assert_eq!(listed, derived, "ALL_KEYS must list exactly the schema's key paths");
    }

    #[test]
    fn position_encoding_setting_spells_like_lsp() {
        for setting in [PositionEncodingSetting::Utf8, PositionEncodingSetting::Utf16, PositionEncodingSetting::Utf32] {
            let spelled = serde_json::to_value(setting).ok();
            let lsp_name = setting.encoding().lsp_name();
            assert_eq!(spelled, Some(serde_json::Value::String(lsp_name.to_owned())));
        }
    }

    #[test]
    fn hedging_off_when_unset_or_zero() {
        let mut completion = CompletionConfig::default();
        assert_eq!(completion.hedge_after(), None);
        completion.hedge_after_ms = Some(0);
        assert_eq!(completion.hedge_after(), None);
        completion.hedge_after_ms = Some(250);
        assert_eq!(completion.hedge_after(), Some(Duration::from_millis(250)));
    }
}
