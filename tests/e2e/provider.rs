//! A model vendor on loopback for end-to-end tests: a small threaded HTTP/1.1 server that
//! answers in the vendors' own wire formats (OpenAI-compatible completions as SSE, or as one JSON
//! object when a request does not ask for a stream; Anthropic's error bodies), records every
//! request, and can delay or fail on demand.
#![allow(dead_code, reason = "shared with the end-to-end benchmark, which uses other parts of it")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// What the server answers to one request.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// An OpenAI-compatible streamed completion (`/v1/completions` or chat), in `chunks` (joined
    /// into one JSON answer when the request has no `"stream": true`).
    Stream { chunks: Vec<String>, delay: Duration },
    /// A status and a JSON body, as the vendor sends errors.
    Error { status: u16, body: Value },
    /// One whole answer per choice of an OpenAI-compatible request: as many as its `n` asks for
    /// (one without `n`), as OpenAI streams them, each chunk naming its choice by `index`.
    Choices(Vec<String>),
    /// No answer at all for this long (or until the client gives up and closes).
    Hang(Duration),
    /// A 200 stream that sends `text` and then closes the connection without finishing.
    CutShort(String),
    /// 429 with a `retry-after` of this many seconds, as OpenAI sends it.
    RateLimited(u64),
    /// A 200 stream whose event is not JSON.
    Malformed,
}

impl Reply {
    pub(crate) fn text(text: &str) -> Self {
        Self::Stream { chunks: vec![text.to_owned()], delay: Duration::ZERO }
    }

    /// Anthropic's answer to a subscription (OAuth) credential used outside Claude Code.
    pub(crate) fn blocked_credential() -> Self {
        Self::Error {
            status: 400,
            body: json!({"type": "error", "error": {"type": "invalid_request_error",
                "message": "This credential is only authorized for use with Claude Code and cannot be used for other API requests."},
                "request_id": "req_011CTest"}),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

#[derive(Default)]
struct State {
    replies: Vec<Reply>,
    fallback: Option<Reply>,
    requests: Vec<Recorded>,
    /// Per answered request: from its first line arriving to the last byte written.
    handling: Vec<Duration>,
    /// Streams the client closed before their end (writing to the socket failed).
    closed_early: usize,
    /// Connections accepted and not yet finished.
    open: usize,
    /// Whether a connection stays open after an answer, as real vendors' servers keep it.
    keep_alive: bool,
    /// Connections accepted so far.
    accepted: usize,
    /// With keep-alive: the pause before a streamed body's last chunk, which a real server may
    /// send in a later packet than the `[DONE]` event.
    last_chunk_after: Duration,
    /// The latest prompts, for the emulation of OpenAI's prefix cache ([`PromptCache`]).
    prompt_cache: PromptCache,
    /// Per request, the usage its answer reports.
    usage: Vec<ReportedUsage>,
    /// The prompt prefixes Anthropic's cache holds: those up to a `cache_control` breakpoint
    /// of an earlier request, long enough for the model.
    anthropic_cache: std::collections::HashSet<String>,
}

/// The usage an answer reports, in Switchboard's convention: `prompt` counts every prompt
/// token, `cached` those read from the cache and `written` those written to it (Anthropic's
/// breakpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ReportedUsage {
    pub prompt: usize,
    pub cached: usize,
    pub written: usize,
}

/// OpenAI's automatic prompt caching, as the mock reports it in `usage`
/// (platform.openai.com/docs/guides/prompt-caching): a prompt of 1,024 tokens or more is
/// looked up by its prefix; the longest prefix it shares with a recent prompt is served from the
/// cache in steps of 128 tokens from the first 1,024 on, and counted inside `prompt_tokens` as
/// `prompt_tokens_details.cached_tokens`. Tokens are estimated as the server estimates them
/// (`switchboard_core::text::estimate_tokens`, 3.5 bytes a token).
#[derive(Default)]
struct PromptCache {
    recent: std::collections::VecDeque<String>,
}

impl PromptCache {
    /// How many recent prompts a lookup compares with (the real cache keeps prefixes for
    /// minutes; a typing session's last few requests are what a hit comes from).
    const KEPT: usize = 16;
    const MIN_TOKENS: usize = 1024;
    const STEP_TOKENS: usize = 128;

    /// `(prompt_tokens, cached_tokens)` for `prompt`, which is then remembered.
    fn look_up(&mut self, prompt: String) -> ReportedUsage {
        let total = switchboard_core::text::estimate_tokens(&prompt);
        let shared_bytes = self.recent.iter().map(|earlier| common_prefix_bytes(earlier, &prompt)).max().unwrap_or(0);
        // Whole tokens of the shared prefix only (rounded down), then whole steps.
        let shared = shared_bytes * 2 / 7;
        let cached = if total >= Self::MIN_TOKENS && shared >= Self::MIN_TOKENS {
            Self::MIN_TOKENS + (shared - Self::MIN_TOKENS) / Self::STEP_TOKENS * Self::STEP_TOKENS
        } else {
            0
        };
        if self.recent.len() == Self::KEPT {
            self.recent.pop_front();
        }
        self.recent.push_back(prompt);
        ReportedUsage { prompt: total, cached: cached.min(total), written: 0 }
    }
}

fn common_prefix_bytes(a: &str, b: &str) -> usize {
    // Whole blocks first (a slice comparison is a `memcmp`), then the bytes of the block that
    // differs: the double's own time is in every round trip the bench measures.
    const BLOCK: usize = 64;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let same_blocks = a.chunks(BLOCK).zip(b.chunks(BLOCK)).take_while(|(x, y)| x == y).count();
    let start = same_blocks * BLOCK;
    start + a[start.min(a.len())..].iter().zip(&b[start.min(b.len())..]).take_while(|(x, y)| x == y).count()
}

/// The text a request's prompt is made of, in the order the model reads it: the system prompt
/// and messages of a chat request, `prompt` then `suffix` of a completion (Anthropic's
/// `system` and content blocks alike).
fn prompt_text(body: &Value) -> String {
    fn text_of(content: &Value) -> String {
        match content {
            Value::String(text) => text.clone(),
            Value::Array(blocks) => blocks.iter().filter_map(|block| block["text"].as_str()).collect(),
            _ => String::new(),
        }
    }
    let mut text = text_of(&body["system"]);
    if let Some(messages) = body["messages"].as_array() {
        for message in messages {
            text.push_str(&text_of(&message["content"]));
            text.push('\n');
        }
    }
    text.push_str(body["prompt"].as_str().unwrap_or(""));
    text.push_str(body["suffix"].as_str().unwrap_or(""));
    text
}

/// Anthropic's prompt caching (docs.anthropic.com/en/docs/build-with-claude/prompt-caching):
/// the prompt up to a `cache_control` breakpoint is read from the cache when an earlier
/// request wrote that same prefix (the longest such is read), and the prompt up to the last
/// breakpoint is written when it is not cached yet, past what was read, if it is at least the
/// model's minimum (shorter prefixes are processed without caching, and no error is given);
/// the rest is `input_tokens`.
fn anthropic_usage(body: &Value, cache: &mut std::collections::HashSet<String>) -> ReportedUsage {
    let total = switchboard_core::text::estimate_tokens(&prompt_text(body));
    let model = body["model"].as_str().unwrap_or("");
    let minimum = match () {
        _ if ["sonnet-4-6", "3-5-haiku"].iter().any(|family| model.contains(family)) => 2048,
        _ if ["sonnet-4", "opus-4-1", "3-7-sonnet"].iter().any(|family| model.contains(family)) => 1024,
        _ => 4096,
    };
    // The prompt up to each breakpoint, as `prompt_text` renders it (breakpoints in messages
    // only: the server sends the system prompt as a string).
    let mut prefix = body["system"].as_str().unwrap_or("").to_owned();
    let mut marked: Vec<String> = Vec::new();
    for message in body["messages"].as_array().into_iter().flatten() {
        match &message["content"] {
            Value::Array(content) => {
                for block in content {
                    prefix.push_str(block["text"].as_str().unwrap_or(""));
                    if block.get("cache_control").is_some() {
                        marked.push(prefix.clone());
                    }
                }
            }
            content => prefix.push_str(content.as_str().unwrap_or("")),
        }
        prefix.push('\n');
    }
    let tokens = |text: &str| switchboard_core::text::estimate_tokens(text).min(total);
    let cacheable: Vec<String> = marked.into_iter().filter(|prefix| tokens(prefix) >= minimum).collect();
    let cached =
        cacheable.iter().filter(|prefix| cache.contains(*prefix)).map(|prefix| tokens(prefix)).max().unwrap_or(0);
    let written = cacheable.last().filter(|last| !cache.contains(*last)).map_or(0, |last| tokens(last) - cached);
    cache.extend(cacheable);
    ReportedUsage { prompt: total, cached, written }
}

pub(crate) struct MockProvider {
    pub base_url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl MockProvider {
    /// Starts a server that answers every request with `fallback` unless a reply is queued, and
    /// closes each connection after its answer (so every request pays a TCP connect).
    pub(crate) fn start(fallback: Reply) -> Self {
        Self::start_with(fallback, false)
    }

    /// Like [`start`](Self::start), but keeps connections alive as vendors' servers do: a
    /// streamed answer is sent with chunked transfer encoding and the connection then waits for
    /// the next request.
    pub(crate) fn start_keep_alive(fallback: Reply) -> Self {
        Self::start_with(fallback, true)
    }

    /// Pauses `pause` before each streamed body's last (empty) chunk, after the `[DONE]` event.
    pub(crate) fn pause_before_last_chunk(&self, pause: Duration) {
        self.state.lock().expect("state").last_chunk_after = pause;
    }

    fn start_with(fallback: Reply, keep_alive: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let base_url = format!("http://{addr}");
        let state = Arc::new(Mutex::new(State { fallback: Some(fallback), keep_alive, ..State::default() }));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_state, thread_stop) = (state.clone(), stop.clone());
        // A blocking accept (woken by `Drop`), so a connection is served at once: the
        // benchmarks measure the server against this provider.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if thread_stop.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(stream) = stream {
                    let state = thread_state.clone();
                    std::thread::spawn(move || serve(stream, &state));
                }
            }
        });
        Self { base_url, state, stop, addr }
    }

    /// Per request so far, the usage its answer reported (or would have, had it not been cut).
    pub(crate) fn usage(&self) -> Vec<ReportedUsage> {
        self.state.lock().expect("state").usage.clone()
    }

    pub(crate) fn push(&self, reply: Reply) {
        self.state.lock().expect("state").replies.push(reply);
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("state").requests.clone()
    }

    pub(crate) fn request_count(&self) -> usize {
        self.state.lock().expect("state").requests.len()
    }

    /// How many streams the client closed before their end.
    pub(crate) fn closed_early(&self) -> usize {
        self.state.lock().expect("state").closed_early
    }

    /// Replies queued and not yet used.
    pub(crate) fn queued(&self) -> usize {
        self.state.lock().expect("state").replies.len()
    }

    /// Connections accepted whose handling has not finished (a client that hangs up ends it).
    pub(crate) fn open_connections(&self) -> usize {
        self.state.lock().expect("state").open
    }

    /// Connections accepted so far (with keep-alive, fewer than the requests).
    pub(crate) fn connections_accepted(&self) -> usize {
        self.state.lock().expect("state").accepted
    }

    /// How long each answered request took this server, from its first line arriving to the last
    /// byte written (for benchmarks: the provider's share of a round trip).
    #[allow(dead_code, reason = "used by server/benches/e2e.rs, not by every test")]
    pub(crate) fn handling_times(&self) -> Vec<Duration> {
        self.state.lock().expect("state").handling.clone()
    }
}

impl Drop for MockProvider {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let (keep_alive, last_chunk_after) = {
        let mut state = state.lock().expect("state");
        state.open += 1;
        state.accepted += 1;
        (state.keep_alive, state.last_chunk_after)
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    // As vendors' servers do: several small writes must not wait for the client's delayed ACK.
    let _ = stream.set_nodelay(true);
    if let Ok(clone) = stream.try_clone() {
        let mut reader = BufReader::new(clone);
        let mut writer = stream;
        loop {
            let answered = answer(&mut reader, &mut writer, state, keep_alive, last_chunk_after);
            if let Some((arrived, _)) = answered {
                state.lock().expect("state").handling.push(arrived.elapsed());
            }
            if !matches!(answered, Some((_, true))) {
                break;
            }
        }
    }
    state.lock().expect("state").open -= 1;
}

/// An answer's body: as it is, or in HTTP/1.1 chunks when the connection stays open.
struct Body<'a> {
    writer: &'a mut TcpStream,
    chunked: bool,
    last_chunk_after: Duration,
}

impl Body<'_> {
    /// The status line and headers of a 200 event stream.
    fn start_stream(writer: &mut TcpStream, keep_alive: bool, last_chunk_after: Duration) -> std::io::Result<Body<'_>> {
        let framing = if keep_alive { "transfer-encoding: chunked" } else { "connection: close" };
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n{framing}\r\n\r\n"
        );
        writer.write_all(head.as_bytes())?;
        Ok(Body { writer, chunked: keep_alive, last_chunk_after })
    }

    fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        if self.chunked {
            // One write per chunk, as servers' HTTP stacks send it (hyper: one `writev` of the
            // size line, the data and the line break), not three small segments.
            let mut chunk = format!("{:x}\r\n", data.len()).into_bytes();
            chunk.extend_from_slice(data);
            chunk.extend_from_slice(b"\r\n");
            self.writer.write_all(&chunk)?;
        } else {
            self.writer.write_all(data)?;
        }
        self.writer.flush()
    }

    fn finish(self) -> std::io::Result<()> {
        if self.chunked {
            if !self.last_chunk_after.is_zero() {
                std::thread::sleep(self.last_chunk_after);
            }
            self.writer.write_all(b"0\r\n\r\n")?;
        }
        self.writer.flush()
    }
}

/// Waits up to `wait` for the client to close `stream` (reading nothing else); whether it did.
fn until_closed(stream: &mut TcpStream, wait: Duration) -> bool {
    let until = Instant::now() + wait;
    let _ = stream.set_read_timeout(Some(Duration::from_millis(20)));
    let mut byte = [0u8; 1];
    while Instant::now() < until {
        match stream.read(&mut byte) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(error) if matches!(error.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
    }
    false
}

/// Reads one request and answers it: when the request arrived, if an answer was written, and
/// whether the connection may carry another request.
fn answer(
    reader: &mut BufReader<TcpStream>,
    writer: &mut TcpStream,
    state: &Mutex<State>,
    keep_alive: bool,
    last_chunk_after: Duration,
) -> Option<(Instant, bool)> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return None;
    }
    let arrived = Instant::now();
    let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut headers = Vec::new();
    let mut content_length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
            if name == "content-length" {
                content_length = value.parse().unwrap_or(0);
            }
            headers.push((name, value));
        }
    }
    let mut body = vec![0; content_length];
    if reader.read_exact(&mut body).is_err() {
        return None;
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    // Chat endpoints answer with deltas, legacy completions with text.
    let chat = path.ends_with("/chat/completions");
    let anthropic = path.ends_with("/v1/messages");
    let asked = body["n"].as_u64().unwrap_or(1) as usize;
    // OpenAI-compatible endpoints stream only when asked (`stream` defaults to false): otherwise
    // the answer is one JSON object (platform.openai.com/docs/api-reference/completions/object),
    // as llm-ls's `openai` backend asks for it (`"stream": false`).
    let whole = !anthropic && path.ends_with("/completions") && body.get("stream") != Some(&Value::Bool(true));
    // OpenAI-compatible `stop`: a string or a list; generation ends before the first one and the
    // text returned does not contain it (platform.openai.com/docs/api-reference/completions).
    let stops: Vec<String> = match if anthropic { &body["stop_sequences"] } else { &body["stop"] } {
        Value::String(stop) => vec![stop.clone()],
        Value::Array(stops) => stops.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let refused = if path.ends_with("/v1/messages") {
        anthropic_refusal(&headers, &body)
    } else if path.ends_with("/completions") {
        openai_refusal(&body, chat)
    } else {
        None
    };
    let (reply, usage) = {
        let mut state = state.lock().expect("state");
        // `(prompt_tokens, cached_tokens)`, reported at the end of a streamed answer.
        let usage = if anthropic {
            anthropic_usage(&body, &mut state.anthropic_cache)
        } else {
            state.prompt_cache.look_up(prompt_text(&body))
        };
        state.usage.push(usage);
        state.requests.push(Recorded { path, headers, body });
        let reply = if refused.is_some() {
            refused
        } else if state.replies.is_empty() {
            state.fallback.clone()
        } else {
            Some(state.replies.remove(0))
        };
        (reply, usage)
    };
    match reply {
        Some(Reply::Stream { chunks, delay }) if whole => {
            std::thread::sleep(delay * chunks.len() as u32);
            let text: String = chunks.concat();
            let stop_at =
                stops.iter().filter(|stop| !stop.is_empty()).filter_map(|stop| text.find(stop.as_str())).min();
            let text = &text[..stop_at.unwrap_or(text.len())];
            let completion_tokens = switchboard_core::text::estimate_tokens(text);
            let usage = json!({"prompt_tokens": usage.prompt, "completion_tokens": completion_tokens,
                "total_tokens": usage.prompt + completion_tokens, "prompt_tokens_details": {"cached_tokens": usage.cached}});
            let body = if chat {
                json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "mock",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": usage})
            } else {
                json!({"id": "cmpl-1", "object": "text_completion", "created": 0, "model": "mock",
                    "choices": [{"index": 0, "text": text, "logprobs": null, "finish_reason": "stop"}], "usage": usage})
            }
            .to_string();
            let framing = if keep_alive { "" } else { "connection: close\r\n" };
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{framing}\r\n",
                body.len()
            );
            // One write, as a server's HTTP stack sends a small whole answer.
            if writer.write_all(format!("{head}{body}").as_bytes()).is_err() || writer.flush().is_err() {
                return None;
            }
            return Some((arrived, keep_alive));
        }
        Some(Reply::Stream { chunks, delay }) => {
            let Ok(mut body) = Body::start_stream(writer, keep_alive, last_chunk_after) else { return None };
            // Anthropic's named events (docs.anthropic.com/en/api/messages-streaming): the prompt's
            // usage first, then the text, then the output's.
            if anthropic {
                let start = json!({"type": "message_start", "message": {"id": "msg_mock", "type": "message",
                    "role": "assistant", "content": [], "model": "mock", "stop_reason": null, "stop_sequence": null,
                    "usage": {"input_tokens": usage.prompt - usage.cached - usage.written,
                        "cache_creation_input_tokens": usage.written, "cache_read_input_tokens": usage.cached,
                        "output_tokens": 1}}});
                let block =
                    json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}});
                let head =
                    format!("event: message_start\ndata: {start}\n\nevent: content_block_start\ndata: {block}\n\n");
                if body.write(head.as_bytes()).is_err() {
                    return None;
                }
            }
            let mut sent = String::new();
            let mut stopped = None;
            for chunk in chunks {
                std::thread::sleep(delay);
                let so_far = format!("{sent}{chunk}");
                let stop_at = stops
                    .iter()
                    .filter(|stop| !stop.is_empty())
                    .filter_map(|stop| so_far.find(stop.as_str()).map(|at| (at, stop)))
                    .min();
                let chunk = match stop_at {
                    Some((at, _)) => so_far.get(sent.len()..at).unwrap_or_default().to_owned(),
                    None => chunk,
                };
                sent.push_str(&chunk);
                let event = if anthropic {
                    let delta = json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": chunk}});
                    format!("event: content_block_delta\ndata: {delta}\n\n")
                } else if chat {
                    let event = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "mock",
                        "choices": [{"index": 0, "delta": {"content": chunk}, "finish_reason": null}]});
                    format!("data: {event}\n\n")
                } else {
                    let event = json!({"id": "cmpl-1", "object": "text_completion", "model": "mock",
                        "choices": [{"index": 0, "text": chunk, "finish_reason": null}]});
                    format!("data: {event}\n\n")
                };
                if body.write(event.as_bytes()).is_err() {
                    if let Ok(mut state) = state.lock() {
                        state.closed_early += 1;
                    }
                    return None;
                }
                if let Some((_, stop)) = stop_at {
                    stopped = Some(stop.clone());
                    break;
                }
            }
            let completion_tokens = switchboard_core::text::estimate_tokens(&sent);
            let tail = if anthropic {
                let delta = json!({"type": "message_delta",
                    "delta": {"stop_reason": if stopped.is_some() { "stop_sequence" } else { "end_turn" }, "stop_sequence": stopped},
                    "usage": {"output_tokens": completion_tokens}});
                format!(
                    "event: content_block_stop\ndata: {}\n\nevent: message_delta\ndata: {delta}\n\nevent: message_stop\ndata: {}\n\n",
                    json!({"type": "content_block_stop", "index": 0}),
                    json!({"type": "message_stop"})
                )
            } else {
                let done = json!({"id": "cmpl-1", "object": "text_completion", "model": "mock",
                    "choices": [{"index": 0, "text": "", "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": usage.prompt, "completion_tokens": completion_tokens,
                        "total_tokens": usage.prompt + completion_tokens,
                        "prompt_tokens_details": {"cached_tokens": usage.cached}}});
                format!("data: {done}\n\ndata: [DONE]\n\n")
            };
            if body.write(tail.as_bytes()).is_err() || body.finish().is_err() {
                return None;
            }
            return Some((arrived, keep_alive));
        }
        Some(Reply::Choices(answers)) => {
            let Ok(mut body) = Body::start_stream(writer, keep_alive, last_chunk_after) else { return None };
            let mut stream = String::new();
            for (index, answer) in answers.iter().take(asked).enumerate() {
                let event = if chat {
                    json!({"object": "chat.completion.chunk", "choices": [{"index": index, "delta": {"content": answer}, "finish_reason": "stop"}]})
                } else {
                    json!({"object": "text_completion", "choices": [{"index": index, "text": answer, "finish_reason": "stop"}]})
                };
                stream.push_str(&format!("data: {event}\n\n"));
            }
            stream.push_str("data: [DONE]\n\n");
            if body.write(stream.as_bytes()).is_err() || body.finish().is_err() {
                return None;
            }
            return Some((arrived, keep_alive));
        }
        Some(Reply::Hang(wait)) => {
            if until_closed(writer, wait)
                && let Ok(mut state) = state.lock()
            {
                state.closed_early += 1;
            }
            return None;
        }
        Some(Reply::CutShort(text)) => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
            let event = if chat {
                json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
            } else {
                json!({"object": "text_completion", "choices": [{"index": 0, "text": text, "finish_reason": null}]})
            };
            let _ = writer.write_all(format!("{head}data: {event}\n\n").as_bytes());
            let _ = writer.flush();
            let _ = writer.shutdown(std::net::Shutdown::Both);
            return None;
        }
        Some(Reply::RateLimited(seconds)) => {
            let body = json!({"error": {"message": "Rate limit reached for requests", "type": "requests",
                "param": null, "code": "rate_limit_exceeded"}})
            .to_string();
            let head = format!(
                "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: {seconds}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = writer.write_all(head.as_bytes());
            let _ = writer.write_all(body.as_bytes());
        }
        Some(Reply::Malformed) => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
            let _ =
                writer.write_all(format!("{head}data: {{\"choices\": [{{\"text\": \n\ndata: [DONE]\n\n").as_bytes());
        }
        Some(Reply::Error { status, body }) => {
            let body = body.to_string();
            let head = format!(
                "HTTP/1.1 {status} Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = writer.write_all(head.as_bytes());
            let _ = writer.write_all(body.as_bytes());
        }
        None => {}
    }
    let _ = writer.flush();
    Some((arrived, false))
}

/// What OpenAI's Chat Completions and Completions refuse (platform.openai.com/docs/api-reference;
/// the provider tests' emulation checks the full schema): unknown fields ("Unrecognized request
/// argument supplied"), values out of range, more than four stop sequences, `stream_options`
/// without `stream`.
fn openai_refusal(body: &Value, chat: bool) -> Option<Reply> {
    let invalid = |message: String| Reply::Error {
        status: 400,
        body: json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}}),
    };
    let fields = body.as_object()?;
    let known: &[&str] = if chat {
        &[
            "model",
            "messages",
            "max_tokens",
            "max_completion_tokens",
            "temperature",
            "top_p",
            "n",
            "stop",
            "stream",
            "stream_options",
        ]
    } else {
        &["model", "prompt", "suffix", "max_tokens", "temperature", "top_p", "n", "stop", "stream", "stream_options"]
    };
    if let Some(extra) = fields.keys().find(|key| !known.contains(&key.as_str())) {
        return Some(invalid(format!("Unrecognized request argument supplied: {extra}")));
    }
    let out_of = |name: &str, min: f64, max: f64| {
        fields.get(name).and_then(Value::as_f64).is_some_and(|value| !(min..=max).contains(&value))
    };
    if out_of("temperature", 0.0, 2.0) || out_of("n", 1.0, 128.0) || out_of("top_p", 0.0, 1.0) {
        return Some(invalid("a sampling parameter is out of its range".into()));
    }
    if fields.get("stop").and_then(Value::as_array).is_some_and(|stops| stops.len() > 4) {
        return Some(invalid("Invalid 'stop': array too long. Expected an array with maximum length 4.".into()));
    }
    if fields.contains_key("stream_options") && fields.get("stream") != Some(&Value::Bool(true)) {
        return Some(invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.".into()));
    }
    None
}

/// What Anthropic's Messages API refuses before it looks at the credential
/// (docs.anthropic.com/en/api/messages, /en/api/errors): a request the real API would answer
/// with `400 invalid_request_error` gets that answer here too, so an end-to-end test fails when
/// the server sends one. (The provider tests' emulation checks the full schema.)
fn anthropic_refusal(headers: &[(String, String)], body: &Value) -> Option<Reply> {
    let invalid = |message: &str| Reply::Error {
        status: 400,
        body: json!({"type": "error", "error": {"type": "invalid_request_error", "message": message},
            "request_id": "req_strict"}),
    };
    if !headers.iter().any(|(name, _)| name == "anthropic-version") {
        return Some(invalid("anthropic-version: header is required"));
    }
    if body["max_tokens"].as_u64().is_none_or(|max| max < 1) {
        return Some(invalid("max_tokens: Field required"));
    }
    if let Some(stops) = body.get("stop_sequences").and_then(Value::as_array)
        && stops.iter().any(|stop| stop.as_str().is_none_or(|stop| stop.trim().is_empty()))
    {
        return Some(invalid("stop_sequences: each stop sequence must contain non-whitespace"));
    }
    let last = body["messages"].as_array().and_then(|messages| messages.last());
    if last.is_some_and(|m| {
        m["role"] == "assistant" && m["content"].as_str().is_some_and(|t| t.ends_with(char::is_whitespace))
    }) {
        return Some(invalid("messages: final assistant content cannot end with trailing whitespace"));
    }
    if let Some(message) = cache_control_refusal(body) {
        return Some(invalid(&message));
    }
    None
}

/// Anthropic's rules for prompt-caching breakpoints
/// (docs.anthropic.com/en/docs/build-with-claude/prompt-caching): `cache_control` goes on a
/// content block (of `system`, a message or a tool), is `{"type": "ephemeral"}` with an optional
/// `ttl` of `5m` or `1h`, never on an empty text block or a thinking block, and a request has
/// at most four; the API's own words for a fifth.
fn cache_control_refusal(body: &Value) -> Option<String> {
    let mut blocks: Vec<&Value> = Vec::new();
    for field in [&body["system"], &body["tools"]] {
        blocks.extend(field.as_array().into_iter().flatten());
    }
    for message in body["messages"].as_array().into_iter().flatten() {
        if message.get("cache_control").is_some() {
            return Some("messages.cache_control: Extra inputs are not permitted".into());
        }
        blocks.extend(message["content"].as_array().into_iter().flatten());
    }
    let mut breakpoints = 0;
    for block in blocks {
        if block["type"] == "text" && block["text"].as_str().is_none_or(str::is_empty) {
            return Some("messages: text content blocks must be non-empty".into());
        }
        let Some(control) = block.get("cache_control") else { continue };
        if matches!(block["type"].as_str(), Some("thinking" | "redacted_thinking")) {
            return Some("thinking.cache_control: Extra inputs are not permitted".into());
        }
        if control["type"] != "ephemeral"
            || control.get("ttl").is_some_and(|ttl| !matches!(ttl.as_str(), Some("5m" | "1h")))
            || control.as_object().is_some_and(|fields| fields.keys().any(|key| key != "type" && key != "ttl"))
        {
            return Some(format!("cache_control: invalid value {control}"));
        }
        breakpoints += 1;
    }
    (breakpoints > 4).then(|| format!("A maximum of 4 blocks with cache_control may be provided. Found {breakpoints}."))
}

#[test]
fn the_anthropic_double_refuses_invalid_cache_control() {
    let headers = [("anthropic-version".to_owned(), "2023-06-01".to_owned())];
    let marked = |text: &str| json!({"type": "text", "text": text, "cache_control": {"type": "ephemeral"}});
    let body = |system: Value, content: Vec<Value>| {
        json!({"model": "claude-sonnet-4-5", "max_tokens": 8, "system": system,
            "messages": [{"role": "user", "content": content}]})
    };
    let four = body(json!([marked("s")]), vec![marked("a"), marked("b"), marked("c")]);
    assert!(anthropic_refusal(&headers, &four).is_none());
    let five = body(json!([marked("s")]), vec![marked("a"), marked("b"), marked("c"), marked("d")]);
    let Some(Reply::Error { status: 400, body: refusal }) = anthropic_refusal(&headers, &five) else {
        panic!("a fifth breakpoint must be refused")
    };
    assert_eq!(refusal["error"]["message"], "A maximum of 4 blocks with cache_control may be provided. Found 5.");
    for content in [
        vec![marked("")],
        vec![json!({"type": "text", "text": "a", "cache_control": {"type": "persistent"}})],
        vec![json!({"type": "text", "text": "a", "cache_control": {"type": "ephemeral", "ttl": "1d"}})],
        vec![json!({"type": "thinking", "thinking": "hm", "cache_control": {"type": "ephemeral"}})],
    ] {
        assert!(anthropic_refusal(&headers, &body(json!("s"), content.clone())).is_some(), "{content:?}");
    }
}

#[test]
fn the_openai_double_answers_whole_when_no_stream_is_asked() {
    let mock = MockProvider::start_keep_alive(Reply::text("sum(items)\n\nprint(1)"));
    let address = mock.base_url.trim_start_matches("http://").to_owned();
    let stream = TcpStream::connect(&address).expect("connect");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    // Twice on one connection: a whole answer keeps it alive.
    for _ in 0..2 {
        let body =
            json!({"model": "mock", "prompt": "def total(items):\n    return ", "stream": false, "stop": ["\n\n"]})
                .to_string();
        let request = format!(
            "POST /v1/completions HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        writer.write_all(request.as_bytes()).expect("write");
        let mut status = String::new();
        reader.read_line(&mut status).expect("status line");
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("header");
            let line = line.trim_end().to_ascii_lowercase();
            if line.is_empty() {
                break;
            }
            assert_ne!(line, "content-type: text/event-stream");
            if let Some(value) = line.strip_prefix("content-length:") {
                length = value.trim().parse().expect("a length");
            }
        }
        let mut answer = vec![0; length];
        reader.read_exact(&mut answer).expect("body");
        let answer: Value = serde_json::from_slice(&answer).expect("one JSON object");
        assert_eq!(answer["object"], "text_completion");
        assert_eq!(answer["choices"][0]["text"], "sum(items)");
        assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    }
    assert_eq!(mock.connections_accepted(), 1);
}
