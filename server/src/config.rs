//! Configuration: one schema, read from several layers, merged, validated, and reloaded live.
//!
//! Start at [`ConfigState`]: the LSP layer feeds it each input as it arrives and gets back a
//! [`ConfigUpdate`] (was it applied, did the config change, which problems to show with
//! `window/showMessage`). [`ConfigState::config`] is the configuration in force, an
//! `Arc<Config>` of plain data.
//!
//! Layers, lowest first; a later layer sets only the keys it names (tables merge key by key,
//! arrays and scalars replace):
//! 1. the defaults (`schema`, the one place defaults live);
//! 2. the user's TOML file ([`UserConfigLocation::resolve`]: `--config PATH`, then
//!    `SWITCHBOARD_CONFIG`, then `$XDG_CONFIG_HOME/switchboard/config.toml`, then
//!    `$HOME/.config/switchboard/config.toml`);
//! 3. `initializationOptions` (the same schema as JSON);
//! 4. `workspace/didChangeConfiguration` settings (bare or under `"switchboard"`);
//! 5. the workspace's `.switchboard.toml`, restricted to `[completion]` and `[actions]`.
//!
//! Design choices:
//! - The structs of `schema` are both the effective config and the deserialization schema
//!   (`#[serde(default, deny_unknown_fields)]`), so there is no parallel all-`Option` struct
//!   to keep in sync; "which layer set this key" is answered by the value trees instead.
//!   `[providers.NAME]` reuses `switchboard_providers::ProviderSpec`.
//! - Layers are JSON value trees (`tree`); TOML converts into them. Each layer is checked key
//!   by key (`check`) so every bad key is reported with its path and its layer and then
//!   removed; the merged tree is deserialized once and validated as a whole (`validate`:
//!   chains, ranges, URLs), so one evaluation reports every problem.
//! - `exclude` globs are matched here too (`Config::is_excluded`), so their documented
//!   semantics and their validation live in one module; `completion.exclude`, the older name,
//!   is moved to `exclude` in each layer before anything else reads it (`check::resolve_aliases`).
//! - Any error keeps the last good config in force when it was built from the same layers (a
//!   typo while editing a file that worked); otherwise, as when the very first file read is
//!   broken, the config in force is [`Config::locked`]: no provider, nothing detected, because
//!   the defaults' zero-config chains would send code to vendors the user never chose. Warnings
//!   are reported and applied. Each
//!   input replaces its layer even when invalid, so the state converges as soon as the inputs
//!   are fixed, and a still-broken layer is reported again on every reload.
//! - `null` in a JSON layer means "not set here", because clients send `null` for settings
//!   the user never touched.
//!
//! Workspace trust: a cloned repository must never be able to send the user's key to its own
//! server. The workspace file may therefore set only `completion.*` and `actions.*`; anything
//! under `providers` (a new provider, `base_url`, `api_key*`, `headers`, …) or `server` is
//! reported as a warning naming the key and ignored, while the rest of the file applies. Its
//! chains may only name providers the user defined, and its `exclude` adds to the
//! user's exclusions instead of replacing them.
//!
//! Invariant: no problem message contains an `api_key` or header value.

mod check;
mod exclude;
mod problem;
mod schema;
mod state;
mod tree;
mod validate;

pub use check::WORKSPACE_ALLOWED_SECTIONS;
pub use problem::{ConfigProblem, ConfigSource, Severity, has_errors, render_problems};
pub use schema::{
    ALL_KEYS, ActionOutput, ActionRun, ActionScope, ActionsConfig, CompletionConfig, Config, CustomAction,
    DEFAULT_EXCLUDE, ItemsSort, LOCKED_MESSAGE, LogLevel, PROVIDER_NAME_PLACEHOLDER, PositionEncodingSetting,
    RedactConfig, ServerConfig, Surfaces, Trigger, schema_key_paths,
};
pub use state::{
    CONFIG_ENV_VAR, ConfigState, ConfigUpdate, UserConfigLocation, WORKSPACE_FILE_NAME, check_config_file,
    check_user_config,
};

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;
