//! The privacy gate: whether any part of a document may be sent to a provider, for any feature.
//!
//! One check, configured once: the top-level `exclude` globs (secrets files by default; a
//! workspace can only add to them), the feature's disabled languages, and a locked
//! configuration (an invalid one with nothing to fall back on). Completion and actions, in the
//! server and in `switchboard complete`, all ask here before they read a document for a prompt.

use std::path::Path;

use crate::config::Config;

/// Which feature asks (features have their own disabled-language lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    Completion,
    Actions,
}

/// Why nothing of a document may be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The file matches an `exclude` glob.
    Excluded,
    /// The feature is off for the document's language.
    LanguageDisabled(String),
    /// The configuration is invalid with nothing to fall back on.
    Locked,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Excluded => write!(f, "the file matches `exclude`, so nothing of it is sent to a provider"),
            Self::LanguageDisabled(language) => write!(f, "this feature is disabled for {language}"),
            Self::Locked => f.write_str(crate::config::LOCKED_MESSAGE),
        }
    }
}

/// Whether `path` (absolute, or relative to `root`) in `language` (the editor's language id,
/// and the language recognised from the file, either may match) may be sent for `feature`.
/// Globs are relative to `root`, the workspace root (the current directory for the CLI).
pub fn check(
    config: &Config,
    feature: Feature,
    root: Option<&Path>,
    path: &Path,
    languages: &[&str],
) -> Result<(), Refusal> {
    if config.locked {
        return Err(Refusal::Locked);
    }
    let relative = if path.is_relative() { Some(path) } else { root.and_then(|root| path.strip_prefix(root).ok()) };
    let excluded = match relative {
        Some(relative) => config.is_excluded(&relative.display().to_string()),
        None => config.is_excluded_under(None, path),
    };
    if excluded {
        return Err(Refusal::Excluded);
    }
    let disabled = match feature {
        Feature::Completion => &config.completion.languages_disabled,
        Feature::Actions => &config.actions.languages_disabled,
    };
    if let Some(language) =
        languages.iter().find(|language| !language.is_empty() && disabled.contains(&(**language).to_owned()))
    {
        return Err(Refusal::LanguageDisabled((*language).to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml: &str) -> Config {
        let mut state = crate::config::ConfigState::new();
        let update = state.apply_user_toml(Path::new("/test/config.toml"), toml);
        assert!(update.applied, "{:?}", update.problems);
        (*state.config()).clone()
    }

    #[test]
    fn secrets_files_are_refused_for_every_feature() {
        let config = Config::default();
        let root = Path::new("/work/app");
        for feature in [Feature::Completion, Feature::Actions] {
            assert_eq!(check(&config, feature, Some(root), Path::new("/work/app/.env"), &[]), Err(Refusal::Excluded));
            assert_eq!(
                check(&config, feature, Some(root), Path::new("/work/app/deploy/server.pem"), &[]),
                Err(Refusal::Excluded)
            );
            assert_eq!(check(&config, feature, Some(root), Path::new("/work/app/src/main.rs"), &["rust"]), Ok(()));
        }
    }

    /// Defect: `switchboard complete` matched globs with `/` against the absolute path, so
    /// `secrets/**` never matched there. Relative paths, and absolute ones under the root, match.
    #[test]
    fn globs_with_a_slash_match_under_the_root_and_relative_paths() {
        let config = config("exclude = [\"secrets/**\"]\n");
        let root = Path::new("/work/app");
        let refused = |path: &str| check(&config, Feature::Actions, Some(root), Path::new(path), &[]).is_err();
        assert!(refused("/work/app/secrets/prod/db.txt"));
        assert!(refused("secrets/prod/db.txt"));
        assert!(!refused("/work/app/src/secrets.rs"));
        // Setting the list replaces the defaults.
        assert!(!refused("/work/app/.env"));
    }

    #[test]
    fn completion_exclude_is_the_same_list() {
        let old = config("[completion]\nexclude = [\"fixtures/**\"]\n");
        let new = config("exclude = [\"fixtures/**\"]\n");
        assert_eq!(old.exclude, new.exclude);
        let both = config("exclude = [\"a/**\"]\n[completion]\nexclude = [\"b/**\"]\n");
        assert_eq!(both.exclude, ["a/**", "b/**"]);
        assert!(check(&both, Feature::Actions, None, Path::new("b/x.py"), &[]).is_err());
    }

    #[test]
    fn languages_are_disabled_per_feature_and_a_locked_configuration_refuses_all() {
        let config = config("[completion]\nlanguages_disabled = [\"markdown\"]\n");
        let path = Path::new("/w/README.md");
        assert_eq!(
            check(&config, Feature::Completion, None, path, &["markdown"]),
            Err(Refusal::LanguageDisabled("markdown".into()))
        );
        assert_eq!(check(&config, Feature::Actions, None, path, &["markdown"]), Ok(()));
        assert_eq!(check(&Config::locked(), Feature::Actions, None, Path::new("/w/a.rs"), &[]), Err(Refusal::Locked));
    }
}
