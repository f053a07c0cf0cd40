//! AI code actions, free of LSP types.
//!
//! Two halves with different rules:
//! - **Listing** ([`offer`]) runs on every cursor move in some editors, so it never calls a model
//!   and never waits: it reads the document and its syntax tree and says which actions fit.
//! - **Running** ([`ActionsEngine::run`]) asks the actions chain (failing over between vendors),
//!   reads the whole answer, and turns it into the smallest edit of the document
//!   ([`rewrite`]), re-anchored if the document changed meanwhile, or into a message.
//!
//! Every run is registered as a job: a newer run on the same lines, a cancel from the editor or
//! closing the document stops it, which drops the model call and closes its connection.
//! Adding an action is one entry in [`catalog`] (or one `[[actions.custom]]` table).

pub mod catalog;
pub mod offer;
pub mod prompt;
pub mod rewrite;

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use switchboard_core::context::region;
use switchboard_core::documents::{DocumentSnapshot, DocumentStore};
use switchboard_core::languages;
use switchboard_providers::chain::{Chain, ChainError};
use switchboard_providers::{GenerateRequest, Prompt, Purpose, answer};
use tokio::sync::watch;

use self::catalog::{ActionDef, Output};
use self::rewrite::{LineEdit, RewriteError};
use crate::runtime::call::{self, WholeAnswer};
use crate::runtime::redact::Redaction;

/// A diagnostic the editor reported, as an action needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostic {
    /// Lines it covers (0-based, end exclusive, at least one).
    pub lines: Range<usize>,
    pub message: String,
    pub source: Option<String>,
    pub code: Option<String>,
    pub severity: Option<&'static str>,
}

impl Diagnostic {
    /// One line for a prompt: `error[E0308] (rustc) at line 12: mismatched types`.
    pub fn describe(&self) -> String {
        let mut out = self.severity.unwrap_or("problem").to_owned();
        if let Some(code) = &self.code {
            out.push_str(&format!("[{code}]"));
        }
        if let Some(source) = &self.source {
            out.push_str(&format!(" ({source})"));
        }
        out.push_str(&format!(" at line {}: {}", self.lines.start + 1, self.message));
        out
    }
}

/// What the feature needs from the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionSettings {
    pub enabled: bool,
    pub max_tokens: u32,
    pub timeout: Duration,
    pub actions: Vec<ActionDef>,
    pub config_locked: bool,
    /// Secrets masked in the prompt; the answer gets them back (the edit is of the user's file).
    pub redaction: Redaction,
}

impl Default for ActionSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            max_tokens: 2048,
            timeout: Duration::from_secs(60),
            actions: catalog::all(&[]),
            config_locked: false,
            redaction: Redaction::default(),
        }
    }
}

/// One run of an action, as the listing described it.
#[derive(Debug, Clone)]
pub struct Job {
    pub action_id: String,
    pub uri: String,
    pub lines: Range<usize>,
    pub diagnostics: Vec<Diagnostic>,
    pub instruction: Option<String>,
    /// The workspace root, where test files go.
    pub root: Option<PathBuf>,
    /// The document when the run was asked for (with its syntax tree): the prompt is built from
    /// it, and `lines` refer to it. Taken before any later edit is applied, so an edit made
    /// while the model writes is re-anchored, not mistaken for the original.
    pub snapshot: DocumentSnapshot,
}

/// What a run produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Edits to the document, against `version`.
    Edit { uri: String, version: i32, edits: Vec<LineEdit>, provider: String },
    /// Text appended to a file that is not the document (open or not): tests.
    Append { path: PathBuf, text: String, provider: String },
    /// A new file: tests.
    NewFile { path: PathBuf, text: String, provider: String },
    /// Markdown for the user.
    Message { title: String, markdown: String, provider: String },
}

/// Why a run produced nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionError {
    Disabled,
    UnknownAction(String),
    NotOpen,
    NoProvider,
    Locked,
    Cancelled,
    /// The document changed while the model wrote, and the region is no longer found.
    Changed,
    Failed(ChainError),
    Unusable(RewriteError),
    /// The answer had nothing to show.
    Empty,
}

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Disabled => f.write_str("AI actions are off (actions.enabled = false)"),
            Self::UnknownAction(id) => write!(f, "there is no action \"{id}\" (was it removed from the configuration?)"),
            Self::NotOpen => f.write_str("the document was closed; nothing was changed"),
            Self::NoProvider => f.write_str(
                "no provider is available for actions: configure one (actions.providers), set an API key, or start Ollama or llama.cpp (see `switchboard doctor`)",
            ),
            Self::Locked => f.write_str(crate::config::LOCKED_MESSAGE),
            Self::Cancelled => f.write_str("cancelled; nothing was changed"),
            Self::Changed => f.write_str(
                "the code changed while the model was writing, so its answer no longer fits; nothing was changed: run the action again",
            ),
            Self::Failed(error) => write!(f, "{}", error.message),
            Self::Unusable(error) => write!(f, "{error}"),
            Self::Empty => f.write_str("the model's answer was empty; nothing was changed"),
        }
    }
}

/// A job in progress.
#[derive(Debug)]
struct Running {
    uri: String,
    lines: Range<usize>,
    title: String,
    cancel: watch::Sender<bool>,
}

/// Counters for tests, benchmarks and `switchboard/status`.
#[derive(Debug, Default)]
pub struct Counters {
    pub listings: AtomicU64,
    pub provider_calls: AtomicU64,
    pub applied: AtomicU64,
    pub failed: AtomicU64,
    pub cancelled: AtomicU64,
}

#[derive(Debug, Default)]
pub struct ActionsEngine {
    settings: RwLock<ActionSettings>,
    chain: RwLock<Option<Arc<Chain>>>,
    jobs: Mutex<HashMap<u64, Running>>,
    next_job: AtomicU64,
    pub counters: Counters,
}

/// A registered job: its id and the signal that stops it.
#[derive(Debug)]
pub struct Ticket {
    pub id: u64,
    cancelled: watch::Receiver<bool>,
}

impl ActionsEngine {
    pub fn settings(&self) -> ActionSettings {
        self.settings.read().map(|settings| settings.clone()).unwrap_or_default()
    }

    pub fn set_settings(&self, settings: ActionSettings) {
        if let Ok(mut slot) = self.settings.write() {
            *slot = settings;
        }
    }

    pub fn chain(&self) -> Option<Arc<Chain>> {
        self.chain.read().ok().and_then(|chain| chain.clone())
    }

    pub fn set_chain(&self, chain: Option<Arc<Chain>>) {
        if let Ok(mut slot) = self.chain.write() {
            *slot = chain;
        }
    }

    /// The actions offered at `site` (no model call), and a "cancel" entry per running job on
    /// the document (`(job id, title)`).
    pub fn list(&self, site: &offer::Site<'_>) -> (Vec<offer::Offer>, Vec<(u64, String)>) {
        self.counters.listings.fetch_add(1, Ordering::Relaxed);
        let settings = self.settings();
        if !settings.enabled {
            return (Vec::new(), Vec::new());
        }
        let running = self
            .jobs
            .lock()
            .map(|jobs| {
                let mut running: Vec<(u64, String)> = jobs
                    .iter()
                    .filter(|(_, job)| job.uri == site.snapshot.uri())
                    .map(|(id, job)| (*id, job.title.clone()))
                    .collect();
                running.sort();
                running
            })
            .unwrap_or_default();
        (offer::offers(&settings.actions, site), running)
    }

    /// Registers a run: a running job on the same document whose lines overlap is cancelled
    /// (a new run on the same code replaces the old one).
    pub fn register(&self, uri: &str, lines: Range<usize>, title: &str) -> Ticket {
        let id = self.next_job.fetch_add(1, Ordering::Relaxed) + 1;
        let (cancel, cancelled) = watch::channel(false);
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.retain(|_, job| {
                let overlaps = job.uri == uri && job.lines.start < lines.end && lines.start < job.lines.end;
                if overlaps {
                    job.cancel.send_replace(true);
                }
                !overlaps
            });
            jobs.insert(id, Running { uri: uri.to_owned(), lines, title: title.to_owned(), cancel });
        }
        Ticket { id, cancelled }
    }

    /// Stops job `id`; whether it was running.
    pub fn cancel(&self, id: u64) -> bool {
        let job = self.jobs.lock().ok().and_then(|mut jobs| jobs.remove(&id));
        job.map(|job| job.cancel.send_replace(true)).is_some()
    }

    /// Stops every job on `uri` (the document was closed).
    pub fn forget(&self, uri: &str) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.retain(|_, job| {
                if job.uri == uri {
                    job.cancel.send_replace(true);
                }
                job.uri != uri
            });
        }
    }

    /// Whether job `id` still runs.
    pub fn is_running(&self, id: u64) -> bool {
        self.jobs.lock().map(|jobs| jobs.contains_key(&id)).unwrap_or(false)
    }

    fn finish(&self, id: u64) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.remove(&id);
        }
    }

    /// How many jobs run now.
    pub fn n_running(&self) -> usize {
        self.jobs.lock().map(|jobs| jobs.len()).unwrap_or(0)
    }

    /// Runs `job`: builds the prompt from the document as it is now, asks the chain, and turns
    /// the answer into an [`Outcome`]. Stops, with [`ActionError::Cancelled`], as soon as the
    /// ticket is cancelled. `progress` sees the answer's length as it grows.
    pub async fn run(
        &self,
        store: &DocumentStore,
        job: Job,
        mut ticket: Ticket,
        progress: impl FnMut(usize) + Send,
    ) -> Result<Outcome, ActionError> {
        let result = tokio::select! {
            result = self.run_inner(store, &job, progress) => result,
            _ = ticket.cancelled.wait_for(|cancelled| *cancelled) => Err(ActionError::Cancelled),
        };
        self.finish(ticket.id);
        let counter = match &result {
            Ok(_) => &self.counters.applied,
            Err(ActionError::Cancelled) => &self.counters.cancelled,
            Err(_) => &self.counters.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        result
    }

    async fn run_inner(
        &self,
        store: &DocumentStore,
        job: &Job,
        progress: impl FnMut(usize) + Send,
    ) -> Result<Outcome, ActionError> {
        let settings = self.settings();
        if !settings.enabled {
            return Err(ActionError::Disabled);
        }
        if settings.config_locked {
            return Err(ActionError::Locked);
        }
        let action = settings
            .actions
            .iter()
            .find(|action| action.id == job.action_id)
            .cloned()
            .ok_or_else(|| ActionError::UnknownAction(job.action_id.clone()))?;
        let snapshot = job.snapshot.clone();
        let chain = self.chain().ok_or(ActionError::NoProvider)?;
        let lines = clamp_lines(&snapshot, job.lines.clone());
        let original = document_lines(&snapshot)[lines.clone()].to_vec();
        let inputs = inputs(&snapshot, &action, job, lines.clone());
        let request = GenerateRequest {
            prompt: Prompt::Chat(prompt::chat(&action.prompt, &inputs, action.writes_code())),
            max_tokens: settings.max_tokens,
            stop: Vec::new(),
            temperature: Some(0.2),
            deadline: Some(tokio::time::Instant::now() + settings.timeout),
            purpose: Purpose::CodeAction,
            choices: 1,
        };
        self.counters.provider_calls.fetch_add(1, Ordering::Relaxed);
        let answers = call::run(chain, request, &WholeAnswer, settings.timeout, &settings.redaction, progress)
            .await
            .map_err(ActionError::Failed)?;
        let provider = answers.provider;
        let text = answers.texts.into_iter().next().map(|text| answers.masks.unmask(&text)).unwrap_or_default();
        match action.output {
            Output::Message => {
                let markdown = answer::prose(&text);
                // Nothing but fence lines (an empty code block) says nothing either.
                let says_something =
                    markdown.lines().any(|line| !line.trim().is_empty() && !line.trim_start().starts_with("```"));
                if !says_something {
                    return Err(ActionError::Empty);
                }
                let title = offer_title(&action, &inputs);
                Ok(Outcome::Message { title, markdown, provider })
            }
            Output::TestFile => {
                let code = answer::code(&text);
                if code.trim().is_empty() {
                    return Err(ActionError::Empty);
                }
                Ok(test_outcome(store, &snapshot, job.root.as_deref(), &code, provider))
            }
            Output::Replace | Output::InsertBefore | Output::InsertAfter => {
                let code = answer::code(&text);
                // Edits go to the document as it is now; if it changed, find the region again.
                let now = store.snapshot(&job.uri).ok_or(ActionError::NotOpen)?;
                let now_lines = document_lines(&now);
                let lines = if now.version() == snapshot.version() {
                    lines
                } else {
                    reanchor(&now_lines, &original).ok_or(ActionError::Changed)?
                };
                // A file that does not show its indentation takes its language's.
                let fallback = now.language_entry().map_or(rewrite::IndentStyle::Spaces(4), |language| {
                    rewrite::IndentStyle::from_unit(language.indent)
                });
                let style = rewrite::detect_style_or(&now_lines, fallback);
                let edits = match action.output {
                    Output::Replace => {
                        rewrite::plan_rewrite(&now_lines, lines, &code, style).map_err(ActionError::Unusable)?
                    }
                    output => insertion(&now_lines, lines, &code, style, output == Output::InsertBefore)?,
                };
                Ok(Outcome::Edit { uri: job.uri.clone(), version: now.version(), edits, provider })
            }
        }
    }
}

fn offer_title(action: &ActionDef, inputs: &prompt::Inputs) -> String {
    action.title.replace("{symbol}", &inputs.symbol).replace("AI: ", "")
}

/// The document's lines without their line ends.
pub fn document_lines(snapshot: &DocumentSnapshot) -> Vec<String> {
    let text = snapshot.text();
    let mut lines: Vec<String> =
        text.split('\n').map(|line| line.strip_suffix('\r').unwrap_or(line).to_owned()).collect();
    if text.ends_with('\n') {
        lines.pop();
    }
    lines
}

fn clamp_lines(snapshot: &DocumentSnapshot, lines: Range<usize>) -> Range<usize> {
    let n = document_lines(snapshot).len();
    let end = lines.end.min(n);
    lines.start.min(end)..end
}

/// Where `original` is now: its lines found once, exactly, in `now`.
fn reanchor(now: &[String], original: &[String]) -> Option<Range<usize>> {
    if original.is_empty() || original.len() > now.len() {
        return None;
    }
    let mut found = (0..=now.len() - original.len()).filter(|&start| now[start..start + original.len()] == *original);
    let start = found.next()?;
    found.next().is_none().then(|| start..start + original.len())
}

/// The code re-indented like the region and inserted above or below it.
fn insertion(
    doc: &[String],
    lines: Range<usize>,
    code: &str,
    style: rewrite::IndentStyle,
    before: bool,
) -> Result<Vec<LineEdit>, ActionError> {
    let base: String = doc
        .get(lines.start)
        .map(|line| line.chars().take_while(|ch| *ch == ' ' || *ch == '\t').collect())
        .unwrap_or_default();
    let mut new_lines = rewrite::reindent(code, &base, style);
    while new_lines.first().is_some_and(|line| line.trim().is_empty()) {
        new_lines.remove(0);
    }
    while new_lines.last().is_some_and(|line| line.trim().is_empty()) {
        new_lines.pop();
    }
    if new_lines.is_empty() {
        return Err(ActionError::Empty);
    }
    let at = if before { lines.start } else { lines.end };
    Ok(vec![LineEdit { start: at, end: at, lines: new_lines }])
}

fn inputs(snapshot: &DocumentSnapshot, action: &ActionDef, job: &Job, lines: Range<usize>) -> prompt::Inputs {
    const BEFORE_LINES: usize = 40;
    const AFTER_LINES: usize = 20;
    let entry = snapshot.language_entry();
    let language = entry.map_or_else(|| snapshot.language_id().to_owned(), |l| l.name.to_owned());
    let code = region::lines_text(snapshot, lines.clone());
    let before = region::lines_text(snapshot, lines.start.saturating_sub(BEFORE_LINES)..lines.start);
    let after = region::lines_text(snapshot, lines.end..lines.end + AFTER_LINES);
    let rope = snapshot.rope();
    let start = rope.line_to_byte(lines.start.min(rope.len_lines()));
    let symbol = region::symbol(snapshot, start, start)
        .filter(|symbol| symbol.lines.start >= lines.start)
        .and_then(|symbol| symbol.name().map(|name| format!("`{name}`")))
        .unwrap_or_else(|| "the code".to_owned());
    let path = display_path(snapshot.path(), job.root.as_deref());
    let _ = action;
    prompt::Inputs {
        test_place: entry.unwrap_or_else(languages::default_entry).tests.place.to_owned(),
        language,
        path,
        symbol,
        code,
        before,
        after,
        diagnostics: job.diagnostics.iter().map(Diagnostic::describe).collect(),
        line: lines.start + 1,
        instruction: job.instruction.clone().unwrap_or_default(),
    }
}

fn display_path(path: &str, root: Option<&Path>) -> String {
    root.and_then(|root| Path::new(path).strip_prefix(root).ok())
        .map_or_else(|| path.to_owned(), |relative| relative.display().to_string())
}

/// Where the tests go: the end of the same file (Rust), or the language's test file beside it
/// (appended if it exists).
fn test_outcome(
    store: &DocumentStore,
    snapshot: &DocumentSnapshot,
    root: Option<&Path>,
    code: &str,
    provider: String,
) -> Outcome {
    let path = PathBuf::from(snapshot.path());
    let language = snapshot.language_entry().map_or("", |language| language.name);
    let Some(target) = test_path(&path, language, root) else {
        // Tests in the same file: appended at its end, after a blank line.
        let n = document_lines(snapshot).len();
        let mut lines = vec![String::new()];
        lines.extend(code.trim_matches('\n').split('\n').map(str::to_owned));
        return Outcome::Edit {
            uri: snapshot.uri().to_owned(),
            version: snapshot.version(),
            edits: vec![LineEdit { start: n, end: n, lines }],
            provider,
        };
    };
    let text = format!("{}\n", code.trim_matches('\n'));
    let target_uri = switchboard_core::documents::uri_of_path(&target.display().to_string());
    if store.is_open(&target_uri) || target.exists() {
        Outcome::Append { path: target, text, provider }
    } else {
        Outcome::NewFile { path: target, text, provider }
    }
}

/// The test file for `path` in `language` (a name the language table knows; anything else gets
/// the table's default convention), or `None` when tests go in the same file. The file sits
/// beside `path`, or in the convention's directory under `root` when that exists (`tests/`).
pub fn test_path(path: &Path, language: &str, root: Option<&Path>) -> Option<PathBuf> {
    let convention = &languages::find(language).unwrap_or_else(languages::default_entry).tests;
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    let ext = path.extension().map(|ext| ext.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = path.parent()?;
    let file_name = convention.file_name(&stem, &ext)?;
    let tests_dir =
        convention.directory.zip(root).map(|(directory, root)| root.join(directory)).filter(|dir| dir.is_dir());
    Some(tests_dir.unwrap_or_else(|| dir.to_owned()).join(file_name))
}

#[cfg(test)]
mod tests {
    use switchboard_core::documents::{ContentChange, LineCol, PositionEncoding, Range as TextRange, StoreLimits};
    use switchboard_providers::chain::ChainOptions;
    use switchboard_providers::fake::{FakeProvider, FakeReply};
    use switchboard_providers::{ErrorKind, Health};

    use super::*;

    const GO: &str = "package cart\n\nfunc Total(items []Item) int {\n\tsum := 0\n\tfor _, item := range items {\n\t\tsum += item.Price\n\t}\n\treturn sum\n}\n";

    fn engine_with(replies: Vec<FakeReply>) -> (ActionsEngine, Arc<FakeProvider>) {
        let fake = Arc::new(FakeProvider::new("fake"));
        for reply in replies {
            fake.push(reply);
        }
        let chain = Chain::new("actions", vec![fake.clone()], ChainOptions::default(), Arc::new(Health::default()));
        let engine = ActionsEngine::default();
        engine.set_chain(Some(Arc::new(chain)));
        (engine, fake)
    }

    fn job(store: &DocumentStore, action: &str, uri: &str, lines: Range<usize>) -> Job {
        Job {
            action_id: action.into(),
            uri: uri.into(),
            lines,
            diagnostics: Vec::new(),
            instruction: None,
            root: None,
            snapshot: store.snapshot_with_syntax(uri).expect("open"),
        }
    }

    fn store_with(uri: &str, language: &str, text: &str) -> DocumentStore {
        let store = DocumentStore::new(StoreLimits::default());
        store.open(uri, language, 1, text);
        store
    }

    fn applied(store: &DocumentStore, uri: &str, outcome: &Outcome) -> String {
        let Outcome::Edit { edits, .. } = outcome else { panic!("not an edit: {outcome:?}") };
        let lines = document_lines(&store.snapshot(uri).unwrap());
        let mut text = rewrite::apply(&lines, edits).join("\n");
        text.push('\n');
        text
    }

    #[tokio::test]
    async fn a_go_answer_with_thinking_fences_and_spaces_becomes_a_tab_indented_minimal_edit() {
        let answer = "<think>use a better name</think>Here you go:\n```go\nfunc Total(items []Item) int {\n    total := 0\n    for _, item := range items {\n        total += item.Price\n    }\n    return total\n}\n```\nDone.";
        let (engine, fake) = engine_with(vec![FakeReply::text(answer)]);
        let uri = "file:///src/cart.go";
        let store = store_with(uri, "go", GO);
        let ticket = engine.register(uri, 2..9, "AI: Improve");
        let outcome = engine.run(&store, job(&store, "improve", uri, 2..9), ticket, |_| {}).await.expect("an edit");
        let Outcome::Edit { edits, version, provider, .. } = &outcome else { panic!("{outcome:?}") };
        assert_eq!((*version, provider.as_str()), (1, "fake"));
        assert!(edits.iter().all(|edit| edit.start >= 3), "the unchanged signature is not rewritten: {edits:?}");
        assert_eq!(applied(&store, uri, &outcome), GO.replace("sum", "total"));
        let Prompt::Chat(prompt) = &fake.requests()[0].prompt else { panic!("a chat prompt") };
        assert!(prompt.messages[0].content.contains("```go\nfunc Total"), "{:?}", prompt.messages[0].content);
        assert_eq!(engine.counters.applied.load(Ordering::Relaxed), 1);
        assert_eq!(engine.n_running(), 0);
    }

    #[tokio::test]
    async fn an_edit_inside_the_region_while_the_model_writes_is_refused() {
        let (engine, _) = engine_with(vec![
            FakeReply::text("func Total(items []Item) int {\n\treturn 0\n}").delayed(Duration::from_millis(50)),
        ]);
        let uri = "file:///src/cart.go";
        let store = store_with(uri, "go", GO);
        let ticket = engine.register(uri, 2..9, "AI: Improve");
        let run = engine.run(&store, job(&store, "improve", uri, 2..9), ticket, |_| {});
        let edit = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let at = TextRange::new(LineCol::new(3, 1), LineCol::new(3, 4));
            store.change(uri, 2, &[ContentChange::replace(at, "acc")], PositionEncoding::Utf8).expect("applied");
        };
        let (result, ()) = tokio::join!(run, edit);
        assert_eq!(result, Err(ActionError::Changed));
    }

    #[tokio::test]
    async fn a_cancelled_job_stops_its_call_and_reports_cancelled() {
        let (engine, _) = engine_with(vec![FakeReply::Hang]);
        let uri = "file:///src/cart.go";
        let store = store_with(uri, "go", GO);
        let ticket = engine.register(uri, 2..9, "AI: Improve");
        let id = ticket.id;
        let run = engine.run(&store, job(&store, "improve", uri, 2..9), ticket, |_| {});
        let cancel = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            assert!(engine.is_running(id));
            // A newer run on overlapping lines replaces it.
            engine.register(uri, 4..5, "AI: Document")
        };
        let (result, newer) = tokio::join!(run, cancel);
        assert_eq!(result, Err(ActionError::Cancelled));
        assert!(!engine.is_running(id) && engine.is_running(newer.id));
        engine.forget(uri);
        assert_eq!(engine.n_running(), 0);
    }

    #[tokio::test]
    async fn failures_and_empty_answers_are_errors_not_edits() {
        let uri = "file:///src/cart.go";
        let store = store_with(uri, "go", GO);
        let (engine, _) = engine_with(vec![FakeReply::fail(ErrorKind::Auth, "invalid key")]);
        let ticket = engine.register(uri, 2..9, "AI: Improve");
        let failed = engine.run(&store, job(&store, "improve", uri, 2..9), ticket, |_| {}).await;
        assert!(matches!(&failed, Err(ActionError::Failed(error)) if error.kind == ErrorKind::Auth), "{failed:?}");
        let (engine, _) = engine_with(vec![FakeReply::text("```\n```")]);
        let ticket = engine.register(uri, 2..9, "AI: Explain");
        let empty = engine.run(&store, job(&store, "explain", uri, 2..9), ticket, |_| {}).await;
        assert_eq!(empty, Err(ActionError::Empty));
        assert_eq!(engine.counters.failed.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_region_is_found_again_only_where_it_is_unique() {
        let lines = |text: &str| text.split('\n').map(str::to_owned).collect::<Vec<_>>();
        let now = lines("new line\na\nb\nc");
        assert_eq!(reanchor(&now, &lines("a\nb")), Some(1..3));
        assert_eq!(reanchor(&lines("a\nb\na\nb"), &lines("a\nb")), None);
        assert_eq!(reanchor(&now, &lines("x")), None);
    }

    #[test]
    fn tests_go_where_each_language_keeps_them() {
        let root = Path::new("/nowhere/app");
        assert_eq!(test_path(Path::new("/nowhere/app/src/lib.rs"), "rust", Some(root)), None);
        assert_eq!(
            test_path(Path::new("/nowhere/app/pkg/util.py"), "python", Some(root)),
            Some(PathBuf::from("/nowhere/app/pkg/test_util.py"))
        );
        assert_eq!(
            test_path(Path::new("/nowhere/app/server.go"), "go", Some(root)),
            Some(PathBuf::from("/nowhere/app/server_test.go"))
        );
        assert_eq!(
            test_path(Path::new("/nowhere/app/sum.ts"), "typescript", Some(root)),
            Some(PathBuf::from("/nowhere/app/sum.test.ts"))
        );
    }

    #[test]
    fn languages_without_a_grammar_have_test_places_too() {
        assert_eq!(
            test_path(Path::new("/nowhere/app/lib/cart.ex"), "elixir", Some(Path::new("/nowhere/app"))),
            Some(PathBuf::from("/nowhere/app/lib/cart_test.exs"))
        );
        assert_eq!(test_path(Path::new("/nowhere/run"), "", None), Some(PathBuf::from("/nowhere/run_test")));
    }

    #[test]
    fn diagnostics_are_described_for_the_prompt() {
        let diagnostic = Diagnostic {
            lines: 11..12,
            message: "mismatched types".into(),
            source: Some("rustc".into()),
            code: Some("E0308".into()),
            severity: Some("error"),
        };
        assert_eq!(diagnostic.describe(), "error[E0308] (rustc) at line 12: mismatched types");
    }
}
