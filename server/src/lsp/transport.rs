//! A guard between the editor's stdio and tower-lsp-server's transport.
//!
//! tower-lsp-server reads stdin through tokio-util's `FramedRead`, which stops for good after the
//! first message it cannot decode: one malformed message would leave the server deaf while it
//! still looks alive. So we frame stdin ourselves, forward only well-formed JSON-RPC messages,
//! and answer the others here (`ParseError` for bad JSON, `InvalidRequest` for JSON that is not
//! a JSON-RPC message). One writer task owns stdout and writes whole frames only, from the
//! server and from this guard, so they never interleave.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// Largest message we accept (a whole-document sync of a very large file fits comfortably).
const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

/// Longest header line we keep; the rest of a longer line is read and dropped (it is garbage:
/// real headers are a few dozen bytes).
const MAX_HEADER_LINE_BYTES: usize = 4096;

/// What a frame turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Forward,
    /// Answer with this error, for this id (`null` when unknown).
    Reject {
        code: i64,
        message: &'static str,
        id: String,
    },
}

#[derive(Deserialize)]
struct Probe<'a> {
    /// `Cow`: `"2\u002e0"` is `"2.0"` too, and an escaped string cannot be borrowed.
    #[serde(borrow)]
    jsonrpc: Option<Cow<'a, str>>,
    method: Option<IgnoredAny>,
    /// `null` included (`Option` would read it as absent): an error response may have a `null` id.
    #[serde(borrow, default, deserialize_with = "raw_value")]
    id: Option<&'a RawValue>,
    #[serde(default)]
    result: Present,
    #[serde(default)]
    error: Present,
}

fn raw_value<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

/// Whether a field was there at all, `null` included (`Option` would read `null` as absent).
#[derive(Default)]
struct Present(bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| Present(true))
    }
}

/// Whether tower-lsp-server can decode `text` (a frame it cannot decode would end its read loop
/// for good). Its private `Message` is an untagged enum of `Response` and `Request`; each is
/// tried directly here, the likely one first, which answers the same (the tests check it
/// against the enum) without the enum's copy of the whole message into serde's buffer first.
fn decodable(text: &str, is_call: bool) -> bool {
    fn is<T: serde::de::DeserializeOwned>(text: &str) -> bool {
        serde_json::from_str::<T>(text).is_ok()
    }
    let mut shapes: [fn(&str) -> bool; 2] =
        [is::<tower_lsp_server::jsonrpc::Request>, is::<tower_lsp_server::jsonrpc::Response>];
    if !is_call {
        shapes.reverse();
    }
    shapes.iter().any(|shape| shape(text))
}

/// Checks that `body` is a JSON-RPC 2.0 request, notification or response that tower-lsp-server
/// can decode.
pub fn judge(body: &[u8]) -> Verdict {
    let parse_error = || Verdict::Reject {
        code: -32700,
        message: "parse error: the message is not a JSON object",
        id: "null".into(),
    };
    // tower-lsp-server checks the whole body, while the probe skips the values it ignores.
    let Ok(text) = std::str::from_utf8(body) else { return parse_error() };
    let Ok(probe) = serde_json::from_str::<Probe<'_>>(text) else { return parse_error() };
    let id = probe.id.map_or_else(|| "null".to_owned(), |id| id.get().to_owned());
    let id_ok = probe.id.is_none_or(|id| {
        let text = id.get();
        text == "null" || text.starts_with('"') || text.bytes().all(|b| b.is_ascii_digit() || b == b'-')
    });
    let is_call = probe.method.is_some();
    let is_response = probe.id.is_some() && (probe.result.0 || probe.error.0);
    // The probe skips `method`, `params`, `result` and unknown members without checking them
    // (a numeric `method`, `1e400`, nesting past serde_json's limit, an id past `i64`).
    if probe.jsonrpc.as_deref() != Some("2.0") || !id_ok || !(is_call || is_response) || !decodable(text, is_call) {
        let id = if id_ok { id } else { "null".to_owned() };
        return Verdict::Reject { code: -32600, message: "invalid request: not a JSON-RPC 2.0 message", id };
    }
    Verdict::Forward
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend_from_slice(body);
    framed
}

/// Reads one header line into `line`, line break included, keeping at most
/// [`MAX_HEADER_LINE_BYTES`] of it. `Ok(None)` at end of input, else whether it fit.
async fn read_header_line(
    reader: &mut (impl AsyncBufReadExt + Unpin),
    line: &mut Vec<u8>,
) -> std::io::Result<Option<bool>> {
    line.clear();
    let mut fits = true;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok((!line.is_empty()).then_some(fits));
        }
        let (used, ends) = match available.iter().position(|byte| *byte == b'\n') {
            Some(newline) => (newline + 1, true),
            None => (available.len(), false),
        };
        let room = MAX_HEADER_LINE_BYTES - line.len();
        fits &= used <= room;
        line.extend_from_slice(&available[..used.min(room)]);
        reader.consume(used);
        if ends {
            return Ok(Some(fits));
        }
    }
}

/// Reads one frame's body. `Ok(None)` at end of input; garbage headers (not UTF-8, too long,
/// not `Content-Length`) are skipped.
async fn read_frame(reader: &mut (impl AsyncBufReadExt + Unpin)) -> std::io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    loop {
        let mut content_length: Option<usize> = None;
        let mut saw_header = false;
        loop {
            let Some(fits) = read_header_line(reader, &mut line).await? else {
                return Ok(None);
            };
            let text = std::str::from_utf8(&line).ok().filter(|_| fits).map(|text| text.trim_end_matches(['\r', '\n']));
            if text == Some("") {
                if saw_header {
                    break;
                }
                continue;
            }
            saw_header = true;
            if let Some((name, value)) = text.and_then(|text| text.split_once(':'))
                && name.trim().eq_ignore_ascii_case("content-length")
            {
                content_length = value.trim().parse().ok();
            }
        }
        match content_length {
            Some(length) if length <= MAX_MESSAGE_BYTES => {
                let mut body = vec![0; length];
                reader.read_exact(&mut body).await?;
                return Ok(Some(body));
            }
            Some(length) => {
                tracing::error!(length, "message too large; skipping it");
                let mut limited = (&mut *reader).take(length as u64);
                tokio::io::copy(&mut limited, &mut tokio::io::sink()).await?;
            }
            None => tracing::error!("message without a valid Content-Length header; skipping it"),
        }
    }
}

/// Copies well-formed messages from `input` to the server, and sends error answers for the rest
/// to the writer.
async fn filter_input(
    input: impl AsyncRead + Unpin,
    mut to_server: impl AsyncWrite + Unpin,
    rejections: mpsc::UnboundedSender<Vec<u8>>,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    loop {
        let body = match read_frame(&mut reader).await {
            Ok(Some(body)) => body,
            Ok(None) => break,
            Err(error) => {
                tracing::warn!(%error, "reading stdin failed; stopping");
                break;
            }
        };
        match judge(&body) {
            Verdict::Forward => {
                if to_server.write_all(&frame(&body)).await.is_err() {
                    break;
                }
            }
            Verdict::Reject { code, message, id } => {
                tracing::warn!(code, message, "rejected a malformed message");
                let answer =
                    format!(r#"{{"jsonrpc":"2.0","id":{id},"error":{{"code":{code},"message":"{message}"}}}}"#);
                let _ = rejections.send(frame(answer.as_bytes()));
            }
        }
    }
    // Dropping `to_server` tells the server that the editor closed its end.
}

/// Writes whole frames from the server and from the guard to `output`, never interleaved.
async fn write_output(
    from_server: impl AsyncRead + Unpin,
    mut rejections: mpsc::UnboundedReceiver<Vec<u8>>,
    mut output: impl AsyncWrite + Unpin,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, from_server);
    loop {
        tokio::select! {
            biased;
            frame_body = read_frame(&mut reader) => match frame_body {
                Ok(Some(body)) => {
                    if output.write_all(&frame(&body)).await.is_err() || output.flush().await.is_err() {
                        return;
                    }
                }
                _ => break,
            },
            Some(rejection) = rejections.recv() => {
                if output.write_all(&rejection).await.is_err() || output.flush().await.is_err() {
                    return;
                }
            }
        }
    }
    let _ = output.flush().await;
}

/// The server's ends of the two pipes: what it reads from and writes to.
pub struct GuardedIo {
    pub server_input: tokio::io::DuplexStream,
    pub server_output: tokio::io::DuplexStream,
    writer: tokio::task::JoinHandle<()>,
}

impl GuardedIo {
    /// Starts the guard tasks between `input`/`output` (the editor) and the returned pipes.
    pub fn start(
        input: impl AsyncRead + Unpin + Send + 'static,
        output: impl AsyncWrite + Unpin + Send + 'static,
    ) -> Self {
        let (server_input, guard_to_server) = tokio::io::duplex(256 * 1024);
        let (server_output, guard_from_server) = tokio::io::duplex(256 * 1024);
        let (rejections_tx, rejections_rx) = mpsc::unbounded_channel();
        tokio::spawn(filter_input(input, guard_to_server, rejections_tx));
        let writer = tokio::spawn(write_output(guard_from_server, rejections_rx, output));
        Self { server_input, server_output, writer }
    }

    /// Waits until everything the server wrote has reached the editor.
    pub async fn flush(writer: tokio::task::JoinHandle<()>) {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), writer).await;
    }

    pub fn split(self) -> (tokio::io::DuplexStream, tokio::io::DuplexStream, tokio::task::JoinHandle<()>) {
        (self.server_input, self.server_output, self.writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judges_messages() {
        assert_eq!(judge(br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#), Verdict::Forward);
        assert_eq!(judge(br#"{"jsonrpc":"2.0","method":"exit"}"#), Verdict::Forward);
        assert_eq!(judge(br#"{"jsonrpc":"2.0","id":"a","result":null}"#), Verdict::Forward);
        assert!(matches!(judge(b"{not json"), Verdict::Reject { code: -32700, .. }));
        assert!(matches!(judge(b"[1,2]"), Verdict::Reject { code: -32700, .. }));
        assert_eq!(
            judge(br#"{"jsonrpc":"1.0","id":7,"method":"x"}"#),
            Verdict::Reject { code: -32600, message: "invalid request: not a JSON-RPC 2.0 message", id: "7".into() }
        );
        assert!(
            matches!(judge(br#"{"jsonrpc":"2.0","id":{"a":1},"method":"x"}"#), Verdict::Reject { code: -32600, ref id, .. } if id == "null")
        );
        assert!(matches!(judge(br#"{"jsonrpc":"2.0","id":3}"#), Verdict::Reject { code: -32600, .. }));
    }

    #[tokio::test]
    async fn frames_survive_garbage_between_them() {
        let input: &[u8] = b"Content-Length: 2\r\n\r\n{}garbage\r\n\r\nContent-Length: 5\r\n\r\nhello";
        let mut reader = BufReader::new(input);
        assert_eq!(read_frame(&mut reader).await.unwrap(), Some(b"{}".to_vec()));
        assert_eq!(read_frame(&mut reader).await.unwrap(), Some(b"hello".to_vec()));
        assert_eq!(read_frame(&mut reader).await.unwrap(), None);
    }
}

/// Property tests of the guard (issue 11): framing over arbitrary bytes split at any point, the
/// verdict on arbitrary JSON, and the real tower-lsp-server behind the guard.
#[cfg(test)]
mod fuzz {
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::Duration;

    use proptest::prelude::*;
    use serde_json::{Map, Value, json};
    use tokio::io::ReadBuf;
    use tower_lsp_server::gen_lsp_types as lsp;
    use tower_lsp_server::{LanguageServer, LspService, Server};

    use super::*;

    /// What tower-lsp-server decodes a frame into (its own `Message` is private): the same types
    /// in the same untagged enum, what `decodable` must agree with.
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Decodable {
        #[expect(dead_code, reason = "only whether it deserializes matters")]
        Response(tower_lsp_server::jsonrpc::Response),
        #[expect(dead_code, reason = "only whether it deserializes matters")]
        Request(tower_lsp_server::jsonrpc::Request),
    }

    /// Runs `work` on its own thread and fails the test if it has not finished within `secs`: a
    /// busy loop would never let an async timeout fire.
    fn within<T: Send + 'static>(secs: u64, work: impl FnOnce() -> T + Send + 'static) -> T {
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(work());
        });
        match result.recv_timeout(Duration::from_secs(secs)) {
            Ok(value) => value,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("hung for more than {secs} s"),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("the work panicked"),
        }
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
        runtime.unwrap_or_else(|error| panic!("no runtime: {error}")).block_on(future)
    }

    /// Input handed out in chunks of the given sizes (cycled), each optionally after one
    /// `Pending`, the way a pipe delivers whatever has arrived.
    struct Chunked {
        data: Vec<u8>,
        position: usize,
        sizes: Vec<(usize, bool)>,
        turn: usize,
        waited: bool,
    }

    impl Chunked {
        fn new(data: Vec<u8>, sizes: Vec<(usize, bool)>) -> Self {
            let sizes = if sizes.is_empty() { vec![(usize::MAX, false)] } else { sizes };
            Self { data, position: 0, sizes, turn: 0, waited: false }
        }
    }

    impl AsyncRead for Chunked {
        fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
            let this = &mut *self;
            if this.position >= this.data.len() {
                return Poll::Ready(Ok(()));
            }
            let (size, pending) = this.sizes[this.turn % this.sizes.len()];
            if pending && !this.waited {
                this.waited = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            this.waited = false;
            this.turn += 1;
            let n = size.max(1).min(buf.remaining()).min(this.data.len() - this.position);
            buf.put_slice(&this.data[this.position..this.position + n]);
            this.position += n;
            Poll::Ready(Ok(()))
        }
    }

    /// Splits frames as `frame` writes them, strictly: anything else fails the test.
    fn unframe(mut bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut bodies = Vec::new();
        while !bytes.is_empty() {
            let header_end = bytes.windows(4).position(|window| window == b"\r\n\r\n").expect("a header block");
            let header = std::str::from_utf8(&bytes[..header_end]).expect("an ASCII header");
            let length: usize =
                header.strip_prefix("Content-Length: ").and_then(|n| n.parse().ok()).expect("only Content-Length");
            let body_start = header_end + 4;
            bodies.push(bytes[body_start..body_start + length].to_vec());
            bytes = &bytes[body_start + length..];
        }
        bodies
    }

    /// Runs the input filter to the end of `input`: the bodies forwarded to the server, and the
    /// bodies of the answers sent back for the others.
    fn filter(input: Chunked) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        within(20, move || {
            block_on(async move {
                let mut to_server = Vec::new();
                let (sender, mut receiver) = mpsc::unbounded_channel();
                filter_input(input, &mut to_server, sender).await;
                let mut answers = Vec::new();
                while let Ok(answer) = receiver.try_recv() {
                    let mut bodies = unframe(&answer);
                    assert_eq!(bodies.len(), 1, "one whole frame per answer");
                    answers.append(&mut bodies);
                }
                (unframe(&to_server), answers)
            })
        })
    }

    fn chunk_sizes() -> impl Strategy<Value = Vec<(usize, bool)>> {
        prop::collection::vec(
            (prop_oneof![4 => 1usize..8, 2 => 8usize..200, 1 => 200usize..5000], any::<bool>()),
            0..16,
        )
    }

    // --- JSON values ---

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => prop::sample::select(vec!["jsonrpc", "id", "method", "params", "result", "error", "code", "message", "data"])
                .prop_map(str::to_owned),
            1 => "\\PC{0,6}",
        ]
    }

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_filter_map("finite", |float| serde_json::Number::from_f64(float).map(Value::Number)),
            prop::sample::select(vec!["2.0", "1.0", "", "exit", "initialize", "textDocument/didOpen"])
                .prop_map(Value::from),
            "\\PC{0,10}".prop_map(Value::String),
            // Control characters, quotes, backslashes and astral characters, escaped in the JSON.
            "[\\x00-\\x1f\"\\\\\u{7f}\u{10000}-\u{10ffff}a]{0,6}".prop_map(Value::String),
        ]
    }

    /// An arbitrary JSON value, at most 4 levels deep.
    fn json_value() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((key(), inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
            ]
        })
    }

    /// An object shaped like a JSON-RPC message, each member absent or of any type.
    fn message_like() -> impl Strategy<Value = Value> {
        let member = |values: BoxedStrategy<Value>| prop::option::weighted(0.7, values);
        let version = prop_oneof![4 => Just(json!("2.0")), 1 => leaf()].boxed();
        let id = prop_oneof![
            Just(json!(1)),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            Just(json!(-0)),
            Just(json!(1.5)),
            Just(Value::Null),
            "\\PC{0,8}".prop_map(Value::String),
            json_value(),
        ]
        .boxed();
        let method = prop_oneof![3 => "[a-z/$]{1,12}".prop_map(Value::String), 1 => json_value()]
            .prop_filter("exit ends the session on purpose", |method| method != "exit")
            .boxed();
        let error = prop_oneof![
            (any::<i64>(), "\\PC{0,8}", prop::option::of(json_value()))
                .prop_map(|(code, message, data)| json!({"code": code, "message": message, "data": data})),
            json_value(),
        ]
        .boxed();
        (
            member(version),
            member(id),
            member(method),
            member(json_value().boxed()),
            member(json_value().boxed()),
            member(error),
        )
            .prop_map(|(version, id, method, params, result, error)| {
                let mut object = Map::new();
                for (name, value) in [
                    ("jsonrpc", version),
                    ("id", id),
                    ("method", method),
                    ("params", params),
                    ("result", result),
                    ("error", error),
                ] {
                    if let Some(value) = value {
                        object.insert(name.to_owned(), value);
                    }
                }
                Value::Object(object)
            })
    }

    /// A message the JSON-RPC 2.0 specification allows: request, notification or response.
    fn valid_message() -> impl Strategy<Value = Value> {
        let id = prop_oneof![any::<i64>().prop_map(Value::from), "\\PC{0,8}".prop_map(Value::String)];
        let method = prop_oneof![
            prop::sample::select(vec!["initialize", "textDocument/didChange", "$/cancelRequest", "shutdown"])
                .prop_map(str::to_owned),
            "\\PC{1,12}",
        ]
        .prop_filter("exit ends the session on purpose", |method| method != "exit");
        let params = prop::option::of(prop_oneof![
            prop::collection::vec(json_value(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("\\PC{0,6}", json_value()), 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]);
        let error = (any::<i64>(), "\\PC{0,12}", prop::option::of(json_value())).prop_map(|(code, message, data)| {
            let mut error = json!({"code": code, "message": message});
            if let Some(data) = data {
                error["data"] = data;
            }
            error
        });
        prop_oneof![
            (id.clone(), method.clone(), params.clone()).prop_map(|(id, method, params)| {
                let mut message = json!({"jsonrpc": "2.0", "id": id, "method": method});
                if let Some(params) = params {
                    message["params"] = params;
                }
                message
            }),
            (method, params).prop_map(|(method, params)| {
                let mut message = json!({"jsonrpc": "2.0", "method": method});
                if let Some(params) = params {
                    message["params"] = params;
                }
                message
            }),
            (prop::option::of(id.clone()), json_value())
                .prop_map(|(id, result)| json!({"jsonrpc": "2.0", "id": id, "result": result})),
            (prop::option::of(id), error).prop_map(|(id, error)| json!({"jsonrpc": "2.0", "id": id, "error": error})),
        ]
    }

    /// `value` as JSON text with every character of every string and key written as `\uXXXX`:
    /// the same value, so the same verdict.
    fn fully_escaped(value: &Value) -> String {
        fn string(text: &str, out: &mut String) {
            out.push('"');
            for unit in text.encode_utf16() {
                out.push_str(&format!("\\u{unit:04x}"));
            }
            out.push('"');
        }
        fn write(value: &Value, out: &mut String) {
            match value {
                Value::String(text) => string(text, out),
                Value::Array(items) => {
                    out.push_str("[ ");
                    for (index, item) in items.iter().enumerate() {
                        if index > 0 {
                            out.push_str(" ,\n");
                        }
                        write(item, out);
                    }
                    out.push_str("\t]");
                }
                Value::Object(members) => {
                    out.push_str("{\r\n");
                    for (index, (name, item)) in members.iter().enumerate() {
                        if index > 0 {
                            out.push(',');
                        }
                        string(name, out);
                        out.push_str(" : ");
                        write(item, out);
                    }
                    out.push_str(" }");
                }
                other => out.push_str(&other.to_string()),
            }
        }
        let mut out = String::new();
        write(value, &mut out);
        out
    }

    /// Checks an answer the guard sent for a rejected message: a JSON-RPC error response with
    /// one of our two codes and an id that is `null`, a number or a string.
    fn check_answer(answer: &[u8]) -> Result<(), TestCaseError> {
        let answer: Value = serde_json::from_slice(answer).map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(&answer["jsonrpc"], "2.0");
        prop_assert!(matches!(answer["error"]["code"].as_i64(), Some(-32700 | -32600)), "{}", answer);
        prop_assert!(answer["error"]["message"].is_string(), "{}", answer);
        prop_assert!(matches!(answer.get("id"), Some(Value::Null | Value::Number(_) | Value::String(_))), "{}", answer);
        Ok(())
    }

    // --- Frames and garbage ---

    /// One garbage header line (line break included): arbitrary bytes, invalid UTF-8, a line
    /// longer than we keep, a header we do not know, or an unusable `Content-Length`, never a
    /// usable one (that would make a frame of its own, which is the sender's choice).
    fn garbage_line() -> impl Strategy<Value = Vec<u8>> {
        let content = prop_oneof![
            4 => prop::collection::vec(any::<u8>().prop_filter("one line", |byte| *byte != b'\n'), 1..40),
            1 => Just(vec![0xff, 0xfe, b':', 0xc3]),
            1 => (4097usize..9000).prop_map(|n| vec![b'x'; n]),
            1 => Just(b"Content-Type: application/vscode-jsonrpc; charset=utf-8".to_vec()),
            1 => prop::sample::select(vec!["Content-Length: -1", "Content-Length: x", "content-length:", "Content-Length: 18446744073709551616"])
                .prop_map(|line| line.as_bytes().to_vec()),
            1 => (4000usize..5000).prop_map(|n| format!("Content-Length: {}5", "0".repeat(n)).into_bytes()),
        ]
        .prop_filter("not a usable Content-Length", |line| {
            let text = String::from_utf8_lossy(line);
            let text = text.trim_end_matches(['\r', '\n']);
            line.len() > MAX_HEADER_LINE_BYTES - 2
                || !text.split_once(':').is_some_and(|(name, value)| {
                    name.trim().eq_ignore_ascii_case("content-length") && value.trim().parse::<usize>().is_ok()
                })
        });
        (content, any::<bool>()).prop_map(|(mut line, crlf)| {
            line.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            line
        })
    }

    #[derive(Debug, Clone)]
    enum Segment {
        /// A well-formed frame around any body, with extra headers in any case and line ends.
        Frame { body: Vec<u8>, lf_only: bool, lowercase: bool, content_type: bool },
        /// Garbage lines; with `closed`, followed by a blank line (a header block without
        /// `Content-Length`), else they run into the next frame's headers.
        Garbage { lines: Vec<Vec<u8>>, closed: bool },
    }

    fn body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            3 => valid_message().prop_map(|message| serde_json::to_vec(&message).unwrap_or_default()),
            2 => message_like().prop_map(|message| serde_json::to_vec(&message).unwrap_or_default()),
            1 => prop::collection::vec(any::<u8>(), 0..64),
            1 => Just(b"{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":\"\xff\"}".to_vec()),
        ]
    }

    fn segment() -> impl Strategy<Value = Segment> {
        prop_oneof![
            3 => (body(), any::<bool>(), any::<bool>(), any::<bool>())
                .prop_map(|(body, lf_only, lowercase, content_type)| Segment::Frame { body, lf_only, lowercase, content_type }),
            1 => (prop::collection::vec(garbage_line(), 1..4), any::<bool>())
                .prop_map(|(lines, closed)| Segment::Garbage { lines, closed }),
        ]
    }

    fn encode(segments: &[Segment]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for segment in segments {
            match segment {
                Segment::Frame { body, lf_only, lowercase, content_type } => {
                    let end = if *lf_only { "\n" } else { "\r\n" };
                    let name = if *lowercase { "content-length" } else { "Content-Length" };
                    if *content_type {
                        bytes.extend_from_slice(format!("Content-Type: application/json{end}").as_bytes());
                    }
                    bytes.extend_from_slice(format!("{name}:  {} {end}{end}", body.len()).as_bytes());
                    bytes.extend_from_slice(body);
                }
                Segment::Garbage { lines, closed } => {
                    for line in lines {
                        bytes.extend_from_slice(line);
                    }
                    if *closed {
                        bytes.extend_from_slice(b"\r\n");
                    }
                }
            }
        }
        bytes
    }

    // --- The real server behind the guard ---

    struct Nop;

    impl LanguageServer for Nop {
        async fn initialize(
            &self,
            _: lsp::InitializeParams,
        ) -> tower_lsp_server::jsonrpc::Result<lsp::InitializeResult> {
            Ok(lsp::InitializeResult::default())
        }

        async fn shutdown(&self) -> tower_lsp_server::jsonrpc::Result<()> {
            Ok(())
        }
    }

    const PROBE_ID: &str = "fuzz-probe-after-the-input";

    /// Sends `input` and then a probe request through the guard to a real tower-lsp-server, and
    /// returns every frame the editor got up to and including the answer to the probe, or
    /// `None` if the probe got no answer within three seconds (the server stopped reading).
    fn through_real_server(input: Vec<u8>) -> Option<Vec<Vec<u8>>> {
        within(20, move || {
            block_on(async move {
                let (mut editor_input, guard_input) = tokio::io::duplex(4096);
                let (guard_output, editor_output) = tokio::io::duplex(4096);
                let (server_input, server_output, _writer) = GuardedIo::start(guard_input, guard_output).split();
                let (service, socket) = LspService::new(|_| Nop);
                tokio::spawn(Server::new(server_input, server_output, socket).serve(service));
                // Writes while the answers are read; the editor's end stays open afterwards.
                let _editor_input = tokio::spawn(async move {
                    let probe = format!(r#"{{"jsonrpc":"2.0","id":"{PROBE_ID}","method":"fuzz/probe"}}"#);
                    let _ = editor_input.write_all(&input).await;
                    let _ = editor_input.write_all(&frame(probe.as_bytes())).await;
                    editor_input
                });
                let mut reader = BufReader::new(editor_output);
                let mut frames = Vec::new();
                let answered = tokio::time::timeout(Duration::from_secs(3), async {
                    while let Ok(Some(body)) = read_frame(&mut reader).await {
                        let is_probe =
                            serde_json::from_slice::<Value>(&body).is_ok_and(|answer| answer["id"] == PROBE_ID);
                        frames.push(body);
                        if is_probe {
                            return true;
                        }
                    }
                    false
                })
                .await;
                (answered == Ok(true)).then_some(frames)
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Frames between garbage of every kind, delivered in chunks of any size: every frame
        /// is either forwarded or answered, in order, and the garbage is skipped.
        #[test]
        fn frames_between_garbage_survive_any_split(segments in prop::collection::vec(segment(), 0..10), sizes in chunk_sizes()) {
            let (forwarded, answers) = filter(Chunked::new(encode(&segments), sizes));
            let bodies: Vec<&Vec<u8>> =
                segments.iter().filter_map(|segment| match segment { Segment::Frame { body, .. } => Some(body), _ => None }).collect();
            let expected: Vec<Vec<u8>> = bodies.iter().filter(|body| judge(body) == Verdict::Forward).map(|body| (*body).clone()).collect();
            prop_assert_eq!(&forwarded, &expected);
            // An empty body is no message at all; every other rejected frame is answered.
            let rejected = bodies.iter().filter(|body| judge(body) != Verdict::Forward).count();
            prop_assert_eq!(answers.len(), rejected);
            for answer in &answers {
                check_answer(answer)?;
            }
        }

        /// Arbitrary bytes, in arbitrary chunks: the filter ends (at the end of the input),
        /// forwards only what it would judge forwardable, and never more bytes than it read.
        #[test]
        fn arbitrary_bytes_end_cleanly(
            prefix in prop::sample::select(vec![&b""[..], b"Content-Length: 3\r\n\r\n", b"Content-Length: 100\r\n\r\n"]),
            bytes in prop::collection::vec(any::<u8>(), 0..2048),
            sizes in chunk_sizes(),
        ) {
            let input = [prefix, &bytes[..]].concat();
            let (forwarded, answers) = filter(Chunked::new(input.clone(), sizes));
            prop_assert!(forwarded.iter().map(Vec::len).sum::<usize>() <= input.len());
            for body in &forwarded {
                prop_assert_eq!(judge(body), Verdict::Forward);
            }
            for answer in &answers {
                check_answer(answer)?;
            }
        }

        /// A `Content-Length` past the limit (up to 2^60 and `usize::MAX`) is skipped without
        /// allocating it: everything after it is part of the claimed body, so nothing is
        /// forwarded and the filter ends at the end of the input. One that does not fit in a
        /// `usize` is no length at all: that header block is skipped and the frames after it go
        /// through.
        #[test]
        fn huge_content_lengths_allocate_nothing(
            length in prop_oneof![
                Just(1u128 << 60),
                Just(usize::MAX as u128),
                Just(MAX_MESSAGE_BYTES as u128 + 1),
                (MAX_MESSAGE_BYTES as u128 + 1)..(1u128 << 64),
                Just(1u128 << 64),
                (1u128 << 64)..u128::MAX,
            ],
            after in prop::collection::vec(valid_message(), 0..4),
            sizes in chunk_sizes(),
        ) {
            let bodies: Vec<Vec<u8>> = after.iter().map(|message| serde_json::to_vec(message).unwrap_or_default()).collect();
            let mut input = format!("Content-Length: {length}\r\n\r\n").into_bytes();
            for body in &bodies {
                input.extend_from_slice(&frame(body));
            }
            let (forwarded, answers) = filter(Chunked::new(input, sizes));
            if usize::try_from(length).is_ok() {
                prop_assert!(forwarded.is_empty());
            } else {
                prop_assert_eq!(forwarded, bodies);
            }
            prop_assert!(answers.is_empty());
        }

        /// However a header line goes on, it is read in bounded memory and cut where a longer
        /// one would be garbage anyway.
        #[test]
        fn header_lines_are_bounded(bytes in prop::collection::vec(any::<u8>(), 0..12_000), sizes in chunk_sizes()) {
            let lines = within(20, move || block_on(async move {
                let mut reader = BufReader::with_capacity(64 * 1024, Chunked::new(bytes, sizes));
                let mut line = Vec::new();
                let mut lines = Vec::new();
                while let Some(fits) = read_header_line(&mut reader, &mut line).await.unwrap_or(None) {
                    lines.push((fits, line.clone()));
                }
                lines
            }));
            for (fits, line) in lines {
                prop_assert!(line.len() <= MAX_HEADER_LINE_BYTES);
                if fits {
                    prop_assert!(!line[..line.len().saturating_sub(1)].contains(&b'\n'));
                }
            }
        }

        /// Arbitrary bytes as a body: no panic, and bytes that are not UTF-8 are a parse error.
        #[test]
        fn judging_bytes_never_panics(body in prop::collection::vec(any::<u8>(), 0..256)) {
            let verdict = judge(&body);
            if std::str::from_utf8(&body).is_err() {
                prop_assert!(matches!(verdict, Verdict::Reject { code: -32700, .. }), "{verdict:?}");
            }
        }

        /// Arbitrary JSON, message-shaped or not: no panic; forwarded only what
        /// tower-lsp-server's own types decode; the rejection's id is one we can echo; and the
        /// verdict depends on the value, not on how it is written.
        #[test]
        fn judging_json_never_panics(value in prop_oneof![json_value(), message_like()]) {
            let compact = serde_json::to_vec(&value).unwrap_or_default();
            let verdict = judge(&compact);
            match &verdict {
                Verdict::Forward => {
                    let as_request = serde_json::from_slice::<tower_lsp_server::jsonrpc::Request>(&compact).is_ok();
                    let as_response = serde_json::from_slice::<tower_lsp_server::jsonrpc::Response>(&compact).is_ok();
                    prop_assert!(as_request || as_response, "forwarded {}", value);
                }
                Verdict::Reject { code, id, .. } => {
                    prop_assert!(matches!(code, -32700 | -32600));
                    let id: Value = serde_json::from_str(id).map_err(|error| TestCaseError::fail(error.to_string()))?;
                    prop_assert!(matches!(id, Value::Null | Value::Number(_) | Value::String(_)));
                }
            }
            // The echoed id is the client's own text, escapes and all.
            let meaning = |verdict: Verdict| match verdict {
                Verdict::Forward => None,
                Verdict::Reject { code, message, id } => Some((code, message, serde_json::from_str::<Value>(&id).ok())),
            };
            prop_assert_eq!(meaning(judge(fully_escaped(&value).as_bytes())), meaning(verdict));
            // Trying the two shapes directly answers as tower-lsp-server's untagged enum does.
            let text = String::from_utf8_lossy(&compact);
            let by_enum = serde_json::from_str::<Decodable>(&text).is_ok();
            prop_assert_eq!(decodable(&text, true), by_enum);
            prop_assert_eq!(decodable(&text, false), by_enum);
        }

        /// Every message the JSON-RPC 2.0 specification allows is forwarded, however written.
        #[test]
        fn valid_messages_are_forwarded(message in valid_message()) {
            prop_assert_eq!(judge(&serde_json::to_vec(&message).unwrap_or_default()), Verdict::Forward, "{}", message);
            prop_assert_eq!(judge(&serde_json::to_vec_pretty(&message).unwrap_or_default()), Verdict::Forward);
            prop_assert_eq!(judge(fully_escaped(&message).as_bytes()), Verdict::Forward);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// The point of the guard: whatever frames and garbage come first, the real server is
        /// still reading afterwards, and every frame the editor gets is JSON.
        #[test]
        fn the_real_server_keeps_reading(segments in prop::collection::vec(segment(), 0..8)) {
            let frames = through_real_server(encode(&segments));
            prop_assert!(frames.is_some(), "the server stopped reading");
            for body in frames.unwrap_or_default() {
                prop_assert!(serde_json::from_slice::<Value>(&body).is_ok(), "{}", String::from_utf8_lossy(&body));
            }
        }
    }

    /// The same input split into two reads at every point gives the same frames.
    #[test]
    fn every_split_point_gives_the_same_frames() {
        let messages = [
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"rootUri": "file:///é/😀"}}),
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"text": "a\r\nb"}}),
            json!({"jsonrpc": "2.0", "id": "x", "result": null}),
        ];
        let mut input = b"\xff\xfe garbage\r\nX-Other: 1\r\n\r\n".to_vec();
        input.extend_from_slice(&frame(&serde_json::to_vec(&messages[0]).unwrap_or_default()));
        input.extend_from_slice(b"Content-Length: 9\n\n{not json");
        input.extend_from_slice(&frame(&serde_json::to_vec(&messages[1]).unwrap_or_default()));
        input.extend_from_slice(b"noise without a colon\n");
        input.extend_from_slice(&frame(&serde_json::to_vec(&messages[2]).unwrap_or_default()));
        let expected: Vec<Vec<u8>> =
            messages.iter().map(|message| serde_json::to_vec(message).unwrap_or_default()).collect();
        for split in 0..=input.len() {
            let (forwarded, answers) = filter(Chunked::new(input.clone(), vec![(split, false), (usize::MAX, true)]));
            assert_eq!(forwarded, expected, "split at {split}");
            assert_eq!(answers.len(), 1, "split at {split}");
        }
    }

    /// Found by the properties above: each of these used to reach tower-lsp-server, which then
    /// stopped reading for good (or, for the first, stopped the guard itself).
    #[test]
    fn inputs_that_used_to_stop_the_server() {
        let cases: [&[u8]; 6] = [
            b"\xff\r\n\r\n",
            br#"{"jsonrpc":"2.0","method":"x","params":"\xff"}"#,
            br#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"x"}"#,
            br#"{"jsonrpc":"2.0","method":5}"#,
            br#"{"jsonrpc":"2.0","method":"x","params":1e400}"#,
            br#"{"jsonrpc":"2.0","id":1,"error":{"code":"x"}}"#,
        ];
        for input in cases {
            let framed = if input.ends_with(b"\r\n\r\n") { input.to_vec() } else { frame(input) };
            assert!(through_real_server(framed).is_some(), "{}", String::from_utf8_lossy(input));
        }
        assert_eq!(judge(br#"{"jsonrpc":"2\u002e0","method":"x"}"#), Verdict::Forward);
    }
}
