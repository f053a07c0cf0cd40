//! What the process knows about each provider across requests: its circuit breaker, its usage
//! counters, which problems the user has already been told about, and the event channel the
//! LSP layer turns into `window/showMessage`.
//!
//! One [`Health`] is shared by every chain, so a key blocked while completing is also skipped
//! by code actions, and the user is told once, not once per chain.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::provider::{ErrorKind, ProviderError, Usage};

/// How long a provider that failed with `auth`, `blocked_credential` or `quota` is skipped:
/// those need the user to act, but they may act (set a key) without restarting us.
pub const DEFAULT_CREDENTIAL_COOLOFF: Duration = Duration::from_secs(10 * 60);
/// How long a provider whose circuit opened on transient failures is skipped before a probe.
pub const DEFAULT_TRANSIENT_COOLOFF: Duration = Duration::from_secs(30);
/// Transient failures in a row that open the circuit.
pub const DEFAULT_TRANSIENT_THRESHOLD: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthOptions {
    pub credential_cooloff: Duration,
    pub transient_cooloff: Duration,
    pub transient_threshold: u32,
}

impl Default for HealthOptions {
    fn default() -> Self {
        Self {
            credential_cooloff: DEFAULT_CREDENTIAL_COOLOFF,
            transient_cooloff: DEFAULT_TRANSIENT_COOLOFF,
            transient_threshold: DEFAULT_TRANSIENT_THRESHOLD,
        }
    }
}

/// Who a provider is, so messages can say what to do ("set ANTHROPIC_API_KEY").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderInfo {
    /// The vendor's display name ("Anthropic"); `None` for unknown gateways.
    pub vendor: Option<String>,
    /// The environment variable the key comes from, if it does.
    pub key_env: Option<String>,
    /// Where the user gets an API key.
    pub key_url: Option<String>,
    /// Where the user adds credit.
    pub billing_url: Option<String>,
    /// Where requests go, as the user would recognise it: scheme, host and port of the base URL
    /// (never a path or query, which could carry a token).
    pub endpoint: Option<String>,
}

/// A message for the user, sent once per (provider, kind) episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderEvent {
    /// A provider failed in a way the user should know about; another may be serving instead.
    Failed { provider: String, kind: ErrorKind, now_using: Option<String>, message: String },
    /// Every provider of a chain failed.
    AllFailed { chain: String, message: String },
    /// A provider the user was told about answers again.
    Recovered { provider: String, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl ProviderEvent {
    /// The sentence to show.
    pub fn message(&self) -> &str {
        match self {
            Self::Failed { message, .. } | Self::AllFailed { message, .. } | Self::Recovered { message, .. } => message,
        }
    }

    /// Warning while another provider serves, error when nothing does.
    pub fn severity(&self) -> Severity {
        match self {
            Self::Failed { now_using: Some(_), .. } => Severity::Warning,
            Self::Failed { now_using: None, .. } | Self::AllFailed { .. } => Severity::Error,
            Self::Recovered { .. } => Severity::Info,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    Closed,
    /// Skipped until `until`, because of `reason`.
    Open {
        until: Instant,
        reason: ErrorKind,
    },
    /// The cool-off is over; the next request is a probe.
    HalfOpen,
}

/// Per-provider counters, as read by `doctor` and the status command.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageSnapshot {
    pub provider: String,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Requests that produced a first event.
    pub successes: u64,
    /// Failures by kind, mid-stream failures included.
    pub failures: Vec<(ErrorKind, u64)>,
    /// Prompt tokens the vendor reported, cached ones included ([`Usage`]'s convention).
    pub input_tokens: u64,
    /// Of those, read from the vendor's prompt cache.
    pub cached_input_tokens: u64,
    /// Of those, written to the prompt cache (Anthropic's breakpoints).
    pub cache_write_tokens: u64,
    pub output_tokens: u64,
    pub last_first_token_latency: Option<Duration>,
    pub mean_first_token_latency: Option<Duration>,
    pub circuit: CircuitState,
}

impl UsageSnapshot {
    pub fn failures_of(&self, kind: ErrorKind) -> u64 {
        self.failures.iter().find(|(failed, _)| *failed == kind).map_or(0, |(_, count)| *count)
    }
}

/// Whether a provider may be tried now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    Go,
    /// Half-open: this request is the single probe.
    Probe,
    Skip {
        reason: ErrorKind,
        until: Instant,
    },
}

/// What the chain should tell the user about one failure, once it knows who serves instead.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub provider: String,
    pub error: ProviderError,
    /// For transient failures: how long the provider is paused.
    pub paused_for: Option<Duration>,
    pub failures_in_a_row: u32,
}

#[derive(Debug, Default)]
struct Circuit {
    open_until: Option<Instant>,
    reason: Option<ErrorKind>,
    failures_in_a_row: u32,
    probing: bool,
}

#[derive(Debug, Default)]
struct Counters {
    requests: u64,
    successes: u64,
    failures: HashMap<ErrorKind, u64>,
    input_tokens: u64,
    cached_input_tokens: u64,
    cache_write_tokens: u64,
    output_tokens: u64,
    last_latency: Option<Duration>,
    latency_sum: Duration,
    latency_count: u32,
}

#[derive(Debug, Default)]
struct Entry {
    info: ProviderInfo,
    circuit: Circuit,
    counters: Counters,
    /// Kinds the user has been told about in the current episode (until the next success).
    told: HashSet<ErrorKind>,
}

#[derive(Debug)]
pub struct Health {
    options: HealthOptions,
    entries: Mutex<HashMap<String, Entry>>,
    /// Chains whose "all providers failed" the user has been told, until one answers again.
    chains_told: Mutex<HashSet<String>>,
    events: broadcast::Sender<ProviderEvent>,
}

impl Default for Health {
    fn default() -> Self {
        Self::new(HealthOptions::default())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves counters, not invariants, behind.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Health {
    pub fn new(options: HealthOptions) -> Self {
        Self {
            options,
            entries: Mutex::new(HashMap::new()),
            chains_told: Mutex::new(HashSet::new()),
            events: broadcast::Sender::new(64),
        }
    }

    /// Events for the user. Each subscriber sees the events sent after it subscribed.
    pub fn subscribe(&self) -> broadcast::Receiver<ProviderEvent> {
        self.events.subscribe()
    }

    /// Records who a provider is, for the wording of messages.
    pub fn describe(&self, provider: &str, info: ProviderInfo) {
        lock(&self.entries).entry(provider.to_owned()).or_default().info = info;
    }

    pub fn info(&self, provider: &str) -> ProviderInfo {
        lock(&self.entries).get(provider).map(|entry| entry.info.clone()).unwrap_or_default()
    }

    /// Counters of every provider seen so far, by name.
    pub fn usage(&self) -> Vec<UsageSnapshot> {
        let entries = lock(&self.entries);
        let mut snapshots: Vec<UsageSnapshot> =
            entries.iter().map(|(name, entry)| snapshot(name, entry, Instant::now())).collect();
        snapshots.sort_by(|a, b| a.provider.cmp(&b.provider));
        snapshots
    }

    pub fn usage_of(&self, provider: &str) -> Option<UsageSnapshot> {
        lock(&self.entries).get(provider).map(|entry| snapshot(provider, entry, Instant::now()))
    }

    pub fn circuit(&self, provider: &str) -> CircuitState {
        lock(&self.entries).get(provider).map_or(CircuitState::Closed, |entry| circuit_state(entry, Instant::now()))
    }

    pub(crate) fn emit(&self, event: ProviderEvent) {
        tracing::info!(message = event.message(), "provider event");
        // No subscriber is fine: the server may not have wired notifications (tests, CLI).
        let _ = self.events.send(event);
    }

    /// Claims the right to send a request to `provider` now.
    pub(crate) fn admit(&self, provider: &str) -> Admission {
        let now = Instant::now();
        let mut entries = lock(&self.entries);
        let entry = entries.entry(provider.to_owned()).or_default();
        let circuit = &mut entry.circuit;
        match circuit.open_until {
            None => Admission::Go,
            Some(until) if now < until => {
                Admission::Skip { reason: circuit.reason.unwrap_or(ErrorKind::Server), until }
            }
            Some(until) if circuit.probing => {
                Admission::Skip { reason: circuit.reason.unwrap_or(ErrorKind::Server), until }
            }
            Some(_) => {
                circuit.probing = true;
                Admission::Probe
            }
        }
    }

    /// A probe was abandoned (the request was cancelled or another provider won the race).
    pub(crate) fn release_probe(&self, provider: &str) {
        if let Some(entry) = lock(&self.entries).get_mut(provider) {
            entry.circuit.probing = false;
        }
    }

    pub(crate) fn count_request(&self, provider: &str) {
        lock(&self.entries).entry(provider.to_owned()).or_default().counters.requests += 1;
    }

    pub(crate) fn count_tokens(&self, provider: &str, usage: Usage) {
        let mut entries = lock(&self.entries);
        let counters = &mut entries.entry(provider.to_owned()).or_default().counters;
        counters.input_tokens = counters.input_tokens.saturating_add(usage.input_tokens);
        counters.cached_input_tokens = counters.cached_input_tokens.saturating_add(usage.cached_input_tokens);
        counters.cache_write_tokens = counters.cache_write_tokens.saturating_add(usage.cache_write_tokens);
        counters.output_tokens = counters.output_tokens.saturating_add(usage.output_tokens);
    }

    /// A retried try failed: counted, but the circuit waits for the provider's final verdict.
    pub(crate) fn count_failure(&self, provider: &str, kind: ErrorKind) {
        let mut entries = lock(&self.entries);
        *entries.entry(provider.to_owned()).or_default().counters.failures.entry(kind).or_default() += 1;
    }

    /// The provider produced its first event. Closes the circuit and ends the episode; returns
    /// whether the user had been told about a problem with it (so they hear it recovered).
    pub(crate) fn record_success(&self, provider: &str, first_token_latency: Duration) -> bool {
        let mut entries = lock(&self.entries);
        let entry = entries.entry(provider.to_owned()).or_default();
        entry.circuit = Circuit::default();
        let counters = &mut entry.counters;
        counters.successes += 1;
        counters.last_latency = Some(first_token_latency);
        counters.latency_sum += first_token_latency;
        counters.latency_count += 1;
        let was_told = !entry.told.is_empty();
        entry.told.clear();
        was_told
    }

    /// Records a provider's final failure for this request and updates its circuit. Returns a
    /// notice when the user should hear about it (first time in this episode).
    pub(crate) fn record_failure(&self, provider: &str, error: &ProviderError) -> Option<Notice> {
        if error.kind == ErrorKind::Cancelled {
            self.release_probe(provider);
            return None;
        }
        let now = Instant::now();
        let mut entries = lock(&self.entries);
        let entry = entries.entry(provider.to_owned()).or_default();
        *entry.counters.failures.entry(error.kind).or_default() += 1;
        let circuit = &mut entry.circuit;
        let was_probe = circuit.probing;
        circuit.probing = false;
        circuit.failures_in_a_row += 1;
        let mut paused_for = None;
        let tell = match error.kind {
            ErrorKind::Auth | ErrorKind::BlockedCredential | ErrorKind::Quota => {
                circuit.open_until = Some(now + self.options.credential_cooloff);
                circuit.reason = Some(error.kind);
                true
            }
            // "Model not found" will not fix itself; other 400s are about this one request.
            ErrorKind::InvalidRequest if error.status == Some(404) => {
                circuit.open_until = Some(now + self.options.credential_cooloff);
                circuit.reason = Some(error.kind);
                true
            }
            ErrorKind::InvalidRequest | ErrorKind::Cancelled => {
                circuit.failures_in_a_row -= 1;
                false
            }
            ErrorKind::RateLimited
            | ErrorKind::Overloaded
            | ErrorKind::Server
            | ErrorKind::Timeout
            | ErrorKind::Network
            | ErrorKind::BadResponse => {
                // A vendor that names its own wait is believed, within reason.
                let asked = error
                    .retry_after
                    .filter(|_| error.kind == ErrorKind::RateLimited)
                    .map(|wait| wait.min(self.options.credential_cooloff));
                let threshold_reached = circuit.failures_in_a_row >= self.options.transient_threshold;
                let cooloff = match asked {
                    Some(wait) => Some(wait),
                    None if threshold_reached || was_probe => Some(self.options.transient_cooloff),
                    None => None,
                };
                if let Some(cooloff) = cooloff {
                    circuit.open_until = Some(now + cooloff);
                    circuit.reason = Some(error.kind);
                    paused_for = Some(cooloff);
                }
                // Tell only when the circuit opens after several failures: one timeout is
                // noise, three in a row is something the user wants to know.
                threshold_reached
            }
        };
        if !tell || !entry.told.insert(error.kind) {
            return None;
        }
        Some(Notice {
            provider: provider.to_owned(),
            error: error.clone(),
            paused_for,
            failures_in_a_row: circuit.failures_in_a_row,
        })
    }

    /// Marks a chain as having told the user "all failed"; returns false if it already had.
    pub(crate) fn tell_chain_failed(&self, chain: &str) -> bool {
        lock(&self.chains_told).insert(chain.to_owned())
    }

    pub(crate) fn chain_answered(&self, chain: &str) {
        lock(&self.chains_told).remove(chain);
    }
}

fn circuit_state(entry: &Entry, now: Instant) -> CircuitState {
    match entry.circuit.open_until {
        None => CircuitState::Closed,
        Some(until) if now < until => {
            CircuitState::Open { until, reason: entry.circuit.reason.unwrap_or(ErrorKind::Server) }
        }
        Some(_) => CircuitState::HalfOpen,
    }
}

fn snapshot(provider: &str, entry: &Entry, now: Instant) -> UsageSnapshot {
    let counters = &entry.counters;
    let mut failures: Vec<(ErrorKind, u64)> = counters.failures.iter().map(|(kind, n)| (*kind, *n)).collect();
    failures.sort_by_key(|(kind, _)| kind.as_str());
    UsageSnapshot {
        provider: provider.to_owned(),
        requests: counters.requests,
        successes: counters.successes,
        failures,
        input_tokens: counters.input_tokens,
        cached_input_tokens: counters.cached_input_tokens,
        cache_write_tokens: counters.cache_write_tokens,
        output_tokens: counters.output_tokens,
        last_first_token_latency: counters.last_latency,
        mean_first_token_latency: (counters.latency_count > 0).then(|| counters.latency_sum / counters.latency_count),
        circuit: circuit_state(entry, now),
    }
}

/// "Anthropic (claude)", or just the name when the vendor is unknown.
fn who(provider: &str, info: &ProviderInfo) -> String {
    match &info.vendor {
        Some(vendor) if !vendor.eq_ignore_ascii_case(provider) => format!("{vendor} ({provider})"),
        _ => provider.to_owned(),
    }
}

fn human_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds >= 120 {
        format!("{} min", seconds.div_ceil(60))
    } else if seconds >= 1 {
        format!("{seconds} s")
    } else {
        format!("{} ms", duration.as_millis())
    }
}

/// "Ollama (local) at http://127.0.0.1:11434", or `who` alone when the endpoint is unknown.
fn where_(who: &str, info: &ProviderInfo) -> String {
    match &info.endpoint {
        Some(endpoint) => format!("{who} at {endpoint}"),
        None => who.to_owned(),
    }
}

/// Why a provider could not be reached, in a few plain words rather than the HTTP client's
/// chain of causes ("error sending request: client error (Connect): tcp connect error: …").
pub fn unreachable_reason(error: &ProviderError) -> String {
    if error.kind == ErrorKind::Timeout {
        return "no answer in time".to_owned();
    }
    let message = error.message.to_lowercase();
    let known = [
        ("connection refused", "connection refused (is it running?)"),
        ("dns error", "host not found"),
        ("failed to lookup address", "host not found"),
        ("name or service not known", "host not found"),
        ("certificate", "TLS certificate not accepted"),
        ("connection reset", "connection reset"),
        ("ended before the answer was complete", "the answer was cut off"),
        ("network is unreachable", "network unreachable"),
    ];
    if let Some((_, reason)) = known.iter().find(|(needle, _)| message.contains(needle)) {
        return (*reason).to_owned();
    }
    let last = error.message.rsplit(": ").next().unwrap_or(&error.message);
    crate::http::shorten(last)
}

/// What to tell the user about one failure, in words that say what to do.
/// What to tell the user about `error` from `provider`, in the same words the editor gets
/// (`switchboard doctor` uses it for its own report).
pub fn advice_for(provider: &str, error: &ProviderError, info: &ProviderInfo) -> String {
    let notice = Notice { provider: provider.to_owned(), error: error.clone(), paused_for: None, failures_in_a_row: 1 };
    advice(&notice, info)
}

pub(crate) fn advice(notice: &Notice, info: &ProviderInfo) -> String {
    let who = who(&notice.provider, info);
    let error = &notice.error;
    let set_key = |what: &str| -> String {
        let from = info.key_url.as_deref().map(|url| format!(" from {url}")).unwrap_or_default();
        match &info.key_env {
            Some(env) => format!("Set {what}{from} in {env}."),
            None => format!("Set {what}{from} with api_key_env in [providers.{}].", notice.provider),
        }
    };
    match error.kind {
        ErrorKind::BlockedCredential => format!(
            "{who} rejected the credential: subscription logins are not allowed outside the vendor's own tool. {}",
            set_key("an API key")
        ),
        // No HTTP status: the key could not even be found (unset variable, failing command).
        ErrorKind::Auth if error.status.is_none() => {
            format!("{who} has no API key: {}. {}", error.message, set_key("a key"))
        }
        ErrorKind::Auth => {
            let check = info.key_env.as_deref().map_or_else(
                || format!("Check the key configured for [providers.{}].", notice.provider),
                |env| format!("Check {env}."),
            );
            format!("{who} rejected the API key ({}). {check}", error.message)
        }
        ErrorKind::Quota => {
            let at = info.billing_url.as_deref().map(|url| format!(" at {url}")).unwrap_or_default();
            format!(
                "{who} is out of credit or quota ({}). Add credit{at} or wait for the quota to reset.",
                error.message
            )
        }
        ErrorKind::InvalidRequest => format!(
            "{who} rejected the request ({}). Check the model name and settings in [providers.{}].",
            error.message, notice.provider
        ),
        ErrorKind::Network | ErrorKind::Timeout => {
            let pause = notice
                .paused_for
                .map(|pause| format!("; pausing it for {}", human_duration(pause)))
                .unwrap_or_default();
            let times = match notice.failures_in_a_row {
                0 | 1 => String::new(),
                n => format!(" ({n} times in a row)"),
            };
            format!("{}: {}{times}{pause}.", where_(&who, info), unreachable_reason(error))
        }
        _ => {
            let pause = notice
                .paused_for
                .map(|pause| format!("; pausing it for {}", human_duration(pause)))
                .unwrap_or_default();
            format!(
                "{who} failed {} times in a row ({}: {}){pause}.",
                notice.failures_in_a_row,
                error.kind.as_str(),
                error.message
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(kind: ErrorKind) -> ProviderError {
        ProviderError::new(kind, "p", "boom").with_status(500)
    }

    #[tokio::test]
    async fn transient_failures_open_after_the_threshold_and_a_probe_closes() {
        tokio::time::pause();
        let health = Health::new(HealthOptions { transient_threshold: 3, ..HealthOptions::default() });
        assert!(health.record_failure("p", &failure(ErrorKind::Server)).is_none());
        assert!(health.record_failure("p", &failure(ErrorKind::Server)).is_none());
        assert_eq!(health.admit("p"), Admission::Go);
        let notice = health.record_failure("p", &failure(ErrorKind::Server)).expect("told on opening");
        assert_eq!(notice.failures_in_a_row, 3);
        assert!(matches!(health.admit("p"), Admission::Skip { reason: ErrorKind::Server, .. }));
        tokio::time::advance(DEFAULT_TRANSIENT_COOLOFF + Duration::from_secs(1)).await;
        assert_eq!(health.circuit("p"), CircuitState::HalfOpen);
        assert_eq!(health.admit("p"), Admission::Probe);
        assert!(matches!(health.admit("p"), Admission::Skip { .. }), "one probe at a time");
        assert!(health.record_success("p", Duration::from_millis(5)));
        assert_eq!(health.circuit("p"), CircuitState::Closed);
        assert_eq!(health.admit("p"), Admission::Go);
    }

    #[tokio::test]
    async fn a_failed_probe_reopens_at_once() {
        tokio::time::pause();
        let health = Health::default();
        for _ in 0..3 {
            health.record_failure("p", &failure(ErrorKind::Timeout));
        }
        tokio::time::advance(DEFAULT_TRANSIENT_COOLOFF + Duration::from_secs(1)).await;
        assert_eq!(health.admit("p"), Admission::Probe);
        assert!(health.record_failure("p", &failure(ErrorKind::Timeout)).is_none(), "told once per episode");
        assert!(matches!(health.circuit("p"), CircuitState::Open { .. }));
    }

    #[test]
    fn credential_failures_open_at_once_and_tell_once() {
        let health = Health::default();
        let blocked = ProviderError::new(ErrorKind::BlockedCredential, "p", "only authorized").with_status(400);
        assert!(health.record_failure("p", &blocked).is_some());
        assert!(matches!(health.admit("p"), Admission::Skip { reason: ErrorKind::BlockedCredential, .. }));
        assert!(health.record_failure("p", &blocked).is_none());
        let usage = health.usage_of("p").unwrap();
        assert_eq!(usage.failures_of(ErrorKind::BlockedCredential), 2);
    }

    #[test]
    fn advice_says_what_to_do() {
        let info = ProviderInfo {
            vendor: Some("Anthropic".into()),
            key_env: Some("ANTHROPIC_API_KEY".into()),
            key_url: Some("console.anthropic.com".into()),
            billing_url: None,
            endpoint: Some("https://api.anthropic.com".into()),
        };
        let notice = Notice {
            provider: "claude".into(),
            error: ProviderError::new(ErrorKind::BlockedCredential, "claude", "x").with_status(400),
            paused_for: None,
            failures_in_a_row: 1,
        };
        assert_eq!(
            advice(&notice, &info),
            "Anthropic (claude) rejected the credential: subscription logins are not allowed outside the vendor's \
             own tool. Set an API key from console.anthropic.com in ANTHROPIC_API_KEY."
        );
        let refused = ProviderError::new(
            ErrorKind::Network,
            "claude",
            "error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)",
        );
        let notice =
            Notice { error: refused, paused_for: Some(Duration::from_secs(30)), failures_in_a_row: 3, ..notice };
        assert_eq!(
            advice(&notice, &info),
            "Anthropic (claude) at https://api.anthropic.com: connection refused (is it running?) (3 times in a row); \
             pausing it for 30 s."
        );
    }
}
