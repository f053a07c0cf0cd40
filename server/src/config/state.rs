//! [`ConfigState`]: the configuration layers as last received, and the last good [`Config`].
//!
//! Every input replaces its layer and the whole stack is evaluated again, so the effective
//! configuration always follows the latest inputs once they are valid together; while they are
//! not, the previous good configuration stays in force and the problems are returned.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::check::{check_layer, resolve_aliases, restrict_workspace};
use super::problem::{ConfigProblem, ConfigSource, has_errors};
use super::schema::Config;
use super::tree::{Table, from_toml, merge, sets_path, strip_nulls};
use super::validate::validate;

/// The name of a workspace's own configuration file, at the workspace root.
pub const WORKSPACE_FILE_NAME: &str = ".switchboard.toml";

/// The environment variable that names the user's config file.
pub const CONFIG_ENV_VAR: &str = "SWITCHBOARD_CONFIG";

/// Where the user's TOML file is, and whether the user named it (then it must exist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserConfigLocation {
    /// `None` when no location can be derived (no `HOME`): the user layer is empty.
    pub path: Option<PathBuf>,
    /// Named by `--config` or `SWITCHBOARD_CONFIG`: a missing file is an error. A missing file
    /// at the default location only means "no user config".
    pub explicit: bool,
}

impl UserConfigLocation {
    /// `--config PATH` > `$SWITCHBOARD_CONFIG` > `$XDG_CONFIG_HOME/switchboard/config.toml` >
    /// `$HOME/.config/switchboard/config.toml` (on Windows, `%APPDATA%\switchboard\config.toml`
    /// before `HOME`).
    pub fn resolve(cli_path: Option<&Path>) -> Self {
        Self::resolve_with(cli_path, |name| std::env::var_os(name))
    }

    /// [`Self::resolve`] with the environment passed in, for tests.
    pub fn resolve_with(cli_path: Option<&Path>, env: impl Fn(&str) -> Option<OsString>) -> Self {
        let non_empty = |name: &str| env(name).filter(|value| !value.is_empty());
        if let Some(path) = cli_path {
            return Self { path: Some(path.to_owned()), explicit: true };
        }
        if let Some(path) = non_empty(CONFIG_ENV_VAR) {
            return Self { path: Some(PathBuf::from(path)), explicit: true };
        }
        // The XDG spec says to ignore a relative XDG_CONFIG_HOME.
        let config_dir = non_empty("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|dir| dir.is_absolute())
            .or_else(|| if cfg!(windows) { non_empty("APPDATA").map(PathBuf::from) } else { None })
            .or_else(|| non_empty("HOME").map(|home| PathBuf::from(home).join(".config")));
        Self { path: config_dir.map(|dir| dir.join("switchboard").join("config.toml")), explicit: false }
    }
}

/// What one input did.
#[derive(Debug, Clone, PartialEq)]
#[must_use = "problems must be shown to the user"]
pub struct ConfigUpdate {
    /// The layers are valid together and their configuration is now the current one. When
    /// false, the previous configuration stays in force.
    pub applied: bool,
    /// The current configuration differs from before (implies `applied`): rebuild what
    /// depends on it.
    pub changed: bool,
    /// Every problem of every layer, errors and warnings; show them with `window/showMessage`.
    pub problems: Vec<ConfigProblem>,
}

/// One layer as last received.
#[derive(Debug, Clone, Default)]
enum LayerInput {
    /// Not given (no file, no options): contributes nothing.
    #[default]
    Absent,
    Tree(Table),
    /// Could not be read or parsed: the stack is invalid until this layer changes.
    Broken(Vec<ConfigProblem>),
}

#[derive(Debug, Clone)]
struct Layer {
    source: ConfigSource,
    input: LayerInput,
}

/// The configuration layers and the last good configuration.
///
/// Layers, lowest first: defaults, user file, `initializationOptions`,
/// `workspace/didChangeConfiguration` settings, workspace file (restricted). With several
/// workspace folders the LSP layer loads the first folder's file.
#[derive(Debug)]
pub struct ConfigState {
    user_file: Layer,
    init_options: Layer,
    settings: Layer,
    workspace_file: Layer,
    /// Invariant: always valid (it passed evaluation, or it is the defaults), or locked.
    current: Arc<Config>,
    /// Whether `current` passed evaluation with at least one layer the user wrote. Only such a
    /// configuration is a last good one to fall back on; the bare defaults are not, because their
    /// empty chains mean zero-config detection, which the user's broken layer may have meant to
    /// replace (say, by pointing `base_url` at their own gateway).
    has_last_good: bool,
    last_problems: Vec<ConfigProblem>,
}

impl Default for ConfigState {
    fn default() -> Self {
        Self::new()
    }
}

impl ConfigState {
    /// Starts on the defaults, with every layer absent.
    pub fn new() -> Self {
        let absent = |source| Layer { source, input: LayerInput::Absent };
        Self {
            user_file: absent(ConfigSource::UserFile(PathBuf::new())),
            init_options: absent(ConfigSource::InitializationOptions),
            settings: absent(ConfigSource::Settings),
            workspace_file: absent(ConfigSource::WorkspaceFile(PathBuf::from(WORKSPACE_FILE_NAME))),
            current: Arc::new(Config::default()),
            has_last_good: false,
            last_problems: Vec::new(),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<Config> {
        Arc::clone(&self.current)
    }

    /// The problems of the last evaluation (for a status or doctor command).
    pub fn last_problems(&self) -> &[ConfigProblem] {
        &self.last_problems
    }

    /// (Re)reads the user's TOML file.
    pub fn load_user_file(&mut self, location: &UserConfigLocation) -> ConfigUpdate {
        let Some(path) = &location.path else {
            self.user_file = Layer { source: ConfigSource::UserFile(PathBuf::new()), input: LayerInput::Absent };
            return self.evaluate();
        };
        let source = ConfigSource::UserFile(path.clone());
        let input = match std::fs::read_to_string(path) {
            Ok(text) => parse_toml(&text, &source),
            Err(error) if error.kind() == io::ErrorKind::NotFound && !location.explicit => LayerInput::Absent,
            Err(error) => LayerInput::Broken(vec![read_problem(&source, &error)]),
        };
        self.user_file = Layer { source, input };
        self.evaluate()
    }

    /// Sets the user layer from TOML text, as if read from `path`.
    pub fn apply_user_toml(&mut self, path: &Path, text: &str) -> ConfigUpdate {
        let source = ConfigSource::UserFile(path.to_owned());
        self.user_file = Layer { input: parse_toml(text, &source), source };
        self.evaluate()
    }

    /// Sets the `initializationOptions` layer (`null` clears it).
    pub fn apply_init_options(&mut self, options: &Value) -> ConfigUpdate {
        self.init_options.input = parse_json(options, &ConfigSource::InitializationOptions);
        self.evaluate()
    }

    /// Sets the `workspace/didChangeConfiguration` layer, replacing the previous settings.
    /// Accepts `{"switchboard": {...}}` (what clients send for a section) or the bare object;
    /// `null` clears it.
    pub fn apply_settings(&mut self, settings: &Value) -> ConfigUpdate {
        self.settings.input = parse_json(settings, &ConfigSource::Settings);
        self.evaluate()
    }

    /// (Re)reads `ROOT/.switchboard.toml`; a missing file clears the workspace layer.
    pub fn load_workspace_file(&mut self, root: &Path) -> ConfigUpdate {
        let path = root.join(WORKSPACE_FILE_NAME);
        let source = ConfigSource::WorkspaceFile(path.clone());
        let input = match std::fs::read_to_string(&path) {
            Ok(text) => parse_toml(&text, &source),
            Err(error) if error.kind() == io::ErrorKind::NotFound => LayerInput::Absent,
            Err(error) => LayerInput::Broken(vec![read_problem(&source, &error)]),
        };
        self.workspace_file = Layer { source, input };
        self.evaluate()
    }

    /// Drops the workspace layer (the folder was closed).
    pub fn clear_workspace_file(&mut self) -> ConfigUpdate {
        self.workspace_file.input = LayerInput::Absent;
        self.evaluate()
    }

    fn evaluate(&mut self) -> ConfigUpdate {
        let (candidate, problems) = self.evaluate_layers();
        let user_wrote_some = [&self.user_file, &self.init_options, &self.settings, &self.workspace_file]
            .iter()
            .any(|layer| !matches!(layer.input, LayerInput::Absent));
        let (applied, changed) = match candidate {
            Some(config) => {
                self.has_last_good = user_wrote_some;
                let changed = *self.current != config;
                if changed {
                    tracing::info!("configuration changed");
                    self.current = Arc::new(config);
                }
                (true, changed)
            }
            None if self.has_last_good => {
                tracing::warn!(n_problems = problems.len(), "invalid configuration; keeping the last good one");
                (false, false)
            }
            None => {
                tracing::warn!(
                    n_problems = problems.len(),
                    "invalid configuration and none to fall back on; no provider will be used"
                );
                let changed = !self.current.locked;
                if changed {
                    self.current = Arc::new(Config::locked());
                }
                (false, changed)
            }
        };
        self.last_problems.clone_from(&problems);
        ConfigUpdate { applied, changed, problems }
    }

    /// Checks each layer, merges them over the defaults and validates the result.
    fn evaluate_layers(&self) -> (Option<Config>, Vec<ConfigProblem>) {
        let mut problems = Vec::new();
        let mut trees: Vec<(&ConfigSource, Table)> = Vec::new();
        let mut any_broken = false;
        for layer in [&self.user_file, &self.init_options, &self.settings, &self.workspace_file] {
            match &layer.input {
                LayerInput::Absent => {}
                LayerInput::Broken(broken) => {
                    any_broken = true;
                    problems.extend(broken.iter().cloned());
                }
                LayerInput::Tree(tree) => {
                    let mut tree = if matches!(layer.source, ConfigSource::WorkspaceFile(_)) {
                        let (allowed, ignored) = restrict_workspace(tree.clone(), &layer.source);
                        problems.extend(ignored);
                        allowed
                    } else {
                        tree.clone()
                    };
                    resolve_aliases(&mut tree);
                    problems.extend(check_layer(&mut tree, &layer.source));
                    trees.push((&layer.source, tree));
                }
            }
        }
        // Without a broken layer's contents, cross-layer checks would only add noise ("unknown
        // provider" for every provider of an unparsable file).
        if any_broken {
            return (None, problems);
        }
        // Bad keys were removed from the trees, so what is left still merges and validates,
        // and the user sees every problem at once; the errors above still reject the result.

        let mut merged = defaults_tree();
        for (source, tree) in &trees {
            let mut tree = tree.clone();
            if matches!(source, ConfigSource::WorkspaceFile(_)) {
                append_workspace_exclusions(&merged, &mut tree);
            }
            merge(&mut merged, tree);
        }
        let attribute = |key: &str| attribute(&trees, key);
        let config = match serde_path_to_error::deserialize::<_, Config>(Value::Object(merged)) {
            Ok(config) => config,
            Err(error) => {
                // Each layer passed its checks, so this is a bug in the checks; report it
                // like any other problem rather than panic.
                let key = error.path().to_string();
                problems.push(ConfigProblem::error(attribute(&key), key, error.into_inner().to_string()));
                return (None, problems);
            }
        };
        // A key that failed its type check was removed, so its default may look wrong to
        // validation too ("providers.a.kind: missing" after "unknown provider kind"); report
        // each key once. Only an error stands in for validation's: a warning about a key (a
        // workspace file's ignored `providers.x.kind`) must not hide that it is missing.
        let reported: Vec<String> =
            problems.iter().filter(|problem| problem.is_error()).map(|problem| problem.key.clone()).collect();
        problems.extend(validate(&config, &attribute).into_iter().filter(|problem| !reported.contains(&problem.key)));
        if has_errors(&problems) { (None, problems) } else { (Some(config), problems) }
    }
}

/// The highest layer that sets `key` or, failing that, its closest parent; the defaults if none.
fn attribute(trees: &[(&ConfigSource, Table)], key: &str) -> ConfigSource {
    let mut candidate = key;
    loop {
        if let Some((source, _)) = trees.iter().rev().find(|(_, tree)| sets_path(tree, candidate)) {
            return (*source).clone();
        }
        match candidate.rsplit_once('.') {
            Some((parent, _)) => candidate = parent,
            None => return ConfigSource::Defaults,
        }
    }
}

fn defaults_tree() -> Table {
    match serde_json::to_value(Config::default()) {
        Ok(Value::Object(table)) => strip_nulls(table),
        // Plain structs always serialize to an object; the defaults also apply through
        // `#[serde(default)]`, so an empty tree loses nothing.
        _ => Table::new(),
    }
}

/// A workspace may add exclusions but never remove the user's: its `exclude` (or
/// `completion.exclude`) extends the list merged so far instead of replacing it, so a
/// repository cannot get its `.env` sent to a model by emptying the list.
fn append_workspace_exclusions(merged: &Table, workspace: &mut Table) {
    let Some(Value::Array(added)) = workspace.get_mut("exclude") else { return };
    let mut combined = merged.get("exclude").and_then(Value::as_array).cloned().unwrap_or_default();
    for glob in added.drain(..) {
        if !combined.contains(&glob) {
            combined.push(glob);
        }
    }
    *added = combined;
}

fn parse_toml(text: &str, source: &ConfigSource) -> LayerInput {
    match toml::from_str::<toml::Table>(text) {
        Ok(table) => LayerInput::Tree(from_toml(table)),
        Err(error) => {
            let location = error.span().map(|span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
                format!("line {line}, column {column}: ")
            });
            let message = format!("invalid TOML: {}{}", location.unwrap_or_default(), error.message().trim_end());
            LayerInput::Broken(vec![ConfigProblem::error(source.clone(), "", message)])
        }
    }
}

fn parse_json(value: &Value, source: &ConfigSource) -> LayerInput {
    match value {
        Value::Null => LayerInput::Absent,
        Value::Object(table) => match table.get("switchboard") {
            Some(inner) => parse_json(inner, source),
            None => LayerInput::Tree(strip_nulls(table.clone())),
        },
        other => LayerInput::Broken(vec![ConfigProblem::error(
            source.clone(),
            "",
            format!("expected an object of settings, found {}", json_type(other)),
        )]),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn read_problem(source: &ConfigSource, error: &io::Error) -> ConfigProblem {
    let message = match error.kind() {
        io::ErrorKind::NotFound => "file not found".to_owned(),
        io::ErrorKind::InvalidData => "cannot read: not valid UTF-8".to_owned(),
        _ => format!("cannot read: {error}"),
    };
    ConfigProblem::error(source.clone(), "", message)
}

/// Checks one config file for `switchboard check-config PATH`: every problem, errors and
/// warnings. A file named `.switchboard.toml` is checked as a workspace file (restrictions
/// included) on top of the user's own config from its usual location, because its provider
/// chains may only name providers defined there.
pub fn check_config_file(path: &Path) -> Vec<ConfigProblem> {
    let mut state = ConfigState::new();
    if path.file_name().is_some_and(|name| name == WORKSPACE_FILE_NAME) {
        let _user = state.load_user_file(&UserConfigLocation::resolve(None));
        let root = path.parent().unwrap_or(Path::new(""));
        return state.load_workspace_file(root).problems;
    }
    state.load_user_file(&UserConfigLocation { path: Some(path.to_owned()), explicit: true }).problems
}

/// Checks the user's config at `location` (`switchboard check-config` without a path).
pub fn check_user_config(location: &UserConfigLocation) -> Vec<ConfigProblem> {
    ConfigState::new().load_user_file(location).problems
}
