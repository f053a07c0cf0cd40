//! The storm: from a seed, thousands of mixed operations against the real binary while the
//! loopback vendors misbehave, with the invariants checked all along.
//!
//! Operations: opens and closes, incremental edits with hostile text (CRLF, astral characters,
//! combining marks, ranges past the end and reversed), inline completions and completion items
//! (automatic and invoked), cancellations at random moments, code actions listed and run and
//! cancelled, configuration changes that are sometimes invalid, `switchboard/status`. Vendor
//! faults: answering, hanging, a stream cut short, 429 with `retry-after`, 5xx, malformed JSON
//! and slow drips.
//!
//! Invariants: every request is answered exactly once, within a bound; the server never exits;
//! each document's text equals a model of it at checkpoints; no vendor connection outlives the
//! request that opened it; RSS after the storm is within a bound of RSS before. A failure names
//! its seed: `SWITCHBOARD_STORM_SEED=<seed> cargo test --test e2e storm` replays it. CI runs a
//! bounded storm; `SWITCHBOARD_STORM_OPS=20000` runs a long one (figures in docs/reliability.md).

#![allow(
    clippy::print_stderr,
    reason = "the storm prints its seed and figures, which a failure or docs/reliability.md quote"
)]

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::provider::{MockProvider, Reply};
use crate::support::{Options, TestServer};

const KEY: &str = "sk-mock-storm-0000000000000000";
/// How long the storm waits for what is still unanswered at its end, or for a checkpoint.
const ANSWER_BOUND: Duration = Duration::from_secs(15);
/// RSS after the storm (and after its documents are closed) may exceed RSS after start-up by
/// at most this much.
const RSS_BOUND_KIB: u64 = 96 * 1024;
/// Documents open at once stay around this many (editors keep tens open, not hundreds).
const MAX_OPEN: usize = 24;

/// How long a request may take to be answered: a completion its 4 s deadline, everything else
/// (listing, commands answered at once, status) at once; plus slack for a loaded CI machine.
fn bound(method: &str) -> Duration {
    match method {
        "textDocument/inlineCompletion" | "textDocument/completion" => Duration::from_secs(8),
        _ => Duration::from_secs(4),
    }
}

/// SplitMix64: small, seedable, good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Text that breaks naive position handling. No piece starts or ends with a lone `\r`, so no
/// edit can make one (a position never falls between the `\r` and `\n` of a CRLF).
const HOSTILE: &[&str] = &[
    "x",
    " ",
    "\n",
    "\r\n",
    "    return total\r\n",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "🦀🚀",
    "e\u{301}",
    "中文字符",
    "\t\"quoted\" 'x'\n",
    "def f():\n    pass\n",
    "}}}{{{",
    "",
];

const LANGUAGES: &[(&str, &str, &str)] = &[
    (
        "python",
        "py",
        "import os\n\n\ndef total(items):\n    result = 0\n    for item in items:\n        result += item.price\n    return result\n",
    ),
    ("rust", "rs", "use std::io;\n\nfn main() {\n    let x = 1;\n    println!(\"{x}\");\n}\n"),
    ("typescript", "ts", "export function add(a: number, b: number): number {\n  return a + b;\n}\n"),
    ("plaintext", "txt", "notes\r\nmore notes\r\n"),
];

/// The server's reading of a position (UTF-16): a line past the end is the end of the
/// document, a column past the end of its line is the end of the line (before its break), a
/// column inside a surrogate pair is the start of its character.
fn offset(text: &str, line: u32, character: u32) -> usize {
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(newline) => start += newline + 1,
            None => return text.len(),
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |newline| start + newline);
    let content_end = if end > start && text.as_bytes()[end - 1] == b'\r' && end < text.len() { end - 1 } else { end };
    let mut units = 0u32;
    for (index, ch) in text[start..content_end].char_indices() {
        units += ch.len_utf16() as u32;
        if units > character {
            return start + index;
        }
    }
    content_end
}

struct Doc {
    language: &'static str,
    text: String,
    version: i32,
}

/// A request sent and not yet answered.
struct Pending {
    method: &'static str,
    sent: Instant,
}

#[derive(Default)]
struct Figures {
    ops: usize,
    requests: usize,
    answered: usize,
    errors: usize,
    errors_by: BTreeMap<String, usize>,
    cancelled_sent: usize,
    checkpoints: usize,
    faults: BTreeMap<&'static str, usize>,
    latencies: Vec<Duration>,
    peak_rss_kib: u64,
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()))
        })
        .unwrap_or(0)
}

fn settings(flaky: &MockProvider, steady: &MockProvider, debounce_ms: u64) -> Value {
    json!({
        "providers": {
            "flaky": {"kind": "openai", "model": "flaky-coder", "base_url": format!("{}/v1", flaky.base_url),
                      "api_key_env": "STORM_KEY", "fim": "native"},
            "steady": {"kind": "openai", "model": "steady-coder", "base_url": format!("{}/v1", steady.base_url),
                       "api_key_env": "STORM_KEY", "fim": "native"},
        },
        "completion": {"providers": ["flaky", "steady"], "debounce_ms": debounce_ms},
        "actions": {"providers": ["flaky", "steady"], "timeout_ms": 3000},
    })
}

/// A configuration change that is wrong in one of the ways users get it wrong.
fn invalid_settings(rng: &mut Rng) -> Value {
    match rng.below(4) {
        0 => json!({"completion": {"debounce_ms": "fast"}}),
        1 => json!({"completion": {"debounse_ms": 10}}),
        2 => json!({"providers": {"bad": {"kind": "gpt-9", "model": "x"}}, "completion": {"providers": ["bad"]}}),
        _ => json!({"redact": {"patterns": ["(unclosed"]}}),
    }
}

/// What the vendor does with the next request.
fn fault(rng: &mut Rng, figures: &mut Figures) -> Reply {
    let (kind, reply) = match rng.below(10) {
        0 => ("hang", Reply::Hang(Duration::from_secs(6))),
        1 => ("cut_short", Reply::CutShort("partial".into())),
        2 => ("rate_limited", Reply::RateLimited(1)),
        3 => (
            "server_error",
            Reply::Error { status: 503, body: json!({"error": {"message": "overloaded", "type": "server_error"}}) },
        ),
        4 => ("malformed", Reply::Malformed),
        5 => (
            "slow_drip",
            Reply::Stream {
                chunks: ["total", "(items", ")\n"].map(String::from).to_vec(),
                delay: Duration::from_millis(150),
            },
        ),
        _ => ("answer", Reply::text("total(items)\n")),
    };
    *figures.faults.entry(kind).or_default() += 1;
    reply
}

struct Storm {
    server: TestServer,
    rng: Rng,
    seed: u64,
    docs: HashMap<String, Doc>,
    closed: Vec<String>,
    pending: HashMap<i64, Pending>,
    answered: HashMap<i64, usize>,
    /// Commands of listed actions, to run later.
    commands: Vec<Value>,
    /// Answers to checkpoint requests, until the checkpoint reads them.
    documents: HashMap<i64, Value>,
    figures: Figures,
}

impl Storm {
    fn fail(&self, what: &str) -> ! {
        let log = self.server.stderr();
        if let Some(at) = log.find("ERROR switchboard: panic") {
            eprintln!("the server panicked:\n{}", &log[at..log.len().min(at + 6000)]);
        }
        panic!(
            "storm seed {} failed: {what}\nreplay: SWITCHBOARD_STORM_SEED={} cargo test --test e2e storm\nserver log (tail):\n{}",
            self.seed,
            self.seed,
            self.server
                .stderr()
                .lines()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    fn request(&mut self, method: &'static str, params: Value) -> i64 {
        let id = self.server.send_request(method, params);
        self.pending.insert(id, Pending { method, sent: Instant::now() });
        self.figures.requests += 1;
        id
    }

    /// Reads what has arrived; checks each response answers a pending request, once.
    fn collect(&mut self, wait: Duration) {
        for message in self.server.take_all(wait) {
            let Some(id) = message.get("id").and_then(Value::as_i64) else { continue };
            if message.get("method").is_some() {
                continue; // a server request, already answered by the client
            }
            let times = self.answered.entry(id).or_default();
            *times += 1;
            if *times > 1 {
                self.fail(&format!("request {id} answered twice: {message}"));
            }
            let Some(pending) = self.pending.remove(&id) else {
                self.fail(&format!("a response to a request never sent: {message}"));
            };
            let took = pending.sent.elapsed();
            if took > bound(pending.method) {
                self.fail(&format!("{} (id {id}) took {took:?}", pending.method));
            }
            self.figures.latencies.push(took);
            self.figures.answered += 1;
            if let Some(error) = message.get("error") {
                self.figures.errors += 1;
                let code = error["code"].as_i64().unwrap_or_default();
                *self.figures.errors_by.entry(format!("{} {code}", pending.method)).or_default() += 1;
            }
            if pending.method == "switchboard/debug/document" {
                self.documents.insert(id, message.clone());
            }
            if pending.method == "textDocument/codeAction"
                && let Some(actions) = message["result"].as_array()
                && !actions.is_empty()
            {
                let action = &actions[self.rng.below(actions.len())];
                if action.get("command").is_some() && self.commands.len() < 32 {
                    self.commands.push(action["command"].clone());
                }
            }
        }
        for (id, pending) in &self.pending {
            if pending.sent.elapsed() > bound(pending.method) {
                self.fail(&format!("{} (id {id}) unanswered after {:?}", pending.method, bound(pending.method)));
            }
        }
    }

    fn close(&mut self, uri: String) {
        self.server.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
        self.docs.remove(&uri);
        if self.closed.len() < 64 {
            self.closed.push(uri);
        }
    }

    fn open(&mut self) {
        let (language, extension, text) = *self.rng.pick(LANGUAGES);
        let uri = format!("file:///storm/doc{}.{extension}", self.figures.ops);
        self.server.open(&uri, language, text);
        self.docs.insert(uri, Doc { language, text: text.to_owned(), version: 1 });
    }

    fn random_doc(&mut self) -> Option<String> {
        let mut uris: Vec<&String> = self.docs.keys().collect();
        uris.sort();
        (!uris.is_empty()).then(|| uris[self.rng.below(uris.len())].clone())
    }

    /// A position: mostly inside the text, sometimes past the end of its line or the document.
    fn position(&mut self, text: &str) -> (u32, u32) {
        let lines = text.split('\n').count() as u32;
        let line =
            if self.rng.chance(5) { lines + self.rng.below(3) as u32 } else { self.rng.below(lines as usize) as u32 };
        let character = if self.rng.chance(10) { 200 + self.rng.below(50) as u32 } else { self.rng.below(30) as u32 };
        (line, character)
    }

    fn edit(&mut self, uri: &str) {
        let text = self.docs[uri].text.clone();
        let start = self.position(&text);
        let end = if self.rng.chance(60) { start } else { self.position(&text) };
        let insert = (*self.rng.pick(HOSTILE)).to_owned();
        let (mut from, mut to) = (offset(&text, start.0, start.1), offset(&text, end.0, end.1));
        if to < from {
            std::mem::swap(&mut from, &mut to);
        }
        let doc = self.docs.get_mut(uri).expect("open");
        doc.text.replace_range(from..to, &insert);
        doc.version += 1;
        let version = doc.version;
        self.server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{
                "range": {"start": {"line": start.0, "character": start.1}, "end": {"line": end.0, "character": end.1}},
                "text": insert,
            }]}),
        );
    }

    fn checkpoint(&mut self) {
        let mut uris: Vec<String> = self.docs.keys().cloned().collect();
        uris.sort();
        let ids: Vec<(i64, String)> = uris
            .into_iter()
            .map(|uri| (self.request("switchboard/debug/document", json!({"uri": uri})), uri))
            .collect();
        let deadline = Instant::now() + ANSWER_BOUND;
        while ids.iter().any(|(id, _)| !self.documents.contains_key(id)) {
            if Instant::now() > deadline {
                self.fail("no answer to a debug/document checkpoint");
            }
            self.collect(Duration::from_millis(5));
        }
        for (id, uri) in ids {
            let response = self.documents.remove(&id).expect("collected");
            let doc = &self.docs[&uri];
            if response["result"]["text"].as_str() != Some(doc.text.as_str()) {
                self.fail(&format!(
                    "{uri} ({}) differs from its model at version {}:\nserver: {:?}\nmodel:  {:?}",
                    doc.language, doc.version, response["result"]["text"], doc.text
                ));
            }
            if response["result"]["version"] != doc.version {
                self.fail(&format!(
                    "{uri}: version {} where the model has {}",
                    response["result"]["version"], doc.version
                ));
            }
        }
        self.figures.checkpoints += 1;
    }

    fn step(&mut self, flaky: &MockProvider, steady: &MockProvider) {
        self.figures.ops += 1;
        // A few faults queued at a time, so each is met soon after it is chosen.
        if flaky.queued() < 3 && self.rng.chance(40) {
            let reply = fault(&mut self.rng, &mut self.figures);
            flaky.push(reply);
        }
        if steady.queued() < 1 && self.rng.chance(4) {
            let reply = fault(&mut self.rng, &mut self.figures);
            steady.push(reply);
        }
        let Some(uri) = self.random_doc().filter(|_| self.docs.len() >= 2 || self.rng.chance(30)) else {
            self.open();
            return;
        };
        match self.rng.below(100) {
            0..=2 => self.open(),
            3..=4 if self.docs.len() > 1 => {
                self.close(uri);
            }
            _ if self.docs.len() > MAX_OPEN && self.rng.chance(50) => {
                self.close(uri);
            }
            5..=44 => self.edit(&uri),
            45..=64 => {
                let text = self.docs[&uri].text.clone();
                let (line, character) = self.position(&text);
                let trigger = if self.rng.chance(70) { 2 } else { 1 };
                let id = self.request(
                    "textDocument/inlineCompletion",
                    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character},
                           "context": {"triggerKind": trigger}}),
                );
                if self.rng.chance(25) {
                    std::thread::sleep(Duration::from_millis(self.rng.below(30) as u64));
                    self.server.notify("$/cancelRequest", json!({"id": id}));
                    self.figures.cancelled_sent += 1;
                }
            }
            65..=71 => {
                let text = self.docs[&uri].text.clone();
                let (line, character) = self.position(&text);
                let trigger = self.rng.below(2) + 1;
                self.request(
                    "textDocument/completion",
                    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character},
                           "context": {"triggerKind": trigger}}),
                );
            }
            72..=79 => {
                let text = self.docs[&uri].text.clone();
                let start = self.position(&text);
                let end = self.position(&text);
                self.request(
                    "textDocument/codeAction",
                    json!({"textDocument": {"uri": uri},
                           "range": {"start": {"line": start.0, "character": start.1}, "end": {"line": end.0, "character": end.1}},
                           "context": {"diagnostics": [], "triggerKind": 1}}),
                );
            }
            80..=84 if !self.commands.is_empty() => {
                let command = self.commands.swap_remove(self.rng.below(self.commands.len()));
                self.request(
                    "workspace/executeCommand",
                    json!({"command": command["command"], "arguments": command["arguments"]}),
                );
                if self.rng.chance(30) {
                    // Cancel whatever runs: by the command, which names a job the server made.
                    for job in 1..4 {
                        self.request(
                            "workspace/executeCommand",
                            json!({"command": "switchboard.cancelAction", "arguments": [{"job": job}]}),
                        );
                    }
                }
            }
            85..=88 => {
                let settings = if self.rng.chance(40) {
                    invalid_settings(&mut self.rng)
                } else {
                    settings(flaky, steady, self.rng.below(3) as u64 * 20)
                };
                self.server.notify("workspace/didChangeConfiguration", json!({"settings": {"switchboard": settings}}));
            }
            89..=92 => {
                self.request("switchboard/status", Value::Null);
            }
            93..=94 if !self.closed.is_empty() => {
                // A request for a document the editor already closed.
                let closed = self.closed[self.rng.below(self.closed.len())].clone();
                self.request(
                    "textDocument/inlineCompletion",
                    json!({"textDocument": {"uri": closed}, "position": {"line": 0, "character": 0},
                           "context": {"triggerKind": 1}}),
                );
            }
            _ => {
                if let Some((&id, _)) = self.pending.iter().next() {
                    self.server.notify("$/cancelRequest", json!({"id": id}));
                    self.figures.cancelled_sent += 1;
                }
            }
        }
        if self.rng.chance(20) {
            std::thread::sleep(Duration::from_millis(self.rng.below(4) as u64));
        }
        // Now and then the user pauses, so debounced completions reach the vendors.
        if self.rng.chance(2) {
            let pause = Duration::from_millis(100 + self.rng.below(150) as u64);
            self.collect(pause);
        }
        self.collect(Duration::ZERO);
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn storm() {
    let seed = std::env::var("SWITCHBOARD_STORM_SEED").ok().and_then(|seed| seed.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |since| since.as_nanos() as u64)
    });
    let ops: usize = std::env::var("SWITCHBOARD_STORM_OPS").ok().and_then(|ops| ops.parse().ok()).unwrap_or(1500);
    let flaky = MockProvider::start(Reply::text("total(items)\n"));
    let steady = MockProvider::start(Reply::text("result\n"));
    let mut server = TestServer::start_with(Options {
        env: vec![("SWITCHBOARD_DEBUG_METHODS", "1".into()), ("STORM_KEY", KEY.into()), ("RUST_BACKTRACE", "1".into())],
        args: vec!["--log-level".into(), "info".into()],
    });
    server.initialize_with(
        json!({
            "general": {"positionEncodings": ["utf-16"]},
            "window": {"workDoneProgress": true, "showDocument": {"support": true}},
            "workspace": {"applyEdit": true, "workspaceEdit": {"documentChanges": true}},
            "textDocument": {"inlineCompletion": {}, "codeAction": {"resolveSupport": {"properties": ["edit"]}}},
        }),
        settings(&flaky, &steady, 0),
    );
    let pid = server.pid();
    std::thread::sleep(Duration::from_millis(200));
    let rss_before = rss_kib(pid);
    let mut storm = Storm {
        server,
        rng: Rng(seed),
        seed,
        docs: HashMap::new(),
        closed: Vec::new(),
        pending: HashMap::new(),
        answered: HashMap::new(),
        commands: Vec::new(),
        documents: HashMap::new(),
        figures: Figures::default(),
    };
    eprintln!("storm seed {seed}, {ops} operations");
    let started = Instant::now();
    for op in 0..ops {
        storm.step(&flaky, &steady);
        if op % 100 == 99 {
            storm.checkpoint();
            storm.figures.peak_rss_kib = storm.figures.peak_rss_kib.max(rss_kib(pid));
        }
        if !storm.server.is_running() {
            storm.fail(&format!("the server exited after operation {op}"));
        }
    }
    let storm_time = started.elapsed();
    // Every request answered, within the bound.
    let deadline = Instant::now() + ANSWER_BOUND;
    while !storm.pending.is_empty() && Instant::now() < deadline {
        storm.collect(Duration::from_millis(100));
    }
    if !storm.pending.is_empty() {
        let methods: Vec<&str> = storm.pending.values().map(|pending| pending.method).collect();
        storm.fail(&format!("{} requests never answered: {methods:?}", methods.len()));
    }
    storm.checkpoint();
    // No vendor connection outlives its request: once everything is answered, every connection
    // the server opened is closed (a hung one included: the server hung up on it).
    let deadline = Instant::now() + Duration::from_secs(8);
    while flaky.open_connections() + steady.open_connections() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let open = flaky.open_connections() + steady.open_connections();
    if open > 0 {
        storm.fail(&format!("{open} vendor connections still open after every request was answered"));
    }
    // Memory: close everything, and RSS is back within the bound.
    let uris: Vec<String> = storm.docs.keys().cloned().collect();
    for uri in uris {
        storm.server.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    }
    storm.docs.clear();
    let status = storm.request("switchboard/status", Value::Null);
    let deadline = Instant::now() + ANSWER_BOUND;
    while storm.pending.contains_key(&status) && Instant::now() < deadline {
        storm.collect(Duration::from_millis(50));
    }
    let rss_after = rss_kib(pid);
    storm.figures.peak_rss_kib = storm.figures.peak_rss_kib.max(rss_after);
    if !storm.server.is_running() {
        storm.fail("the server exited");
    }
    if storm.server.stderr().contains("ERROR switchboard: panic") {
        storm.fail("the server panicked (it answered and kept running, but a panic is a bug)");
    }
    if rss_after > rss_before + RSS_BOUND_KIB {
        storm.fail(&format!("RSS grew from {rss_before} KiB to {rss_after} KiB"));
    }
    let figures = &storm.figures;
    let mut latencies = figures.latencies.clone();
    latencies.sort();
    eprintln!(
        "storm seed {seed}: {} ops in {:.1} s ({:.0} ops/s); {} requests, {} answered ({} errors), {} cancels sent, \
         {} checkpoints; errors {:?}; answer p50/p99/max {:?}/{:?}/{:?}; vendor requests flaky {} steady {}; faults {:?}; \
         RSS before {} KiB, peak {} KiB, after {} KiB",
        figures.ops,
        storm_time.as_secs_f64(),
        figures.ops as f64 / storm_time.as_secs_f64(),
        figures.requests,
        figures.answered,
        figures.errors,
        figures.cancelled_sent,
        figures.checkpoints,
        figures.errors_by,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or_default(),
        flaky.request_count(),
        steady.request_count(),
        figures.faults,
        rss_before,
        figures.peak_rss_kib,
        rss_after,
    );
    assert!(figures.answered >= figures.requests, "every request answered");
    assert!(flaky.request_count() > 0, "the storm never reached a vendor");
}
