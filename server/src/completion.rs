//! The completion feature: from a cursor in a document to suggestions worth showing.
//!
//! The pipeline for one request:
//! 1. a newer request for the same document supersedes this one (answered at once, empty);
//! 2. the cache answers if the user is typing through a suggestion already made;
//! 3. placement: not mid-identifier, not before code; one line or several;
//! 4. debounce (automatic triggers only), adapted to the user's typing rhythm and counted from
//!    the last edit, so a client that waited before asking does not wait twice;
//! 5. an in-flight model call whose context this one extends is adopted instead of a new call;
//! 6. context (prefix/suffix window, scopes, imports) and related snippets, packed into a FIM
//!    request; the provider chain answers (failing over between vendors);
//! 7. the stream is read only as far as useful, then post-processed; empty results are dropped.
//!
//! This module knows nothing of LSP: the protocol layer converts positions to byte offsets and
//! suggestions to items.

pub mod cache;
pub mod debounce;
pub mod postprocess;
pub mod prompt;
pub mod settings;
pub mod stream;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use switchboard_core::documents::{DocumentSnapshot, DocumentStore};
use switchboard_core::placement::{self, Placement};
use switchboard_core::related::{DefinitionIndex, RecentChunks};
use switchboard_providers::chain::{Chain, ChainError};
use switchboard_providers::{GenerateRequest, Purpose};
use tokio::sync::watch;

use self::cache::{AFTER_WINDOW, BEFORE_WINDOW, CursorKey, SuggestionCache};
use self::debounce::TypingRhythm;
use self::stream::StopRule;
use crate::runtime::call::{self, Answers};
use crate::runtime::redact::Redaction;

/// What the feature needs from the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionSettings {
    pub enabled: bool,
    pub debounce_min: Duration,
    pub debounce_max: Duration,
    /// How long a suggestion may take before it is worthless.
    pub deadline: Duration,
    pub max_tokens: u32,
    /// Prompt budget in estimated tokens (prefix, suffix, scopes, imports, related code).
    pub context_tokens: usize,
    /// Items returned for an explicit (invoked) request.
    pub n_items_invoked: usize,
    pub max_lines: usize,
    pub temperature: Option<f32>,
    /// Replaces the built-in system prompt for chat models.
    pub system_prompt: Option<String>,
    /// The user's configuration is invalid with nothing to fall back on (`Config::locked`).
    pub config_locked: bool,
    /// Secrets masked in the prompt; a suggestion that would write a placeholder is dropped.
    pub redaction: Redaction,
}

/// What asks for a completion (the `completion.trigger` setting's type, so the two cannot
/// drift apart).
pub use crate::config::Trigger;

#[derive(Debug, Clone)]
pub struct CompletionRequest {
    pub uri: String,
    /// Where the cursor is: a byte offset into the document (from `documents::position`).
    pub byte_offset: usize,
    /// How long the editor itself waited after the last keystroke before sending this automatic
    /// request (Neovim's inline completion waits 200 ms): taken off the server's own wait, so
    /// the user does not wait twice.
    pub client_waited: Duration,
    /// The document version `byte_offset` was computed in. When the document has changed since,
    /// the offset is snapped to a character boundary of the new text before any slicing.
    pub version: i32,
    pub trigger: Trigger,
    /// Upper bound on suggestions wanted (1 for automatic triggers).
    pub max_items: usize,
}

/// The largest document parsed from scratch on the event loop (about 3 ms of parsing).
const PARSE_INLINE_MAX_BYTES: usize = 32 * 1024;

/// A request with its place in line (see [`CompletionEngine::admit`]).
#[derive(Debug)]
pub struct Admitted {
    request: CompletionRequest,
    generation: u64,
    newer: watch::Receiver<u64>,
}

/// One suggestion: text to insert at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub text: String,
    pub provider: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Suggestions {
        suggestions: Vec<Suggestion>,
        from_cache: bool,
    },
    /// Nothing to show, and why (for logs and `--explain`).
    Nothing(&'static str),
    /// A newer request for the document took over.
    Superseded,
    /// Every provider failed.
    Failed(ChainError),
}

impl Outcome {
    pub fn suggestions(&self) -> &[Suggestion] {
        match self {
            Self::Suggestions { suggestions, .. } => suggestions,
            _ => &[],
        }
    }
}

/// The result of one model call, shared by every request that waits for it.
type CallResult = Option<Result<Vec<Suggestion>, ChainError>>;

#[derive(Debug)]
struct InFlight {
    key: CursorKey,
    result: watch::Receiver<CallResult>,
    task: tokio::task::AbortHandle,
}

/// Counters for tests, benchmarks and `--explain`.
#[derive(Debug, Default)]
pub struct Counters {
    pub provider_calls: AtomicU64,
    pub cache_hits: AtomicU64,
    pub superseded: AtomicU64,
    pub adopted: AtomicU64,
}

/// Everything the feature keeps between requests.
#[derive(Debug)]
pub struct CompletionEngine {
    settings: RwLock<CompletionSettings>,
    chain: RwLock<Option<Arc<Chain>>>,
    cache: Arc<Mutex<SuggestionCache>>,
    /// The newest request per document; waiting requests watch it to learn they are superseded.
    generations: Mutex<HashMap<String, watch::Sender<u64>>>,
    in_flight: Mutex<HashMap<String, InFlight>>,
    rhythm: Mutex<HashMap<String, TypingRhythm>>,
    pub related: Mutex<RecentChunks>,
    /// Definitions of other open documents, per document version.
    pub definitions: Mutex<DefinitionIndex>,
    pub counters: Counters,
}

impl Default for CompletionEngine {
    fn default() -> Self {
        Self::new(CompletionSettings::default())
    }
}

/// Text around the cursor that identifies it for the cache.
fn cursor_key(snapshot: &DocumentSnapshot, byte_offset: usize, before_window: usize) -> CursorKey {
    let rope = snapshot.rope();
    let cursor = byte_offset.min(rope.len_bytes());
    let before_start = rope.char_to_byte(rope.byte_to_char(cursor.saturating_sub(before_window)));
    let after_end = rope.char_to_byte(rope.byte_to_char((cursor + AFTER_WINDOW).min(rope.len_bytes())));
    CursorKey {
        uri: snapshot.uri().to_owned(),
        before: String::from(rope.byte_slice(before_start..cursor)),
        after: String::from(rope.byte_slice(cursor..after_end)),
    }
}

/// `key` with only the last `before_window` bytes of its text before the cursor (back to a
/// character boundary): what [`cursor_key`] gives with that window, without reading the rope again.
fn narrowed(key: &CursorKey, before_window: usize) -> CursorKey {
    let mut start = key.before.len().saturating_sub(before_window);
    while !key.before.is_char_boundary(start) {
        start -= 1;
    }
    CursorKey { uri: key.uri.clone(), before: key.before[start..].to_owned(), after: key.after.clone() }
}

impl CompletionEngine {
    pub fn new(settings: CompletionSettings) -> Self {
        Self {
            settings: RwLock::new(settings),
            chain: RwLock::new(None),
            cache: Arc::new(Mutex::new(SuggestionCache::default())),
            generations: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            rhythm: Mutex::new(HashMap::new()),
            related: Mutex::new(RecentChunks::default()),
            definitions: Mutex::new(DefinitionIndex::default()),
            counters: Counters::default(),
        }
    }

    pub fn settings(&self) -> CompletionSettings {
        self.settings.read().map(|settings| settings.clone()).unwrap_or_default()
    }

    pub fn set_settings(&self, settings: CompletionSettings) {
        if let Ok(mut slot) = self.settings.write() {
            *slot = settings;
        }
    }

    pub fn chain(&self) -> Option<Arc<Chain>> {
        self.chain.read().ok().and_then(|chain| chain.clone())
    }

    /// Replaces the provider chain (config reload). Cached suggestions stay valid.
    pub fn set_chain(&self, chain: Option<Arc<Chain>>) {
        if let Ok(mut slot) = self.chain.write() {
            *slot = chain;
        }
    }

    /// Called on every `didChange`: O(1) bookkeeping, no I/O, no parsing.
    pub fn note_edit(&self, uri: &str, line: usize) {
        if let Ok(mut rhythm) = self.rhythm.lock() {
            rhythm.entry(uri.to_owned()).or_default().note_edit(Instant::now());
        }
        if let Ok(mut related) = self.related.lock() {
            related.note_edit(uri, line);
        }
    }

    pub fn note_open(&self, uri: &str) {
        if let Ok(mut related) = self.related.lock() {
            related.note_open(uri);
        }
    }

    pub fn forget(&self, uri: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.forget(uri);
        }
        if let Ok(mut related) = self.related.lock() {
            related.forget(uri);
        }
        if let Ok(mut definitions) = self.definitions.lock() {
            definitions.forget(uri);
        }
        if let Ok(mut rhythm) = self.rhythm.lock() {
            rhythm.remove(uri);
        }
        if let Some(in_flight) = self.in_flight.lock().ok().and_then(|mut map| map.remove(uri)) {
            in_flight.task.abort();
        }
        if let Ok(mut generations) = self.generations.lock() {
            generations.remove(uri);
        }
    }

    /// Marks a new request for `uri`; returns its generation and a receiver that changes when a
    /// newer request arrives.
    fn begin(&self, uri: &str) -> (u64, watch::Receiver<u64>) {
        let Ok(mut generations) = self.generations.lock() else {
            let (_, receiver) = watch::channel(0);
            return (0, receiver);
        };
        let sender = generations.entry(uri.to_owned()).or_insert_with(|| watch::channel(0).0);
        let generation = *sender.borrow() + 1;
        sender.send_replace(generation);
        (generation, sender.subscribe())
    }

    /// What is left of the quiet period for an automatic request arriving now (see `debounce`).
    fn debounce(&self, uri: &str, settings: &CompletionSettings) -> Duration {
        self.rhythm
            .lock()
            .ok()
            .map(|mut rhythm| {
                rhythm.entry(uri.to_owned()).or_default().remaining_wait(
                    Instant::now(),
                    settings.debounce_min,
                    settings.debounce_max,
                )
            })
            .unwrap_or(settings.debounce_min)
    }

    /// Takes a request in, in the order the editor sent it: from here on, any request admitted
    /// later for the same document supersedes it. Call it on the task that reads the editor's
    /// messages, before handing the request to a worker: workers start in any order, and a
    /// generation taken there let an older request supersede the newer one.
    pub fn admit(&self, request: CompletionRequest) -> Admitted {
        let (generation, newer) = self.begin(&request.uri);
        Admitted { request, generation, newer }
    }

    /// Runs the pipeline for one admitted request.
    pub async fn complete(&self, store: &Arc<DocumentStore>, admitted: Admitted) -> Outcome {
        let Admitted { request, generation, mut newer } = admitted;
        let settings = self.settings();
        if !settings.enabled {
            return Outcome::Nothing("completion is disabled");
        }
        let Some(snapshot) = store.snapshot(&request.uri) else {
            return Outcome::Nothing("document is not open");
        };
        let version_at_request = snapshot.version();
        let rope = snapshot.rope();
        let mut cursor = request.byte_offset.min(rope.len_bytes());
        if version_at_request != request.version {
            // An edit was applied between the handler reading the position and the worker
            // starting (the editor's next message is handled meanwhile). The offset may then
            // fall inside a character of the new text: snap it back to one, never slice there.
            tracing::debug!(asked = request.version, now = version_at_request, "document changed under a request");
            cursor = rope.char_to_byte(rope.byte_to_char(cursor));
        }

        // Typing through a suggestion already made costs nothing.
        let lookup_key = cursor_key(&snapshot, cursor, BEFORE_WINDOW + AFTER_WINDOW);
        if let Some(hit) = self.cache.lock().ok().and_then(|mut cache| cache.lookup(&lookup_key)) {
            self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
            let suggestions =
                hit.suggestions.into_iter().map(|text| Suggestion { text, provider: hit.provider.clone() }).collect();
            return Outcome::Suggestions { suggestions, from_cache: true };
        }

        if request.trigger == Trigger::Automatic {
            let wait = self.debounce(&request.uri, &settings).saturating_sub(request.client_waited);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = newer.wait_for(|latest| *latest != generation) => {
                    self.counters.superseded.fetch_add(1, Ordering::Relaxed);
                    return Outcome::Superseded;
                }
            }
        }

        // A first parse takes ~80 ms on a 20,000-line file: not on the thread that reads the
        // editor's messages (an incremental one is a fraction of a millisecond, and so is a
        // first one of a small file, where a hand-off would cost more than it saves).
        let snapshot = if rope.len_bytes() > PARSE_INLINE_MAX_BYTES && store.needs_full_parse(&request.uri) {
            let (store, uri) = (Arc::clone(store), request.uri.clone());
            tokio::task::spawn_blocking(move || store.snapshot_with_syntax(&uri)).await.ok().flatten()
        } else {
            store.snapshot_with_syntax(&request.uri)
        };
        let Some(snapshot) = snapshot else {
            return Outcome::Nothing("document is not open");
        };

        if snapshot.version() != version_at_request {
            // The text moved under the cursor while we waited; the editor will ask again.
            return Outcome::Superseded;
        }
        let multiline = match placement::placement(snapshot.rope(), snapshot.tree(), cursor) {
            Placement::Skip(reason) => {
                tracing::debug!(?reason, "no completion here");
                return Outcome::Nothing("no completion at this position");
            }
            Placement::Complete { multiline } => multiline,
        };
        if settings.config_locked {
            return Outcome::Nothing(crate::config::LOCKED_MESSAGE);
        }
        if self.chain().is_none() {
            return Outcome::Nothing(
                "no provider is available: configure one, set an API key, or start Ollama or llama.cpp (see `switchboard doctor`)",
            );
        }

        // The same text as `lookup_key`'s (the version is the same), so a part of it.
        let key = narrowed(&lookup_key, BEFORE_WINDOW);
        let mut result =
            self.adopt_or_start(store, &snapshot, cursor, &key, &lookup_key, multiline, &request, &settings);
        // If this request is dropped (the editor cancelled it) while it is still the newest for
        // the document, nobody wants the model call any more: abort it, closing the connection.
        let _abandon = AbandonGuard { engine: self, uri: &request.uri, generation };
        let outcome = loop {
            if let Some(done) = result.borrow().clone() {
                break done;
            }
            tokio::select! {
                changed = result.changed() => {
                    if changed.is_err() {
                        return Outcome::Nothing("the model call was dropped");
                    }
                }
                _ = newer.wait_for(|latest| *latest != generation) => {
                    self.counters.superseded.fetch_add(1, Ordering::Relaxed);
                    return Outcome::Superseded;
                }
            }
        };
        match outcome {
            Err(error) => Outcome::Failed(error),
            Ok(suggestions) if suggestions.is_empty() => Outcome::Nothing("the model had nothing useful"),
            Ok(_) => {
                // Served through the cache, so that a call adopted from an earlier cursor
                // returns only what the user has not typed since.
                match self.cache.lock().ok().and_then(|mut cache| cache.lookup(&lookup_key)) {
                    Some(hit) if !hit.suggestions.is_empty() => {
                        let suggestions = hit
                            .suggestions
                            .into_iter()
                            .map(|text| Suggestion { text, provider: hit.provider.clone() })
                            .collect();
                        Outcome::Suggestions { suggestions, from_cache: false }
                    }
                    _ => Outcome::Nothing("the suggestion no longer fits what was typed"),
                }
            }
        }
    }

    /// Adopts the document's in-flight model call if this cursor extends its context (the user
    /// typed a little more on the same line), else aborts it (closing its connection) and starts
    /// a new one.
    #[allow(clippy::too_many_arguments, reason = "one call site; the values are the request's own")]
    fn adopt_or_start(
        &self,
        store: &DocumentStore,
        snapshot: &DocumentSnapshot,
        cursor: usize,
        key: &CursorKey,
        lookup_key: &CursorKey,
        multiline: bool,
        request: &CompletionRequest,
        settings: &CompletionSettings,
    ) -> watch::Receiver<CallResult> {
        // The map is shared by every document: hold its lock only to look and to insert, never
        // while the prompt is prepared.
        {
            let Ok(mut in_flight) = self.in_flight.lock() else {
                let (_, receiver) = watch::channel(None);
                return receiver;
            };
            if let Some(current) = in_flight.get(snapshot.uri()) {
                let pending = current.result.borrow().is_none() && !current.task.is_finished();
                if pending
                    && current.key.after == key.after
                    && extends_by(&current.key.before, &lookup_key.before, 64).is_some()
                {
                    self.counters.adopted.fetch_add(1, Ordering::Relaxed);
                    return current.result.clone();
                }
                current.task.abort();
                in_flight.remove(snapshot.uri());
            }
        }
        let (sender, receiver) = watch::channel(None);
        let Some(chain) = self.chain() else {
            let _ = sender.send(Some(Ok(Vec::new())));
            return receiver;
        };
        self.counters.provider_calls.fetch_add(1, Ordering::Relaxed);
        let n_calls = match request.trigger {
            Trigger::Automatic => 1,
            Trigger::Invoked => request.max_items.clamp(1, settings.n_items_invoked.max(1)),
        };
        // Compiling a language's queries takes milliseconds (about 8 ms for Python); `didOpen`
        // started it in the background. A request that comes before it is done goes without
        // syntax context (scopes and imports from the text alone) rather than wait.
        let warm_snapshot;
        let snapshot = match snapshot.language() {
            Some(language) if !switchboard_core::context::is_warm(language) => {
                tracing::debug!(language = language.name, "queries still compiling: context from the text alone");
                warm_snapshot = snapshot.without_tree();
                &warm_snapshot
            }
            _ => snapshot,
        };
        let prepared = prompt::prepare(store, snapshot, cursor, multiline, settings, &self.related, &self.definitions);
        let cache_key = key.clone();
        let stop = StopRule { multiline, cursor_indent: prepared.cursor_indent, max_lines: settings.max_lines };
        let deadline = settings.deadline;
        let max_tokens = settings.max_tokens;
        let temperature = settings.temperature;
        let redaction = settings.redaction.clone();
        let uri = snapshot.uri().to_owned();
        let cache = Arc::clone(&self.cache);
        let task = tokio::spawn(async move {
            // Where the provider returns several answers to one request, the prompt is sent (and
            // paid for) once; elsewhere each item is its own request.
            let choices = if n_calls > 1 && chain.max_choices() as usize >= n_calls { n_calls } else { 1 };
            let calls = (0..n_calls / choices).map(|idx| {
                let request = GenerateRequest {
                    prompt: switchboard_providers::Prompt::Fim(Arc::clone(&prepared.fim)),
                    max_tokens,
                    stop: prepared.stop.clone(),
                    // Extra items for an explicit request come from a little more randomness:
                    // each separate request a step warmer, or one step for all in one request.
                    temperature: temperature.map(|t| t + 0.3 * (idx + usize::from(choices > 1)) as f32),
                    deadline: Some(tokio::time::Instant::now() + deadline),
                    purpose: Purpose::InlineCompletion,
                    choices: choices as u32,
                };
                let stop = stop.clone();
                let chain = chain.clone();
                let redaction = redaction.clone();
                async move { call::run(chain, request, &stop, deadline, &redaction, |_| {}).await }
            });
            let answers = futures_util::future::join_all(calls).await;
            let mut suggestions: Vec<Suggestion> = Vec::new();
            let mut last_error = None;
            for answer in answers {
                match answer {
                    Ok(Answers { provider, texts, masks }) => {
                        for raw in texts {
                            // A placeholder must never reach the file, nor a secret the model
                            // was never shown.
                            if masks.contains_placeholder(&raw) {
                                redaction.suggestion_dropped();
                                tracing::debug!(%provider, "suggestion dropped: it uses a masked secret");
                                continue;
                            }
                            if let Some(text) = prepared.postprocess.run(&raw)
                                && !suggestions.iter().any(|s| s.text == text)
                            {
                                suggestions.push(Suggestion { text, provider: provider.clone() });
                            }
                        }
                    }
                    Err(error) => last_error = Some(error),
                }
            }
            let result = match (suggestions.is_empty(), last_error) {
                (true, Some(error)) => Err(error),
                _ => Ok(suggestions),
            };
            if let Ok(found) = &result
                && let Some(first) = found.first()
                && let Ok(mut cache) = cache.lock()
            {
                cache.insert(cache_key, found.iter().map(|s| s.text.clone()).collect(), &first.provider);
            }
            let _ = sender.send(Some(result));
        });
        let entry = InFlight { key: key.clone(), result: receiver.clone(), task: task.abort_handle() };
        match self.in_flight.lock() {
            Ok(mut in_flight) => {
                // A request for the same document that started meanwhile is superseded by this one.
                if let Some(previous) = in_flight.insert(uri, entry) {
                    previous.task.abort();
                }
            }
            // Without the map nobody could abort the call later: do not let it run unowned.
            Err(_) => task.abort(),
        }
        receiver
    }
}

/// Aborts the document's in-flight model call when the newest request waiting for it goes away.
struct AbandonGuard<'a> {
    engine: &'a CompletionEngine,
    uri: &'a str,
    generation: u64,
}

impl Drop for AbandonGuard<'_> {
    fn drop(&mut self) {
        let newest = self.engine.generations.lock().ok().and_then(|g| g.get(self.uri).map(|sender| *sender.borrow()));
        if newest != Some(self.generation) {
            // A newer request took over; it adopts or aborts the call itself.
            return;
        }
        if let Ok(mut in_flight) = self.engine.in_flight.lock()
            && let Some(current) = in_flight.get(self.uri)
            && current.result.borrow().is_none()
        {
            current.task.abort();
            in_flight.remove(self.uri);
        }
    }
}

/// If `longer` is `shorter` followed by at most `max` bytes of one line, their length.
fn extends_by(shorter: &str, longer: &str, max: usize) -> Option<usize> {
    (0..=max.min(longer.len())).find(|&extra| {
        let cut = longer.len() - extra;
        longer.is_char_boundary(cut) && longer[..cut].ends_with(shorter) && !longer[cut..].contains('\n')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The narrowed lookup key is the key `cursor_key` reads with the smaller window, multi-byte
    /// characters at the cut included, near the start of the document too.
    #[test]
    fn a_narrowed_key_is_the_key_with_the_smaller_window() {
        let store = DocumentStore::default();
        let line = "let größe = \"日本語 😀\"; // ü\n";
        let text = line.repeat(40);
        store.open("file:///k.rs", "rust", 1, &text);
        let snapshot = store.snapshot("file:///k.rs").unwrap();
        for cursor in (0..=text.len()).filter(|&at| text.is_char_boundary(at)) {
            let wide = cursor_key(&snapshot, cursor, BEFORE_WINDOW + AFTER_WINDOW);
            assert_eq!(narrowed(&wide, BEFORE_WINDOW), cursor_key(&snapshot, cursor, BEFORE_WINDOW), "at {cursor}");
        }
    }
}
