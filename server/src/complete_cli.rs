//! `switchboard complete FILE:LINE:COLUMN [--explain]`: the completion pipeline run once from the
//! command line, exactly as an editor request runs it (placement, context, related code, the
//! provider chain with failover, post-processing). `--explain` shows every stage.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_core::documents::{DocumentStore, LineCol, PositionEncoding, StoreLimits, position};
use switchboard_core::placement::{self, Placement};
use switchboard_providers::Health;

use crate::completion::{CompletionEngine, CompletionRequest, CompletionSettings, Outcome, Trigger, prompt};
use crate::config::Config;
use crate::provider_chains;
use crate::runtime::gate::{self, Feature, Refusal};
use crate::runtime::redact::Redaction;

/// `FILE:LINE:COLUMN`, with a 1-based line and a 1-based column counted in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub path: String,
    pub line: u32,
    pub column: u32,
}

impl std::str::FromStr for Target {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let mut parts = value.rsplitn(3, ':');
        let (Some(column), Some(line), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("expected FILE:LINE:COLUMN, got {value:?}"));
        };
        let number = |text: &str, what: &str| -> Result<u32, String> {
            match text.parse::<u32>() {
                Ok(0) | Err(_) => Err(format!("{what} must be a number from 1, got {text:?}")),
                Ok(number) => Ok(number),
            }
        };
        Ok(Self { path: path.to_owned(), line: number(line, "LINE")?, column: number(column, "COLUMN")? })
    }
}

/// What the run produced.
#[derive(Debug, Default)]
pub struct Report {
    pub suggestion: Option<String>,
    /// Why there is no suggestion.
    pub reason: Option<String>,
    /// The `--explain` text (empty unless asked for).
    pub explain: String,
}

fn file_uri(path: &Path) -> String {
    switchboard_core::documents::uri_of_path(&path.display().to_string())
}

pub async fn run(target: &Target, config: &Config, explain: bool) -> Result<Report, String> {
    let path = std::fs::canonicalize(&target.path).map_err(|error| format!("cannot open {}: {error}", target.path))?;
    let text = std::fs::read_to_string(&path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    // The workspace is the current directory, as for an editor started there: exclusion globs
    // are relative to it (`secrets/**`), like the server's are to the workspace root.
    let cwd = std::env::current_dir().ok().and_then(|cwd| std::fs::canonicalize(cwd).ok());
    if let Err(refusal @ (Refusal::Excluded | Refusal::Locked)) =
        gate::check(config, Feature::Completion, cwd.as_deref(), &path, &[])
    {
        return Ok(Report { reason: Some(refusal.to_string()), ..Report::default() });
    }
    let uri = file_uri(&path);
    let store = std::sync::Arc::new(DocumentStore::new(StoreLimits::default()));
    // An empty language id: the language comes from the file extension.
    store.open(&uri, "", 1, &text);
    let snapshot = store.snapshot_with_syntax(&uri).ok_or("the document could not be opened")?;
    if let Some(language) = snapshot.language()
        && let Err(refusal) = gate::check(config, Feature::Completion, cwd.as_deref(), &path, &[language.name])
    {
        return Ok(Report { reason: Some(format!("{refusal} (completion.languages_disabled)")), ..Report::default() });
    }
    let at = LineCol::new(target.line - 1, target.column - 1);
    let byte_offset = position::to_byte_offset(snapshot.rope(), at, PositionEncoding::Utf32);

    let health = Arc::new(Health::default());
    let local = provider_chains::probe_if_needed(config).await;
    let built = provider_chains::build(config, &health, &provider_chains::process_env, local);
    let engine = CompletionEngine::new(CompletionSettings::from_config(
        config,
        Redaction::from_config(&config.redact, Default::default()),
    ));
    engine.set_chain(built.completion.clone());
    engine.note_open(&uri);

    let mut report = Report::default();
    if explain {
        let out = &mut report.explain;
        let placement = placement::placement(snapshot.rope(), snapshot.tree(), byte_offset);
        let _ = writeln!(
            out,
            "== file\n{} ({}), byte offset {byte_offset}",
            path.display(),
            snapshot.language().map_or("plain text", |l| l.name)
        );
        let _ = writeln!(out, "== placement\n{placement:?}");
        for problem in &built.problems {
            let _ = writeln!(out, "== provider problem\n{problem}");
        }
        let chain: Vec<String> = built
            .completion
            .as_ref()
            .map(|chain| {
                chain.providers().iter().map(|p| format!("{} ({:?})", p.name(), p.capabilities().fim)).collect()
            })
            .unwrap_or_default();
        let _ = writeln!(out, "== chain\n{}", if chain.is_empty() { "(none)".to_owned() } else { chain.join(" -> ") });
        if let Placement::Complete { multiline } = placement {
            let started = Instant::now();
            let prepared = prompt::prepare(
                &store,
                &snapshot,
                byte_offset,
                multiline,
                &engine.settings(),
                &engine.related,
                &engine.definitions,
            );
            let elapsed = started.elapsed();
            // What is sent: with secrets masked, as `call::run` masks them; the context view too.
            let redaction = &engine.settings().redaction;
            let mut sent = switchboard_providers::Prompt::Fim(prepared.fim.clone());
            let mut masks = redaction.mask(&mut sent);
            let fim = match sent {
                switchboard_providers::Prompt::Fim(fim) => fim,
                switchboard_providers::Prompt::Chat(_) => Default::default(),
            };
            let _ = writeln!(
                out,
                "== context ({:.2} ms to extract)\n{}",
                elapsed.as_secs_f64() * 1000.0,
                redaction.mask_text(&prepared.context.render(), &mut masks)
            );
            if !masks.is_empty() {
                let _ = writeln!(out, "== secrets masked (by kind)\n{:?}", masks.counts());
            }
            let _ = writeln!(out, "== prompt: prefix\n{}", fim.prefix);
            let _ = writeln!(out, "== prompt: suffix\n{}", fim.suffix);
            for snippet in &fim.extra {
                let _ = writeln!(out, "== prompt: related code from {}\n{}", snippet.path, snippet.text);
            }
            let _ = writeln!(out, "== stop sequences\n{:?}", prepared.stop);
            // A chat provider is not sent prefix and suffix but messages built from them.
            let chat_providers: Vec<String> = built
                .completion
                .as_ref()
                .map(|chain| {
                    chain
                        .providers()
                        .iter()
                        .filter(|provider| provider.capabilities().fim == switchboard_providers::FimMode::Chat)
                        .map(|provider| provider.name().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            if !chat_providers.is_empty() {
                let chat = switchboard_providers::chat_fim::to_chat(&fim);
                let _ = writeln!(out, "== prompt as sent to chat providers ({})", chat_providers.join(", "));
                if let Some(system) = &chat.system {
                    let _ = writeln!(out, "-- system\n{system}");
                }
                for message in &chat.messages {
                    let _ = writeln!(out, "-- {:?}\n{}", message.role, message.content);
                }
            }
        }
    }
    let started = Instant::now();
    let request = CompletionRequest {
        uri,
        byte_offset,
        version: snapshot.version(),
        client_waited: Duration::ZERO,
        trigger: Trigger::Invoked,
        max_items: 1,
    };
    let outcome = engine.complete(&store, engine.admit(request)).await;
    let elapsed = started.elapsed();
    match outcome {
        Outcome::Suggestions { suggestions, .. } => {
            if let Some(first) = suggestions.into_iter().next() {
                if explain {
                    let _ = writeln!(report.explain, "== answer from {} in {} ms", first.provider, elapsed.as_millis());
                }
                report.suggestion = Some(first.text);
            }
        }
        Outcome::Nothing(reason) => report.reason = Some(reason.to_owned()),
        Outcome::Superseded => report.reason = Some("superseded".to_owned()),
        Outcome::Failed(error) => report.reason = Some(error.to_string()),
    }
    if explain && report.suggestion.is_none() {
        let _ = writeln!(report.explain, "== no suggestion after {} ms", elapsed.as_millis());
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_colons_in_paths() {
        let target: Target = "src/a:b.rs:12:5".parse().unwrap();
        assert_eq!(target, Target { path: "src/a:b.rs".into(), line: 12, column: 5 });
        assert!("a.rs:0:1".parse::<Target>().is_err());
        assert!("a.rs:3".parse::<Target>().is_err());
        assert!("a.rs:x:1".parse::<Target>().is_err());
    }
}
