//! What we tell the client we can do, and what we take from what it can do.

use switchboard_core::documents::PositionEncoding;
use tower_lsp_server::gen_lsp_types as lsp;

use super::convert;
use super::session::ClientFlags;
use crate::config::ActionRun;

/// Picks the position encoding from the client's `general.positionEncodings` (utf-8, then
/// utf-16, then utf-32), or UTF-16 when the client says nothing, as the spec requires.
pub fn negotiate_encoding(
    capabilities: &lsp::ClientCapabilities,
    forced: Option<PositionEncoding>,
) -> PositionEncoding {
    let offered: Vec<String> = capabilities
        .general
        .as_ref()
        .and_then(|general| general.position_encodings.as_ref())
        .map(|kinds| kinds.iter().map(|kind| String::from(kind.clone())).collect())
        .unwrap_or_default();
    match forced {
        // A forced encoding is honoured only if the client offers it (UTF-16 always is).
        Some(encoding)
            if encoding == PositionEncoding::Utf16 || offered.iter().any(|name| name == encoding.lsp_name()) =>
        {
            encoding
        }
        _ => PositionEncoding::negotiate(offered.iter().map(String::as_str)),
    }
}

pub fn client_flags(params: &lsp::InitializeParams) -> ClientFlags {
    let text_document = params.capabilities.text_document.as_ref();
    // The capabilities are read as JSON: most of these are deep optional chains in the types.
    let caps = serde_json::to_value(&params.capabilities).unwrap_or_default();
    let flag = |pointer: &str| caps.pointer(pointer).and_then(serde_json::Value::as_bool).unwrap_or(false);
    let contains = |pointer: &str, wanted: &serde_json::Value| {
        caps.pointer(pointer).and_then(serde_json::Value::as_array).is_some_and(|values| values.contains(wanted))
    };
    ClientFlags {
        name: params.client_info.as_ref().map(|info| info.name.clone()),
        inline_completion: text_document.and_then(|caps| caps.inline_completion.as_ref()).is_some(),
        show_message: true,
        process_id: params.process_id,
        work_done_progress: flag("/window/workDoneProgress"),
        show_document: flag("/window/showDocument/support"),
        document_changes: flag("/workspace/workspaceEdit/documentChanges"),
        create_files: contains("/workspace/workspaceEdit/resourceOperations", &serde_json::json!("create")),
        // `CodeActionTag.LLMGenerated` is 1.
        llm_generated_tag: contains("/textDocument/codeAction/tagSupport/valueSet", &serde_json::json!(1)),
        inline_debounce: inline_debounce(params.client_info.as_ref().map(|info| info.name.as_str())),
        apply_edit: flag("/workspace/applyEdit"),
        resolves_edits: contains("/textDocument/codeAction/resolveSupport/properties", &serde_json::json!("edit")),
    }
}

/// The debounce a client applies to its own automatic inline completion requests. Neovim's
/// `vim.lsp.inline_completion` sends one 200 ms after the last keystroke (runtime
/// `lua/vim/lsp/inline_completion.lua`, `Completor:automatic_request`).
fn inline_debounce(client: Option<&str>) -> std::time::Duration {
    match client {
        Some("Neovim") => std::time::Duration::from_millis(200),
        _ => std::time::Duration::ZERO,
    }
}

/// Helix waits for `codeAction/resolve` with its whole UI (up to 20 s): it never resolves ours.
fn freezes_on_resolve(flags: &ClientFlags) -> bool {
    flags.name.as_deref().is_some_and(|name| name.eq_ignore_ascii_case("helix"))
}

/// Whether `codeAction/resolve` may compute an action's edit for this client: it resolves
/// edits, does not freeze while it waits, and the setting allows it (`auto`: only a client that
/// cannot apply an edit the server sends, for which a command could not deliver one).
pub fn resolves_actions(flags: &ClientFlags, setting: ActionRun) -> bool {
    if !flags.resolves_edits || freezes_on_resolve(flags) {
        return false;
    }
    match setting {
        ActionRun::Command => false,
        ActionRun::Resolve => true,
        ActionRun::Auto => !flags.apply_edit,
    }
}

/// Whether to declare `resolveProvider`: for any client that could be asked to resolve, so the
/// setting can change without a restart (an action listed with a command resolves to itself).
pub fn offers_resolve(flags: &ClientFlags) -> bool {
    flags.resolves_edits && !freezes_on_resolve(flags)
}

/// The commands `workspace/executeCommand` serves.
pub const RUN_ACTION: &str = "switchboard.runAction";
pub const CANCEL_ACTION: &str = "switchboard.cancelAction";

/// The code action kinds we offer (a client may filter the menu by kind).
const ACTION_KINDS: &[&str] = &["quickfix", "refactor", "refactor.rewrite"];

/// What we serve, decided at `initialize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offered {
    pub encoding: PositionEncoding,
    /// Ghost text (`textDocument/inlineCompletion`).
    pub inline: bool,
    /// Completion items (`textDocument/completion`).
    pub items: bool,
    /// AI code actions (`textDocument/codeAction` and the commands that run them).
    pub actions: bool,
    /// `codeAction/resolve` (see [`resolves_actions`]).
    pub resolve: bool,
}

/// Our capabilities. Ghost text for clients that show it; completion items for the others (a
/// client with both would show every suggestion twice).
pub fn server_capabilities(offered: Offered) -> lsp::ServerCapabilities {
    let Offered { encoding, inline, items, actions, resolve } = offered;
    let sync = lsp::TextDocumentSyncOptions {
        open_close: Some(true),
        change: Some(lsp::TextDocumentSyncKind::Incremental),
        ..Default::default()
    };
    lsp::ServerCapabilities {
        position_encoding: Some(convert::encoding_kind(encoding)),
        text_document_sync: Some(sync.into()),
        inline_completion_provider: inline.then_some(lsp::InlineCompletionProvider::Bool(true)),
        completion_provider: items.then(|| lsp::CompletionOptions {
            trigger_characters: Some([".", "(", " ", ":", ">"].map(String::from).to_vec()),
            resolve_provider: Some(false),
            ..Default::default()
        }),
        code_action_provider: actions
            .then(|| {
                serde_json::from_value(
                    serde_json::json!({ "codeActionKinds": ACTION_KINDS, "resolveProvider": resolve }),
                )
                .ok()
            })
            .flatten(),
        // Declared even with actions off, so turning them on in the configuration needs no restart.
        execute_command_provider: Some(lsp::ExecuteCommandOptions::new(
            vec![RUN_ACTION.to_owned(), CANCEL_ACTION.to_owned()],
            lsp::WorkDoneProgressOptions::default(),
        )),
        ..Default::default()
    }
}
