//! What the configuration layer reports: problems that name the layer, the key and what is
//! wrong, rendered as `source: key: message` lines for `window/showMessage` and the CLI.

use std::fmt;
use std::path::PathBuf;

/// How bad a problem is. Any [`Severity::Error`] makes a candidate configuration invalid, so the
/// server keeps running on the last good one; warnings are reported and the configuration is
/// still applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

/// One configuration layer, bottom (defaults) to top (workspace file).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConfigSource {
    /// The built-in defaults.
    Defaults,
    /// The user's TOML file.
    UserFile(PathBuf),
    /// `initializationOptions` of the `initialize` request.
    InitializationOptions,
    /// The `settings` of `workspace/didChangeConfiguration`.
    Settings,
    /// A workspace's `.switchboard.toml` (restricted, see the module docs).
    WorkspaceFile(PathBuf),
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Defaults => f.write_str("defaults"),
            Self::UserFile(path) | Self::WorkspaceFile(path) => write!(f, "{}", path.display()),
            Self::InitializationOptions => f.write_str("initializationOptions"),
            Self::Settings => f.write_str("workspace/didChangeConfiguration"),
        }
    }
}

/// One problem found in one layer.
///
/// Invariant: `message` never contains the value of `api_key` or of a header, because problems
/// go to the editor's UI and to logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The layer the offending key came from.
    pub source: ConfigSource,
    /// The key path, e.g. `completion.debounce_ms` or `completion.providers[1]`; empty when the
    /// problem concerns the whole layer (unreadable file, TOML syntax error).
    pub key: String,
    /// Lowercase, no trailing period.
    pub message: String,
    pub severity: Severity,
}

impl ConfigProblem {
    pub fn error(source: ConfigSource, key: impl Into<String>, message: impl Into<String>) -> Self {
        Self { source, key: key.into(), message: message.into(), severity: Severity::Error }
    }

    pub fn warning(source: ConfigSource, key: impl Into<String>, message: impl Into<String>) -> Self {
        Self { source, key: key.into(), message: message.into(), severity: Severity::Warning }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// `source: key: message`, with `warning: ` before the message of a warning.
impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.source)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Whether any problem is an error (the CLI exits with 1 then).
pub fn has_errors(problems: &[ConfigProblem]) -> bool {
    problems.iter().any(ConfigProblem::is_error)
}

/// One line per problem, each ending in a newline, errors first, for the CLI.
pub fn render_problems(problems: &[ConfigProblem]) -> String {
    let mut sorted: Vec<&ConfigProblem> = problems.iter().collect();
    // A stable sort keeps each severity's problems in the order they were found.
    sorted.sort_by_key(|problem| std::cmp::Reverse(problem.severity));
    sorted.iter().map(|problem| format!("{problem}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_path_key_message_lines() {
        let path = PathBuf::from("/home/me/.config/switchboard/config.toml");
        let problems = [
            ConfigProblem::warning(ConfigSource::Settings, "completion.providers[1]", "listed more than once"),
            ConfigProblem::error(
                ConfigSource::UserFile(path.clone()),
                "completion.debounce_ms",
                "invalid type: string \"fast\", expected u64",
            ),
            ConfigProblem::error(ConfigSource::UserFile(path), "", "line 1, column 3: expected `=`"),
        ];
        assert_eq!(
            render_problems(&problems),
            "/home/me/.config/switchboard/config.toml: completion.debounce_ms: invalid type: string \"fast\", expected u64\n\
             /home/me/.config/switchboard/config.toml: line 1, column 3: expected `=`\n\
             workspace/didChangeConfiguration: completion.providers[1]: warning: listed more than once\n"
        );
        assert!(has_errors(&problems));
        assert!(!has_errors(&problems[..1]));
    }
}
