//! A loopback HTTP/1.1 server for provider tests, written on a bare `TcpListener` so a test
//! controls everything a vendor could do: status, headers, body, chunk timing, a reset in the
//! middle, or no answer at all. It records every request and sees when the client hangs up.
//!
//! Script replies with [`MockServer::push`] (answered in order, then the fallback reply), send
//! requests at [`MockServer::url`], and inspect [`MockServer::requests`] afterwards.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A request as the server received it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub method: String,
    pub path: String,
    /// Header names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(key, _)| *key == name).map(|(_, value)| value.as_str())
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("request body is JSON")
    }
}

/// One piece of a chunked body, written after `delay`.
#[derive(Debug, Clone)]
pub(crate) struct Piece {
    pub delay: Duration,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// A fixed body with `Content-Length`.
    Full(String),
    /// A chunked body written piece by piece.
    Pieces(Vec<Piece>),
    /// The pieces, then a TCP reset instead of the end of the body.
    ResetAfter(Vec<Piece>),
    /// Read the request, answer nothing, wait for the client to give up.
    Hang,
}

#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Reply {
    pub(crate) fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Body::Full(body.into()),
        }
    }

    pub(crate) fn text(status: u16, body: impl Into<String>) -> Self {
        Self { status, headers: vec![("content-type".into(), "text/plain".into())], body: Body::Full(body.into()) }
    }

    /// An event stream; each item is written as one chunk, verbatim (include the `\n\n`).
    pub(crate) fn sse<S: Into<String>>(pieces: impl IntoIterator<Item = S>) -> Self {
        Self::chunked("text/event-stream", pieces)
    }

    /// `data: {json}\n\n` frames, one per item.
    pub(crate) fn sse_data<S: AsRef<str>>(frames: impl IntoIterator<Item = S>) -> Self {
        Self::sse(frames.into_iter().map(|frame| format!("data: {}\n\n", frame.as_ref())))
    }

    /// Newline-delimited JSON; each item is one chunk, written verbatim.
    pub(crate) fn ndjson<S: Into<String>>(pieces: impl IntoIterator<Item = S>) -> Self {
        Self::chunked("application/x-ndjson", pieces)
    }

    /// An event stream from raw byte pieces (to split a UTF-8 character across chunks).
    pub(crate) fn sse_bytes(pieces: Vec<Vec<u8>>) -> Self {
        let pieces = pieces.into_iter().map(|data| Piece { delay: Duration::ZERO, data }).collect();
        let headers = vec![("content-type".into(), "text/event-stream".into())];
        Self { status: 200, headers, body: Body::Pieces(pieces) }
    }

    fn chunked<S: Into<String>>(content_type: &str, pieces: impl IntoIterator<Item = S>) -> Self {
        let pieces =
            pieces.into_iter().map(|data| Piece { delay: Duration::ZERO, data: data.into().into_bytes() }).collect();
        Self { status: 200, headers: vec![("content-type".into(), content_type.into())], body: Body::Pieces(pieces) }
    }

    pub(crate) fn hang() -> Self {
        Self { status: 200, headers: Vec::new(), body: Body::Hang }
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Waits `delay` before every piece (a slow drip).
    pub(crate) fn drip(mut self, delay: Duration) -> Self {
        if let Body::Pieces(pieces) | Body::ResetAfter(pieces) = &mut self.body {
            for piece in pieces {
                piece.delay = delay;
            }
        }
        self
    }

    /// Waits `delay` before piece number `index` only.
    pub(crate) fn pause_before(mut self, index: usize, delay: Duration) -> Self {
        if let Body::Pieces(pieces) | Body::ResetAfter(pieces) = &mut self.body
            && let Some(piece) = pieces.get_mut(index)
        {
            piece.delay = delay;
        }
        self
    }

    /// Writes the pieces, then resets the connection instead of ending the body.
    pub(crate) fn then_reset(mut self) -> Self {
        if let Body::Pieces(pieces) = self.body {
            self.body = Body::ResetAfter(pieces);
        }
        self
    }
}

struct Shared {
    replies: Mutex<VecDeque<Reply>>,
    fallback: Mutex<Option<Reply>>,
    requests: Mutex<Vec<Recorded>>,
    n_requests: watch::Sender<usize>,
    n_opened: watch::Sender<usize>,
    n_closed: watch::Sender<usize>,
    /// The vendor's own request validation: a request it refuses gets the vendor's error reply
    /// instead of the scripted one (which stays queued for the next request).
    validate: Option<Validator>,
}

/// Checks a request as the real vendor would; `Some(error reply)` when the vendor refuses it.
pub(crate) type Validator = fn(&Recorded) -> Option<Reply>;

#[allow(dead_code, reason = "each test binary uses its own vendor's validation")]
pub(crate) mod vendors;

pub(crate) struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MockServer {
    pub(crate) async fn start() -> Self {
        Self::start_with(None).await
    }

    /// A server that refuses, as the real vendor does, every request `validate` rejects.
    pub(crate) async fn strict(validate: Validator) -> Self {
        Self::start_with(Some(validate)).await
    }

    async fn start_with(validate: Option<Validator>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            replies: Mutex::new(VecDeque::new()),
            fallback: Mutex::new(None),
            requests: Mutex::new(Vec::new()),
            n_requests: watch::Sender::new(0),
            n_opened: watch::Sender::new(0),
            n_closed: watch::Sender::new(0),
            validate,
        });
        let accept_shared = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                accept_shared.n_opened.send_modify(|n| *n += 1);
                let shared = accept_shared.clone();
                tokio::spawn(async move {
                    serve_connection(socket, &shared).await;
                    shared.n_closed.send_modify(|n| *n += 1);
                });
            }
        });
        Self { addr, shared, task }
    }

    /// A strict server ([`MockServer::strict`]) that replies `reply` to every valid request.
    pub(crate) async fn strict_always(validate: Validator, reply: Reply) -> Self {
        let server = Self::strict(validate).await;
        server.set_fallback(reply);
        server
    }

    /// A server that replies `reply` to every request.
    pub(crate) async fn always(reply: Reply) -> Self {
        let server = Self::start().await;
        server.set_fallback(reply);
        server
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn push(&self, reply: Reply) -> &Self {
        self.shared.replies.lock().unwrap().push_back(reply);
        self
    }

    /// The reply once the scripted ones are used up (by default a 500 saying so).
    pub(crate) fn set_fallback(&self, reply: Reply) {
        *self.shared.fallback.lock().unwrap() = Some(reply);
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    pub(crate) fn request_count(&self) -> usize {
        *self.shared.n_requests.borrow()
    }

    pub(crate) fn connections_opened(&self) -> usize {
        *self.shared.n_opened.borrow()
    }

    pub(crate) fn connections_closed(&self) -> usize {
        *self.shared.n_closed.borrow()
    }

    pub(crate) fn connections_open(&self) -> usize {
        self.connections_opened() - self.connections_closed()
    }

    /// Waits until `n` connections have been closed (by the client, or by a scripted reset).
    pub(crate) async fn wait_closed(&self, n: usize, within: Duration) -> bool {
        let mut closed = self.shared.n_closed.subscribe();
        tokio::time::timeout(within, closed.wait_for(|count| *count >= n)).await.is_ok()
    }

    pub(crate) async fn wait_requests(&self, n: usize, within: Duration) -> bool {
        let mut requests = self.shared.n_requests.subscribe();
        tokio::time::timeout(within, requests.wait_for(|count| *count >= n)).await.is_ok()
    }
}

/// Serves requests on one connection until the client closes it (keep-alive is the norm:
/// reqwest pools connections).
async fn serve_connection(socket: TcpStream, shared: &Shared) {
    let (mut reader, mut writer) = socket.into_split();
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_request(&mut reader, &mut buffer).await else { return };
        let refused = shared.validate.and_then(|validate| validate(&request));
        shared.requests.lock().unwrap().push(request);
        shared.n_requests.send_modify(|n| *n += 1);
        let scripted = if refused.is_some() { None } else { shared.replies.lock().unwrap().pop_front() };
        let reply = refused.or(scripted).or_else(|| shared.fallback.lock().unwrap().clone()).unwrap_or_else(|| {
            Reply::json(500, r#"{"error":{"message":"the mock server has no scripted reply left"}}"#)
        });
        match write_reply(&mut reader, &mut writer, reply).await {
            Outcome::KeepAlive => {}
            Outcome::ClientGone => return,
            Outcome::Reset => {
                if let Ok(socket) = reader.reunite(writer) {
                    let _ = socket.set_zero_linger();
                    drop(socket);
                }
                return;
            }
        }
    }
}

enum Outcome {
    KeepAlive,
    ClientGone,
    Reset,
}

async fn read_request(reader: &mut OwnedReadHalf, buffer: &mut Vec<u8>) -> Option<Recorded> {
    let header_end = loop {
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break end;
        }
        let mut chunk = [0u8; 8192];
        let n = reader.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    buffer.drain(..header_end + 4);
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    while buffer.len() < length {
        let mut chunk = [0u8; 8192];
        let n = reader.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buffer[..length]).into_owned();
    buffer.drain(..length);
    Some(Recorded { method, path, headers, body })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}

/// Sleeps, but returns early with `false` if the client closes the connection meanwhile.
async fn pause_unless_client_leaves(reader: &mut OwnedReadHalf, delay: Duration) -> bool {
    if delay.is_zero() {
        return true;
    }
    let mut scratch = [0u8; 1024];
    tokio::select! {
        () = tokio::time::sleep(delay) => true,
        read = reader.read(&mut scratch) => matches!(read, Ok(n) if n > 0),
    }
}

async fn write_reply(reader: &mut OwnedReadHalf, writer: &mut OwnedWriteHalf, reply: Reply) -> Outcome {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let pieces = match reply.body {
        Body::Hang => {
            // Never answer; return once the client gives up and closes.
            let mut scratch = [0u8; 1024];
            while let Ok(n) = reader.read(&mut scratch).await {
                if n == 0 {
                    break;
                }
            }
            return Outcome::ClientGone;
        }
        Body::Full(body) => {
            head.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
            return match writer.write_all(head.as_bytes()).await {
                Ok(()) => Outcome::KeepAlive,
                Err(_) => Outcome::ClientGone,
            };
        }
        Body::Pieces(ref pieces) | Body::ResetAfter(ref pieces) => pieces.clone(),
    };
    head.push_str("transfer-encoding: chunked\r\n\r\n");
    if writer.write_all(head.as_bytes()).await.is_err() {
        return Outcome::ClientGone;
    }
    for piece in pieces {
        if !pause_unless_client_leaves(reader, piece.delay).await {
            return Outcome::ClientGone;
        }
        let mut frame = format!("{:x}\r\n", piece.data.len()).into_bytes();
        frame.extend_from_slice(&piece.data);
        frame.extend_from_slice(b"\r\n");
        if writer.write_all(&frame).await.is_err() || writer.flush().await.is_err() {
            return Outcome::ClientGone;
        }
    }
    if matches!(reply.body, Body::ResetAfter(_)) {
        return Outcome::Reset;
    }
    match writer.write_all(b"0\r\n\r\n").await {
        Ok(()) => Outcome::KeepAlive,
        Err(_) => Outcome::ClientGone,
    }
}

/// A request deadline `ms` from now.
pub(crate) fn deadline_in(ms: u64) -> Option<tokio::time::Instant> {
    Some(tokio::time::Instant::now() + Duration::from_millis(ms))
}

/// The error of a `generate` call that must fail (`TextStream` has no `Debug`, so no `unwrap_err`).
pub(crate) fn failed<T>(
    result: Result<T, switchboard_providers::ProviderError>,
) -> switchboard_providers::ProviderError {
    match result {
        Ok(_) => panic!("expected the request to fail"),
        Err(error) => error,
    }
}

/// What a stream delivered: its text joined, its last usage, and the error that ended it.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub text: String,
    pub usage: Option<switchboard_providers::Usage>,
    pub error: Option<switchboard_providers::ProviderError>,
    /// The other answers, by choice, when several were asked for.
    pub alternatives: std::collections::BTreeMap<u32, String>,
}

/// Reads a stream to its end or its first error.
pub(crate) async fn collect(mut stream: switchboard_providers::TextStream) -> Collected {
    use futures_util::StreamExt;
    use switchboard_providers::StreamEvent;

    let mut collected = Collected::default();
    while let Some(event) = stream.next().await {
        match event {
            Ok(StreamEvent::Text(text)) => collected.text.push_str(&text),
            Ok(StreamEvent::Alternative { choice, text }) => {
                collected.alternatives.entry(choice).or_default().push_str(&text);
            }
            Ok(StreamEvent::Usage(usage)) => collected.usage = Some(usage),
            Err(error) => {
                collected.error = Some(error);
                break;
            }
        }
    }
    collected
}

/// A one-turn chat ("be brief", "say hi") for a code action: 64 tokens, no stop sequences, no
/// temperature, 5 s deadline. Tests set what their vendor needs with `..chat_request()`.
pub(crate) fn chat_request() -> switchboard_providers::GenerateRequest {
    use switchboard_providers::{ChatMessage, ChatPrompt, ChatRole, GenerateRequest, Prompt, Purpose};

    GenerateRequest {
        prompt: Prompt::Chat(ChatPrompt {
            system: Some("be brief".into()),
            messages: vec![ChatMessage { role: ChatRole::User, content: "say hi".into() }],
            stable_prefix: None,
        }),
        max_tokens: 64,
        stop: Vec::new(),
        temperature: None,
        deadline: deadline_in(5_000),
        purpose: Purpose::CodeAction,
        choices: 1,
    }
}

/// An inline completion inside a Rust function body: 32 tokens, no stop sequences, no
/// temperature, 5 s deadline.
pub(crate) fn rust_fim_request() -> switchboard_providers::GenerateRequest {
    use switchboard_providers::{FimPrompt, GenerateRequest, Prompt, Purpose};

    GenerateRequest {
        prompt: Prompt::Fim(
            FimPrompt {
                prefix: "fn add(a: i32, b: i32) -> i32 {\n    ".into(),
                suffix: "\n}\n".into(),
                language: Some("rust".into()),
                ..FimPrompt::default()
            }
            .into(),
        ),
        max_tokens: 32,
        stop: Vec::new(),
        temperature: None,
        deadline: deadline_in(5_000),
        purpose: Purpose::InlineCompletion,
        choices: 1,
    }
}

/// The FIM prompt of [`python_fim_request`]: the body of a Python `add`.
pub(crate) fn python_fim() -> switchboard_providers::FimPrompt {
    switchboard_providers::FimPrompt {
        prefix: "def add(a, b):\n    ".into(),
        suffix: "\n\nprint(add(1, 2))\n".into(),
        language: Some("python".into()),
        ..switchboard_providers::FimPrompt::default()
    }
}

/// An inline completion of [`python_fim`]: 48 tokens, stop at a blank line, temperature 0,
/// 5 s deadline.
pub(crate) fn python_fim_request() -> switchboard_providers::GenerateRequest {
    use switchboard_providers::{GenerateRequest, Prompt, Purpose};

    GenerateRequest {
        prompt: Prompt::Fim(python_fim().into()),
        max_tokens: 48,
        stop: vec!["\n\n".into()],
        temperature: Some(0.0),
        deadline: deadline_in(5_000),
        purpose: Purpose::InlineCompletion,
        choices: 1,
    }
}

/// A spec for `model` at `base_url` with an inline key.
pub(crate) fn keyed_spec(base_url: String, model: &str, key: &str) -> switchboard_providers::ProviderSpec {
    switchboard_providers::ProviderSpec {
        model: Some(model.into()),
        base_url: Some(base_url),
        api_key: Some(switchboard_providers::Secret::new(key)),
        ..switchboard_providers::ProviderSpec::default()
    }
}

/// An error answer and how it must be classified.
pub(crate) struct ErrorCase {
    pub status: u16,
    pub body: &'static str,
    pub headers: &'static [(&'static str, &'static str)],
    pub kind: switchboard_providers::ErrorKind,
    pub retry_after: Option<Duration>,
}

impl ErrorCase {
    /// The JSON reply with the case's status, body and headers.
    pub(crate) fn reply(&self) -> Reply {
        let mut reply = Reply::json(self.status, self.body);
        for (name, value) in self.headers {
            reply = reply.header(name, value);
        }
        reply
    }
}

/// Anthropic's Messages API validation (docs.anthropic.com/en/api/messages and /en/api/errors):
/// what the real `POST /v1/messages` refuses with `400 invalid_request_error` (or 401 without a
/// key), so that a test fails whenever the provider sends what Anthropic would refuse.
pub(crate) fn anthropic_messages(request: &Recorded) -> Option<Reply> {
    fn refuse(status: u16, kind: &str, message: &str) -> Option<Reply> {
        let body = serde_json::json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_strict"});
        Some(Reply::json(status, body.to_string()))
    }
    fn invalid(message: &str) -> Option<Reply> {
        refuse(400, "invalid_request_error", message)
    }
    if request.method != "POST" || request.path != "/v1/messages" {
        return refuse(404, "not_found_error", "Not Found");
    }
    // Authentication: `x-api-key` (API keys) or `Authorization: Bearer` (OAuth), and the
    // `anthropic-version` header is required on every request.
    if request.header("x-api-key").is_none() && request.header("authorization").is_none() {
        return refuse(401, "authentication_error", "x-api-key header is required");
    }
    if request.header("anthropic-version").is_none() {
        return invalid("anthropic-version: header is required");
    }
    let Ok(body) = serde_json::from_str::<serde_json::Value>(&request.body) else {
        return invalid("There was an issue with the format or content of your request.");
    };
    let Some(fields) = body.as_object() else { return invalid("request body must be an object") };
    // The request body is a closed schema: unknown fields are refused.
    const KNOWN: &[&str] = &[
        "model",
        "messages",
        "max_tokens",
        "system",
        "stop_sequences",
        "temperature",
        "top_p",
        "top_k",
        "stream",
        "metadata",
        "tools",
        "tool_choice",
        "thinking",
        "service_tier",
        "container",
        "mcp_servers",
    ];
    if let Some(extra) = fields.keys().find(|key| !KNOWN.contains(&key.as_str())) {
        return invalid(&format!("{extra}: Extra inputs are not permitted"));
    }
    if body["model"].as_str().is_none_or(str::is_empty) {
        return invalid("model: Field required");
    }
    if body["max_tokens"].as_u64().is_none_or(|max| max < 1) {
        return invalid("max_tokens: Field required (an integer >= 1)");
    }
    if let Some(temperature) = body.get("temperature")
        && temperature.as_f64().is_none_or(|t| !(0.0..=1.0).contains(&t))
    {
        return invalid("temperature: Input should be less than or equal to 1");
    }
    if let Some(stops) = body.get("stop_sequences") {
        let Some(stops) = stops.as_array() else { return invalid("stop_sequences: Input should be a valid list") };
        // The documented rule the single-line completion once broke.
        if stops.iter().any(|stop| stop.as_str().is_none_or(|stop| stop.trim().is_empty())) {
            return invalid("stop_sequences: each stop sequence must contain non-whitespace");
        }
    }
    let Some(messages) = body["messages"].as_array().filter(|messages| !messages.is_empty()) else {
        return invalid("messages: at least one message is required");
    };
    let mut breakpoints = 0;
    if let Some(system) = body.get("system")
        && !system.is_string()
    {
        let Some(blocks) = system.as_array() else { return invalid("system: Input should be a valid string or list") };
        for block in blocks {
            if let Err(message) = content_block(block, &mut breakpoints) {
                return invalid(&format!("system: {message}"));
            }
        }
    }
    for message in messages {
        if !matches!(message["role"].as_str(), Some("user" | "assistant")) {
            return invalid("messages: roles must be 'user' or 'assistant'");
        }
        match &message["content"] {
            serde_json::Value::String(_) => {}
            serde_json::Value::Array(blocks) if !blocks.is_empty() => {
                for block in blocks {
                    if let Err(message) = content_block(block, &mut breakpoints) {
                        return invalid(&format!("messages: {message}"));
                    }
                }
            }
            serde_json::Value::Null => return invalid("messages: content is required"),
            _ => return invalid("messages: content must be a string or a non-empty list of blocks"),
        }
    }
    // docs.anthropic.com/en/docs/build-with-claude/prompt-caching ("you can define up to 4 cache
    // breakpoints"); the API's words when a request has more.
    if breakpoints > 4 {
        return invalid(&format!("A maximum of 4 blocks with cache_control may be provided. Found {breakpoints}."));
    }
    let last = messages.last().expect("non-empty");
    let last_text = match &last["content"] {
        serde_json::Value::String(text) => Some(text.as_str()),
        serde_json::Value::Array(blocks) => blocks.last().and_then(|block| block["text"].as_str()),
        _ => None,
    };
    if last["role"] == "assistant" && last_text.is_some_and(|text| text.ends_with(char::is_whitespace)) {
        return invalid("messages: final assistant content cannot end with trailing whitespace");
    }
    None
}

/// One content block of a message or of the system prompt, as the Messages API checks it
/// (docs.anthropic.com/en/api/messages, and /en/docs/build-with-claude/prompt-caching for
/// `cache_control`): a text block has a non-empty `text` and no unknown field; `cache_control`
/// is `{"type": "ephemeral"}` with an optional `ttl` of `5m` or `1h`, and is not allowed on
/// thinking blocks (which cannot be cached directly). Counts the breakpoints it carries.
pub(crate) fn content_block(block: &serde_json::Value, breakpoints: &mut usize) -> Result<(), String> {
    let Some(fields) = block.as_object() else { return Err("each content block must be an object".into()) };
    let kind = fields.get("type").and_then(serde_json::Value::as_str).unwrap_or("");
    let known: &[&str] = match kind {
        "text" => &["type", "text", "cache_control", "citations"],
        "image" | "document" => &["type", "source", "cache_control", "title", "context", "citations"],
        "tool_use" => &["type", "id", "name", "input", "cache_control"],
        "tool_result" => &["type", "tool_use_id", "content", "is_error", "cache_control"],
        "thinking" => &["type", "thinking", "signature"],
        "redacted_thinking" => &["type", "data"],
        _ => return Err(format!("Input tag '{kind}' found using 'type' does not match any of the expected tags")),
    };
    if let Some(extra) = fields.keys().find(|key| !known.contains(&key.as_str())) {
        return Err(format!("{kind}.{extra}: Extra inputs are not permitted"));
    }
    if kind == "text" && fields.get("text").and_then(serde_json::Value::as_str).is_none_or(str::is_empty) {
        return Err("text content blocks must be non-empty".into());
    }
    if let Some(cache_control) = fields.get("cache_control") {
        let Some(control) = cache_control.as_object() else {
            return Err("cache_control: Input should be an object".into());
        };
        if control.get("type").and_then(serde_json::Value::as_str) != Some("ephemeral") {
            return Err("cache_control.type: Input should be 'ephemeral'".into());
        }
        if let Some(ttl) = control.get("ttl")
            && !matches!(ttl.as_str(), Some("5m" | "1h"))
        {
            return Err("cache_control.ttl: Input should be '5m' or '1h'".into());
        }
        if let Some(extra) = control.keys().find(|key| !["type", "ttl"].contains(&key.as_str())) {
            return Err(format!("cache_control.{extra}: Extra inputs are not permitted"));
        }
        *breakpoints += 1;
    }
    Ok(())
}
