//! `textDocument/completion`: AI suggestions as completion items, for clients without inline
//! completion (Helix, Zed, eglot, Neovim before 0.12).
//!
//! Clients that ask as the user types and wait for every server before showing a menu get a
//! fast answer to an automatic request: from the cache when the user is typing through a suggestion, else after at most
//! `ITEMS_WAIT`; the model call goes on in the background and the list is marked incomplete,
//! so the next keystroke asks again and finds the suggestion in the cache.
//!
//! A request the user made explicitly (`triggerKind` 1, Invoked: Neovim's `<C-x><C-o>`, a
//! completion plugin's manual key) waits for its answer instead, within the completion
//! deadline, and offers up to `n_items_invoked` alternatives: an empty menu there would make
//! the user ask twice. (Helix 25.07 sends `Invoked` for its as-you-type requests as well as for
//! `C-x`, so both wait: see docs/editors.md, Helix.)

use std::sync::Arc;
use std::time::Duration;

use tower_lsp_server::gen_lsp_types as lsp;
use tower_lsp_server::jsonrpc::Result;

use crate::completion::{CompletionRequest, Outcome, Suggestion, Trigger};
use crate::config::ItemsSort;
use crate::lsp::completion_site::{self, Site};
use crate::lsp::convert;
use crate::lsp::session::Session;

/// How long an items request waits for a model before answering without AI items.
pub const ITEMS_WAIT: Duration = Duration::from_millis(250);

/// How long an explicit items request may wait at most (the completion deadline comes first).
const INVOKED_WAIT: Duration = Duration::from_secs(10);

pub async fn handle(session: &Arc<Session>, params: lsp::CompletionParams) -> Result<Option<lsp::CompletionResponse>> {
    let position = params.text_document_position_params;
    let uri = convert::uri(&position.text_document.uri).to_owned();
    let config = session.config();
    let empty = || {
        Ok(Some(lsp::CompletionResponse::CompletionList(lsp::CompletionList {
            is_incomplete: true,
            items: vec![],
            item_defaults: None,
            apply_kind: None,
        })))
    };
    if !session.items_enabled(&config) {
        return Ok(None);
    }
    let invoked =
        params.context.as_ref().is_some_and(|context| context.trigger_kind == lsp::CompletionTriggerKind::Invoked);
    let trigger = if invoked { Trigger::Invoked } else { Trigger::Automatic };
    let Some(site) = Site::resolve(session, &uri, convert::line_col(position.position), trigger, &config) else {
        return empty();
    };
    let max_items = if invoked { config.completion.n_items_invoked as usize } else { 1 };
    let request = CompletionRequest {
        uri,
        byte_offset: site.byte_offset,
        version: site.version,
        client_waited: std::time::Duration::ZERO,
        trigger,
        max_items,
    };
    // The engine ends every call at its deadline; this bound is only a backstop.
    let wait = if invoked { INVOKED_WAIT } else { ITEMS_WAIT };
    // Admitted here, in the editor's order; the call runs on its own task so it outlives this
    // request: its answer fills the cache.
    let admitted = session.features.completion.admit(request);
    let task_session = Arc::clone(session);
    let call = tokio::spawn(async move {
        let outcome = task_session.features.completion.complete(&task_session.documents, admitted).await;
        completion_site::report(&outcome);
        outcome
    });
    let outcome = match tokio::time::timeout(wait, call).await {
        Ok(Ok(outcome)) => outcome,
        _ => return empty(),
    };
    completion_site::tell_explicit_failure(session, trigger, &outcome).await;
    let Outcome::Suggestions { suggestions, .. } = outcome else {
        return empty();
    };
    let provider_labels = session.provider_labels();
    let items = suggestions
        .iter()
        .enumerate()
        .map(|(idx, suggestion)| {
            completion_item(&site, suggestion, idx, config.completion.items_sort, &provider_labels)
        })
        .collect();
    Ok(Some(lsp::CompletionResponse::CompletionList(lsp::CompletionList {
        is_incomplete: true,
        items,
        item_defaults: None,
        apply_kind: None,
    })))
}

fn completion_item(
    site: &Site,
    suggestion: &Suggestion,
    idx: usize,
    sort: ItemsSort,
    provider_labels: &std::collections::HashMap<String, String>,
) -> lsp::CompletionItem {
    let text = site.editor_text(&suggestion.text);
    let full = format!("{}{text}", site.word);
    let first_line = full.lines().next().unwrap_or_default().trim();
    let mut label: String = first_line.chars().take(40).collect();
    if first_line.chars().count() > 40 || full.contains('\n') {
        label.push('…');
    }
    let source = provider_labels.get(&suggestion.provider).cloned().unwrap_or_else(|| suggestion.provider.clone());
    let fence = site.language.unwrap_or("");
    lsp::CompletionItem {
        label,
        // Not `Snippet`: Helix parses a snippet item's text for `$` tabstops and re-indents its
        // lines; this text is code, inserted exactly as ghost text would show it.
        kind: Some(lsp::CompletionItemKind::Text),
        detail: Some(format!("AI · {source}")),
        documentation: Some(lsp::Documentation::MarkupContent(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: format!("```{fence}\n{full}\n```"),
        })),
        // `~` sorts after letters and digits, `!` before: after or before the primary server's items.
        sort_text: Some(match sort {
            ItemsSort::After => format!("~~ai{idx:02}"),
            ItemsSort::Before => format!("!!ai{idx:02}"),
        }),
        // Matches the typed word, so the client's fuzzy filter keeps the item while typing.
        filter_text: Some(full.clone()),
        insert_text_format: Some(lsp::InsertTextFormat::PlainText),
        // The continuation lines carry their whole indentation already (VS Code's default is to
        // add the cursor line's).
        insert_text_mode: Some(lsp::InsertTextMode::AsIs),
        text_edit: Some(lsp::CompletionItemTextEdit::TextEdit(lsp::TextEdit {
            range: site.word_range(),
            new_text: full,
        })),
        ..Default::default()
    }
}
