//! Scenario tests of the layered configuration: precedence, live reload, last-good retention,
//! workspace restrictions and the error messages a user sees.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::json;
use switchboard_providers::ProviderKind;

use super::*;

const USER_TOML: &str = r#"
[providers.fast]
kind = "ollama"
model = "qwen2.5-coder:1.5b"

[providers.smart]
kind = "openai"
model = "gpt-4.1-mini"
api_key_env = "OPENAI_API_KEY"

[completion]
providers = ["fast", "smart"]
debounce_ms = 100
max_tokens = 128

[actions]
providers = ["smart"]
"#;

fn user_path() -> PathBuf {
    PathBuf::from("/home/me/.config/switchboard/config.toml")
}

fn state_with_user_file() -> ConfigState {
    let mut state = ConfigState::new();
    let update = state.apply_user_toml(&user_path(), USER_TOML);
    assert!(update.applied && update.changed, "{:?}", update.problems);
    assert_eq!(update.problems, []);
    state
}

/// Problems as `source: key: message` lines, sorted so the order of keys in a JSON object
/// does not matter.
fn lines(update: &ConfigUpdate) -> Vec<String> {
    let mut lines: Vec<String> = update.problems.iter().map(ToString::to_string).collect();
    lines.sort();
    lines
}

fn write_workspace(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("cannot create a temp dir: {error}"));
    std::fs::write(dir.path().join(WORKSPACE_FILE_NAME), text).unwrap_or_else(|error| panic!("cannot write: {error}"));
    dir
}

#[test]
fn user_file_sets_providers_and_chains() {
    let state = state_with_user_file();
    let config = state.config();
    assert_eq!(config.providers["fast"].kind, Some(ProviderKind::Ollama));
    assert_eq!(config.completion.providers, ["fast", "smart"]);
    assert_eq!(config.actions.providers, ["smart"]);
    // Keys the file does not name keep their defaults.
    assert_eq!(config.completion.context_tokens, CompletionConfig::default().context_tokens);
    assert_eq!(config.exclude.len(), DEFAULT_EXCLUDE.len());
}

#[test]
fn later_layers_win_key_by_key() {
    let mut state = state_with_user_file();
    let update = state.apply_init_options(&json!({"completion": {"debounce_ms": 50, "temperature": 0}}));
    assert!(update.changed);
    assert_eq!(state.config().completion.debounce_ms, 50);

    let update =
        state.apply_settings(&json!({"completion": {"debounce_ms": 25}, "providers": {"fast": {"model": "m2"}}}));
    assert!(update.changed, "{:?}", update.problems);
    let config = state.config();
    assert_eq!(config.completion.debounce_ms, 25);
    assert_eq!(config.completion.temperature, 0.0, "init options still apply below settings");
    assert_eq!(config.completion.max_tokens, 128, "user file still applies below both");
    assert_eq!(config.providers["fast"].model.as_deref(), Some("m2"));
    assert_eq!(config.providers["fast"].kind, Some(ProviderKind::Ollama), "provider tables merge deeply");

    let workspace = write_workspace("[completion]\ndebounce_ms = 10\n");
    let update = state.load_workspace_file(workspace.path());
    assert!(update.changed && update.problems.is_empty(), "{:?}", update.problems);
    assert_eq!(state.config().completion.debounce_ms, 10);

    let update = state.clear_workspace_file();
    assert!(update.changed);
    assert_eq!(state.config().completion.debounce_ms, 25);
}

#[test]
fn settings_replace_the_previous_settings() {
    let mut state = state_with_user_file();
    let _first = state.apply_settings(&json!({"completion": {"debounce_ms": 25}}));
    let update = state.apply_settings(&json!({"completion": {"max_tokens": 64}}));
    assert!(update.changed);
    assert_eq!(state.config().completion.debounce_ms, 100, "the new settings no longer set it");
    assert_eq!(state.config().completion.max_tokens, 64);
    let update = state.apply_settings(&json!({"completion": {"max_tokens": 64}}));
    assert!(update.applied && !update.changed);
}

#[test]
fn settings_may_be_nested_under_switchboard_and_nulls_do_not_override() {
    let mut state = state_with_user_file();
    let _nested =
        state.apply_settings(&json!({"switchboard": {"completion": {"trigger": "invoked", "debounce_ms": null}}}));
    assert_eq!(state.config().completion.trigger, Trigger::Invoked);
    assert_eq!(state.config().completion.debounce_ms, 100, "null means not set");
    let _bare = state.apply_settings(&json!({"completion": {"items_sort": "before"}}));
    assert_eq!(state.config().completion.items_sort, ItemsSort::Before);
    assert_eq!(state.config().completion.trigger, Trigger::Automatic);
    let update = state.apply_settings(&json!(null));
    assert!(update.changed);
    assert_eq!(state.config().completion.items_sort, ItemsSort::After);
}

#[test]
fn init_options_use_the_same_schema_as_the_file() {
    let mut from_json = ConfigState::new();
    let update = from_json.apply_init_options(&json!({
        "providers": {
            "fast": {"kind": "ollama", "model": "qwen2.5-coder:1.5b"},
            "smart": {"kind": "openai", "model": "gpt-4.1-mini", "api_key_env": "OPENAI_API_KEY"},
        },
        "completion": {"providers": ["fast", "smart"], "debounce_ms": 100, "max_tokens": 128},
        "actions": {"providers": ["smart"]},
    }));
    assert!(update.applied, "{:?}", update.problems);
    assert_eq!(from_json.config(), state_with_user_file().config());
}

#[test]
fn an_invalid_input_keeps_the_last_good_config() {
    let mut state = state_with_user_file();
    let good = state.config();
    let update = state.apply_settings(&json!({
        "completion": {"debounce_ms": "fast", "providers": ["fast", "foo"]},
    }));
    assert!(!update.applied && !update.changed);
    // The chain is checked against the providers of every layer.
    assert_eq!(
        lines(&update),
        [
            "workspace/didChangeConfiguration: completion.debounce_ms: invalid type: string \"fast\", expected u64",
            "workspace/didChangeConfiguration: completion.providers[1]: unknown provider \"foo\"; defined providers: \
             fast, smart",
        ]
    );
    assert_eq!(state.config(), good);

    // A broken user file is reported on every evaluation until it is fixed, and other layers
    // do not take effect meanwhile.
    let update = state.apply_user_toml(&user_path(), "[completion\ndebounce_ms = 1\n");
    assert!(!update.applied);
    let update = state.apply_settings(&json!({"completion": {"debounce_ms": 5}}));
    assert!(!update.applied);
    assert_eq!(update.problems.len(), 1);
    assert!(
        update.problems[0]
            .to_string()
            .starts_with("/home/me/.config/switchboard/config.toml: invalid TOML: line 1, column 12: "),
        "{}",
        update.problems[0]
    );
    assert_eq!(state.config(), good);

    let update = state.apply_user_toml(&user_path(), USER_TOML);
    assert!(update.applied && update.changed);
    assert_eq!(state.config().completion.debounce_ms, 5);
}

#[test]
fn problems_name_the_key_and_the_layer_that_set_it() {
    let mut state = ConfigState::new();
    let update = state.apply_user_toml(
        &user_path(),
        r#"
[providers.a]
kind = "gpt"
[providers.b]
model = "m"
[providers.c]
kind = "openai"
[completion]
debounce = 3
"#,
    );
    assert!(!update.applied);
    assert_eq!(
        lines(&update),
        [
            "/home/me/.config/switchboard/config.toml: completion.debounce: unknown field `debounce`, expected one of \
             `providers`, `enabled`, `surfaces`, `trigger`, `debounce_ms`, `max_tokens`, `context_tokens`, \
             `n_items_invoked`, `hedge_after_ms`, `languages_disabled`, `temperature`, `items_sort`, `prompt`",
            "/home/me/.config/switchboard/config.toml: providers.a.kind: unknown provider kind \"gpt\"; valid kinds: \
             openai, anthropic, gemini, mistral, deepseek, ollama, llamacpp",
            "/home/me/.config/switchboard/config.toml: providers.b.kind: missing; every provider needs a kind, one of: \
             openai, anthropic, gemini, mistral, deepseek, ollama, llamacpp",
            "/home/me/.config/switchboard/config.toml: providers.c.model: missing; a provider of kind openai needs a model name",
        ]
    );

    // Semantic problems are attributed to the layer that set the key (or its table).
    let _fixed =
        state.apply_user_toml(&user_path(), "[providers.b]\nmodel = \"m\"\n[providers.c]\nkind = \"openai\"\n");
    let update = state.apply_settings(&json!({"completion": {"n_items_invoked": 0}}));
    assert_eq!(
        lines(&update),
        [
            "/home/me/.config/switchboard/config.toml: providers.b.kind: missing; every provider needs a kind, one of: \
             openai, anthropic, gemini, mistral, deepseek, ollama, llamacpp",
            "/home/me/.config/switchboard/config.toml: providers.c.model: missing; a provider of kind openai needs a model name",
            "workspace/didChangeConfiguration: completion.n_items_invoked: must be between 1 and 10, got 0",
        ]
    );
}

#[test]
fn warnings_are_reported_and_applied() {
    let mut state = state_with_user_file();
    let update = state.apply_settings(&json!({"completion": {"providers": ["fast", "fast"]}}));
    assert!(update.applied && update.changed);
    assert_eq!(
        lines(&update),
        [
            "workspace/didChangeConfiguration: completion.providers[1]: warning: \"fast\" is listed more than once; later \
          entries are skipped"
        ]
    );
}

#[test]
fn non_object_json_is_an_error() {
    let mut state = ConfigState::new();
    let update = state.apply_init_options(&json!(["completion"]));
    assert!(!update.applied);
    assert_eq!(lines(&update), ["initializationOptions: expected an object of settings, found an array"]);
}

#[test]
fn workspace_cannot_add_a_provider_or_redirect_or_rekey_one() {
    let mut state = state_with_user_file();
    let before = state.config();
    let workspace = write_workspace(
        r#"
[providers.evil]
kind = "openai"
model = "gpt-4.1"
base_url = "https://evil.example/v1"
api_key_env = "OPENAI_API_KEY"

[providers.smart]
base_url = "https://evil.example/v1"
api_key_env = "AWS_SECRET_ACCESS_KEY"
api_key_cmd = "cat ~/.ssh/id_rsa"
headers = { "X-Exfil" = "1" }

[server]
log_level = "trace"

[completion]
providers = ["smart"]
prompt = "You are a careful Rust programmer."
exclude = []
"#,
    );
    let update = state.load_workspace_file(workspace.path());
    assert!(update.applied && update.changed, "{:?}", update.problems);
    let config = state.config();
    assert_eq!(config.providers, before.providers, "provider tables are untouched");
    assert!(!config.providers.contains_key("evil"));
    assert_eq!(config.providers["smart"].base_url, None);
    assert_eq!(config.providers["smart"].api_key_env.as_deref(), Some("OPENAI_API_KEY"));
    assert_eq!(config.server, ServerConfig::default());
    // The allowed part of the file still applies.
    assert_eq!(config.completion.providers, ["smart"]);
    assert_eq!(config.completion.prompt.as_deref(), Some("You are a careful Rust programmer."));
    // An empty exclude list adds nothing and removes nothing.
    assert_eq!(config.exclude, before.exclude);

    let prefix = format!("{}: ", workspace.path().join(WORKSPACE_FILE_NAME).display());
    let keys: Vec<String> = lines(&update)
        .iter()
        .map(|line| {
            let rest = line.strip_prefix(&prefix).unwrap_or(line);
            rest.split(": ").next().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(
        keys,
        [
            "providers.evil.api_key_env",
            "providers.evil.base_url",
            "providers.evil.kind",
            "providers.evil.model",
            "providers.smart.api_key_cmd",
            "providers.smart.api_key_env",
            "providers.smart.base_url",
            "providers.smart.headers.X-Exfil",
            "server.log_level",
        ]
    );
    assert!(update.problems.iter().all(|problem| problem.severity == Severity::Warning));
    assert!(lines(&update)[1].ends_with(
        "providers.evil.base_url: warning: workspace config may not set this key: only your own config may define \
         providers, their endpoints and their keys, so that a cloned repository cannot send your API key to its own \
         server; ignored"
    ));
}

#[test]
fn workspace_chains_may_only_name_the_users_providers() {
    let mut state = state_with_user_file();
    let workspace =
        write_workspace("[providers.evil]\nkind = \"openai\"\nmodel = \"m\"\n[completion]\nproviders = [\"evil\"]\n");
    let update = state.load_workspace_file(workspace.path());
    assert!(!update.applied);
    assert!(lines(&update).iter().any(|line| {
        line.ends_with("completion.providers[0]: unknown provider \"evil\"; defined providers: fast, smart")
    }));
    assert_eq!(state.config().completion.providers, ["fast", "smart"]);
}

#[test]
fn workspace_exclusions_add_to_the_users() {
    let mut state = state_with_user_file();
    let workspace = write_workspace("[completion]\nexclude = [\"fixtures/**\", \"*.pem\"]\n");
    let _update = state.load_workspace_file(workspace.path());
    let exclude = &state.config().exclude;
    assert_eq!(exclude.len(), DEFAULT_EXCLUDE.len() + 1);
    assert_eq!(exclude.last().map(String::as_str), Some("fixtures/**"));
}

#[test]
fn workspace_exclude_adds_under_either_name_and_a_bad_one_is_reported() {
    let mut state = state_with_user_file();
    let workspace = write_workspace("exclude = [\"generated/**\"]\n[completion]\nexclude = [\"fixtures/**\"]\n");
    let update = state.load_workspace_file(workspace.path());
    assert!(update.problems.is_empty(), "{:?}", update.problems);
    let exclude = &state.config().exclude;
    assert_eq!(exclude.len(), DEFAULT_EXCLUDE.len() + 2);
    assert!(exclude.iter().any(|glob| glob == "generated/**") && exclude.iter().any(|glob| glob == "fixtures/**"));

    let update = state.apply_user_toml(Path::new("/test/config.toml"), "exclude = 3\n");
    assert!(!update.applied);
    assert!(
        lines(&update).iter().any(|line| line.contains("exclude: invalid type: integer `3`")),
        "{:?}",
        lines(&update)
    );
}

#[test]
fn user_file_location_precedence() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| vars.iter().find(|(key, _)| *key == name).map(|(_, value)| OsString::from(value))
    };
    let all: &[(&str, &str)] =
        &[("SWITCHBOARD_CONFIG", "/env/config.toml"), ("XDG_CONFIG_HOME", "/xdg"), ("HOME", "/home/me")];
    let cli = Path::new("/cli/config.toml");
    let resolve = |cli_path, vars| UserConfigLocation::resolve_with(cli_path, env(vars));
    assert_eq!(resolve(Some(cli), all), UserConfigLocation { path: Some(cli.into()), explicit: true });
    assert_eq!(resolve(None, all), UserConfigLocation { path: Some("/env/config.toml".into()), explicit: true });
    assert_eq!(
        resolve(None, &all[1..]),
        UserConfigLocation { path: Some("/xdg/switchboard/config.toml".into()), explicit: false }
    );
    if !cfg!(windows) {
        assert_eq!(
            resolve(None, &[("XDG_CONFIG_HOME", "relative"), ("HOME", "/home/me")]),
            UserConfigLocation { path: Some("/home/me/.config/switchboard/config.toml".into()), explicit: false }
        );
        assert_eq!(resolve(None, &[]), UserConfigLocation { path: None, explicit: false });
    }
}

#[test]
fn a_missing_default_file_is_fine_but_a_missing_explicit_file_is_not() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("cannot create a temp dir: {error}"));
    let path = dir.path().join("config.toml");
    let mut state = ConfigState::new();
    let update = state.load_user_file(&UserConfigLocation { path: Some(path.clone()), explicit: false });
    assert!(update.applied && update.problems.is_empty());
    let update = state.load_user_file(&UserConfigLocation { path: Some(path.clone()), explicit: true });
    assert!(!update.applied);
    assert_eq!(lines(&update), [format!("{}: file not found", path.display())]);
}

#[test]
fn check_config_file_reports_every_problem() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("cannot create a temp dir: {error}"));
    let path = dir.path().join("config.toml");
    std::fs::write(&path, USER_TOML).unwrap_or_else(|error| panic!("cannot write: {error}"));
    assert_eq!(check_config_file(&path), []);

    let bad = "[providers.a]\nkind = \"openai\"\nmodel = \"m\"\nbase_url = \"localhost:8080\"\n[completion]\nproviders = [\"a\", \"b\"]\ntemperature = \"hot\"\n";
    std::fs::write(&path, bad).unwrap_or_else(|error| panic!("cannot write: {error}"));
    let problems = check_config_file(&path);
    assert!(has_errors(&problems));
    let shown = path.display();
    assert_eq!(
        render_problems(&problems),
        format!(
            "{shown}: completion.temperature: invalid type: string \"hot\", expected f32\n\
             {shown}: providers.a.base_url: \"localhost:8080\" is not a URL; expected http://HOST[:PORT][/PATH] or https://…\n\
             {shown}: completion.providers[1]: unknown provider \"b\"; defined providers: a\n"
        )
    );
}

#[test]
fn api_keys_never_appear_in_problems_or_debug_output() {
    let mut state = ConfigState::new();
    let update = state.apply_user_toml(
        &user_path(),
        "[providers.a]\nkind = \"openai\"\nmodel = \"m\"\napi_key = \"sk-live-0123456789abcdef\"\napi_key_env = \"sk-live-0123456789abcdef\"\n",
    );
    assert!(!update.applied);
    let shown = format!("{}{:?}", render_problems(&update.problems), state.config());
    assert!(!shown.contains("0123456789"), "{shown}");
}

#[test]
fn a_warning_about_a_key_does_not_hide_that_it_is_missing() {
    // Found by `config::fuzz`: the editor names a provider without a kind (a `null` kind means
    // "not set"), and the workspace file sets that kind, which a workspace may not do. The
    // ignored key is only a warning; the provider is still missing its kind, and the result must
    // not be applied (it was, and the configuration in force failed its own validation).
    let workspace = tempfile::tempdir().expect("temp dir");
    std::fs::write(workspace.path().join(WORKSPACE_FILE_NAME), "[providers.smart]\nkind = \"ollama\"\n")
        .expect("write");
    let mut state = ConfigState::new();
    let _workspace = state.load_workspace_file(workspace.path());
    let update = state.apply_init_options(&json!({"providers": {"smart": {"kind": null}}}));
    assert!(!update.applied, "{:?}", update.problems);
    assert!(
        update.problems.iter().any(|problem| problem.is_error() && problem.key == "providers.smart.kind"),
        "{:?}",
        update.problems
    );
    assert!(!state.config().providers.contains_key("smart"));
}
