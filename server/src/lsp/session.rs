//! The state every handler shares: documents, the negotiated encoding, what the client can do,
//! and the handle to talk back to it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{OnceLock, RwLock};

use switchboard_core::documents::{DocumentStore, PositionEncoding, StoreLimits};
use tower_lsp_server::Client;

/// What the client declared at `initialize` that changes how we answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFlags {
    pub name: Option<String>,
    pub inline_completion: bool,
    pub show_message: bool,
    pub process_id: Option<i32>,
}

#[derive(Debug)]
pub struct Session {
    pub client: Client,
    pub documents: DocumentStore,
    /// Set once at `initialize`; UTF-16 (the LSP default) until then.
    encoding: OnceLock<PositionEncoding>,
    flags: RwLock<ClientFlags>,
    /// `shutdown` was requested: the exit code is 0 only then.
    shutdown_requested: AtomicBool,
    /// Debug-only methods (panic, sleep) are served; see `lsp::ext`.
    pub debug_methods: bool,
}

impl Session {
    pub fn new(client: Client, debug_methods: bool) -> Self {
        Self {
            client,
            documents: DocumentStore::new(StoreLimits::default()),
            encoding: OnceLock::new(),
            flags: RwLock::new(ClientFlags::default()),
            shutdown_requested: AtomicBool::new(false),
            debug_methods,
        }
    }

    pub fn encoding(&self) -> PositionEncoding {
        self.encoding.get().copied().unwrap_or_default()
    }

    pub fn set_encoding(&self, encoding: PositionEncoding) {
        if self.encoding.set(encoding).is_err() {
            tracing::warn!("position encoding was negotiated twice; keeping the first");
        }
    }

    pub fn flags(&self) -> ClientFlags {
        self.flags.read().map(|flags| flags.clone()).unwrap_or_default()
    }

    pub fn set_flags(&self, flags: ClientFlags) {
        if let Ok(mut slot) = self.flags.write() {
            *slot = flags;
        }
    }

    pub fn request_shutdown(&self) {
        self.shutdown_requested.store(true, Ordering::SeqCst);
    }

    pub fn shutdown_requested(&self) -> bool {
        self.shutdown_requested.load(Ordering::SeqCst)
    }
}
