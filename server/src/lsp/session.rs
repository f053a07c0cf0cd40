//! The state every handler shares: documents, the negotiated encoding, what the client can do,
//! and the handle to talk back to it.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use switchboard_core::documents::{DocumentSnapshot, DocumentStore, PositionEncoding, StoreLimits};
use switchboard_providers::Health;
use tower_lsp_server::Client;
use tower_lsp_server::gen_lsp_types::MessageType;

use crate::actions::ActionsEngine;
use crate::completion::{CompletionEngine, CompletionSettings};
use crate::config::{Config, ConfigProblem, ConfigState, Severity, UserConfigLocation};
use crate::provider_chains::{self, action_settings};
use crate::runtime::gate::{self, Feature, Refusal};
use crate::runtime::redact::{Redaction, RedactionStats};

/// How the server was started.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Serve the `switchboard/debug/*` methods (tests only).
    pub debug_methods: bool,
    /// `--config PATH`.
    pub config_path: Option<PathBuf>,
}

/// What the client declared at `initialize` that changes how we answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFlags {
    pub name: Option<String>,
    pub inline_completion: bool,
    pub show_message: bool,
    pub process_id: Option<i32>,
    /// `window.workDoneProgress`: the client shows server-created `$/progress`.
    pub work_done_progress: bool,
    /// `window.showDocument.support`.
    pub show_document: bool,
    /// `workspace.workspaceEdit.documentChanges`: versioned edits.
    pub document_changes: bool,
    /// `workspace.workspaceEdit.resourceOperations` includes `create`.
    pub create_files: bool,
    /// `textDocument.codeAction.tagSupport` includes `LLMGenerated` (LSP 3.18).
    pub llm_generated_tag: bool,
    /// How long the client waits after a keystroke before it sends an automatic inline
    /// completion request (its own debounce), where known from `clientInfo`.
    pub inline_debounce: std::time::Duration,
    /// `workspace.applyEdit`: the client applies edits the server sends.
    pub apply_edit: bool,
    /// `textDocument.codeAction.resolveSupport.properties` includes `edit`.
    pub resolves_edits: bool,
}

/// How many shown messages `switchboard/status` reports.
const RECENT_MESSAGES: usize = 20;

/// What building the chains tells the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tell {
    /// Every problem: the configuration changed, and the user should know what it leads to.
    Everything,
    /// All but "no provider is available", at `initialize`: many clients (Emacs's eglot, Zed,
    /// a bare Neovim `vim.lsp.start` with `settings`) send their settings only in
    /// `workspace/didChangeConfiguration` after `initialized`, so the chains built before them
    /// may lack a provider the user did configure. [`Session::tell_if_no_provider`] tells it
    /// [`SETTINGS_GRACE`] later if it is still so.
    AllButNoProvider,
}

/// How long after `initialized` the server waits for pushed settings before it says that no
/// provider is available.
pub const SETTINGS_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Debug)]
pub struct Session {
    pub client: Client,
    pub documents: Arc<DocumentStore>,
    /// Set once at `initialize`; UTF-16 (the LSP default) until then.
    encoding: OnceLock<PositionEncoding>,
    flags: RwLock<ClientFlags>,
    /// `shutdown` was requested: the exit code is 0 only then.
    shutdown_requested: AtomicBool,
    /// Debug-only methods (panic, sleep) are served; see `lsp::ext`.
    pub debug_methods: bool,
    pub config_location: UserConfigLocation,
    /// The layered configuration; the config in force is always valid.
    pub config: Mutex<ConfigState>,
    /// Provider health (circuits, usage), shared by every chain for the life of the process.
    pub health: Arc<Health>,
    /// Secrets masked in prompts, for the life of the process (`switchboard/status`).
    pub redaction_stats: Arc<RedactionStats>,
    /// Messages already shown, so a problem that persists is told once.
    shown: Mutex<HashSet<String>>,
    /// Configuration problems shown and not yet fixed.
    shown_config: Mutex<HashSet<String>>,
    /// The last messages shown, oldest first, for `switchboard/status`.
    recent_messages: Mutex<std::collections::VecDeque<String>>,
    /// The first workspace folder, where `.switchboard.toml` is read.
    pub root: Mutex<Option<PathBuf>>,
    /// The provider chains in force.
    pub chains: Mutex<provider_chains::Chains>,
    /// The features and their state.
    pub features: Features,
}

/// Every feature the server runs; each keeps its own state between requests and gets its chain
/// and settings from [`Session::install_chains`].
#[derive(Debug, Default)]
pub struct Features {
    /// Cache, in-flight calls, typing rhythm, related code.
    pub completion: CompletionEngine,
    /// Offers, running jobs and their cancellation.
    pub actions: ActionsEngine,
}

impl Session {
    pub fn new(client: Client, options: ServerOptions) -> Self {
        Self {
            client,
            documents: Arc::new(DocumentStore::new(StoreLimits::default())),
            encoding: OnceLock::new(),
            flags: RwLock::new(ClientFlags::default()),
            shutdown_requested: AtomicBool::new(false),
            debug_methods: options.debug_methods,
            config_location: UserConfigLocation::resolve(options.config_path.as_deref()),
            config: Mutex::new(ConfigState::new()),
            health: Arc::new(Health::default()),
            redaction_stats: Arc::default(),
            shown: Mutex::new(HashSet::new()),
            shown_config: Mutex::new(HashSet::new()),
            recent_messages: Mutex::new(std::collections::VecDeque::new()),
            root: Mutex::new(None),
            chains: Mutex::new(provider_chains::Chains::default()),
            features: Features::default(),
        }
    }

    /// Runs `change` on the configuration state and returns its update.
    pub fn update_config<T>(&self, change: impl FnOnce(&mut ConfigState) -> T) -> Option<T> {
        self.config.lock().ok().map(|mut state| change(&mut state))
    }

    pub fn config(&self) -> Arc<crate::config::Config> {
        self.config.lock().map(|state| state.config()).unwrap_or_default()
    }

    /// Shows `message` (without the "Switchboard: " prefix, which is added) with
    /// `window/showMessage`, logs it and keeps it for `switchboard/status`.
    pub async fn show(&self, kind: MessageType, message: &str) {
        tracing::info!(%message, "telling the user");
        if let Ok(mut recent) = self.recent_messages.lock() {
            if recent.len() == RECENT_MESSAGES {
                recent.pop_front();
            }
            recent.push_back(message.to_owned());
        }
        self.client.show_message(kind, format!("Switchboard: {message}")).await;
    }

    /// The last messages shown, oldest first.
    pub fn recent_messages(&self) -> Vec<String> {
        self.recent_messages.lock().map(|recent| recent.iter().cloned().collect()).unwrap_or_default()
    }

    /// Shows `message` with `window/showMessage` unless it was shown before.
    pub async fn tell_once(&self, kind: MessageType, message: String) {
        let is_new = self.shown.lock().map(|mut shown| shown.insert(message.clone())).unwrap_or(true);
        if is_new {
            self.show(kind, &message).await;
        }
    }

    /// Shows configuration problems, each once while it lasts: the same problem sent again (the
    /// same bad settings, the file saved again unchanged) is not repeated, but once the
    /// configuration is valid again the user is told so, and a problem that comes back later is
    /// told again.
    pub async fn tell_config_problems(&self, problems: &[ConfigProblem]) {
        if problems.is_empty() {
            let had_problems =
                self.shown_config.lock().map(|mut shown| std::mem::take(&mut *shown)).unwrap_or_default();
            if !had_problems.is_empty() {
                self.show(MessageType::Info, "the configuration is valid again").await;
            }
            return;
        }
        for problem in problems {
            let kind = if problem.severity == Severity::Error { MessageType::Error } else { MessageType::Warning };
            let message = problem.to_string();
            let is_new = self.shown_config.lock().map(|mut shown| shown.insert(message.clone())).unwrap_or(true);
            if is_new {
                self.show(kind, &message).await;
            }
        }
    }

    /// Follows a configuration change from any source (`what` names it in the log): tells the
    /// problems, and rebuilds the chains if the configuration in force changed.
    pub async fn config_changed(&self, update: &crate::config::ConfigUpdate, what: &str) {
        tracing::info!(
            applied = update.applied,
            changed = update.changed,
            n_problems = update.problems.len(),
            "{what}"
        );
        self.tell_config_problems(&update.problems).await;
        if update.changed {
            self.install_chains(Tell::Everything).await;
        }
    }

    /// Rebuilds the provider chains from the configuration in force and tells the user what
    /// cannot work (see [`Tell`]).
    pub async fn install_chains(&self, tell: Tell) {
        let chains = self.rebuild_chains(tell).await;
        tracing::info!(
            completion = ?chains.completion.as_ref().map(|c| c.providers().iter().map(|p| p.name().to_owned()).collect::<Vec<_>>()),
            actions = ?chains.actions.as_ref().map(|c| c.providers().iter().map(|p| p.name().to_owned()).collect::<Vec<_>>()),
            detected = chains.detected,
            "provider chains ready"
        );
        let config = self.config();
        let redaction = Redaction::from_config(&config.redact, Arc::clone(&self.redaction_stats));
        self.features.completion.set_settings(CompletionSettings::from_config(&config, redaction.clone()));
        self.features.completion.set_chain(chains.completion.clone());
        self.features.actions.set_settings(action_settings(&config, redaction));
        self.features.actions.set_chain(chains.actions.clone());
        if let Ok(mut slot) = self.chains.lock() {
            *slot = chains;
        }
    }

    /// Whether to serve completion items: when configured, and not to a client that shows
    /// ghost text (it would show every suggestion twice).
    pub fn items_enabled(&self, config: &Config) -> bool {
        config.completion.surfaces.items && !(config.completion.surfaces.inline && self.flags().inline_completion)
    }

    /// "name · model" per configured provider, for item details.
    pub fn provider_labels(&self) -> HashMap<String, String> {
        self.config()
            .providers
            .iter()
            .map(|(name, spec)| {
                (name.clone(), spec.model.as_ref().map_or_else(|| name.clone(), |model| format!("{name} · {model}")))
            })
            .collect()
    }

    pub async fn rebuild_chains(&self, tell: Tell) -> provider_chains::Chains {
        let config = self.config();
        let local = provider_chains::probe_if_needed(&config).await;
        let built = provider_chains::build(&config, &self.health, &provider_chains::process_env, local);
        for problem in &built.problems {
            if tell == Tell::Everything || problem != provider_chains::NO_PROVIDER {
                self.tell_once(MessageType::Warning, problem.clone()).await;
            }
        }
        built
    }

    /// Tells that no provider is available for completions, if that is still so: called a moment
    /// after `initialized` ([`SETTINGS_GRACE`]), when the settings a client pushes then have
    /// arrived.
    pub async fn tell_if_no_provider(&self) {
        let missing = self
            .chains
            .lock()
            .map(|chains| chains.problems.iter().any(|problem| problem == provider_chains::NO_PROVIDER))
            .unwrap_or(false);
        if missing {
            self.tell_once(MessageType::Warning, provider_chains::NO_PROVIDER.to_owned()).await;
        }
    }

    /// The privacy gate (`runtime::gate`) for `snapshot`: whether any of it may be sent to a
    /// provider for `feature`.
    pub fn may_send(&self, snapshot: &DocumentSnapshot, feature: Feature, config: &Config) -> Result<(), Refusal> {
        let root = self.root.lock().ok().and_then(|root| root.clone());
        let recognised = snapshot.language().map_or("", |language| language.name);
        gate::check(
            config,
            feature,
            root.as_deref(),
            std::path::Path::new(snapshot.path()),
            &[snapshot.language_id(), recognised],
        )
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
