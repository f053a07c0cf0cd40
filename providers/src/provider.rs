//! The `Provider` trait and the typed requests, streams and errors every vendor shares.
//!
//! A provider implements one method, [`Provider::generate`]: a request in, a stream of text out.
//! Static facts about it live in one [`Capabilities`] value.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use tokio::time::Instant;

/// What the caller will do with the answer; it sets the retry budget (an inline completion that
/// arrives late is worthless, a code action can wait).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    InlineCompletion,
    CodeAction,
    /// `switchboard doctor`'s minimal probe.
    Probe,
}

/// Code from another file, offered as extra context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub path: String,
    pub text: String,
}

/// Fill-in-the-middle: write what goes between `prefix` and `suffix`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FimPrompt {
    pub prefix: String,
    pub suffix: String,
    /// Snippets from other files, most relevant last (nearest the cursor in the prompt).
    pub extra: Vec<Snippet>,
    /// The path of the file being edited, for repo-level FIM layouts and chat prompts.
    pub path: Option<String>,
    /// The language name, for chat prompts and fences.
    pub language: Option<String>,
    /// Replaces the built-in system prompt when the request goes to a chat model (FIM models
    /// take no instructions).
    pub system_prompt: Option<String>,
    /// How many bytes at the start of `prefix` are the file's header (its imports and the
    /// signatures of the scopes around the cursor, [`FimPrompt::header`]): the part that stays
    /// the same from one keystroke to the next, unlike the window around the cursor after it.
    /// A chat prompt puts it in its stable prefix, which vendors cache; a native FIM request
    /// sends `prefix` whole. Zero, or a value that is not a boundary in `prefix`, means none.
    pub header_len: usize,
}

impl FimPrompt {
    /// The file's header and the window after it, `prefix` split at `header_len` (no header
    /// when `header_len` does not fall on a character boundary).
    pub fn split_prefix(&self) -> (&str, &str) {
        match self.prefix.is_char_boundary(self.header_len) {
            true => self.prefix.split_at(self.header_len),
            false => ("", &self.prefix),
        }
    }

    /// The file's header: the start of `prefix` that stays the same as the cursor moves.
    pub fn header(&self) -> &str {
        self.split_prefix().0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatRole {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    pub role: ChatRole,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChatPrompt {
    pub system: Option<String>,
    pub messages: Vec<ChatMessage>,
    /// Where the part of the prompt that stays the same from one request to the next ends: the
    /// system prompt, the messages before `message`, and the first `bytes` bytes of it.
    /// Vendors that cache a repeated prompt prefix (OpenAI automatically, Anthropic at a
    /// `cache_control` breakpoint) discount it; Anthropic's request marks it when it is long
    /// enough to be cached. `None` when the prompt has no such split (code actions).
    pub stable_prefix: Option<StablePrefix>,
}

/// The end of a chat prompt's stable prefix ([`ChatPrompt::stable_prefix`]), at two depths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StablePrefix {
    /// The index in [`ChatPrompt::messages`] of the message in which the stable part ends.
    pub message: usize,
    /// How many bytes of that message's content stay the same as the cursor moves about the
    /// same function (the file's header, code from other files).
    pub bytes: usize,
    /// How many bytes stay the same while the user types on the cursor's line: the above,
    /// then the lines of the window above the cursor's line (at least `bytes`).
    pub line_bytes: usize,
}

impl ChatPrompt {
    /// The stable prefix's message split in two (stable part, the rest), when the split is
    /// valid: `None` without a stable prefix, or when it points outside the messages or inside
    /// a character.
    pub fn split_stable(&self) -> Option<(usize, &str, &str)> {
        let (index, [stable, _, _]) = self.split_stable_parts()?;
        let content = &self.messages[index].content;
        Some((index, stable, &content[stable.len()..]))
    }

    /// The stable prefix's message in three: what stays as the cursor moves about a function,
    /// what then stays while the user types on one line, and the rest.
    pub fn split_stable_parts(&self) -> Option<(usize, [&str; 3])> {
        let stable = self.stable_prefix?;
        let content = &self.messages.get(stable.message)?.content;
        let line_bytes = stable.line_bytes.max(stable.bytes);
        if !content.is_char_boundary(stable.bytes) || !content.is_char_boundary(line_bytes) {
            return None;
        }
        Some((stable.message, [&content[..stable.bytes], &content[stable.bytes..line_bytes], &content[line_bytes..]]))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// Shared: a chain hands the same prompt to each provider it tries, and a chat FIM answer
    /// keeps it to read the answer against; nothing changes it once it is sent.
    Fim(Arc<FimPrompt>),
    Chat(ChatPrompt),
}

#[derive(Debug, Clone, PartialEq)]
pub struct GenerateRequest {
    pub prompt: Prompt,
    pub max_tokens: u32,
    pub stop: Vec<String>,
    pub temperature: Option<f32>,
    /// When the answer stops being useful. Providers and chains give up at this instant.
    pub deadline: Option<Instant>,
    pub purpose: Purpose,
    /// How many different answers to ask for in this one request (OpenAI's `n`): the vendor
    /// bills the prompt once. A provider sends at most its [`Capabilities::max_choices`]; the
    /// first answer comes as [`StreamEvent::Text`], the others as [`StreamEvent::Alternative`].
    pub choices: u32,
}

/// Token counts as the vendor reported them, in one convention whatever the vendor's own:
/// `input_tokens` counts every prompt token, and the two cache counts say how many of those the
/// vendor read from its prompt cache or wrote to it (Anthropic reports the three apart and
/// OpenAI counts cached tokens inside `prompt_tokens`; each decoder converts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Every prompt token, those read from or written to a cache included.
    pub input_tokens: u64,
    /// Of `input_tokens`, those read from the vendor's prompt cache (billed at a discount:
    /// a tenth for Anthropic, half or less for OpenAI, DeepSeek and Gemini).
    pub cached_input_tokens: u64,
    /// Of `input_tokens`, those written to the cache at a `cache_control` breakpoint
    /// (Anthropic bills them at 1.25 times the input price; zero for every other vendor).
    pub cache_write_tokens: u64,
    pub output_tokens: u64,
}

impl Usage {
    /// Counts with nothing read from or written to a cache.
    pub fn new(input_tokens: u64, output_tokens: u64) -> Self {
        Self { input_tokens, output_tokens, ..Self::default() }
    }

    /// The same counts with `cached` of the input tokens read from the cache (at most all of
    /// them: a vendor's count is never trusted to exceed the total).
    pub fn with_cached(mut self, cached: u64) -> Self {
        self.cached_input_tokens = cached.min(self.input_tokens);
        self
    }

    /// What this report adds to an `earlier` one of the same answer: vendors that repeat the
    /// running counts (Gemini on every chunk, Anthropic in `message_start` and `message_delta`)
    /// must be counted once.
    pub fn since(&self, earlier: &Usage) -> Usage {
        Usage {
            input_tokens: self.input_tokens.saturating_sub(earlier.input_tokens),
            cached_input_tokens: self.cached_input_tokens.saturating_sub(earlier.cached_input_tokens),
            cache_write_tokens: self.cache_write_tokens.saturating_sub(earlier.cache_write_tokens),
            output_tokens: self.output_tokens.saturating_sub(earlier.output_tokens),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// The next piece of the answer.
    Text(String),
    /// The next piece of another answer to the same request, when several were asked for
    /// ([`GenerateRequest::choices`]); `choice` counts from 1 (the first answer is `Text`).
    Alternative { choice: u32, text: String },
    /// Final usage, when the vendor reports it.
    Usage(Usage),
}

/// A stream of events; ends after the last one. Dropping it closes the upstream connection.
pub type TextStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, ProviderError>> + Send>>;

/// How a provider does fill-in-the-middle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FimMode {
    /// The API takes prefix and suffix itself.
    Native,
    /// We render the model's FIM template into a raw prompt (named template).
    Template(String),
    /// No FIM: we ask a chat model and extract the code from its answer.
    Chat,
}

impl FimMode {
    /// Reads the config's `fim` value: "native", "chat", or a template name.
    pub fn from_config(value: &str) -> Self {
        match value.trim() {
            "native" => Self::Native,
            "chat" => Self::Chat,
            template => Self::Template(template.to_owned()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    pub fim: FimMode,
    pub streaming: bool,
    /// The model's context window, in tokens.
    pub context_tokens: u32,
    /// How many answers one request can return ([`GenerateRequest::choices`]); 1 where the
    /// vendor has no such parameter.
    pub max_choices: u32,
}

/// The kinds of failure callers act on. Vendors differ in how they say these; each provider
/// maps its own errors (HTTP status, error body, in-stream errors) onto them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 401/403: the key is wrong or lacks permission.
    Auth,
    /// The credential is valid but not allowed for this client (e.g. a subscription login).
    BlockedCredential,
    /// Out of credit or quota: retrying will not help.
    Quota,
    /// Too many requests: retry after a while.
    RateLimited,
    /// The vendor is overloaded (529, 503).
    Overloaded,
    /// Another 5xx.
    Server,
    /// The deadline passed or the server never answered.
    Timeout,
    /// Connection refused, reset, DNS, TLS.
    Network,
    /// The answer was not what the protocol promises (malformed JSON, unexpected shape).
    BadResponse,
    /// A request the vendor refused as invalid (400, 404, 422) for reasons other than the above.
    InvalidRequest,
    /// The caller gave up.
    Cancelled,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::BlockedCredential => "blocked_credential",
            Self::Quota => "quota",
            Self::RateLimited => "rate_limited",
            Self::Overloaded => "overloaded",
            Self::Server => "server",
            Self::Timeout => "timeout",
            Self::Network => "network",
            Self::BadResponse => "bad_response",
            Self::InvalidRequest => "invalid_request",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A classified failure. `message` is the vendor's own words (never containing a key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{provider}: {} ({message})", kind.as_str())]
pub struct ProviderError {
    pub kind: ErrorKind,
    /// The provider's label (the user's NAME).
    pub provider: String,
    pub message: String,
    /// HTTP status, when there was one.
    pub status: Option<u16>,
    /// How long the vendor asked us to wait.
    pub retry_after: Option<Duration>,
    /// The vendor's own verdict on retrying (`x-should-retry`), which overrides ours.
    pub should_retry: Option<bool>,
}

impl ProviderError {
    pub fn new(kind: ErrorKind, provider: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind,
            provider: provider.into(),
            message: message.into(),
            status: None,
            retry_after: None,
            should_retry: None,
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }
}

/// A boxed future, so `dyn Provider` works (native `async fn` in traits is not object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One configured vendor endpoint and model.
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// The user's label for this provider (`NAME` in `[providers.NAME]`).
    fn name(&self) -> &str;

    fn capabilities(&self) -> &Capabilities;

    /// Sends the request. Resolves once the vendor has accepted it (or failed), with a stream of
    /// the answer. Errors inside the stream are classified like errors before it.
    fn generate(&self, request: GenerateRequest) -> BoxFuture<'_, Result<TextStream, ProviderError>>;
}
