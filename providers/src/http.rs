//! What every HTTP vendor shares: the one client per process, deadlines, error classification
//! from status and body, `Retry-After` parsing, and the SSE and NDJSON stream readers.
//!
//! Vendor files build their own request bodies and decode their own frames; everything below
//! the frame level lives here so all vendors time out, classify and close connections alike.

use std::collections::VecDeque;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::{Stream, StreamExt, stream};
use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::provider::{ErrorKind, ProviderError, StreamEvent, TextStream};

/// Environment variable naming a PEM file of extra root certificates (corporate proxies that
/// re-sign TLS), added to the system roots rather than replacing them.
pub const CA_BUNDLE_ENV: &str = "SWITCHBOARD_CA_BUNDLE";

/// How long we wait for response headers when the request has no deadline of its own.
pub const DEFAULT_FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a stream may stay silent when the request has no deadline. Keep-alive comments
/// count as data, which is what they are for.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// An error body larger than this is cut: we only want the vendor's message.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// A non-streamed answer larger than this is refused rather than buffered without limit.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The longest line, and the largest event, a stream may send: one that grows past this is
/// refused rather than buffered without limit (the bound of a whole answer).
const MAX_FRAME_BYTES: usize = MAX_BODY_BYTES;

/// Vendor messages are quoted to the user; a runaway HTML error page is not.
const MAX_MESSAGE_CHARS: usize = 400;

/// A stream of frames (SSE events, NDJSON lines) that a vendor decodes.
pub type FrameStream<T> = Pin<Box<dyn Stream<Item = Result<T, ProviderError>> + Send>>;

static CLIENT: tokio::sync::OnceCell<reqwest::Client> = tokio::sync::OnceCell::const_new();
static PLAIN_CLIENT: OnceLock<reqwest::Client> = OnceLock::new();

/// The process-wide client. One pool means one TLS handshake per vendor host, reused by every
/// request. Proxies come from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` (reqwest's
/// system proxy matcher, on unless a proxy is set explicitly, which we never do).
///
/// Loading the system's root certificates takes about 10 ms, so the client is built on a
/// blocking thread: a request arriving meanwhile waits for it without stalling the event loop.
pub async fn client() -> &'static reqwest::Client {
    CLIENT
        .get_or_init(|| async {
            let build = || build_client(std::env::var_os(CA_BUNDLE_ENV).as_deref().map(Path::new));
            tokio::task::spawn_blocking(build).await.unwrap_or_else(|_| build())
        })
        .await
}

/// The client for a request to `url`: for plain `http://` (a local model server, a gateway on
/// the LAN) one without root certificates, which costs nothing to build, so the first
/// completion from a local model never waits for the system's certificates. It cannot make a
/// TLS connection at all (an empty root store trusts nothing), so it is not used when an
/// `https://` proxy may stand in between.
pub async fn client_for(url: &str) -> &'static reqwest::Client {
    if plain_http_suffices(url) { plain_client() } else { client().await }
}

fn plain_http_suffices(url: &str) -> bool {
    // The proxy variables are read once: the HTTPS client's proxy matcher is fixed at its
    // build too, and reading the environment takes a lock on every request.
    static TLS_PROXY: OnceLock<bool> = OnceLock::new();
    let tls_proxy = *TLS_PROXY.get_or_init(|| !plain_http_suffices_with("http://", |name| std::env::var(name).ok()));
    !tls_proxy && plain_http_suffices_with(url, |_| None)
}

fn plain_http_suffices_with(url: &str, env: impl Fn(&str) -> Option<String>) -> bool {
    let scheme_is = |text: &str, scheme: &str| text.get(..scheme.len()).is_some_and(|s| s.eq_ignore_ascii_case(scheme));
    let tls_proxy = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .any(|name| env(name).is_some_and(|proxy| scheme_is(proxy.trim_start(), "https://")));
    scheme_is(url, "http://") && !tls_proxy
}

fn plain_client() -> &'static reqwest::Client {
    PLAIN_CLIENT.get_or_init(|| match base_builder().tls_certs_only(std::iter::empty()).build() {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "cannot build the plain HTTP client with our settings");
            reqwest::Client::new()
        }
    })
}

fn base_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        // A redirect is not followed: a 307 or 308 would send the prompt, the user's code, to an
        // address nobody configured. Vendors' APIs answer where they are asked; a gateway that
        // moved gets an error naming where to (`error_from_response`).
        .redirect(reqwest::redirect::Policy::none())
}

/// Builds the client, adding the extra CA bundle when one is configured. A bad bundle is
/// logged and skipped: the vendors with public certificates must keep working.
pub fn build_client(ca_bundle: Option<&Path>) -> reqwest::Client {
    if let Some(path) = ca_bundle {
        match load_ca_bundle(path) {
            Ok(certs) => match base_builder().tls_certs_merge(certs).build() {
                Ok(client) => return client,
                Err(error) => tracing::warn!(path = %path.display(), %error, "cannot use the extra CA bundle"),
            },
            Err(error) => tracing::warn!(path = %path.display(), %error, "cannot read the extra CA bundle"),
        }
    }
    match base_builder().build() {
        Ok(client) => client,
        Err(error) => {
            // Only a broken TLS backend gets here; reqwest's defaults are the best we can do.
            tracing::error!(%error, "cannot build the HTTP client with our settings");
            reqwest::Client::new()
        }
    }
}

/// Reads a PEM file of one or more certificates.
pub fn load_ca_bundle(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = std::fs::read(path).map_err(|error| error.to_string())?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|error| error.to_string())?;
    if certs.is_empty() {
        return Err("no certificates in the file".to_owned());
    }
    Ok(certs)
}

/// The instant a request must be done by: the caller's deadline or the provider's own
/// `timeout_ms`, whichever comes first.
pub fn effective_deadline(deadline: Option<Instant>, timeout: Option<Duration>) -> Option<Instant> {
    let own = timeout.map(|timeout| Instant::now() + timeout);
    match (deadline, own) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `now + fallback`, but never later than the deadline.
fn bounded(deadline: Option<Instant>, fallback: Duration) -> Instant {
    let fallback = Instant::now() + fallback;
    deadline.map_or(fallback, |deadline| deadline.min(fallback))
}

fn timeout_error(provider: &str, deadline: Option<Instant>, waiting_for: &str) -> ProviderError {
    let message = match deadline {
        Some(deadline) if Instant::now() >= deadline => format!("the deadline passed while waiting for {waiting_for}"),
        _ => format!("no {waiting_for} in time"),
    };
    ProviderError::new(ErrorKind::Timeout, provider, message)
}

/// Classifies a transport failure. The URL is dropped from the message: it is noise to the
/// user, and a gateway URL could carry a token in its query. Body errors count as network
/// errors too: we never let reqwest decode (no decompression, no `json()`), so a failed body
/// read is a connection that broke.
pub fn transport_error(provider: &str, error: reqwest::Error) -> ProviderError {
    let kind = if error.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Network };
    let error = error.without_url();
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    ProviderError::new(kind, provider, message)
}

/// Sends a request and waits for the response headers, bounded by the deadline. Any status
/// comes back as `Ok`: the caller checks it and calls [`error_from_response`].
pub async fn send(
    provider: &str,
    request: reqwest::RequestBuilder,
    deadline: Option<Instant>,
) -> Result<reqwest::Response, ProviderError> {
    match tokio::time::timeout_at(bounded(deadline, DEFAULT_FIRST_BYTE_TIMEOUT), request.send()).await {
        Err(_) => Err(timeout_error(provider, deadline, "a response")),
        Ok(Err(error)) => Err(transport_error(provider, error)),
        Ok(Ok(response)) => Ok(response),
    }
}

/// Does this vendor message say the credential is valid but not allowed for this client? The
/// wording differs by vendor and changes over time, so match the stable fragments.
pub fn is_blocked_credential_message(message: &str) -> bool {
    let message = message.to_lowercase();
    const FRAGMENTS: [&str; 5] = [
        // Anthropic, for subscription (Claude Pro/Max) OAuth tokens used outside Claude Code.
        "only authorized for use with",
        // Anthropic, for OAuth access tokens sent as API keys.
        "oauth authentication is currently not supported",
        "oauth token is not allowed",
        "subscription credentials",
        "not authorized for use with this client",
    ];
    FRAGMENTS.iter().any(|fragment| message.contains(fragment))
}

/// The shared status-to-kind map. Vendor files refine it with what their bodies say.
pub fn classify_status(status: u16, body: &str) -> ErrorKind {
    if matches!(status, 400 | 401 | 403) && is_blocked_credential_message(body) {
        return ErrorKind::BlockedCredential;
    }
    match status {
        401 | 403 => ErrorKind::Auth,
        402 => ErrorKind::Quota,
        // OpenAI says "out of credit" with a 429; retrying it only burns time.
        429 if body.contains("insufficient_quota") => ErrorKind::Quota,
        429 => ErrorKind::RateLimited,
        408 | 504 => ErrorKind::Timeout,
        503 | 529 => ErrorKind::Overloaded,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::InvalidRequest,
    }
}

/// The vendor's message from an error body: `error.message` (OpenAI, Anthropic, Gemini,
/// OpenRouter), `error` as a string (Ollama), `message` or `detail`; else the raw body, cut short.
pub fn error_message(body: &str) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(body).ok().and_then(|json| {
        let error = json.get("error");
        error
            .and_then(|error| error.get("message"))
            .or_else(|| error.filter(|error| error.is_string()))
            .or_else(|| json.get("message"))
            .or_else(|| json.get("detail"))
            .and_then(|message| message.as_str())
            .map(str::to_owned)
    });
    shorten(from_json.as_deref().unwrap_or(body.trim()))
}

/// Cuts a message to a length a notification can show.
pub fn shorten(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_owned();
    }
    let mut short: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    short.push('…');
    short
}

/// How long the vendor asked us to wait: `retry-after-ms` (OpenAI, Anthropic), else
/// `retry-after` in seconds or as an HTTP-date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim);
    // `try_`: a wait too long for a `Duration` (`1e300`) is no wait we can honour.
    if let Some(ms) = header("retry-after-ms").and_then(|value| value.parse::<f64>().ok())
        && let Ok(wait) = Duration::try_from_secs_f64(ms / 1000.0)
    {
        return Some(wait);
    }
    let value = header("retry-after")?;
    if let Ok(seconds) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let when = parse_http_date(value)?;
    Some(when.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// `x-should-retry: true|false`, the vendor's explicit verdict (Stainless SDK convention).
pub fn should_retry(headers: &HeaderMap) -> Option<bool> {
    match headers.get("x-should-retry")?.to_str().ok()?.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the only HTTP-date form servers
/// may send today.
pub fn parse_http_date(value: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_weekday, day, month, year, time, "GMT"] = parts.as_slice() else { return None };
    let day: u32 = day.parse().ok()?;
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .iter()
        .position(|name| name == month)? as u32
        + 1;
    // Four digits, as the grammar says; a longer year would overflow the arithmetic below.
    let year: i64 = year.parse().ok().filter(|year| (0..=9999).contains(year))?;
    let mut hms = time.split(':').map(|part| part.parse::<u64>().ok());
    let (hour, minute, second) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = u64::try_from(days).ok()? * 86_400 + hour * 3600 + minute * 60 + second;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
}

/// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Turns a non-success response into a classified error. `refine` lets the vendor file look at
/// the body first (e.g. Anthropic's `error.type`); `None` falls back to [`classify_status`].
pub async fn error_from_response(
    provider: &str,
    response: reqwest::Response,
    deadline: Option<Instant>,
    refine: impl FnOnce(u16, &str) -> Option<ErrorKind>,
) -> ProviderError {
    let status = response.status().as_u16();
    let retry_after = retry_after(response.headers());
    let should_retry = should_retry(response.headers());
    // Where a redirect points, without its query (which may carry a token).
    let response_location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(|location| shorten(location.split(['?', '#']).next().unwrap_or_default()));
    let body = match read_limited(provider, response, deadline, MAX_ERROR_BODY_BYTES).await {
        Ok(body) => body,
        Err(error) => {
            tracing::debug!(provider, %error, "cannot read an error body");
            String::new()
        }
    };
    if (300..400).contains(&status) {
        let location = response_location.as_deref().unwrap_or("another address");
        let message = format!(
            "the provider redirects to {location} (HTTP {status}); Switchboard does not follow redirects, which \
             would send your code to an address you did not configure: set its base_url to the address you trust"
        );
        return ProviderError::new(ErrorKind::InvalidRequest, provider, message).with_status(status);
    }
    let kind = refine(status, &body).unwrap_or_else(|| classify_status(status, &body));
    let mut message = error_message(&body);
    if message.is_empty() {
        message = format!("HTTP {status}");
    }
    let mut error = ProviderError::new(kind, provider, message).with_status(status).with_retry_after(retry_after);
    error.should_retry = should_retry;
    error
}

/// Reads a whole (non-streamed) body as text, bounded by the deadline.
pub async fn read_body(
    provider: &str,
    response: reqwest::Response,
    deadline: Option<Instant>,
) -> Result<String, ProviderError> {
    read_limited(provider, response, deadline, MAX_BODY_BYTES).await
}

async fn read_limited(
    provider: &str,
    response: reqwest::Response,
    deadline: Option<Instant>,
    max_bytes: usize,
) -> Result<String, ProviderError> {
    let mut chunks = std::pin::pin!(body_chunks(Arc::from(provider), response, deadline));
    let mut body = Vec::new();
    while let Some(chunk) = chunks.next().await {
        body.extend_from_slice(&chunk?);
        if body.len() > max_bytes {
            body.truncate(max_bytes);
            break;
        }
    }
    match String::from_utf8(body) {
        Ok(text) => Ok(text),
        Err(error) => Ok(String::from_utf8_lossy(error.as_bytes()).into_owned()),
    }
}

/// The response body as a stream of chunks, each awaited no longer than the idle timeout and
/// never past the deadline. The stream owns the response: dropping it closes the connection.
fn body_chunks(
    provider: Arc<str>,
    response: reqwest::Response,
    deadline: Option<Instant>,
) -> impl Stream<Item = Result<Bytes, ProviderError>> + Send + 'static {
    let body = Box::pin(response.bytes_stream());
    stream::unfold(Some(body), move |state| {
        let provider = provider.clone();
        async move {
            let mut body = state?;
            match tokio::time::timeout_at(bounded(deadline, DEFAULT_IDLE_TIMEOUT), body.next()).await {
                Err(_) => Some((Err(timeout_error(&provider, deadline, "more of the answer")), None)),
                Ok(None) => None,
                Ok(Some(Ok(bytes))) => Some((Ok(bytes), Some(body))),
                Ok(Some(Err(error))) => Some((Err(transport_error(&provider, error)), None)),
            }
        }
    })
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` name; `message` when the server sent none (OpenAI-style streams).
    pub event: String,
    pub data: String,
}

/// Parses a `text/event-stream` body as the HTML specification's "interpreting an event
/// stream" says (html.spec.whatwg.org, server-sent events, 9.2.6): lines end at LF, CRLF or CR
/// (a CRLF split across chunks is one line end); a leading BOM is dropped; `:` starts a comment;
/// `event` names the event (`message` when none does), `data` lines are joined with LF; a blank
/// line dispatches an event that has data; an event the body ends in the middle of is dropped.
/// A line that is not UTF-8, a line longer than [`MAX_FRAME_BYTES`] or an event larger is an
/// error that ends the stream. Each byte is searched for a line end once.
///
/// (eventsource-stream 0.2.3, used before, parsed its whole buffer again for every chunk with a
/// parser combinator and panicked on a BOM: about 10,000 instructions per event, where vendors
/// send an event per token.)
pub fn sse_stream(provider: &str, response: reqwest::Response, deadline: Option<Instant>) -> FrameStream<SseEvent> {
    let provider: Arc<str> = Arc::from(provider);
    Box::pin(end_after_error(sse_events(provider.clone(), body_chunks(provider, response, deadline))))
}

fn too_long() -> String {
    format!("a line is longer than {} MiB", MAX_FRAME_BYTES >> 20)
}

fn sse_events(
    provider: Arc<str>,
    chunks: impl Stream<Item = Result<Bytes, ProviderError>> + Send + 'static,
) -> impl Stream<Item = Result<SseEvent, ProviderError>> + Send + 'static {
    const BOM: &[u8] = "\u{feff}".as_bytes();
    struct Events<S> {
        chunks: Pin<Box<S>>,
        /// The start of a line whose end has not come yet.
        pending: Vec<u8>,
        /// Events ready to hand on, and the error that ends the stream, if any.
        ready: VecDeque<Result<SseEvent, ProviderError>>,
        /// Whether the body has started (a BOM may come until it has).
        started: bool,
        /// The event being read: its name and its data lines, each followed by a LF.
        name: String,
        data: String,
        /// Bytes of the event so far: the lines since the last blank one.
        event_bytes: usize,
        /// The last line ended with a CR that ended its chunk: a LF first in the next chunk
        /// is the rest of that line end, not a blank line.
        after_cr: bool,
        done: bool,
    }
    impl<S> Events<S> {
        fn error(&mut self, provider: &str, message: &str) {
            self.ready.push_back(Err(ProviderError::new(ErrorKind::BadResponse, provider, message)));
            self.pending.clear();
            self.done = true;
        }

        /// One line, without its line end.
        fn take_line(&mut self, provider: &str, line: &[u8]) {
            let Ok(line) = std::str::from_utf8(line) else {
                return self.error(provider, "the event stream is not UTF-8");
            };
            if line.is_empty() {
                self.event_bytes = 0;
                let name = std::mem::take(&mut self.name);
                if self.data.is_empty() {
                    return;
                }
                let mut data = std::mem::take(&mut self.data);
                data.pop();
                let event = if name.is_empty() { "message".to_owned() } else { name };
                return self.ready.push_back(Ok(SseEvent { event, data }));
            }
            self.event_bytes += line.len() + 1;
            if self.event_bytes > MAX_FRAME_BYTES {
                return self.error(provider, &format!("an event is larger than {} MiB", MAX_FRAME_BYTES >> 20));
            }
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            match field {
                // A comment (`: keep-alive`, `: OPENROUTER PROCESSING`).
                "" => {}
                "event" => value.clone_into(&mut self.name),
                "data" => {
                    self.data.push_str(value);
                    self.data.push('\n');
                }
                // `id` and `retry` matter to a browser reconnecting; nothing here reconnects.
                _ => {}
            }
        }

        /// Takes the complete lines out of `pending`; a CR at its very end ends a line too.
        fn split(&mut self, provider: &str) {
            let mut pending = std::mem::take(&mut self.pending);
            let mut start = 0;
            if self.after_cr && !pending.is_empty() {
                start = usize::from(pending[0] == b'\n');
                self.after_cr = false;
            }
            while let Some(found) = memchr::memchr2(b'\n', b'\r', &pending[start..]) {
                let end = start + found;
                self.take_line(provider, &pending[start..end]);
                if self.done {
                    return;
                }
                start = end + 1;
                if pending[end] == b'\r' {
                    match pending.get(start) {
                        Some(b'\n') => start += 1,
                        Some(_) => {}
                        None => self.after_cr = true,
                    }
                }
            }
            if pending.len() - start > MAX_FRAME_BYTES {
                return self.error(provider, &too_long());
            }
            // The start of the next line, in the same buffer.
            pending.drain(..start);
            self.pending = pending;
        }
    }
    let events = Events {
        chunks: Box::pin(chunks.fuse()),
        pending: Vec::new(),
        ready: VecDeque::new(),
        started: false,
        name: String::new(),
        data: String::new(),
        event_bytes: 0,
        after_cr: false,
        done: false,
    };
    stream::unfold(events, move |mut events| {
        let provider = provider.clone();
        async move {
            loop {
                if let Some(item) = events.ready.pop_front() {
                    return Some((item, events));
                }
                if events.done {
                    return None;
                }
                match events.chunks.next().await {
                    Some(Ok(bytes)) => {
                        events.pending.extend_from_slice(&bytes);
                        if !events.started {
                            if events.pending.len() < BOM.len() && BOM.starts_with(&events.pending) {
                                continue;
                            }
                            events.started = true;
                            if events.pending.starts_with(BOM) {
                                events.pending.drain(..BOM.len());
                            }
                        }
                        // A chunk without a line end only adds to the line: a long line in small
                        // chunks is searched twice in all, not once per chunk.
                        if memchr::memchr2(b'\n', b'\r', &bytes).is_some() || events.after_cr {
                            events.split(&provider);
                        } else if events.pending.len() > MAX_FRAME_BYTES {
                            events.error(&provider, &too_long());
                        }
                    }
                    Some(Err(error)) => {
                        events.ready.push_back(Err(error));
                        events.done = true;
                    }
                    // The body ended: a line without its end, and an event without its blank
                    // line, are dropped, as the specification says; but not UTF-8 is an error.
                    None => {
                        events.done = true;
                        if std::str::from_utf8(&events.pending).is_err() {
                            events.error(&provider, "the event stream is not UTF-8");
                        }
                    }
                }
            }
        }
    })
}

/// Splits an NDJSON body (Ollama) into lines, skipping blank ones. Lines are decoded only once
/// complete, so UTF-8 split across chunks is fine. A line longer than [`MAX_FRAME_BYTES`] is
/// an error; each byte is searched for a line end once, and moved at most once.
pub fn ndjson_stream(provider: &str, response: reqwest::Response, deadline: Option<Instant>) -> FrameStream<String> {
    struct Lines<S> {
        chunks: Pin<Box<S>>,
        buffer: Vec<u8>,
        /// Where the next line starts in `buffer`, and how far it was searched for its end.
        start: usize,
        searched: usize,
        ended: bool,
    }
    impl<S> Lines<S> {
        /// After an error: nothing more to read.
        fn stop(&mut self) {
            (self.buffer, self.start, self.searched, self.ended) = (Vec::new(), 0, 0, true);
        }
    }
    let provider: Arc<str> = Arc::from(provider);
    let chunks = Box::pin(body_chunks(provider.clone(), response, deadline));
    let state = Lines { chunks, buffer: Vec::new(), start: 0, searched: 0, ended: false };
    let lines = stream::unfold(state, move |mut state| {
        let provider = provider.clone();
        async move {
            let bad = |message: &str| ProviderError::new(ErrorKind::BadResponse, &*provider, message);
            loop {
                let unsearched = &state.buffer[state.searched.max(state.start)..];
                let line = match unsearched.iter().position(|byte| *byte == b'\n') {
                    Some(newline) => {
                        let end = state.searched.max(state.start) + newline + 1;
                        let line = state.start..end;
                        (state.start, state.searched) = (end, end);
                        Some(line)
                    }
                    None if state.ended && state.start < state.buffer.len() => {
                        let line = state.start..state.buffer.len();
                        state.start = state.buffer.len();
                        Some(line)
                    }
                    None if state.ended => return None,
                    None => None,
                };
                if let Some(line) = line {
                    let Ok(line) = std::str::from_utf8(&state.buffer[line]) else {
                        state.stop();
                        return Some((Err(bad("a line is not UTF-8")), state));
                    };
                    let line = line.trim();
                    if line.is_empty() {
                        continue;
                    }
                    let line = line.to_owned();
                    return Some((Ok(line), state));
                }
                state.searched = state.buffer.len();
                if state.buffer.len() - state.start > MAX_FRAME_BYTES {
                    state.stop();
                    return Some((Err(bad(&too_long())), state));
                }
                match state.chunks.next().await {
                    Some(Ok(bytes)) => {
                        // The lines taken are dropped before the buffer grows.
                        state.buffer.drain(..state.start);
                        state.searched -= state.start;
                        state.start = 0;
                        state.buffer.extend_from_slice(&bytes);
                    }
                    Some(Err(error)) => {
                        state.stop();
                        return Some((Err(error), state));
                    }
                    None => state.ended = true,
                }
            }
        }
    });
    Box::pin(end_after_error(lines))
}

/// Ends a stream after its first error, so nobody reads past a failure.
pub fn end_after_error<T: Send + 'static>(
    items: impl Stream<Item = Result<T, ProviderError>> + Send + 'static,
) -> impl Stream<Item = Result<T, ProviderError>> + Send + 'static {
    items.scan(false, |failed, item| {
        if *failed {
            return std::future::ready(None);
        }
        *failed = item.is_err();
        std::future::ready(Some(item))
    })
}

/// What a vendor's decoder says after a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The answer is complete (`[DONE]`, `message_stop`, `done: true`): stop reading.
    Done,
}

/// A vendor's frame decoder: frames in, stream events out.
pub trait FrameDecoder<F>: Send + 'static {
    /// Decodes one frame, pushing zero or more events. An error ends the stream.
    fn decode(&mut self, frame: F, events: &mut Vec<StreamEvent>) -> Result<Flow, ProviderError>;

    /// Called when the frames end without [`Flow::Done`]: a stream cut short is an error for
    /// protocols that mark their end, and fine for those that do not.
    fn finish(&mut self) -> Result<(), ProviderError>;
}

/// Runs a decoder over frames, producing the provider's [`TextStream`]. Dropping the result
/// drops the frames and with them the response, which closes the upstream connection.
pub fn decode_stream<F: Send + 'static>(frames: FrameStream<F>, decoder: impl FrameDecoder<F>) -> TextStream {
    struct State<F, D> {
        frames: Option<FrameStream<F>>,
        decoder: D,
        pending: VecDeque<StreamEvent>,
    }
    let state = State { frames: Some(frames), decoder, pending: VecDeque::new() };
    let events = stream::unfold(state, |mut state| async move {
        loop {
            if let Some(event) = state.pending.pop_front() {
                return Some((Ok(event), state));
            }
            let frames = state.frames.as_mut()?;
            let outcome = match frames.next().await {
                Some(Ok(frame)) => {
                    let mut events = Vec::new();
                    let flow = state.decoder.decode(frame, &mut events);
                    state.pending.extend(events);
                    flow.map(Some)
                }
                Some(Err(error)) => Err(error),
                None => state.decoder.finish().map(|()| None),
            };
            match outcome {
                Ok(Some(Flow::Continue)) => {}
                Ok(Some(Flow::Done)) => drain(state.frames.take()),
                Ok(None) => state.frames = None,
                Err(error) => {
                    // Events decoded before the error are dropped with it: the stream ends here.
                    state.frames = None;
                    state.pending.clear();
                    return Some((Err(error), state));
                }
            }
        }
    });
    Box::pin(events)
}

/// How long, and for how many frames, the rest of a finished answer's body is read.
const DRAIN_TIME: Duration = Duration::from_secs(2);
const DRAIN_FRAMES: usize = 16;

/// Reads what is left of a body whose answer is complete (what follows `[DONE]`: the chunked
/// encoding's last chunk, a trailing blank line) in the background. A body dropped before its
/// end closes the connection, and the next request would pay a new TCP and TLS handshake (tens
/// of milliseconds with a real vendor); read to the end, the connection goes back to the pool.
/// A body that goes on (a server sending past its own end) is dropped after a bound.
fn drain<F: Send + 'static>(frames: Option<FrameStream<F>>) {
    let (Some(mut frames), Ok(runtime)) = (frames, tokio::runtime::Handle::try_current()) else { return };
    runtime.spawn(async move {
        let rest = async {
            for _ in 0..DRAIN_FRAMES {
                if frames.next().await.is_none() {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIME, rest).await;
    });
}

/// A stream of already-known events (non-streamed answers, tests).
pub fn ready_stream(events: Vec<StreamEvent>) -> TextStream {
    Box::pin(stream::iter(events.into_iter().map(Ok)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(classify_status(401, ""), ErrorKind::Auth);
        assert_eq!(classify_status(403, ""), ErrorKind::Auth);
        assert_eq!(classify_status(402, ""), ErrorKind::Quota);
        assert_eq!(classify_status(429, r#"{"error":{"code":"rate_limit_exceeded"}}"#), ErrorKind::RateLimited);
        assert_eq!(classify_status(429, r#"{"error":{"code":"insufficient_quota"}}"#), ErrorKind::Quota);
        assert_eq!(classify_status(529, ""), ErrorKind::Overloaded);
        assert_eq!(classify_status(503, ""), ErrorKind::Overloaded);
        assert_eq!(classify_status(500, ""), ErrorKind::Server);
        assert_eq!(classify_status(502, ""), ErrorKind::Server);
        assert_eq!(classify_status(400, "bad"), ErrorKind::InvalidRequest);
        assert_eq!(classify_status(404, ""), ErrorKind::InvalidRequest);
        assert_eq!(classify_status(422, ""), ErrorKind::InvalidRequest);
        let blocked =
            "This credential is only authorized for use with Claude Code and cannot be used for other API requests.";
        assert_eq!(classify_status(400, blocked), ErrorKind::BlockedCredential);
        assert_eq!(
            classify_status(401, "OAuth authentication is currently not supported."),
            ErrorKind::BlockedCredential
        );
    }

    #[test]
    fn messages_from_bodies() {
        assert_eq!(error_message(r#"{"error":{"message":"nope","type":"x"}}"#), "nope");
        assert_eq!(error_message(r#"{"error":"model not found"}"#), "model not found");
        assert_eq!(error_message(r#"{"message":"m"}"#), "m");
        assert_eq!(error_message("  <html>bad gateway</html> "), "<html>bad gateway</html>");
        assert!(error_message(&"x".repeat(5000)).chars().count() <= MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn retry_after_forms() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert("retry-after-ms", "250".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        headers.clear();
        headers.insert("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert("retry-after", "garbage".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
        headers.insert("x-should-retry", "false".parse().unwrap());
        assert_eq!(should_retry(&headers), Some(false));
    }

    #[test]
    fn http_dates() {
        let date = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(date.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(), 784_111_777);
        let date = parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT").unwrap();
        assert_eq!(date, SystemTime::UNIX_EPOCH);
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49 GMT"), None);
    }

    #[test]
    fn deadlines_take_the_earlier() {
        let now = Instant::now();
        let soon = now + Duration::from_millis(10);
        assert_eq!(effective_deadline(Some(soon), Some(Duration::from_secs(60))), Some(soon));
        assert_eq!(effective_deadline(None, None), None);
        assert!(effective_deadline(None, Some(Duration::from_secs(1))).is_some());
    }
}

#[cfg(test)]
mod client_choice {
    use super::plain_http_suffices_with;

    #[test]
    fn only_plain_http_without_a_tls_proxy_takes_the_client_without_certificates() {
        let none = |_: &str| None;
        assert!(plain_http_suffices_with("http://127.0.0.1:11434", none));
        assert!(plain_http_suffices_with("HTTP://gateway.lan/v1", none));
        assert!(!plain_http_suffices_with("https://api.openai.com/v1", none));
        assert!(!plain_http_suffices_with("http", none));
        let tls_proxy = |name: &str| (name == "ALL_PROXY").then(|| "https://proxy.corp:3128".to_owned());
        assert!(!plain_http_suffices_with("http://127.0.0.1:11434", tls_proxy));
        let plain_proxy = |name: &str| (name == "HTTP_PROXY").then(|| "http://proxy.corp:3128".to_owned());
        assert!(plain_http_suffices_with("http://127.0.0.1:11434", plain_proxy));
    }
}
