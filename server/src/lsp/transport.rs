//! A guard between the editor's stdio and tower-lsp-server's transport.
//!
//! tower-lsp-server reads stdin through tokio-util's `FramedRead`, which stops for good after the
//! first message it cannot decode: one malformed message would leave the server deaf while it
//! still looks alive. So we frame stdin ourselves, forward only well-formed JSON-RPC messages,
//! and answer the others here (`ParseError` for bad JSON, `InvalidRequest` for JSON that is not
//! a JSON-RPC message). One writer task owns stdout and writes whole frames only, from the
//! server and from this guard, so they never interleave.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// Largest message we accept (a whole-document sync of a very large file fits comfortably).
const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

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
    #[serde(borrow)]
    jsonrpc: Option<&'a str>,
    method: Option<IgnoredAny>,
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(default)]
    result: Present,
    #[serde(default)]
    error: Present,
}

/// Whether a field was there at all, `null` included (`Option` would read `null` as absent).
#[derive(Default)]
struct Present(bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| Present(true))
    }
}

/// Checks that `body` is a JSON-RPC 2.0 request, notification or response.
pub fn judge(body: &[u8]) -> Verdict {
    let Ok(probe) = serde_json::from_slice::<Probe<'_>>(body) else {
        return Verdict::Reject {
            code: -32700,
            message: "parse error: the message is not a JSON object",
            id: "null".into(),
        };
    };
    let id = probe.id.map_or_else(|| "null".to_owned(), |id| id.get().to_owned());
    let id_ok = probe.id.is_none_or(|id| {
        let text = id.get();
        text == "null" || text.starts_with('"') || text.bytes().all(|b| b.is_ascii_digit() || b == b'-')
    });
    let is_call = probe.method.is_some();
    let is_response = probe.id.is_some() && (probe.result.0 || probe.error.0);
    if probe.jsonrpc != Some("2.0") || !id_ok || !(is_call || is_response) {
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

/// Reads one frame's body. `Ok(None)` at end of input; garbage headers are skipped.
async fn read_frame(reader: &mut (impl AsyncBufReadExt + Unpin)) -> std::io::Result<Option<Vec<u8>>> {
    loop {
        let mut content_length: Option<usize> = None;
        let mut saw_header = false;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(None);
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if saw_header {
                    break;
                }
                continue;
            }
            saw_header = true;
            if let Some((name, value)) = line.split_once(':')
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
