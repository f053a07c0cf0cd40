//! A minimal LSP client over the server's stdio: framed JSON-RPC, a reader thread, timeouts on
//! every wait, and automatic answers to the server's own requests.
#![allow(dead_code, reason = "shared with the end-to-end benchmark, which uses other parts of it")]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub(crate) const TIMEOUT: Duration = Duration::from_secs(20);

pub(crate) struct TestServer {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Messages read while waiting for something else.
    backlog: VecDeque<Value>,
    next_id: i64,
    /// What the client answers to `workspace/applyEdit` (an editor that applies the edit).
    pub apply_edit_result: Value,
    pub stderr_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

pub(crate) struct Options<'a> {
    pub env: Vec<(&'a str, String)>,
    pub args: Vec<String>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Self { env: vec![("SWITCHBOARD_DEBUG_METHODS", "1".to_owned())], args: Vec::new() }
    }
}

impl TestServer {
    pub(crate) fn start() -> Self {
        Self::start_with(Options::default())
    }

    pub(crate) fn start_with(options: Options<'_>) -> Self {
        Self::start_program(Path::new(env!("CARGO_BIN_EXE_switchboard")), options, &[])
    }

    /// Another language server (a peer the benchmark measures beside Switchboard), spawned as
    /// [`start_with`](Self::start_with) spawns Switchboard, with `unset` also taken out of its
    /// environment.
    pub(crate) fn start_program(program: &Path, options: Options<'_>, unset: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let stderr_path = dir.path().join("stderr.log");
        let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
        let mut command = Command::new(program);
        command
            .args(&options.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            // Hermetic: no user config, no keys from the developer's machine.
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("HOME", dir.path())
            .env_remove("SWITCHBOARD_CONFIG");
        // Every key variable a provider kind reads or is detected by.
        for key in switchboard_providers::kinds::key_variables() {
            command.env_remove(key);
        }
        for key in unset {
            command.env_remove(key);
        }
        for (key, value) in &options.env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap_or_else(|error| panic!("spawn {}: {error}", program.display()));
        let stdout = child.stdout.take().expect("stdout");
        let stdin = child.stdin.take();
        let (sender, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            stdin,
            incoming,
            backlog: VecDeque::new(),
            next_id: 1,
            apply_edit_result: json!({"applied": true}),
            stderr_path,
            _dir: dir,
        }
    }

    pub(crate) fn temp_dir(&self) -> &Path {
        self._dir.path()
    }

    pub(crate) fn send_raw(&mut self, body: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        write!(stdin, "Content-Length: {}\r\n\r\n", body.len()).expect("write header");
        stdin.write_all(body).expect("write body");
        stdin.flush().expect("flush");
    }

    fn send(&mut self, message: &Value) {
        self.send_raw(message.to_string().as_bytes());
    }

    pub(crate) fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request without waiting; returns its id.
    pub(crate) fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Sends a request and waits for its response (the whole message: `result` or `error`).
    pub(crate) fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.response(id)
    }

    /// The `result` of a request that must succeed.
    pub(crate) fn call(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    fn next_message(&mut self, deadline: Instant) -> Option<Value> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match self.incoming.recv_timeout(remaining) {
            Ok(message) => {
                // Answer the server's own requests (configuration, progress) at once.
                if message.get("method").is_some() && message.get("id").is_some() {
                    let id = message["id"].clone();
                    let result = match message["method"].as_str() {
                        Some("workspace/configuration") => json!([null]),
                        Some("workspace/applyEdit") => self.apply_edit_result.clone(),
                        Some("window/showDocument") => json!({"success": true}),
                        _ => Value::Null,
                    };
                    self.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}));
                }
                Some(message)
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Waits for the response to request `id`, keeping other messages for later.
    pub(crate) fn response(&mut self, id: i64) -> Value {
        if let Some(idx) = self.backlog.iter().position(|m| is_response_to(m, id)) {
            return self.backlog.remove(idx).expect("indexed");
        }
        let deadline = Instant::now() + TIMEOUT;
        while let Some(message) = self.next_message(deadline) {
            if is_response_to(&message, id) {
                return message;
            }
            self.backlog.push_back(message);
        }
        panic!("no response to request {id} within {TIMEOUT:?}; stderr:\n{}", self.stderr());
    }

    /// Waits for a notification with this method (taking it from the backlog first).
    pub(crate) fn notification(&mut self, method: &str, wait: Duration) -> Option<Value> {
        if let Some(idx) = self.backlog.iter().position(|m| m["method"] == method && m.get("id").is_none()) {
            return self.backlog.remove(idx);
        }
        let deadline = Instant::now() + wait;
        while let Some(message) = self.next_message(deadline) {
            if message["method"] == method && message.get("id").is_none() {
                return Some(message);
            }
            self.backlog.push_back(message);
        }
        None
    }

    /// Waits for a request from the server with this method (already answered by the client),
    /// taking it from the backlog first.
    pub(crate) fn server_request(&mut self, method: &str, wait: Duration) -> Option<Value> {
        if let Some(idx) = self.backlog.iter().position(|m| m["method"] == method && m.get("id").is_some()) {
            return self.backlog.remove(idx);
        }
        let deadline = Instant::now() + wait;
        while let Some(message) = self.next_message(deadline) {
            if message["method"] == method && message.get("id").is_some() {
                return Some(message);
            }
            self.backlog.push_back(message);
        }
        None
    }

    /// Every message received so far or within `wait`, without consuming them.
    pub(crate) fn drain(&mut self, wait: Duration) -> Vec<Value> {
        let deadline = Instant::now() + wait;
        while let Some(message) = self.next_message(deadline) {
            self.backlog.push_back(message);
        }
        self.backlog.iter().cloned().collect()
    }

    /// Takes every notification with this method received so far or within `wait`.
    pub(crate) fn take_notifications(&mut self, method: &str, wait: Duration) -> Vec<Value> {
        self.drain(wait);
        let (taken, kept): (Vec<Value>, Vec<Value>) =
            self.backlog.drain(..).partition(|m| m["method"] == method && m.get("id").is_none());
        self.backlog = kept.into();
        taken
    }

    pub(crate) fn initialize_with(&mut self, capabilities: Value, initialization_options: Value) -> Value {
        self.initialize_as("e2e", capabilities, initialization_options)
    }

    /// `initialize` as the client named `client` in `clientInfo`.
    pub(crate) fn initialize_as(&mut self, client: &str, capabilities: Value, initialization_options: Value) -> Value {
        let result = self.call(
            "initialize",
            json!({
                "processId": std::process::id(),
                "clientInfo": {"name": client},
                "rootUri": null,
                "capabilities": capabilities,
                "initializationOptions": initialization_options,
            }),
        );
        self.notify("initialized", json!({}));
        result
    }

    pub(crate) fn initialize(&mut self) -> Value {
        self.initialize_with(json!({"general": {"positionEncodings": ["utf-16"]}}), Value::Null)
    }

    pub(crate) fn open(&mut self, uri: &str, language_id: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language_id, "version": 1, "text": text}}),
        );
    }

    pub(crate) fn document(&mut self, uri: &str) -> Value {
        self.call("switchboard/debug/document", json!({"uri": uri}))
    }

    pub(crate) fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the process to end.
    pub(crate) fn wait_exit(&mut self, wait: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + wait;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn shutdown_and_exit(mut self) -> ExitStatus {
        self.call("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        self.wait_exit(TIMEOUT).expect("server exits after exit")
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the server process is still running.
    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Every message received so far or within `wait`, taken (server requests already answered).
    pub(crate) fn take_all(&mut self, wait: Duration) -> Vec<Value> {
        let deadline = Instant::now() + wait;
        while let Some(message) = self.next_message(deadline) {
            self.backlog.push_back(message);
        }
        self.backlog.drain(..).collect()
    }

    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_response_to(message: &Value, id: i64) -> bool {
    message.get("method").is_none() && message["id"] == json!(id)
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut content_length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            content_length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; content_length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}
