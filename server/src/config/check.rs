//! Structural checks of one layer before it is merged: unknown keys and wrong types, reported
//! with the full key path, and the workspace file's restrictions.
//!
//! Each key is deserialized on its own (a one-key table into its section's struct, which is
//! all defaults otherwise), so every bad key in a layer is reported, not only the first one
//! serde would stop at. Bad keys are then removed from the layer, so the rest can still be
//! merged and validated and the user sees every problem at once.

use serde::de::DeserializeOwned;
use serde_json::Value;
use switchboard_providers::ProviderSpec;
use switchboard_providers::kinds::{self, DESCRIPTORS};

use super::problem::{ConfigProblem, ConfigSource};
use super::schema::{ActionsConfig, CompletionConfig, RedactConfig, ServerConfig};
use super::tree::{Table, join, leaf_paths};

const SECTIONS: &[&str] = &["providers", "exclude", "completion", "actions", "redact", "server"];

/// Sections a workspace file may set. `providers` is absent on purpose: a provider table decides
/// where the user's key is sent (`base_url`, `headers`) and which key (`api_key*`), so a cloned
/// repository must not be able to touch it. `server` is absent because nothing there is a
/// project's business.
/// `exclude` is allowed because a workspace can only add to it (see `state.rs`).
pub const WORKSPACE_ALLOWED_SECTIONS: &[&str] = &["exclude", "completion", "actions"];

/// Moves `completion.exclude`, the older name of the top-level `exclude`, to `exclude` (the
/// two lists joined when a layer sets both), so every later step sees one key.
pub(crate) fn resolve_aliases(layer: &mut Table) {
    let Some(Value::Object(completion)) = layer.get_mut("completion") else { return };
    let Some(old) = completion.remove("exclude") else { return };
    match (layer.get_mut("exclude"), old) {
        (Some(Value::Array(current)), Value::Array(old)) => {
            for glob in old {
                if !current.contains(&glob) {
                    current.push(glob);
                }
            }
        }
        // One of the two is not a list: keep the old key's value where the check reports it.
        (Some(_), _) => {}
        (None, old) => {
            layer.insert("exclude".to_owned(), old);
        }
    }
}

/// Reports every unknown key and wrong type in `layer` and removes those keys from it.
pub(crate) fn check_layer(layer: &mut Table, source: &ConfigSource) -> Vec<ConfigProblem> {
    let mut problems = Vec::new();
    layer.retain(|section, value| match section.as_str() {
        "providers" => check_providers(value, source, &mut problems),
        "exclude" => check_key::<super::schema::Config>("", section, value, source, &mut problems),
        "completion" => check_section::<CompletionConfig>(section, value, source, &mut problems),
        "actions" => check_section::<ActionsConfig>(section, value, source, &mut problems),
        "redact" => check_section::<RedactConfig>(section, value, source, &mut problems),
        "server" => check_section::<ServerConfig>(section, value, source, &mut problems),
        _ => {
            problems.push(ConfigProblem::error(
                source.clone(),
                section.clone(),
                format!("unknown key; expected one of {}", SECTIONS.join(", ")),
            ));
            false
        }
    });
    problems
}

/// Returns whether anything of the `providers` table is left to keep.
fn check_providers(value: &mut Value, source: &ConfigSource, problems: &mut Vec<ConfigProblem>) -> bool {
    let Value::Object(providers) = value else {
        problems.push(ConfigProblem::error(
            source.clone(),
            "providers",
            format!("expected a table of provider tables, found {}", type_name(value)),
        ));
        return false;
    };
    providers.retain(|name, spec| {
        let prefix = join("providers", name);
        if name.trim().is_empty() {
            problems.push(ConfigProblem::error(source.clone(), prefix, "provider names must not be empty"));
            return false;
        }
        let Value::Object(spec) = spec else {
            problems.push(ConfigProblem::error(
                source.clone(),
                prefix,
                format!("expected a provider table, found {}", type_name(spec)),
            ));
            return false;
        };
        spec.retain(|key, value| {
            if key == "kind"
                && let Value::String(kind) = value
                && kinds::by_name(kind).is_none()
            {
                problems.push(ConfigProblem::error(
                    source.clone(),
                    join(&prefix, key),
                    format!("unknown provider kind \"{kind}\"; valid kinds: {}", valid_kinds()),
                ));
                return false;
            }
            check_key::<ProviderSpec>(&prefix, key, value, source, problems)
        });
        true
    });
    true
}

pub(crate) fn valid_kinds() -> String {
    DESCRIPTORS.iter().map(|descriptor| descriptor.name).collect::<Vec<_>>().join(", ")
}

/// Returns whether the section is a table (whose bad keys have been removed).
fn check_section<T: DeserializeOwned>(
    section: &str,
    value: &mut Value,
    source: &ConfigSource,
    problems: &mut Vec<ConfigProblem>,
) -> bool {
    let Value::Object(table) = value else {
        problems.push(ConfigProblem::error(
            source.clone(),
            section,
            format!("expected a table, found {}", type_name(value)),
        ));
        return false;
    };
    table.retain(|key, value| check_key::<T>(section, key, value, source, problems));
    true
}

/// Deserializes `{key: value}` into `T`, reports a failure at `prefix.key[.inner path]`, and
/// returns whether the key is good.
fn check_key<T: DeserializeOwned>(
    prefix: &str,
    key: &str,
    value: &Value,
    source: &ConfigSource,
    problems: &mut Vec<ConfigProblem>,
) -> bool {
    let single = Value::Object(Table::from_iter([(key.to_owned(), value.clone())]));
    let Err(error) = serde_path_to_error::deserialize::<_, T>(single) else {
        return true;
    };
    let inner_path = error.path().to_string();
    // An unknown field fails while its name is read, before serde_path_to_error records it.
    let full_key = if inner_path == "." { join(prefix, key) } else { join(prefix, &inner_path) };
    let message = error.into_inner().to_string();
    let message = if is_sensitive(&full_key) { redact(&message) } else { message };
    problems.push(ConfigProblem::error(source.clone(), full_key, message));
    false
}

/// Keys whose values may be secrets and so must never be echoed in a message.
pub(crate) fn is_sensitive(key: &str) -> bool {
    key.split('.').any(|segment| {
        let segment = segment.split('[').next().unwrap_or(segment);
        segment == "api_key" || segment == "headers"
    })
}

/// serde's "invalid type: string \"sk-…\", expected a map" without the value.
fn redact(message: &str) -> String {
    match message.find(", expected ") {
        Some(idx) => format!("invalid value (not shown, it may be a secret){}", &message[idx..]),
        None => "invalid value (not shown, it may be a secret)".to_owned(),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a table",
    }
}

/// Splits a workspace layer into what it may set and one warning per key it may not (which is
/// then ignored, so the rest of the file still applies).
pub(crate) fn restrict_workspace(layer: Table, source: &ConfigSource) -> (Table, Vec<ConfigProblem>) {
    let mut allowed = Table::new();
    let mut problems = Vec::new();
    for (section, value) in layer {
        if WORKSPACE_ALLOWED_SECTIONS.contains(&section.as_str()) {
            allowed.insert(section, value);
            continue;
        }
        let why = if section == "providers" {
            "only your own config may define providers, their endpoints and their keys, so that a cloned repository \
             cannot send your API key to its own server; ignored"
        } else {
            "a workspace file may set only `exclude` and [completion] and [actions] keys (never [redact]: a cloned repository must not turn masking off); ignored"
        };
        for path in leaf_paths(&Value::Object(Table::from_iter([(section, value)]))) {
            problems.push(ConfigProblem::warning(
                source.clone(),
                path,
                format!("workspace config may not set this key: {why}"),
            ));
        }
    }
    (allowed, problems)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(value: Value) -> Vec<String> {
        let Value::Object(mut layer) = value else { return vec!["not an object".to_owned()] };
        // Sorted, because key order in a JSON object depends on serde_json's features.
        let mut lines: Vec<String> = check_layer(&mut layer, &ConfigSource::Settings)
            .iter()
            .map(|problem| format!("{}: {}", problem.key, problem.message))
            .collect();
        lines.sort();
        lines
    }

    #[test]
    fn reports_every_bad_key_with_its_path() {
        assert_eq!(
            check(json!({
                "completion": {
                    "debounce_ms": "fast",
                    "providers": ["a", 3],
                    "surfaces": {"inline": "yes"},
                    "debounce": 10,
                    "trigger": "sometimes",
                },
                "actions": 3,
                "provider": {},
                "providers": {"a": {"kind": "gpt", "model": 4, "base_uri": "x"}, "b": "openai"},
            })),
            [
                "actions: expected a table, found a number",
                "completion.debounce: unknown field `debounce`, expected one of `providers`, `enabled`, `surfaces`, \
                 `trigger`, `debounce_ms`, `max_tokens`, `context_tokens`, `n_items_invoked`, `hedge_after_ms`, \
                 `languages_disabled`, `temperature`, `items_sort`, `prompt`",
                "completion.debounce_ms: invalid type: string \"fast\", expected u64",
                "completion.providers[1]: invalid type: integer `3`, expected a string",
                "completion.surfaces.inline: invalid type: string \"yes\", expected a boolean",
                "completion.trigger: unknown variant `sometimes`, expected `automatic` or `invoked`",
                "provider: unknown key; expected one of providers, exclude, completion, actions, redact, server",
                "providers.a.base_uri: unknown field `base_uri`, expected one of `kind`, `model`, `base_url`, \
                 `api_key_env`, `api_key_cmd`, `api_key`, `headers`, `organization`, `project`, `fim`, `stream`, \
                 `context_tokens`, `max_choices`, `timeout_ms`, `keep_alive`",
                "providers.a.kind: unknown provider kind \"gpt\"; valid kinds: openai, anthropic, gemini, mistral, \
                 deepseek, ollama, llamacpp",
                "providers.a.model: invalid type: integer `4`, expected a string",
                "providers.b: expected a provider table, found a string",
            ]
        );
    }

    #[test]
    fn bad_keys_are_removed_and_good_ones_kept() {
        let Value::Object(mut layer) = json!({
            "completion": {"debounce_ms": "fast", "max_tokens": 64},
            "providers": {"a": {"kind": "gpt", "model": "m"}, "b": 3},
            "server": [],
            "extra": 1,
        }) else {
            return;
        };
        let problems = check_layer(&mut layer, &ConfigSource::Settings);
        assert_eq!(problems.len(), 5);
        assert_eq!(Value::Object(layer), json!({"completion": {"max_tokens": 64}, "providers": {"a": {"model": "m"}}}));
    }

    #[test]
    fn secrets_are_not_echoed_in_type_errors() {
        let problems =
            check(json!({"providers": {"a": {"headers": "Bearer sk-live-123456", "api_key": 12345678901_u64}}}));
        assert_eq!(
            problems,
            [
                "providers.a.api_key: invalid value (not shown, it may be a secret), expected a string",
                "providers.a.headers: invalid value (not shown, it may be a secret), expected a map",
            ]
        );
    }

    #[test]
    fn workspace_keeps_only_completion_and_actions() {
        let source = ConfigSource::WorkspaceFile(".switchboard.toml".into());
        let Value::Object(layer) = json!({
            "providers": {"evil": {"kind": "openai", "base_url": "https://evil.example"}},
            "server": {"log_level": "trace"},
            "redact": {"enabled": false},
            "completion": {"debounce_ms": 10},
        }) else {
            return;
        };
        let (allowed, problems) = restrict_workspace(layer, &source);
        assert_eq!(Value::Object(allowed), json!({"completion": {"debounce_ms": 10}}));
        let mut keys: Vec<&str> = problems.iter().map(|problem| problem.key.as_str()).collect();
        keys.sort();
        assert_eq!(keys, ["providers.evil.base_url", "providers.evil.kind", "redact.enabled", "server.log_level"]);
        assert!(problems.iter().any(|problem| problem.to_string().starts_with(
            ".switchboard.toml: providers.evil.base_url: warning: workspace config may not set this key: only your own config"
        )));
    }
}
