//! `workspace/executeCommand`: runs an AI action (`switchboard.runAction`, from a code action's
//! command) or stops one (`switchboard.cancelAction`).
//!
//! The request is answered at once and the action runs in the background, so no editor waits on
//! the model (Helix would freeze its whole UI on a slow `codeAction/resolve`). While it runs, a
//! server-created `$/progress` shows the provider and how much it has written, with a cancel
//! button; the result comes back as `workspace/applyEdit` against the version the prompt was
//! built from, a new or extended test file, or a Markdown document (`window/showDocument`).
//! Every failure is told once, with `window/showMessage`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::documents::{DocumentSnapshot, uri_of_path};
use tokio::sync::watch;
use tower_lsp_server::gen_lsp_types as lsp;
use tower_lsp_server::jsonrpc::{Error, Result};

use crate::actions::rewrite::LineEdit;
use crate::actions::{ActionError, Job, Outcome, Ticket};
use crate::lsp::capabilities::{CANCEL_ACTION, RUN_ACTION};
use crate::lsp::edits;
use crate::lsp::handlers::code_action::{RESOLVE_DATA, parse_diagnostics};
use crate::lsp::session::Session;
use crate::runtime::gate::Feature;

/// Progress tokens we create name the job, so `window/workDoneProgress/cancel` finds it.
const TOKEN_PREFIX: &str = "switchboard/action/";
/// The least time between two progress reports.
const REPORT_EVERY: Duration = Duration::from_millis(250);

pub async fn handle(session: &Arc<Session>, params: lsp::ExecuteCommandParams) -> Result<Option<lsp::LspAny>> {
    let argument = params.arguments.as_ref().and_then(|arguments| arguments.first()).cloned().unwrap_or(Value::Null);
    match params.command.as_str() {
        RUN_ACTION => start(session, &argument).map(|()| None),
        CANCEL_ACTION => {
            let job = argument.get("job").and_then(Value::as_u64).ok_or_else(|| invalid("a job id"))?;
            let stopped = session.features.actions.cancel(job);
            tracing::info!(job, stopped, "action cancelled by command");
            Ok(None)
        }
        other => Err(Error::invalid_params(format!("Switchboard has no command \"{other}\""))),
    }
}

/// Stops the job a progress token belongs to (the cancel button of the progress).
pub fn cancel_progress(session: &Session, token: &lsp::ProgressToken) {
    let id = match token {
        lsp::ProgressToken::String(token) => token.strip_prefix(TOKEN_PREFIX).and_then(|id| id.parse().ok()),
        lsp::ProgressToken::Int(_) => None,
    };
    if let Some(id) = id {
        let stopped = session.features.actions.cancel(id);
        tracing::info!(job = id, stopped, "action cancelled from its progress");
    }
}

fn invalid(what: &str) -> Error {
    Error::invalid_params(format!("switchboard.runAction needs {what} (the arguments of a listed code action)"))
}

fn refused(message: impl std::fmt::Display) -> Error {
    let mut error = Error::invalid_request();
    error.message = format!("Switchboard: {message}").into();
    error
}

/// The progress of a running job: no percentage, a cancel button.
type OngoingProgress = tower_lsp_server::OngoingProgress<tower_lsp_server::Unbounded, tower_lsp_server::Cancellable>;

/// A job ready to run: checked, registered, not started.
struct Prepared {
    job: Job,
    ticket: Ticket,
    title: String,
    first_provider: String,
}

/// Checks what can be checked at once (an error here is the request's answer, which every client
/// shows), registers the job and starts it.
fn start(session: &Arc<Session>, argument: &Value) -> Result<()> {
    let prepared = prepare(session, argument)?;
    let session = Arc::clone(session);
    tokio::spawn(async move { run(&session, prepared).await });
    Ok(())
}

/// Checks a job's arguments (those of a listed action) against the document and the
/// configuration, and registers it.
fn prepare(session: &Session, argument: &Value) -> Result<Prepared> {
    let text = |key: &str| argument.get(key).and_then(Value::as_str).map(str::to_owned);
    let uri = text("uri").ok_or_else(|| invalid("a document uri"))?;
    let action_id = text("action").ok_or_else(|| invalid("an action id"))?;
    let lines = argument
        .get("lines")
        .and_then(Value::as_array)
        .and_then(|lines| Some(lines.first()?.as_u64()? as usize..lines.get(1)?.as_u64()? as usize))
        .filter(|lines| lines.start < lines.end)
        .ok_or_else(|| invalid("the lines to work on"))?;
    let config = session.config();
    let engine = &session.features.actions;
    let settings = engine.settings();
    if !settings.enabled {
        return Err(refused(ActionError::Disabled));
    }
    let action = settings
        .actions
        .iter()
        .find(|action| action.id == action_id)
        .ok_or_else(|| refused(ActionError::UnknownAction(action_id.clone())))?;
    // Taken now, before the editor's next change is applied: `lines` refer to this version.
    let snapshot = session.documents.snapshot_with_syntax(&uri).ok_or_else(|| refused(ActionError::NotOpen))?;
    if let Some(listed) = argument.get("version").and_then(Value::as_i64)
        && listed != i64::from(snapshot.version())
    {
        return Err(refused(
            "the code changed after the action was listed, so it may no longer fit; nothing was changed: ask for the actions again",
        ));
    }
    // The gate again: the configuration may have changed since the listing.
    session.may_send(&snapshot, Feature::Actions, &config).map_err(refused)?;
    let Some(chain) = engine.chain() else {
        return Err(refused(ActionError::NoProvider));
    };
    let title = text("title").unwrap_or_else(|| action.title.clone());
    let job = Job {
        action_id,
        uri,
        lines,
        diagnostics: parse_diagnostics(argument.get("diagnostics").unwrap_or(&Value::Null)),
        instruction: text("instruction"),
        root: session.root.lock().ok().and_then(|root| root.clone()),
        snapshot,
    };
    let ticket = engine.register(&job.uri, job.lines.clone(), &title);
    let first_provider = chain.providers().first().map(|provider| provider.name().to_owned()).unwrap_or_default();
    tracing::info!(job = ticket.id, action = job.action_id, uri = job.uri, lines = ?job.lines, "action started");
    Ok(Prepared { job, ticket, title, first_provider })
}

/// Runs a command's job: the model through the actions chain with progress, then the result
/// applied or shown.
async fn run(session: &Session, prepared: Prepared) {
    let title = prepared.title.clone();
    let progress = begin_progress(session, &prepared).await;
    let result = match model_outcome(session, prepared, progress.as_ref()).await {
        Ok(outcome) => deliver(session, outcome, &title).await.map_err(Some),
        Err(error) => Err(error),
    };
    end(session, progress, &title, result).await;
}

/// `codeAction/resolve`: an action listed with `data` (see `code_action::RESOLVE_DATA`) gets
/// its edit, computed now (the client waits, without freezing: only clients that resolve in the
/// background are listed such actions). The result is the action with `edit` set, versioned like
/// a command's edit; a failure is told with a message and the action comes back without an edit,
/// so the client changes nothing. An action without our data comes back as it is.
pub async fn resolve(session: &Session, mut action: lsp::CodeAction) -> Result<lsp::CodeAction> {
    let Some(argument) = action.data.as_ref().and_then(|data| data.get(RESOLVE_DATA)).cloned() else {
        return Ok(action);
    };
    action.data = None;
    let prepared = match prepare(session, &argument) {
        Ok(prepared) => prepared,
        Err(error) => {
            let title = action.title.clone();
            session.show(lsp::MessageType::Error, &format!("{title} failed: {}", error.message)).await;
            return Ok(action);
        }
    };
    let title = prepared.title.clone();
    let progress = begin_progress(session, &prepared).await;
    let result = match model_outcome(session, prepared, progress.as_ref()).await {
        Ok(Outcome::Edit { uri, version, edits, provider }) => match versioned_edit(session, &uri, version, &edits) {
            Ok(edit) => match serde_json::from_value::<lsp::WorkspaceEdit>(edit) {
                Ok(edit) => {
                    action.edit = Some(edit);
                    Ok(format!("ready ({provider})"))
                }
                Err(error) => Err(Some(format!("internal error building the edit: {error}"))),
            },
            Err(error) => Err(Some(error)),
        },
        // Not listed for resolve, but delivered all the same if the catalog changed meanwhile.
        Ok(outcome) => deliver(session, outcome, &title).await.map_err(Some),
        Err(error) => Err(error),
    };
    end(session, progress, &title, result).await;
    Ok(action)
}

/// Server-created progress for a job, where the client shows it; else a message that it started.
async fn begin_progress(session: &Session, prepared: &Prepared) -> Option<OngoingProgress> {
    let Prepared { ticket, title, first_provider, .. } = prepared;
    let token = lsp::ProgressToken::String(format!("{TOKEN_PREFIX}{}", ticket.id));
    if session.flags().work_done_progress
        && session
            .client
            .send_request::<lsp::WorkDoneProgressCreateRequest>(lsp::WorkDoneProgressCreateParams {
                token: token.clone(),
            })
            .await
            .is_ok()
    {
        let progress = session.client.progress(token, title.clone()).with_cancel_button();
        Some(progress.with_message(format!("asking {first_provider}…")).begin().await)
    } else {
        session.show(lsp::MessageType::Info, &format!("{title}: asking {first_provider}…")).await;
        None
    }
}

/// The model's answer, turned into an outcome, with progress reports while it writes.
/// `Err(None)`: cancelled (by the user, a newer run or closing the document): nothing to tell.
async fn model_outcome(
    session: &Session,
    prepared: Prepared,
    progress: Option<&OngoingProgress>,
) -> std::result::Result<Outcome, Option<String>> {
    let Prepared { job, ticket, .. } = prepared;
    let (written_tx, mut written) = watch::channel(0usize);
    let running = session.features.actions.run(&session.documents, job, ticket, move |n| {
        written_tx.send_replace(n);
    });
    tokio::pin!(running);
    let mut last_report: Option<tokio::time::Instant> = None;
    let outcome = loop {
        tokio::select! {
            outcome = &mut running => break outcome,
            changed = written.changed() => {
                if changed.is_err() {
                    break running.await;
                }
                let n = *written.borrow_and_update();
                // At most one report per REPORT_EVERY; the answer is never held up for one.
                let due = last_report.is_none_or(|at| at.elapsed() >= REPORT_EVERY);
                if let Some(progress) = progress.filter(|_| due) {
                    last_report = Some(tokio::time::Instant::now());
                    progress.report_with_message(format!("{n} characters written"), None).await;
                }
            }
        }
    };
    match outcome {
        Ok(outcome) => Ok(outcome),
        Err(ActionError::Cancelled) => Err(None),
        Err(error) => Err(Some(error.to_string())),
    }
}

/// Ends the progress with what happened, and tells a failure once.
async fn end(
    session: &Session,
    progress: Option<OngoingProgress>,
    title: &str,
    result: std::result::Result<String, Option<String>>,
) {
    let ending = match &result {
        Ok(done) => done.clone(),
        Err(None) => "cancelled; nothing was changed".to_owned(),
        Err(Some(error)) => format!("failed: {error}"),
    };
    if let Some(progress) = progress {
        progress.finish_with_message(ending).await;
    }
    match result {
        Ok(done) => tracing::info!(%title, done, "action done"),
        Err(None) => tracing::info!(%title, "action cancelled"),
        Err(Some(error)) => {
            tracing::warn!(%title, %error, "action failed");
            session.show(lsp::MessageType::Error, &format!("{title} failed: {error}")).await;
        }
    }
}

/// The edit of an open document, against `version` (which must still be the document's).
fn versioned_edit(
    session: &Session,
    uri: &str,
    version: i32,
    edits: &[LineEdit],
) -> std::result::Result<Value, String> {
    let snapshot = session.documents.snapshot(uri).ok_or_else(|| ActionError::NotOpen.to_string())?;
    if snapshot.version() != version {
        return Err(ActionError::Changed.to_string());
    }
    let text_edits = edits::text_edits(&snapshot, edits, session.encoding());
    Ok(if session.flags().document_changes {
        json!({ "documentChanges": [{ "textDocument": { "uri": uri, "version": version }, "edits": text_edits }] })
    } else {
        json!({ "changes": { uri: text_edits } })
    })
}

/// Applies or shows what the action produced; what happened, for the progress's end.
async fn deliver(session: &Session, outcome: Outcome, title: &str) -> std::result::Result<String, String> {
    let flags = session.flags();
    let encoding = session.encoding();
    match outcome {
        Outcome::Edit { uri, version, edits, provider } => {
            let edit = versioned_edit(session, &uri, version, &edits)?;
            apply(session, edit, title).await?;
            Ok(format!("applied ({provider})"))
        }
        Outcome::Append { path, text, provider } => {
            let uri = uri_of_path(&path.display().to_string());
            let (snapshot, version) = match session.documents.snapshot(&uri) {
                Some(snapshot) => {
                    let version = json!(snapshot.version());
                    (snapshot, version)
                }
                None => {
                    let on_disk = tokio::fs::read_to_string(&path)
                        .await
                        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
                    (DocumentSnapshot::from_text(&uri, "", &on_disk), Value::Null)
                }
            };
            let n = crate::actions::document_lines(&snapshot).len();
            let mut lines = vec![String::new()];
            lines.extend(text.trim_end_matches('\n').split('\n').map(str::to_owned));
            let text_edits = edits::text_edits(&snapshot, &[LineEdit { start: n, end: n, lines }], encoding);
            let edit = if flags.document_changes {
                json!({ "documentChanges": [{ "textDocument": { "uri": uri, "version": version }, "edits": text_edits }] })
            } else {
                json!({ "changes": { &uri: text_edits } })
            };
            apply(session, edit, title).await?;
            show_file(session, &path).await;
            Ok(format!("tests added to {} ({provider})", path.display()))
        }
        Outcome::NewFile { path, text, provider } => {
            let uri = uri_of_path(&path.display().to_string());
            if flags.create_files && flags.document_changes {
                let edit = json!({ "documentChanges": [
                    { "kind": "create", "uri": uri, "options": { "ignoreIfExists": true } },
                    { "textDocument": { "uri": uri, "version": null }, "edits": [{
                        "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } },
                        "newText": text,
                    }] },
                ] });
                apply(session, edit, title).await?;
            } else {
                write_new_file(&path, &text).await?;
            }
            show_file(session, &path).await;
            Ok(format!("tests written to {} ({provider})", path.display()))
        }
        Outcome::Message { title: heading, markdown, provider } => {
            let document = format!("# {heading}\n\n{markdown}\n\n---\n_Written by {provider} through Switchboard._\n");
            if flags.show_document
                && let Ok(path) = write_explanation(&heading, &document).await
                && show_file(session, &path).await
            {
                return Ok(format!("shown ({provider})"));
            }
            session.show(lsp::MessageType::Info, &format!("{heading}\n\n{markdown}")).await;
            Ok(format!("shown ({provider})"))
        }
    }
}

/// Sends `workspace/applyEdit` with `title` as its label (the name of the undo step).
async fn apply(session: &Session, edit: Value, title: &str) -> std::result::Result<(), String> {
    let edit: lsp::WorkspaceEdit =
        serde_json::from_value(edit).map_err(|error| format!("internal error building the edit: {error}"))?;
    let result = session
        .client
        .send_request::<lsp::ApplyWorkspaceEditRequest>(lsp::ApplyWorkspaceEditParams {
            label: Some(title.trim_start_matches("AI: ").to_owned()),
            edit,
            metadata: None,
        })
        .await
        .map_err(|error| format!("the editor did not take the edit ({})", error.message))?;
    if result.applied {
        Ok(())
    } else {
        let reason = result.failure_reason.unwrap_or_else(|| "no reason given".to_owned());
        Err(format!(
            "the editor refused the edit ({reason}); the code probably changed while the model wrote: run the action again"
        ))
    }
}

/// Asks the editor to open `path`; whether it did.
async fn show_file(session: &Session, path: &Path) -> bool {
    if !session.flags().show_document {
        return false;
    }
    let Ok(uri) = serde_json::from_value::<lsp::Uri>(json!(uri_of_path(&path.display().to_string()))) else {
        return false;
    };
    let params = lsp::ShowDocumentParams { uri, external: Some(false), take_focus: Some(true), selection: None };
    session.client.show_document(params).await.unwrap_or(false)
}

async fn write_new_file(path: &Path, text: &str) -> std::result::Result<(), String> {
    use tokio::io::AsyncWriteExt;
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
    }
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .await
        .map_err(|error| format!("cannot create {}: {error}", path.display()))?;
    file.write_all(text.as_bytes()).await.map_err(|error| format!("cannot write {}: {error}", path.display()))
}

/// Writes an explanation where the editor can open it: a private folder under the temporary
/// directory, one file per explanation.
async fn write_explanation(heading: &str, document: &str) -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("switchboard-{}", std::process::id()));
    tokio::fs::create_dir_all(&dir).await?;
    let slug: String = heading
        .chars()
        .map(|ch| if ch.is_alphanumeric() { ch.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|part| !part.is_empty())
        .take(8)
        .collect::<Vec<_>>()
        .join("-");
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_millis());
    let path = dir.join(format!("{slug}-{stamp}.md"));
    tokio::fs::write(&path, document).await?;
    Ok(path)
}
