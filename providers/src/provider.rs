//! The `Provider` trait and the typed requests, streams and errors every vendor shares.
//!
//! A provider implements one method, [`Provider::generate`]: a request in, a stream of text out.
//! Static facts about it live in one [`Capabilities`] value.

use std::future::Future;
use std::pin::Pin;
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    Fim(FimPrompt),
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

/// Token counts as the vendor reported them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
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
