//! Secrets inside ordinary files, masked at the one place every prompt of every feature passes
//! on its way to a provider ([`super::call::run`]).
//!
//! The shapes and the masking are `switchboard_core::secrets`; here is the policy: on unless the
//! user's own configuration turns it off (`redact.enabled`; a workspace file cannot), the user's
//! `redact.patterns` added to the built-in shapes, and the counts `switchboard/status` shows.
//! What a feature does with an answer that uses a placeholder is its own: an action puts the
//! secret back (the edit is of the user's own file), a completion is dropped (a suggestion must
//! never write a placeholder, or a secret the model was never shown, into the file).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use switchboard_core::secrets::{Masker, Masks};
use switchboard_providers::{FimPrompt, Prompt, Snippet};

use crate::config::RedactConfig;

/// What was masked since the server started.
#[derive(Debug, Default)]
pub struct RedactionStats {
    prompts_masked: AtomicU64,
    secrets: Mutex<BTreeMap<String, u64>>,
    suggestions_dropped: AtomicU64,
}

/// The `redact` section of `switchboard/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RedactionStatus {
    pub enabled: bool,
    pub user_patterns: usize,
    /// Prompts in which at least one secret was masked.
    pub prompts_masked: u64,
    /// Secrets masked, by kind (`api_key`, `private_key`, `url_password`, …), counted once per
    /// prompt they were in.
    pub secrets_masked: BTreeMap<String, u64>,
    /// Completions dropped because they would have written a placeholder into the file.
    pub suggestions_dropped: u64,
}

/// The masking policy in force, shared by every feature.
#[derive(Debug, Clone)]
pub struct Redaction {
    /// `None`: turned off by the user.
    masker: Option<Arc<Masker>>,
    user_patterns: usize,
    stats: Arc<RedactionStats>,
}

impl Default for Redaction {
    /// The built-in shapes, with counts of their own: what a feature gets without a configuration.
    fn default() -> Self {
        Self { masker: Some(Arc::new(Masker::builtin())), user_patterns: 0, stats: Arc::default() }
    }
}

impl PartialEq for Redaction {
    fn eq(&self, other: &Self) -> bool {
        let same_masker = match (&self.masker, &other.masker) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same_masker && Arc::ptr_eq(&self.stats, &other.stats)
    }
}

impl Redaction {
    /// The policy of `config`, counting into `stats`. A user pattern that does not compile (the
    /// configuration's validation refuses it first) leaves the built-in shapes in force: a bad
    /// pattern never turns masking off.
    pub fn from_config(config: &RedactConfig, stats: Arc<RedactionStats>) -> Self {
        if !config.enabled {
            return Self { masker: None, user_patterns: 0, stats };
        }
        let (masker, user_patterns) = match Masker::new(&config.patterns) {
            Ok(masker) => (masker, config.patterns.len()),
            Err(error) => {
                tracing::error!(index = error.index, message = %error.message, "a redact pattern does not compile; the built-in shapes only");
                (Masker::builtin(), 0)
            }
        };
        Self { masker: Some(Arc::new(masker)), user_patterns, stats }
    }

    /// Masks every text of `prompt` that comes from the user's files; returns what the
    /// placeholders stand for.
    pub fn mask(&self, prompt: &mut Prompt) -> Masks {
        let mut masks = Masks::default();
        let Some(masker) = &self.masker else { return masks };
        let mut mask = |text: &mut String| {
            if let Cow::Owned(masked) = masker.mask(text, &mut masks) {
                *text = masked;
            }
        };
        match prompt {
            Prompt::Fim(shared) => {
                let masked = {
                    // The header and the window apart, so the header's end is still known after
                    // masking changed lengths (a secret never spans the two: the header ends a
                    // line).
                    let (header, window) = shared.split_prefix();
                    let (header, window) = (masker.mask(header, &mut masks), masker.mask(window, &mut masks));
                    let suffix = masker.mask(&shared.suffix, &mut masks);
                    let extra: Vec<_> =
                        shared.extra.iter().map(|snippet| masker.mask(&snippet.text, &mut masks)).collect();
                    // Most prompts hold no secret: then nothing is copied.
                    let changed =
                        [&header, &window, &suffix].into_iter().chain(&extra).any(|text| matches!(text, Cow::Owned(_)));
                    changed.then(|| FimPrompt {
                        header_len: header.len(),
                        prefix: header.into_owned() + &window,
                        suffix: suffix.into_owned(),
                        extra: (shared.extra.iter().zip(extra))
                            .map(|(snippet, text)| Snippet { path: snippet.path.clone(), text: text.into_owned() })
                            .collect(),
                        path: shared.path.clone(),
                        language: shared.language.clone(),
                        system_prompt: shared.system_prompt.clone(),
                    })
                };
                if let Some(masked) = masked {
                    *shared = Arc::new(masked);
                }
            }
            Prompt::Chat(chat) => {
                if let Some(system) = &mut chat.system {
                    mask(system);
                }
                let stable = chat.split_stable_parts().map(|(index, parts)| (index, parts.map(str::len)));
                for (index, message) in chat.messages.iter_mut().enumerate() {
                    match stable {
                        // The stable parts apart, so their ends are still known after masking.
                        Some((stable_index, [first, second, _])) if stable_index == index => {
                            let content = std::mem::take(&mut message.content);
                            let (head, tail) = content.split_at(first);
                            let (middle, tail) = tail.split_at(second);
                            let mut parts = [head.to_owned(), middle.to_owned(), tail.to_owned()];
                            parts.iter_mut().for_each(&mut mask);
                            chat.stable_prefix = Some(switchboard_providers::StablePrefix {
                                message: index,
                                bytes: parts[0].len(),
                                line_bytes: parts[0].len() + parts[1].len(),
                            });
                            message.content = parts.concat();
                        }
                        _ => mask(&mut message.content),
                    }
                }
            }
        }
        if !masks.counts().is_empty() {
            self.stats.prompts_masked.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut secrets) = self.stats.secrets.lock() {
                for (kind, n) in masks.counts() {
                    *secrets.entry(kind.clone()).or_default() += n;
                }
            }
            tracing::debug!(secrets = ?masks.counts(), "secrets masked in a prompt");
        }
        masks
    }

    /// `text` masked with the placeholders of `masks` (for showing what was sent; not counted).
    pub fn mask_text(&self, text: &str, masks: &mut Masks) -> String {
        match &self.masker {
            Some(masker) => masker.mask(text, masks).into_owned(),
            None => text.to_owned(),
        }
    }

    /// Counts a completion dropped for carrying a placeholder.
    pub fn suggestion_dropped(&self) {
        self.stats.suggestions_dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub fn status(&self) -> RedactionStatus {
        RedactionStatus {
            enabled: self.masker.is_some(),
            user_patterns: self.user_patterns,
            prompts_masked: self.stats.prompts_masked.load(Ordering::Relaxed),
            secrets_masked: self.stats.secrets.lock().map(|secrets| secrets.clone()).unwrap_or_default(),
            suggestions_dropped: self.stats.suggestions_dropped.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use switchboard_providers::{ChatMessage, ChatPrompt, ChatRole};

    use super::*;

    const KEY: &str = "ghp_4fG7hJ2kL9mN3pQ6rS8tV1wX5yZ0aB3cD6eF";

    #[test]
    fn every_text_of_a_prompt_is_masked_and_counted() {
        let redaction = Redaction::default();
        let mut prompt = Prompt::Fim(Arc::new(FimPrompt {
            prefix: format!("TOKEN = '{KEY}'\n"),
            suffix: format!("\nother = '{KEY}'\n"),
            extra: vec![Snippet { path: "b.py".into(), text: "url = 'https://u:pw1234@h'".into() }],
            ..FimPrompt::default()
        }));
        let masks = redaction.mask(&mut prompt);
        let Prompt::Fim(fim) = &prompt else { unreachable!() };
        assert_eq!(fim.prefix, "TOKEN = 'REDACTED_SECRET_1'\n");
        assert_eq!(fim.suffix, "\nother = 'REDACTED_SECRET_1'\n");
        assert_eq!(fim.extra[0].text, "url = 'https://u:REDACTED_SECRET_2@h'");
        assert_eq!(masks.unmask("x = REDACTED_SECRET_1"), format!("x = {KEY}"));
        let status = redaction.status();
        assert_eq!(status.prompts_masked, 1);
        assert_eq!(status.secrets_masked.get("github_token"), Some(&1));
        assert_eq!(status.secrets_masked.get("url_password"), Some(&1));

        let mut chat = Prompt::Chat(ChatPrompt {
            system: None,
            messages: vec![ChatMessage { role: ChatRole::User, content: format!("fix {KEY}") }],
            stable_prefix: None,
        });
        redaction.mask(&mut chat);
        let Prompt::Chat(chat) = &chat else { unreachable!() };
        assert_eq!(chat.messages[0].content, "fix REDACTED_SECRET_1");
        assert_eq!(redaction.status().prompts_masked, 2);
    }

    #[test]
    fn a_prompt_without_secrets_is_sent_as_it_came_and_one_secret_copies_it_whole() {
        let redaction = Redaction::default();
        let fim = Arc::new(FimPrompt {
            header_len: 7,
            prefix: "import x\ndef f():\n".into(),
            suffix: "\n".into(),
            extra: vec![Snippet { path: "b.py".into(), text: "y = 1".into() }],
            path: Some("a.py".into()),
            language: Some("python".into()),
            system_prompt: Some("be brief".into()),
        });
        let mut prompt = Prompt::Fim(Arc::clone(&fim));
        assert!(redaction.mask(&mut prompt).is_empty());
        let Prompt::Fim(sent) = &prompt else { unreachable!() };
        assert!(Arc::ptr_eq(sent, &fim), "nothing masked, nothing copied");

        let with_secret = FimPrompt {
            extra: vec![Snippet { path: "b.py".into(), text: format!("t = '{KEY}'") }],
            ..FimPrompt::clone(&fim)
        };
        let mut prompt = Prompt::Fim(Arc::new(with_secret.clone()));
        redaction.mask(&mut prompt);
        let Prompt::Fim(sent) = &prompt else { unreachable!() };
        let expected = FimPrompt {
            extra: vec![Snippet { path: "b.py".into(), text: "t = 'REDACTED_SECRET_1'".into() }],
            ..with_secret
        };
        assert_eq!(**sent, expected, "every other field as it was");
    }

    #[test]
    fn off_only_when_the_user_says_and_a_bad_pattern_keeps_the_built_in_shapes() {
        let stats = Arc::new(RedactionStats::default());
        let off = Redaction::from_config(&RedactConfig { enabled: false, patterns: vec![] }, Arc::clone(&stats));
        let mut prompt = Prompt::Fim(Arc::new(FimPrompt { prefix: KEY.into(), ..FimPrompt::default() }));
        assert!(off.mask(&mut prompt).is_empty());
        assert!(!off.status().enabled);
        let bad = Redaction::from_config(&RedactConfig { enabled: true, patterns: vec!["(".into()] }, stats);
        assert!(!bad.mask(&mut prompt).is_empty(), "the built-in shapes still apply");
        assert_eq!(bad.status().user_patterns, 0);
    }

    #[test]
    fn the_headers_end_survives_masking() {
        let redaction = Redaction::default();
        let header = format!("TOKEN = '{KEY}'\n# …\n");
        let mut prompt = Prompt::Fim(Arc::new(FimPrompt {
            header_len: header.len(),
            prefix: header + &format!("x = '{KEY}'"),
            ..FimPrompt::default()
        }));
        redaction.mask(&mut prompt);
        let Prompt::Fim(fim) = &prompt else { unreachable!() };
        assert_eq!(fim.split_prefix(), ("TOKEN = 'REDACTED_SECRET_1'\n# …\n", "x = 'REDACTED_SECRET_1'"));

        let content = format!("stable {KEY}\nwindow {KEY}");
        let mut chat = Prompt::Chat(ChatPrompt {
            system: None,
            messages: vec![ChatMessage { role: ChatRole::User, content }],
            stable_prefix: Some(switchboard_providers::StablePrefix {
                line_bytes: "stable ".len() + KEY.len() + 1,
                message: 0,
                bytes: "stable ".len() + KEY.len() + 1,
            }),
        });
        redaction.mask(&mut chat);
        let Prompt::Chat(chat) = &chat else { unreachable!() };
        let (_, stable, rest) = chat.split_stable().unwrap();
        assert_eq!((stable, rest), ("stable REDACTED_SECRET_1\n", "window REDACTED_SECRET_1"));
    }
}
