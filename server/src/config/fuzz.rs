//! Property tests of the configuration layers (issue 11): arbitrary TOML text and arbitrary JSON
//! trees, alone and in sequences, against [`ConfigState`]'s promises:
//! - nothing panics;
//! - the configuration in force is always valid, or [`Config::locked`];
//! - an input that is not applied never widens where code goes: no provider that was not in
//!   force before, no `exclude` glob dropped;
//! - a workspace file never changes the providers, `redact` or `server`, and never drops an
//!   exclusion of the user's layers;
//! - no problem message repeats an `api_key` or header value.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::validate::validate;
use super::*;

/// Marks secret values, so that a problem message quoting one is caught.
const SECRET: &str = "SECRETfuzz";

// --- Values and trees ---

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec![
            "ollama", "openai", "anthropic", "gemini", "mistral", "deepseek", "llamacpp", "bogus", "qwen2.5-coder:1.5b",
            "", " ", "fast", "smart", "local", "http://127.0.0.1:11434", "https://api.example.com/v1", "http://example.com",
            "ftp://x", "not a url", "**/*.rs", "secrets/**", "[", "[!a-", "*.env", ".env*", "automatic", "invoked",
            "after", "before", "auto", "command", "resolve", "selection", "replace", "message", "debug", "info",
            "utf-8", "utf-16", "utf-32", "5m", "-1s", "30", "native", "chat", "starcoder2", "OPENAI_API_KEY",
            "lower case", "(unclosed", "a|b", "{code}", "refactor.rewrite", "x-y",
        ])
        .prop_map(str::to_owned),
        2 => "\\PC{0,12}",
        1 => "[\\x00-\\x1f\"\\\\'\u{7f}\u{fffd}\u{10000}-\u{10ffff}=\\[\\]\\.#a]{0,8}",
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            json!(0),
            json!(1),
            json!(-1),
            json!(2),
            json!(150),
            json!(4096),
            json!(u32::MAX),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(0.5),
            json!(-0.0),
            json!(1e300),
            json!(2.5),
        ]),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |float| serde_json::Number::from_f64(float).map(Value::Number)),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        2 => any::<bool>().prop_map(Value::Bool),
        3 => number(),
        6 => word().prop_map(Value::String),
    ]
}

/// Any JSON value, at most 3 levels deep, mostly strings a configuration would hold.
fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            3 => prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            1 => prop::collection::vec((word(), inner), 0..4).prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

fn provider_name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(vec!["fast", "smart", "local"]).prop_map(str::to_owned),
        1 => prop::sample::select(vec![PROVIDER_NAME_PLACEHOLDER, "", "a b", "é"]).prop_map(str::to_owned),
    ]
}

/// A key path: mostly the schema's own (a provider name for `<name>`), some old names and
/// some junk.
fn path() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        10 => (prop::sample::select(ALL_KEYS.to_vec()), provider_name()).prop_map(|(key, name)| {
            key.split('.').map(|segment| if segment == PROVIDER_NAME_PLACEHOLDER { name.clone() } else { segment.to_owned() }).collect()
        }),
        1 => Just(vec!["completion".to_owned(), "exclude".to_owned()]),
        1 => Just(vec!["switchboard".to_owned()]),
        1 => prop::collection::vec(word(), 1..4),
    ]
}

fn pick(items: &[&'static str]) -> BoxedStrategy<Value> {
    prop::sample::select(items.to_vec()).prop_map(Value::from).boxed()
}

fn within_range(low: u64, high: u64) -> BoxedStrategy<Value> {
    prop_oneof![4 => (low..=high).prop_map(Value::from), 1 => Just(json!(high + 1))].boxed()
}

/// A value that fits the key at the end of `path` (mostly valid, sometimes just out of range),
/// with secrets marked and chains naming the providers the tests define.
fn fitting_value(path: &[String]) -> BoxedStrategy<Value> {
    let last = path.last().map(String::as_str).unwrap_or_default();
    let in_provider = path.first().is_some_and(|first| first == "providers");
    match last {
        "kind" if in_provider => {
            let kinds: Vec<&str> = switchboard_providers::kinds::DESCRIPTORS.iter().map(|kind| kind.name).collect();
            pick(&kinds)
        }
        "kind" => pick(&["refactor.rewrite", "quickfix"]),
        "model" => pick(&["m", "qwen2.5-coder:1.5b", "gpt-4.1-mini"]),
        "base_url" => pick(&["http://127.0.0.1:11434", "https://api.example.com/v1", "http://localhost:8080"]),
        "api_key_env" => pick(&["OPENAI_API_KEY", "MY_KEY"]),
        "api_key_cmd" => pick(&["pass show key"]),
        "api_key" => (0u8..4).prop_map(|n| json!(format!("{SECRET}-key-{n}"))).boxed(),
        "headers" => prop::collection::vec((prop::sample::select(vec!["x-team", "x-a", "bad name"]), 0u8..4), 0..3)
            .prop_map(|headers| {
                let values = headers.into_iter().map(|(name, n)| (name.to_owned(), json!(format!("{SECRET}-header-{n}"))));
                Value::Object(values.collect())
            })
            .boxed(),
        "organization" | "project" => pick(&["org-1"]),
        "fim" => pick(&["native", "chat", "starcoder2"]),
        "stream" | "enabled" | "inline" | "items" => any::<bool>().prop_map(Value::Bool).boxed(),
        "context_tokens" => within_range(256, 32_768),
        "max_choices" => within_range(1, 4),
        "timeout_ms" => within_range(1_000, 60_000),
        "keep_alive" => pick(&["5m", "-1m", "0", "30"]),
        "debounce_ms" => within_range(0, 1_000),
        "max_tokens" => within_range(1, 4_096),
        "n_items_invoked" => within_range(1, 10),
        "hedge_after_ms" => within_range(0, 60_000),
        "temperature" => prop_oneof![(0.0f64..2.0).prop_map(Value::from), Just(json!(2.5))].boxed(),
        "trigger" => pick(&["automatic", "invoked"]),
        "items_sort" => pick(&["after", "before"]),
        "run" => pick(&["auto", "command", "resolve"]),
        "log_level" => pick(&["error", "warn", "info", "debug", "trace"]),
        "position_encoding" => pick(&["utf-8", "utf-16", "utf-32"]),
        "prompt" => pick(&["Complete the code.", " "]),
        "providers" => prop::collection::vec(provider_name(), 0..3).prop_map(|names| json!(names)).boxed(),
        "exclude" => prop::collection::vec(
            prop::sample::select(vec!["*.secret", "private/**", "**/*.env", ".env*", "docs/?.md", "[", ""]),
            0..4,
        )
        .prop_map(|globs| json!(globs))
        .boxed(),
        "languages_disabled" => {
            prop::collection::vec(prop::sample::select(vec!["rust", "markdown", ""]), 0..3).prop_map(|ids| json!(ids)).boxed()
        }
        // Rare and mostly empty: validating a pattern compiles every built-in secret shape again.
        "patterns" => prop_oneof![9 => Just(json!([])), 1 => pick(&["token-[0-9]+", "(", ""]).prop_map(|pattern| json!([pattern]))]
            .boxed(),
        "custom" => prop::collection::vec(
            (
                prop::sample::select(vec!["explain-more", "tidy", "Bad Id", "explain"]),
                prop::sample::select(vec!["Tidy {symbol}", "", "Use {nope}"]),
                prop::sample::select(vec!["refactor.rewrite", "quickfix", "two words"]),
                prop::sample::select(vec!["selection", "symbol", "line", "file", "diagnostics", "everywhere"]),
                prop::sample::select(vec!["Tidy this:\n{code}", " "]),
                prop::sample::select(vec!["replace", "insert_before", "insert_after", "message", "overwrite"]),
            ),
            0..3,
        )
        .prop_map(|actions| {
            let actions = actions.into_iter().map(|(id, title, kind, scope, prompt, output)| {
                json!({"id": id, "title": title, "kind": kind, "scope": scope, "prompt": prompt, "output": output})
            });
            Value::Array(actions.collect())
        })
        .boxed(),
        _ => leaf().boxed(),
    }
}

/// A value for `path`: mostly one that fits, sometimes anything (never a marked secret).
fn value_at(path: &[String]) -> BoxedStrategy<Value> {
    let anything = value().prop_filter("a secret only where it belongs", |value| !value.to_string().contains(SECRET));
    prop_oneof![12 => fitting_value(path), 1 => leaf(), 1 => anything].boxed()
}

fn insert(tree: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut table = tree;
    for parent in parents {
        let slot = table.entry(parent.clone()).or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(inner) = slot else { return };
        table = inner;
    }
    table.insert(last.clone(), value);
}

/// A layer as a JSON tree: schema keys with fitting or arbitrary values.
fn tree() -> impl Strategy<Value = Map<String, Value>> {
    let entry = path().prop_flat_map(|path| {
        let value = value_at(&path);
        (Just(path), value)
    });
    (prop::collection::vec(entry, 0..6), prop::bool::weighted(0.8)).prop_map(|(entries, complete)| {
        let mut tree = Map::new();
        for (path, value) in entries {
            insert(&mut tree, &path, value);
        }
        // Mostly, each provider a layer names, in a chain or a table, is defined with the kind
        // and model it needs.
        if complete {
            let chains =
                ["completion", "actions"].map(|section| tree.get(section).and_then(|section| section.get("providers")));
            let named: Vec<String> = chains
                .iter()
                .flatten()
                .filter_map(|chain| chain.as_array())
                .flatten()
                .filter_map(|name| name.as_str().map(str::to_owned))
                .collect();
            for name in named {
                insert(&mut tree, &["providers".to_owned(), name.clone(), "kind".to_owned()], json!("ollama"));
            }
        }
        if complete && let Some(Value::Object(providers)) = tree.get_mut("providers") {
            for spec in providers.values_mut() {
                if let Value::Object(spec) = spec {
                    spec.entry("kind").or_insert_with(|| json!("ollama"));
                    spec.entry("model").or_insert_with(|| json!("m"));
                    if spec.get("kind") != Some(&json!("openai")) {
                        spec.remove("max_choices");
                    }
                }
            }
        }
        tree
    })
}

/// What a client could send as `initializationOptions` or settings: a tree, bare or under
/// `"switchboard"`, or any other JSON value.
fn json_layer() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => tree().prop_map(Value::Object),
        3 => tree().prop_map(|tree| json!({"switchboard": tree})),
        1 => value(),
    ]
}

/// `null` has no TOML form: as a table member it means "unset", in an array it is replaced.
fn tomlable(value: Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Array(items) => {
            Some(Value::Array(items.into_iter().map(|item| tomlable(item).unwrap_or_else(|| json!(""))).collect()))
        }
        Value::Object(members) => {
            Some(Value::Object(members.into_iter().filter_map(|(key, value)| Some((key, tomlable(value)?))).collect()))
        }
        other => Some(other),
    }
}

/// Edits that break TOML in the ways people and tools do.
#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: &'static str },
    DuplicateLine { at: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..8).prop_map(|(at, len)| Edit::Delete { at, len }),
        (
            any::<usize>(),
            prop::sample::select(vec![
                "[",
                "]",
                "=",
                "\"",
                "'",
                "'''",
                "\"\"\"",
                "\n",
                "\r",
                "\r\n",
                "#",
                ".",
                ",",
                "{",
                "}",
                "\\",
                "\\u",
                "[[actions.custom]]\n",
                "[providers.fast]\n",
                "[completion]\n",
                "kind = \"openai\"\n",
                "é",
                "😀",
                "\u{0}",
                "\u{feff}",
                "nan",
                "inf",
                "1979-05-27T07:32:00Z",
                "0x_",
                "+",
                "-",
            ]),
        )
            .prop_map(|(at, text)| Edit::Insert { at, text }),
        any::<usize>().prop_map(|at| Edit::DuplicateLine { at }),
    ]
}

fn apply_edit(text: &str, edit: &Edit) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    match *edit {
        Edit::Delete { at, len } if !chars.is_empty() => {
            let at = at % chars.len();
            chars.drain(at..(at + len).min(chars.len()));
        }
        Edit::Delete { .. } => {}
        Edit::Insert { at, text } => {
            let at = at % (chars.len() + 1);
            chars.splice(at..at, text.chars());
        }
        Edit::DuplicateLine { at } => {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            if !lines.is_empty() {
                let at = at % lines.len();
                let mut out: Vec<&str> = lines.clone();
                out.insert(at, lines[at]);
                return out.concat();
            }
        }
    }
    chars.into_iter().collect()
}

/// A working user file. No `redact.patterns`: validating one compiles every built-in secret
/// shape again, which in a debug build takes longer than all the rest of an evaluation.
const USER_TOML: &str = r#"
exclude = ["*.secret", "private/**"]

[providers.fast]
kind = "ollama"
model = "qwen2.5-coder:1.5b"

[providers.smart]
kind = "openai"
model = "gpt-4.1-mini"
api_key = "SECRETfuzz-key"
headers = { "x-team" = "SECRETfuzz-header" }

[completion]
providers = ["fast", "smart"]
debounce_ms = 100

[actions]
providers = ["smart"]
"#;

/// TOML text: a generated tree written as TOML, the sample above, or anything; each then
/// possibly edited.
fn toml_text() -> impl Strategy<Value = String> {
    let base = prop_oneof![
        4 => tree().prop_map(|tree| {
            tomlable(Value::Object(tree.clone()))
                .and_then(|value| toml::to_string(&value).ok())
                .unwrap_or_else(|| Value::Object(tree).to_string())
        }),
        2 => Just(USER_TOML.to_owned()),
        1 => "\\PC{0,120}",
        1 => "(?s).{0,80}",
    ];
    (base, prop_oneof![2 => Just(Vec::new()), 1 => prop::collection::vec(edit(), 1..4)])
        .prop_map(|(text, edits)| edits.iter().fold(text, |text, edit| apply_edit(&text, edit)))
}

// --- Inputs and checks ---

#[derive(Debug, Clone)]
enum Input {
    UserToml(String),
    InitOptions(Value),
    Settings(Value),
    WorkspaceToml(String),
    ClearWorkspace,
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        3 => toml_text().prop_map(Input::UserToml),
        2 => json_layer().prop_map(Input::InitOptions),
        2 => json_layer().prop_map(Input::Settings),
        3 => toml_text().prop_map(Input::WorkspaceToml),
        1 => Just(Input::ClearWorkspace),
    ]
}

fn user_path() -> PathBuf {
    PathBuf::from("/home/fuzz/.config/switchboard/config.toml")
}

fn apply(state: &mut ConfigState, input: &Input, workspace: &Path) -> ConfigUpdate {
    match input {
        Input::UserToml(text) => state.apply_user_toml(&user_path(), text),
        Input::InitOptions(options) => state.apply_init_options(options),
        Input::Settings(settings) => state.apply_settings(settings),
        Input::WorkspaceToml(text) => {
            if let Err(error) = std::fs::write(workspace.join(WORKSPACE_FILE_NAME), text) {
                panic!("cannot write the workspace file: {error}");
            }
            state.load_workspace_file(workspace)
        }
        Input::ClearWorkspace => state.clear_workspace_file(),
    }
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|error| panic!("cannot create a temp dir: {error}"))
}

/// The invariant of [`ConfigState`]: the configuration in force passes validation, or is the
/// locked one.
fn check_in_force(state: &ConfigState) -> Result<(), TestCaseError> {
    let config = state.config();
    if config.locked {
        prop_assert_eq!(&*config, &Config::locked());
        return Ok(());
    }
    let errors: Vec<String> = validate(&config, &|_| ConfigSource::Defaults)
        .iter()
        .filter(|problem| problem.is_error())
        .map(ToString::to_string)
        .collect();
    prop_assert!(errors.is_empty(), "the configuration in force is invalid: {errors:?}");
    Ok(())
}

/// What one input reported agrees with what it did, and tells no secret.
fn check_update(update: &ConfigUpdate, before: &Config, after: &Config) -> Result<(), TestCaseError> {
    prop_assert_eq!(update.applied, !has_errors(&update.problems), "{:?}", update.problems);
    prop_assert_eq!(update.changed, before != after);
    if update.applied {
        prop_assert!(!after.locked);
    }
    for problem in &update.problems {
        let shown = problem.to_string();
        prop_assert!(!shown.contains(SECRET), "a problem tells a secret: {}", shown);
    }
    Ok(())
}

/// An input that was not applied never widens where code goes.
fn check_not_widened(before: &Config, after: &Config) -> Result<(), TestCaseError> {
    for (name, spec) in &after.providers {
        prop_assert_eq!(before.providers.get(name), Some(spec), "provider {} appeared", name);
    }
    for glob in &before.exclude {
        prop_assert!(after.exclude.contains(glob), "exclusion {} dropped", glob);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any TOML text, as the user's file and as a workspace file.
    #[test]
    fn any_toml_text(text in toml_text()) {
        let workspace = temp_dir();
        for as_workspace in [false, true] {
            let mut state = ConfigState::new();
            let before = state.config();
            let input = if as_workspace { Input::WorkspaceToml(text.clone()) } else { Input::UserToml(text.clone()) };
            let update = apply(&mut state, &input, workspace.path());
            let after = state.config();
            check_in_force(&state)?;
            check_update(&update, &before, &after)?;
            if !update.applied {
                check_not_widened(&before, &after)?;
            }
        }
    }

    /// Any JSON value, as `initializationOptions` and as settings, over a working user file.
    #[test]
    fn any_json_layer(layer in json_layer()) {
        for as_settings in [false, true] {
            let mut state = ConfigState::new();
            let update = state.apply_user_toml(&user_path(), USER_TOML);
            prop_assert!(update.applied, "{:?}", update.problems);
            let before = state.config();
            let update = if as_settings { state.apply_settings(&layer) } else { state.apply_init_options(&layer) };
            let after = state.config();
            check_in_force(&state)?;
            check_update(&update, &before, &after)?;
            if !update.applied {
                prop_assert_eq!(&before, &after, "the last good configuration stays");
            }
        }
    }

    /// Sequences of inputs, replayed alongside a state that never sees the workspace file:
    /// after each input the invariant holds and nothing widens; whenever both configurations
    /// are applied, the workspace file has changed no provider, `redact` or `server`, and
    /// dropped no exclusion.
    #[test]
    fn sequences_of_inputs(inputs in prop::collection::vec(input(), 1..6)) {
        let workspace = temp_dir();
        let mut state = ConfigState::new();
        let mut user_only = ConfigState::new();
        let mut user_only_applied = true;
        for input in &inputs {
            let before = state.config();
            let update = apply(&mut state, input, workspace.path());
            let after = state.config();
            check_in_force(&state)?;
            check_update(&update, &before, &after)?;
            if !update.applied {
                check_not_widened(&before, &after)?;
            }
            if !matches!(input, Input::WorkspaceToml(_) | Input::ClearWorkspace) {
                user_only_applied = apply(&mut user_only, input, workspace.path()).applied;
            }
            let theirs = user_only.config();
            if update.applied && user_only_applied {
                prop_assert_eq!(&after.providers, &theirs.providers);
                prop_assert_eq!(&after.redact, &theirs.redact);
                prop_assert_eq!(&after.server, &theirs.server);
                for glob in &theirs.exclude {
                    prop_assert!(after.exclude.contains(glob), "the workspace dropped the exclusion {}", glob);
                }
            }
        }
    }
}
