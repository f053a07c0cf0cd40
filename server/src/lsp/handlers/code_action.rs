//! `textDocument/codeAction`: lists the AI actions that fit the range. Never calls a model and
//! never waits (Helix and VS Code ask on every cursor move): each action carries a
//! `switchboard.runAction` command, which `workspace/executeCommand` answers at once and runs in
//! the background (see `execute_command`); or, where `actions.run` and the client choose resolve
//! (`capabilities::resolves_actions`), `data` that `codeAction/resolve` turns into the edit.
//! While an action runs on the document, a "Cancel" entry is listed too.

use std::ops::Range;

use serde_json::{Value, json};
use switchboard_core::documents::position;
use tower_lsp_server::gen_lsp_types as lsp;
use tower_lsp_server::jsonrpc::Result;

use crate::actions::catalog::{Output, Scope};
use crate::actions::offer::{Offer, Site};
use crate::actions::{self, Diagnostic};
use crate::lsp::capabilities::{self, CANCEL_ACTION, RUN_ACTION};
use crate::lsp::convert;
use crate::lsp::session::Session;
use crate::runtime::gate::Feature;

/// The key of an action's `data` that `codeAction/resolve` runs (the same arguments as
/// `switchboard.runAction`).
pub const RESOLVE_DATA: &str = "switchboard";

/// Our own diagnostics are not problems in the code to fix.
const OWN_SOURCE: &str = "switchboard";
/// At most this many diagnostics go into one action's prompt.
const MAX_DIAGNOSTICS: usize = 10;

pub fn handle(session: &Session, params: lsp::CodeActionParams) -> Result<Option<Vec<lsp::CodeActionResponse>>> {
    let uri = convert::uri(&params.text_document.uri);
    let config = session.config();
    if !config.actions.enabled {
        return Ok(None);
    }
    let Some(snapshot) = session.documents.snapshot_with_syntax(uri) else {
        tracing::warn!(uri, "codeAction for a document that is not open");
        return Ok(None);
    };
    if let Err(refusal) = session.may_send(&snapshot, Feature::Actions, &config) {
        tracing::debug!(path = snapshot.path(), %refusal, "no actions");
        return Ok(None);
    }
    let encoding = session.encoding();
    let rope = snapshot.rope();
    let start = position::to_byte_offset(rope, convert::line_col(params.range.start), encoding);
    let end = position::to_byte_offset(rope, convert::line_col(params.range.end), encoding).max(start);
    let reported: Vec<&lsp::Diagnostic> = params
        .context
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.source.as_deref() != Some(OWN_SOURCE))
        .collect();
    let diagnostics: Vec<Diagnostic> = reported.iter().map(|diagnostic| convert_diagnostic(diagnostic)).collect();
    let engine = &session.features.actions;
    let (offers, running) = engine.list(&Site { snapshot: &snapshot, start, end, diagnostics: &diagnostics });
    let only: Vec<String> = params
        .context
        .only
        .as_ref()
        .map(|kinds| kinds.iter().map(|kind| String::from(kind.clone())).collect())
        .unwrap_or_default();
    let wanted = |kind: &str| {
        only.is_empty() || only.iter().any(|prefix| kind == prefix || kind.starts_with(&format!("{prefix}.")))
    };
    let settings = engine.settings();
    let flags = session.flags();
    let tagged = flags.llm_generated_tag;
    let by_resolve = capabilities::resolves_actions(&flags, config.actions.run);
    let mut answer = Vec::new();
    for (id, title) in running {
        if only.is_empty() {
            let title = format!("AI: Cancel {}", title.trim_start_matches("AI: "));
            answer.push(action_json(&title, None, CANCEL_ACTION, json!({ "job": id })));
        }
    }
    for offer in offers.iter().filter(|offer| wanted(&offer.kind)) {
        let def = settings.actions.iter().find(|action| action.id == offer.action_id);
        let scope = def.map(|action| action.scope);
        // Only an edit of this document can come back from resolve; a test file or an
        // explanation runs as a command.
        let edits_in_place = def.is_some_and(|action| {
            matches!(action.output, Output::Replace | Output::InsertBefore | Output::InsertAfter)
        });
        let (in_prompt, attached) = match (scope, offer.diagnostic) {
            (Some(Scope::Diagnostic), Some(idx)) => (vec![diagnostics[idx].clone()], vec![reported[idx]]),
            (Some(Scope::AnyDiagnostics), _) => {
                (diagnostics.iter().take(MAX_DIAGNOSTICS).cloned().collect(), Vec::new())
            }
            _ => (Vec::new(), Vec::new()),
        };
        let arguments = run_arguments(uri, snapshot.version(), offer, &in_prompt);
        let mut action = if by_resolve && edits_in_place {
            json!({ "title": offer.title, "kind": offer.kind, "data": { RESOLVE_DATA: arguments } })
        } else {
            action_json(&offer.title, Some(&offer.kind), RUN_ACTION, arguments)
        };
        if offer.preferred {
            action["isPreferred"] = json!(true);
        }
        if !attached.is_empty() {
            action["diagnostics"] = serde_json::to_value(&attached).unwrap_or_default();
        }
        if tagged {
            // `CodeActionTag.LLMGenerated` (LSP 3.18).
            action["tags"] = json!([1]);
        }
        answer.push(action);
    }
    let answer: Vec<lsp::CodeActionResponse> =
        answer.into_iter().filter_map(|action| serde_json::from_value(action).ok()).collect();
    Ok((!answer.is_empty()).then_some(answer))
}

fn action_json(title: &str, kind: Option<&str>, command: &str, argument: Value) -> Value {
    let mut action = json!({
        "title": title,
        "command": { "title": title, "command": command, "arguments": [argument] },
    });
    if let Some(kind) = kind {
        action["kind"] = json!(kind);
    }
    action
}

/// What `switchboard.runAction` needs to run `offer` later (see `execute_command::RunArguments`).
fn run_arguments(uri: &str, version: i32, offer: &Offer, diagnostics: &[Diagnostic]) -> Value {
    json!({
        "uri": uri,
        "version": version,
        "action": offer.action_id,
        "title": offer.title,
        "lines": [offer.lines.start, offer.lines.end],
        "instruction": offer.instruction,
        "diagnostics": diagnostics.iter().map(|diagnostic| json!({
            "lines": [diagnostic.lines.start, diagnostic.lines.end],
            "message": diagnostic.message,
            "source": diagnostic.source,
            "code": diagnostic.code,
            "severity": diagnostic.severity,
        })).collect::<Vec<_>>(),
    })
}

fn convert_diagnostic(diagnostic: &lsp::Diagnostic) -> Diagnostic {
    let code = serde_json::to_value(&diagnostic.code).ok().and_then(|code| match code {
        Value::String(code) => Some(code),
        Value::Number(code) => Some(code.to_string()),
        _ => None,
    });
    let severity = diagnostic.severity.map(|severity| match severity {
        lsp::DiagnosticSeverity::Error => "error",
        lsp::DiagnosticSeverity::Warning => "warning",
        lsp::DiagnosticSeverity::Information => "note",
        _ => "hint",
    });
    Diagnostic {
        lines: diagnostic_lines(diagnostic.range),
        message: match &diagnostic.message {
            lsp::Message::String(message) => message.clone(),
            lsp::Message::MarkupContent(markup) => markup.value.clone(),
        },
        source: diagnostic.source.clone(),
        code,
        severity,
    }
}

/// The lines a range covers: a range that ends at the start of a line does not cover that line.
fn diagnostic_lines(range: lsp::Range) -> Range<usize> {
    let start = range.start.line as usize;
    let end = if range.end.character == 0 && range.end.line > range.start.line {
        range.end.line as usize
    } else {
        range.end.line as usize + 1
    };
    start..end.max(start + 1)
}

/// The diagnostics `switchboard.runAction` was given, back in the engine's terms.
pub fn parse_diagnostics(value: &Value) -> Vec<actions::Diagnostic> {
    let Some(list) = value.as_array() else { return Vec::new() };
    list.iter()
        .filter_map(|item| {
            let lines = item.get("lines")?.as_array()?;
            let start = lines.first()?.as_u64()? as usize;
            let end = lines.get(1)?.as_u64()? as usize;
            let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
            let severity = match item.get("severity").and_then(Value::as_str) {
                Some("error") => Some("error"),
                Some("warning") => Some("warning"),
                Some("note") => Some("note"),
                Some(_) => Some("hint"),
                None => None,
            };
            Some(Diagnostic {
                lines: start..end.max(start + 1),
                message: text("message")?,
                source: text("source"),
                code: text("code"),
                severity,
            })
        })
        .take(MAX_DIAGNOSTICS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_ending_at_a_line_start_does_not_cover_that_line() {
        let range =
            |a: (u32, u32), b: (u32, u32)| lsp::Range::new(lsp::Position::new(a.0, a.1), lsp::Position::new(b.0, b.1));
        assert_eq!(diagnostic_lines(range((3, 4), (3, 9))), 3..4);
        assert_eq!(diagnostic_lines(range((3, 0), (5, 0))), 3..5);
        assert_eq!(diagnostic_lines(range((3, 0), (5, 1))), 3..6);
        assert_eq!(diagnostic_lines(range((3, 0), (3, 0))), 3..4);
    }

    #[test]
    fn diagnostics_survive_the_round_trip_through_the_command() {
        let diagnostic = Diagnostic {
            lines: 4..6,
            message: "unused variable `x`".into(),
            source: Some("rustc".into()),
            code: Some("unused_variables".into()),
            severity: Some("warning"),
        };
        let offer = Offer {
            action_id: "fix".into(),
            title: "AI: Fix".into(),
            kind: "quickfix".into(),
            lines: 3..8,
            diagnostic: Some(0),
            instruction: None,
            preferred: true,
        };
        let arguments = run_arguments("file:///a.rs", 3, &offer, std::slice::from_ref(&diagnostic));
        assert_eq!(parse_diagnostics(&arguments["diagnostics"]), vec![diagnostic]);
        assert!(parse_diagnostics(&json!("garbage")).is_empty());
        assert!(parse_diagnostics(&json!([{ "lines": [1] }])).is_empty());
    }
}
