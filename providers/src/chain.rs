//! Ordered fallback chains: one request, several providers, one answer.
//!
//! A chain tries its providers in order. When one fails in a way another provider could
//! avoid, the same request moves to the next one at once. Which failures move on:
//!
//! - `auth`, `blocked_credential`, `quota`: this provider cannot serve anyone for a while; its
//!   circuit opens for a long cool-off (see [`crate::health`]).
//! - `rate_limited`, `overloaded`, `server`, `timeout`, `network`, `bad_response`: transient;
//!   retried on the same provider only when the retry is quick and fits the deadline
//!   (an inline completion gets at most one retry, a code action two), else moved on.
//! - `invalid_request`: moves on too. Vendors accept different things (a model name, a
//!   parameter, a context size), so one vendor's 400 says little about the next vendor's own
//!   request, and a 400 costs no tokens. It is never retried on the same provider.
//! - `cancelled`: the caller gave up; nothing moves on.
//!
//! With `hedge_after`, a provider that has not produced its first event by then gets company:
//! the next provider starts too, the first to produce an event wins, the other is dropped
//! (which closes its connection).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::FuturesUnordered;
use futures_util::{StreamExt, stream};
use tokio::time::Instant;

use crate::health::{Admission, Health, Notice, ProviderEvent, advice};
use crate::provider::{ErrorKind, GenerateRequest, Provider, ProviderError, Purpose, StreamEvent, TextStream, Usage};

/// An inline completion retries only if the wait is at most this: a late suggestion is worthless.
const QUICK_RETRY_LIMIT: Duration = Duration::from_millis(500);
/// While other providers are waiting in the chain, we do not wait longer than this to retry.
const RETRY_LIMIT_WITH_FALLBACK: Duration = Duration::from_secs(2);
/// The SDKs' cap on computed backoff.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainOptions {
    /// Start the next provider too if the current one has no first event after this long.
    pub hedge_after: Option<Duration>,
    /// The longest one provider may take to its first event, so a hanging provider leaves
    /// time for the next one within the request's deadline. The last provider of the chain is
    /// not limited by it (only by the request's deadline).
    pub attempt_timeout: Option<Duration>,
}

/// A stream that a provider of the chain is producing.
pub struct ChainStream {
    /// The provider that answered.
    pub provider: String,
    pub stream: TextStream,
}

impl std::fmt::Debug for ChainStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainStream").field("provider", &self.provider).finish_non_exhaustive()
    }
}

/// A whole answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainAnswer {
    pub provider: String,
    pub text: String,
    pub usage: Option<Usage>,
}

/// Every provider failed or was skipped. `message` is one sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("all providers failed: {message}")]
pub struct ChainError {
    /// The most actionable kind among the failures (`cancelled` if the caller gave up).
    pub kind: ErrorKind,
    pub message: String,
    /// Each provider's failure, in the order they happened.
    pub errors: Vec<ProviderError>,
    /// Providers skipped because their circuit is open, with the reason.
    pub skipped: Vec<(String, ErrorKind)>,
}

#[derive(Debug)]
pub struct Chain {
    name: String,
    providers: Vec<Arc<dyn Provider>>,
    options: ChainOptions,
    health: Arc<Health>,
}

/// The first event of a provider's answer, and the rest of it.
struct Started {
    index: usize,
    first: Option<StreamEvent>,
    rest: TextStream,
    latency: Duration,
}

/// Releases a half-open probe claim when an attempt is dropped before it finished (lost a
/// hedge race, or the caller went away), so the circuit does not stay half-open for good.
struct ProbeClaim<'a> {
    health: &'a Health,
    provider: &'a str,
    armed: bool,
}

impl Drop for ProbeClaim<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.health.release_probe(self.provider);
        }
    }
}

impl Chain {
    pub fn new(
        name: impl Into<String>,
        providers: Vec<Arc<dyn Provider>>,
        options: ChainOptions,
        health: Arc<Health>,
    ) -> Self {
        Self { name: name.into(), providers, options, health }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn providers(&self) -> &[Arc<dyn Provider>] {
        &self.providers
    }

    pub fn health(&self) -> &Arc<Health> {
        &self.health
    }

    /// How many answers one request can return from the provider that is asked first
    /// ([`GenerateRequest::choices`]). A provider further down the chain may return fewer.
    pub fn max_choices(&self) -> u32 {
        self.providers.first().map_or(1, |provider| provider.capabilities().max_choices.max(1))
    }

    /// Streams the answer of the first provider that produces a first event. Failures before
    /// that move to the next provider; a failure after it ends the stream with that error.
    pub async fn stream(&self, request: GenerateRequest) -> Result<ChainStream, ChainError> {
        self.stream_excluding(request, &HashSet::new(), Vec::new()).await
    }

    /// The whole answer. Since nothing reaches the caller before the end, a failure in the
    /// middle of a stream also moves on to the next provider.
    pub async fn generate(&self, request: GenerateRequest) -> Result<ChainAnswer, ChainError> {
        let mut excluded = HashSet::new();
        let mut earlier_errors = Vec::new();
        loop {
            let ChainStream { provider, mut stream } =
                self.stream_excluding(request.clone(), &excluded, earlier_errors.clone()).await?;
            let mut text = String::new();
            let mut usage = None;
            let mut failure = None;
            while let Some(event) = stream.next().await {
                match event {
                    Ok(StreamEvent::Text(piece)) => text.push_str(&piece),
                    // A whole answer is one answer; alternatives are for streaming callers.
                    Ok(StreamEvent::Alternative { .. }) => {}
                    Ok(StreamEvent::Usage(reported)) => usage = Some(reported),
                    Err(error) => {
                        failure = Some(error);
                        break;
                    }
                }
            }
            match failure {
                None => return Ok(ChainAnswer { provider, text, usage }),
                Some(error) if error.kind == ErrorKind::Cancelled => {
                    return Err(self.give_up(vec![error], Vec::new(), Vec::new()));
                }
                Some(error) => {
                    tracing::info!(chain = %self.name, %error, "failed mid-answer; trying the next provider");
                    excluded.insert(provider);
                    earlier_errors.push(error);
                }
            }
        }
    }

    async fn stream_excluding(
        &self,
        request: GenerateRequest,
        excluded: &HashSet<String>,
        mut errors: Vec<ProviderError>,
    ) -> Result<ChainStream, ChainError> {
        let mut notices: Vec<Notice> = Vec::new();
        let mut skipped = Vec::new();
        let mut next = 0;
        let mut running = FuturesUnordered::new();
        loop {
            // Start the next admissible provider if nothing is running.
            if running.is_empty() {
                match self.launch_next(&mut next, excluded, &mut skipped, &request) {
                    Some(attempt) => running.push(attempt),
                    None => return Err(self.all_failed(errors, skipped, notices)),
                }
            }
            let hedge = async {
                match self.options.hedge_after {
                    Some(after) if next < self.providers.len() => tokio::time::sleep(after).await,
                    _ => std::future::pending().await,
                }
            };
            tokio::select! {
                Some(outcome) = running.next() => match outcome {
                    Ok(started) => {
                        drop(running);
                        return Ok(self.answered(started, notices));
                    }
                    Err((index, error)) => {
                        let provider = self.providers[index].name().to_owned();
                        if error.kind == ErrorKind::Cancelled {
                            errors.push(error);
                            return Err(self.give_up(errors, skipped, notices));
                        }
                        tracing::info!(chain = %self.name, %error, "provider failed; trying the next one");
                        notices.extend(self.health.record_failure(&provider, &error));
                        errors.push(error);
                        if request.deadline.is_some_and(|deadline| Instant::now() >= deadline) && running.is_empty() {
                            return Err(self.all_failed(errors, skipped, notices));
                        }
                    }
                },
                () = hedge => {
                    if let Some(attempt) = self.launch_next(&mut next, excluded, &mut skipped, &request) {
                        tracing::debug!(chain = %self.name, "hedging: starting the next provider too");
                        running.push(attempt);
                    }
                }
            }
        }
    }

    /// Finds the next provider whose circuit admits a request and starts it.
    fn launch_next<'a>(
        &'a self,
        next: &mut usize,
        excluded: &HashSet<String>,
        skipped: &mut Vec<(String, ErrorKind)>,
        request: &GenerateRequest,
    ) -> Option<impl Future<Output = Result<Started, (usize, ProviderError)>> + 'a> {
        while *next < self.providers.len() {
            let index = *next;
            *next += 1;
            let provider = self.providers[index].name();
            if excluded.contains(provider) {
                continue;
            }
            let probe = match self.health.admit(provider) {
                Admission::Go => false,
                Admission::Probe => true,
                Admission::Skip { reason, .. } => {
                    tracing::debug!(chain = %self.name, provider, reason = reason.as_str(), "skipped: circuit open");
                    skipped.push((provider.to_owned(), reason));
                    continue;
                }
            };
            return Some(self.attempt(index, request.clone(), probe, *next < self.providers.len()));
        }
        None
    }

    /// One provider, with its retries, up to its first event.
    async fn attempt(
        &self,
        index: usize,
        request: GenerateRequest,
        probe: bool,
        more_providers: bool,
    ) -> Result<Started, (usize, ProviderError)> {
        let provider = &self.providers[index];
        let name = provider.name();
        let mut claim = ProbeClaim { health: &self.health, provider: name, armed: probe };
        // The per-attempt limit exists to leave time for the next provider: the last one gets
        // the whole of the request's deadline.
        let has_next = index + 1 < self.providers.len();
        let attempt_timeout = if has_next { self.options.attempt_timeout } else { None };
        let deadline = crate::http::effective_deadline(request.deadline, attempt_timeout);
        let started_at = Instant::now();
        let mut tries: u32 = 0;
        loop {
            self.health.count_request(name);
            let outcome = first_event(provider.as_ref(), request.clone(), deadline).await;
            match outcome {
                Ok((first, rest)) => {
                    claim.armed = false;
                    let latency = started_at.elapsed();
                    return Ok(Started { index, first, rest, latency });
                }
                Err(error) => {
                    let Some(delay) = retry_delay(&error, tries, request.purpose, deadline, more_providers) else {
                        // The claim stays armed only until record_failure settles the circuit.
                        claim.armed = false;
                        return Err((index, error));
                    };
                    self.health.count_failure(name, error.kind);
                    tracing::debug!(provider = name, %error, ?delay, "retrying");
                    tokio::time::sleep(delay).await;
                    tries += 1;
                }
            }
        }
    }

    /// A provider produced its first event: settle its health, tell the user what happened on
    /// the way, and wrap the stream so usage and late failures are counted.
    fn answered(&self, started: Started, notices: Vec<Notice>) -> ChainStream {
        let provider = self.providers[started.index].name().to_owned();
        let was_told = self.health.record_success(&provider, started.latency);
        self.health.chain_answered(&self.name);
        for notice in notices {
            let info = self.health.info(&notice.provider);
            let message = format!("{} Now using: {provider}.", advice(&notice, &info));
            self.health.emit(ProviderEvent::Failed {
                provider: notice.provider.clone(),
                kind: notice.error.kind,
                now_using: Some(provider.clone()),
                message,
            });
        }
        if was_told {
            let message = format!("{provider} is answering again.");
            self.health.emit(ProviderEvent::Recovered { provider: provider.clone(), message });
        }
        let head = stream::iter(started.first.map(Ok));
        let health = self.health.clone();
        let counted_provider = provider.clone();
        // Each report is the answer's running total; only what it adds is counted.
        let mut counted = Usage::default();
        let stream = head.chain(started.rest).inspect(move |event| match event {
            Ok(StreamEvent::Usage(usage)) => {
                health.count_tokens(&counted_provider, usage.since(&counted));
                counted = *usage;
            }
            Ok(StreamEvent::Text(_) | StreamEvent::Alternative { .. }) => {}
            Err(error) => {
                if let Some(notice) = health.record_failure(&counted_provider, error) {
                    let info = health.info(&notice.provider);
                    health.emit(ProviderEvent::Failed {
                        provider: notice.provider.clone(),
                        kind: notice.error.kind,
                        now_using: None,
                        message: advice(&notice, &info),
                    });
                }
            }
        });
        ChainStream { provider, stream: Box::pin(stream) }
    }

    fn all_failed(
        &self,
        errors: Vec<ProviderError>,
        skipped: Vec<(String, ErrorKind)>,
        notices: Vec<Notice>,
    ) -> ChainError {
        let error = self.give_up(errors, skipped, notices.clone());
        if error.kind != ErrorKind::Cancelled && (self.health.tell_chain_failed(&self.name) || !notices.is_empty()) {
            // Short, one line: editors show it in a status line or a notification.
            let message = format!("No {} from any provider: {}.", self.name, error.message);
            self.health.emit(ProviderEvent::AllFailed { chain: self.name.clone(), message });
        }
        error
    }

    /// Builds the one error the caller sees: per provider, the advice if there is some, else
    /// its error.
    fn give_up(
        &self,
        errors: Vec<ProviderError>,
        skipped: Vec<(String, ErrorKind)>,
        notices: Vec<Notice>,
    ) -> ChainError {
        let kind = most_actionable(errors.iter().map(|error| error.kind).chain(skipped.iter().map(|(_, kind)| *kind)));
        let mut parts: Vec<String> = Vec::new();
        for error in &errors {
            let notice = notices.iter().find(|notice| notice.provider == error.provider && notice.error == *error);
            parts.push(match notice {
                Some(notice) => advice(notice, &self.health.info(&notice.provider)),
                None if matches!(error.kind, ErrorKind::Network | ErrorKind::Timeout) => {
                    let endpoint = self.health.info(&error.provider).endpoint;
                    let at = endpoint.map(|endpoint| format!(" at {endpoint}")).unwrap_or_default();
                    format!("{}{at}: {}", error.provider, crate::health::unreachable_reason(error))
                }
                None => format!("{}: {} ({})", error.provider, error.kind.as_str(), error.message),
            });
        }
        for (provider, reason) in &skipped {
            parts.push(format!("{provider}: paused after {}", reason.as_str()));
        }
        if self.providers.is_empty() {
            parts.push("no providers are configured".to_owned());
        }
        let parts: Vec<&str> = parts.iter().map(|part| part.trim_end_matches('.')).collect();
        ChainError { kind, message: parts.join("; "), errors, skipped }
    }
}

/// Sends the request and waits for the first event, bounded by the deadline.
async fn first_event(
    provider: &dyn Provider,
    request: GenerateRequest,
    deadline: Option<Instant>,
) -> Result<(Option<StreamEvent>, TextStream), ProviderError> {
    let name = provider.name().to_owned();
    let work = async {
        let mut stream = provider.generate(request).await?;
        match stream.next().await {
            Some(Ok(first)) => Ok((Some(first), stream)),
            Some(Err(error)) => Err(error),
            // An empty answer is an answer.
            None => Ok((None, stream)),
        }
    };
    match deadline {
        None => work.await,
        Some(deadline) => match tokio::time::timeout_at(deadline, work).await {
            Ok(outcome) => outcome,
            Err(_) => Err(ProviderError::new(ErrorKind::Timeout, name, "no answer before the deadline")),
        },
    }
}

/// Whether and when to retry on the same provider, following the official SDKs (honour
/// `x-should-retry`, `retry-after`; never retry what cannot succeed) within our budget.
fn retry_delay(
    error: &ProviderError,
    tries: u32,
    purpose: Purpose,
    deadline: Option<Instant>,
    more_providers: bool,
) -> Option<Duration> {
    let max_tries = match purpose {
        Purpose::InlineCompletion => 1,
        Purpose::CodeAction => 2,
        Purpose::Probe => 0,
    };
    if tries >= max_tries {
        return None;
    }
    let retryable_kind =
        matches!(error.kind, ErrorKind::RateLimited | ErrorKind::Overloaded | ErrorKind::Server | ErrorKind::Network);
    // 400/401/403/404/quota are never retried, whatever the headers say.
    let never = matches!(
        error.kind,
        ErrorKind::Auth
            | ErrorKind::BlockedCredential
            | ErrorKind::Quota
            | ErrorKind::InvalidRequest
            | ErrorKind::Cancelled
            | ErrorKind::Timeout
    );
    if never || !error.should_retry.unwrap_or(retryable_kind) {
        return None;
    }
    let delay = error.retry_after.unwrap_or_else(|| backoff(tries));
    let limit = match purpose {
        Purpose::InlineCompletion => QUICK_RETRY_LIMIT,
        _ if more_providers => RETRY_LIMIT_WITH_FALLBACK,
        _ => MAX_BACKOFF,
    };
    if delay > limit {
        return None;
    }
    if let Some(deadline) = deadline
        && Instant::now() + delay >= deadline
    {
        return None;
    }
    Some(delay)
}

/// `min(0.5 s · 2^n, 8 s)`, minus up to 25 % jitter so clients do not retry in lockstep.
fn backoff(tries: u32) -> Duration {
    let base = Duration::from_millis(500).saturating_mul(1 << tries.min(5)).min(MAX_BACKOFF);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |now| now.subsec_nanos());
    let jitter = f64::from(nanos % 1000) / 1000.0 * 0.25;
    base.mul_f64(1.0 - jitter)
}

/// The kind the user can best act on.
fn most_actionable(kinds: impl Iterator<Item = ErrorKind>) -> ErrorKind {
    const ORDER: [ErrorKind; 11] = [
        ErrorKind::Cancelled,
        ErrorKind::BlockedCredential,
        ErrorKind::Auth,
        ErrorKind::Quota,
        ErrorKind::InvalidRequest,
        ErrorKind::RateLimited,
        ErrorKind::Overloaded,
        ErrorKind::Timeout,
        ErrorKind::Server,
        ErrorKind::Network,
        ErrorKind::BadResponse,
    ];
    let kinds: Vec<ErrorKind> = kinds.collect();
    ORDER.into_iter().find(|kind| kinds.contains(kind)).unwrap_or(ErrorKind::Network)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(kind: ErrorKind) -> ProviderError {
        ProviderError::new(kind, "p", "x")
    }

    #[test]
    fn retry_policy() {
        let inline = Purpose::InlineCompletion;
        let action = Purpose::CodeAction;
        assert_eq!(retry_delay(&error(ErrorKind::Auth), 0, action, None, false), None);
        assert_eq!(retry_delay(&error(ErrorKind::Quota), 0, action, None, false), None);
        assert_eq!(retry_delay(&error(ErrorKind::InvalidRequest), 0, action, None, false), None);
        let mut rate_limited = error(ErrorKind::RateLimited);
        rate_limited.retry_after = Some(Duration::from_millis(100));
        assert_eq!(retry_delay(&rate_limited, 0, inline, None, true), Some(Duration::from_millis(100)));
        assert_eq!(retry_delay(&rate_limited, 1, inline, None, true), None, "inline retries once");
        assert_eq!(retry_delay(&rate_limited, 1, action, None, true), Some(Duration::from_millis(100)));
        assert_eq!(retry_delay(&rate_limited, 2, action, None, true), None);
        rate_limited.retry_after = Some(Duration::from_secs(1));
        assert_eq!(retry_delay(&rate_limited, 0, inline, None, true), None, "not quick");
        let soon = Some(Instant::now() + Duration::from_millis(500));
        assert_eq!(retry_delay(&rate_limited, 0, action, soon, true), None, "past the deadline");
        let mut told_not_to = error(ErrorKind::Server);
        told_not_to.should_retry = Some(false);
        assert_eq!(retry_delay(&told_not_to, 0, action, None, false), None);
        assert_eq!(retry_delay(&error(ErrorKind::Server), 0, Purpose::Probe, None, false), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) <= Duration::from_millis(500) && backoff(0) >= Duration::from_millis(375));
        assert!(backoff(10) <= MAX_BACKOFF);
    }

    #[test]
    fn actionable_kind_wins() {
        let kinds = [ErrorKind::Network, ErrorKind::BlockedCredential, ErrorKind::Timeout];
        assert_eq!(most_actionable(kinds.into_iter()), ErrorKind::BlockedCredential);
    }
}
