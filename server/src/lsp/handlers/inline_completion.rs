//! `textDocument/inlineCompletion` (LSP 3.18): ghost text. An automatic trigger gets one item,
//! an invoked one up to `n_items_invoked` to cycle through. Items replace from the start of the
//! current word to the cursor, as the spec prefers, so the editor can keep showing them while
//! the user types the word.

use std::sync::Arc;
use std::time::Duration;

use tower_lsp_server::gen_lsp_types as lsp;
use tower_lsp_server::jsonrpc::Result;

use crate::completion::{CompletionRequest, Outcome, Trigger};
use crate::lsp::completion_site::{self, Site};
use crate::lsp::convert;
use crate::lsp::session::Session;
use crate::runtime::AbortOnDrop;

pub async fn handle(
    session: &Arc<Session>,
    params: lsp::InlineCompletionParams,
) -> Result<Option<lsp::InlineCompletionResponse>> {
    let position = params.text_document_position_params;
    let uri = convert::uri(&position.text_document.uri).to_owned();
    let config = session.config();
    if !config.completion.surfaces.inline {
        return Ok(None);
    }
    let trigger = match params.context.trigger_kind {
        lsp::InlineCompletionTriggerKind::Invoked => Trigger::Invoked,
        _ => Trigger::Automatic,
    };
    let Some(site) = Site::resolve(session, &uri, convert::line_col(position.position), trigger, &config) else {
        return Ok(None);
    };
    let max_items = if trigger == Trigger::Invoked { config.completion.n_items_invoked as usize } else { 1 };
    // The editor's own wait after the last key is not waited again (Neovim waits 200 ms).
    let client_waited = if trigger == Trigger::Automatic { session.flags().inline_debounce } else { Duration::ZERO };
    let request = CompletionRequest {
        uri: uri.clone(),
        byte_offset: site.byte_offset,
        version: site.version,
        client_waited,
        trigger,
        max_items,
    };
    // Admitted here, in the editor's order; the pipeline then runs on a worker, not on the task
    // that reads the editor's messages. If the editor cancels this request, dropping the handle
    // aborts it (and with it the model call).
    let admitted = session.features.completion.admit(request);
    let worker = Arc::clone(session);
    let call =
        AbortOnDrop(tokio::spawn(
            async move { worker.features.completion.complete(&worker.documents, admitted).await },
        ));
    let Ok(outcome) = call.join().await else {
        return Ok(None);
    };
    completion_site::report(&outcome);
    completion_site::tell_explicit_failure(session, trigger, &outcome).await;
    let Outcome::Suggestions { suggestions, .. } = outcome else {
        return Ok(None);
    };
    let selected = params.context.selected_completion_info;
    let items: Vec<lsp::InlineCompletionItem> = suggestions
        .iter()
        .filter_map(|suggestion| {
            let text = site.editor_text(&suggestion.text);
            match &selected {
                // The popup's selected item is about to be inserted over its range: only items
                // that extend it may be shown, over the same range.
                Some(info) => {
                    let replaced = site.text_in_range(session, convert::range(info.range))?;
                    let rest = info.text.strip_prefix(&replaced)?;
                    let after = text.strip_prefix(rest)?;
                    Some(item(format!("{}{after}", info.text), info.range))
                }
                None => Some(item(format!("{}{text}", site.word), site.word_range())),
            }
        })
        .collect();
    if items.is_empty() {
        return Ok(None);
    }
    Ok(Some(lsp::InlineCompletionResponse::InlineCompletionList(lsp::InlineCompletionList { items })))
}

fn item(insert: String, range: lsp::Range) -> lsp::InlineCompletionItem {
    lsp::InlineCompletionItem {
        insert_text: lsp::InsertText::String(insert.clone()),
        filter_text: Some(insert),
        range: Some(range),
        command: None,
    }
}
