//! Turns a [`KeySource`] into the key itself: an environment variable, the output of
//! `api_key_cmd`, or the value from the config file.
//!
//! Keys are resolved when a request needs them, not at startup, so a slow password manager does
//! not delay the server and a variable set later is picked up. A command's output is cached for
//! the process lifetime (password managers may prompt). Nothing here ever formats a key: errors
//! name the variable or say the command failed, never what it printed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::OnceCell;

use crate::spec::{KeySource, Secret};

/// How long `api_key_cmd` may run (a password manager may be waiting for an unlock).
pub const KEY_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("environment variable {0} is not set")]
    EnvMissing(String),
    #[error("environment variable {0} is empty")]
    EnvEmpty(String),
    #[error("api_key_cmd could not be started: {0}")]
    CommandSpawn(String),
    #[error("api_key_cmd did not finish within {} s", .0.as_secs())]
    CommandTimeout(Duration),
    #[error("api_key_cmd failed with {0}")]
    CommandFailed(String),
    #[error("api_key_cmd printed nothing")]
    CommandEmpty,
    #[error("api_key_cmd printed something that is not UTF-8")]
    CommandNotUtf8,
    #[error("the key in the config file is empty")]
    InlineEmpty,
}

/// Resolves a key from the real environment. `Ok(None)` means the provider needs no key.
pub async fn resolve_key(source: &KeySource) -> Result<Option<Secret>, KeyError> {
    resolve_key_with(source, &|name| std::env::var(name).ok()).await
}

/// Resolves a key with `env` standing in for the environment (tests never touch the real one).
pub async fn resolve_key_with(
    source: &KeySource,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Option<Secret>, KeyError> {
    match source {
        KeySource::None => Ok(None),
        KeySource::Env(name) => match env(name) {
            None => Err(KeyError::EnvMissing(name.clone())),
            Some(value) if value.trim().is_empty() => Err(KeyError::EnvEmpty(name.clone())),
            Some(value) => Ok(Some(Secret::new(value.trim()))),
        },
        KeySource::Inline(secret) if secret.expose().trim().is_empty() => Err(KeyError::InlineEmpty),
        KeySource::Inline(secret) => Ok(Some(secret.clone())),
        KeySource::Command(command) => run_cached(command).await.map(Some),
    }
}

type CommandCache = Mutex<HashMap<String, Arc<OnceCell<Secret>>>>;

/// One cell per command, so concurrent first requests run the command once. A failure is not
/// cached: the user may unlock the password manager and try again.
async fn run_cached(command: &str) -> Result<Secret, KeyError> {
    static CACHE: OnceLock<CommandCache> = OnceLock::new();
    let cell = {
        let mut cache = CACHE.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.entry(command.to_owned()).or_default().clone()
    };
    cell.get_or_try_init(|| run_key_command(command, KEY_COMMAND_TIMEOUT)).await.cloned()
}

/// Runs `sh -c command` and takes its trimmed standard output as the key. Standard error is
/// not shown to anyone: a confused command might print the key there.
pub async fn run_key_command(command: &str, timeout: Duration) -> Result<Secret, KeyError> {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| KeyError::CommandSpawn(error.to_string()))?;
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => return Err(KeyError::CommandTimeout(timeout)),
        Ok(Err(error)) => return Err(KeyError::CommandSpawn(error.to_string())),
        Ok(Ok(output)) => output,
    };
    if !output.status.success() {
        return Err(KeyError::CommandFailed(output.status.to_string()));
    }
    let key = String::from_utf8(output.stdout).map_err(|_| KeyError::CommandNotUtf8)?;
    let key = key.trim();
    if key.is_empty() {
        return Err(KeyError::CommandEmpty);
    }
    Ok(Secret::new(key))
}

/// Replaces the key in a message with its redacted form, for vendor messages that echo it back.
pub fn scrub(message: &str, key: Option<&Secret>) -> String {
    match key {
        Some(key) if key.expose().len() >= 8 && message.contains(key.expose()) => {
            message.replace(key.expose(), &key.redacted())
        }
        _ => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "SET" => Some(" sk-test-abcdefgh1234 \n".to_owned()),
            "BLANK" => Some("  ".to_owned()),
            _ => None,
        }
    }

    #[tokio::test]
    async fn env_keys() {
        let key = resolve_key_with(&KeySource::Env("SET".into()), &env).await.unwrap().unwrap();
        assert_eq!(key.expose(), "sk-test-abcdefgh1234");
        let error = resolve_key_with(&KeySource::Env("OPENAI_API_KEY".into()), &env).await.unwrap_err();
        assert_eq!(error.to_string(), "environment variable OPENAI_API_KEY is not set");
        let error = resolve_key_with(&KeySource::Env("BLANK".into()), &env).await.unwrap_err();
        assert_eq!(error.to_string(), "environment variable BLANK is empty");
        assert_eq!(resolve_key_with(&KeySource::None, &env).await.unwrap(), None);
    }

    #[tokio::test]
    async fn command_keys() {
        let source = KeySource::Command("printf 'sk-cmd-0123456789\\n'".into());
        let key = resolve_key_with(&source, &env).await.unwrap().unwrap();
        assert_eq!(key.expose(), "sk-cmd-0123456789");
        let error = run_key_command("echo sk-leak >&2; exit 3", KEY_COMMAND_TIMEOUT).await.unwrap_err();
        assert!(!error.to_string().contains("sk-leak"), "{error}");
        assert!(matches!(error, KeyError::CommandFailed(_)));
        let error = run_key_command("true", KEY_COMMAND_TIMEOUT).await.unwrap_err();
        assert_eq!(error, KeyError::CommandEmpty);
        let error = run_key_command("sleep 5", Duration::from_millis(50)).await.unwrap_err();
        assert!(matches!(error, KeyError::CommandTimeout(_)));
    }

    #[tokio::test]
    async fn command_output_is_cached() {
        let dir = std::env::temp_dir().join(format!("switchboard-key-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        // The command counts its runs in a file: a second resolve must not run it again.
        let command = format!("echo x >> '{}'; echo sk-cached-key-123", dir.display());
        let source = KeySource::Command(command);
        for _ in 0..2 {
            let key = resolve_key_with(&source, &env).await.unwrap().unwrap();
            assert_eq!(key.expose(), "sk-cached-key-123");
        }
        let runs = std::fs::read_to_string(&dir).unwrap_or_default();
        let _ = std::fs::remove_file(&dir);
        assert_eq!(runs.lines().count(), 1);
    }

    #[test]
    fn scrubbing() {
        let key = Secret::new("sk-test-abcdefgh1234");
        assert_eq!(scrub("bad key sk-test-abcdefgh1234!", Some(&key)), "bad key …1234!");
        assert_eq!(scrub("fine", None), "fine");
    }
}
