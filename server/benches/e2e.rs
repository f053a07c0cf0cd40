//! End-to-end benchmark: starts the built `switchboard` binary (the optimised `bench` profile
//! under `cargo bench`), speaks LSP to it over stdio as an editor does, against an instant
//! loopback provider, and prints what a user would feel: completion overhead with the full
//! context pipeline, cost per keystroke, memory for open files, and provider calls while typing.
//!
//! A report, not a test: timings are never asserted, only correctness (answers while typing
//! through a suggestion must be its remaining text). Run the full workload with
//! `cargo bench -p switchboard --bench e2e`; without `--bench` in its arguments (as
//! `cargo test --all-targets` runs it) a small smoke version runs in a few seconds.
//!
//! With `SWITCHBOARD_BENCH_LLM_LS` naming an llm-ls binary (github.com/huggingface/llm-ls), the
//! completion round trip is also measured for llm-ls, over the same file, positions and warm-up
//! against the same kind of loopback provider, and printed side by side (also with
//! `SWITCHBOARD_BENCH_ONLY=overhead`); without it, the peers' column shows older figures.

// Both modules allow dead code themselves: the tests and this bench use different parts.
#[path = "../../tests/e2e/support.rs"]
mod support;

#[path = "../../tests/e2e/provider.rs"]
mod provider;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::provider::{MockProvider, Reply};
use crate::support::{Options, TestServer};

/// How much work each part does.
#[derive(Debug, Clone, Copy)]
struct Scale {
    /// Distinct cursor positions measured for completion overhead.
    positions: usize,
    /// Requests before measuring (connection set-up, first parse, allocator warm-up).
    warmup: usize,
    /// Lines of the large file.
    big_lines: usize,
    /// One-character edits for the keystroke cost.
    edits: usize,
    /// Files opened for the memory figure, and their length.
    files: usize,
    file_lines: usize,
    /// Keystrokes, 50 ms apart, each followed by an automatic request.
    burst: usize,
}

const FULL: Scale =
    Scale { positions: 250, warmup: 20, big_lines: 20_000, edits: 2_000, files: 50, file_lines: 2_000, burst: 100 };
const SMOKE: Scale =
    Scale { positions: 20, warmup: 3, big_lines: 4_000, edits: 50, files: 5, file_lines: 2_000, burst: 10 };

/// What the instant provider answers after a block opener in the large file.
const OVERHEAD_ANSWER: &str = "\n    let checked = limit.min(total);";
/// The suggestion typed through, 40 characters.
const TYPED_SUGGESTION: &str = "let total: usize = items.iter().sum();//";
/// The gap between keystrokes of the burst.
const KEYSTROKE_GAP: Duration = Duration::from_millis(50);

const INVOKED: u8 = 1;
const AUTOMATIC: u8 = 2;

fn main() {
    let full = std::env::args().any(|arg| arg == "--bench");
    let scale = if full { FULL } else { SMOKE };
    say(&format!(
        "switchboard e2e bench ({}): binary {}",
        if full { "full" } else { "smoke; run `cargo bench -p switchboard --bench e2e` for the real figures" },
        env!("CARGO_BIN_EXE_switchboard")
    ));
    // `SWITCHBOARD_BENCH_ONLY=startup`: only the start-up figures (quick, for that work).
    if std::env::var("SWITCHBOARD_BENCH_ONLY").as_deref() == Ok("startup") {
        report_startup(&startup());
        return;
    }
    // `SWITCHBOARD_BENCH_ONLY=overhead`: only the completion round trip, at
    // `SWITCHBOARD_BENCH_POSITIONS` positions of a `SWITCHBOARD_BENCH_LINES` file (for profiling
    // the server with `perf record -p`, whose process id is printed first).
    if std::env::var("SWITCHBOARD_BENCH_ONLY").as_deref() == Ok("overhead") {
        let number = |name: &str| std::env::var(name).ok().and_then(|n| n.parse().ok());
        let scale = Scale {
            positions: number("SWITCHBOARD_BENCH_POSITIONS").unwrap_or(scale.positions),
            big_lines: number("SWITCHBOARD_BENCH_LINES").unwrap_or(scale.big_lines),
            ..scale
        };
        let overhead = overhead_and_keystrokes(scale);
        say(&format!(
            "completion round trip p50/p95/p99 {}; server CPU per completion {} ms; {} new connections; \
             the provider alone p50 {} ms, its own handling p50 {} ms; {} prompt bytes per request",
            pcts(&overhead.rtt),
            ms(overhead.server_cpu_per_request),
            overhead.connections,
            ms(percentile(&sorted(&overhead.direct_mock), 0.5)),
            ms(percentile(&sorted(&overhead.mock_handling), 0.5)),
            overhead.prompt_bytes,
        ));
        // With `SWITCHBOARD_BENCH_LLM_LS`: llm-ls over the same file and positions.
        report_peers(&overhead, &peers(scale, &overhead));
        return;
    }
    // `SWITCHBOARD_BENCH_ONLY=variants`: only the other providers' round trips (the same two
    // variables size them), each server's process id printed as it starts.
    if std::env::var("SWITCHBOARD_BENCH_ONLY").as_deref() == Ok("variants") {
        let number = |name: &str| std::env::var(name).ok().and_then(|n| n.parse().ok());
        report_variants(&variants(Scale {
            positions: number("SWITCHBOARD_BENCH_POSITIONS").unwrap_or(scale.positions),
            big_lines: number("SWITCHBOARD_BENCH_LINES").unwrap_or(scale.big_lines),
            ..scale
        }));
        return;
    }
    let overhead = overhead_and_keystrokes(scale);
    let peers = peers(scale, &overhead);
    let variants = variants(scale);
    let memory = memory(scale);
    let through = typing_through();
    let burst = burst(scale);
    let actions = actions(scale);
    let native_typing = typing_in_a_function(scale, "native");
    let chat_typing = typing_in_a_function(scale, "chat");
    let anthropic_typing = typing_in_a_function(scale, "anthropic");
    let startup = startup();
    report(scale, &overhead, &peers, &memory, &through, &burst);
    report_peers(&overhead, &peers);
    report_cost(&[&overhead.cost, &through.cost, &burst.cost, &native_typing, &chat_typing, &anthropic_typing]);
    report_variants(&variants);
    report_actions(&actions);
    report_startup(&startup);
}

// ---------------------------------------------------------------------------------------------
// Start-up: what the first keystroke after the editor spawns the server waits for.

struct Startup {
    to_initialize: Vec<Duration>,
    to_first_reply: Vec<Duration>,
    first_reply_after_pause: Vec<Duration>,
}

fn options_for_startup(mock: &MockProvider) -> Value {
    json!({
        "providers": {"mock": {"kind": "openai", "model": "mock", "base_url": format!("{}/v1", mock.base_url),
                               "api_key_env": "MOCK_KEY", "fim": "native"}},
        "completion": {"providers": ["mock"], "n_items_invoked": 1},
    })
}

const STARTUP_FILE: &str =
    "import math\n\n\ndef area(r):\n    return math.pi * r * r\n\n\ndef total(items):\n    return \n";

/// Fresh processes: spawn to the `initialize` answer, and spawn to the answer of the first
/// inline completion (invoked, an instant provider) in a small file opened right after.
fn startup() -> Startup {
    let mock = MockProvider::start(Reply::text("sum(items)\n"));
    let mut startup =
        Startup { to_initialize: Vec::new(), to_first_reply: Vec::new(), first_reply_after_pause: Vec::new() };
    for _ in 0..7 {
        let spawned = Instant::now();
        let mut server =
            TestServer::start_with(Options { env: vec![("MOCK_KEY", "bench-key".to_owned())], args: log_args() });
        server.initialize_with(json!({"textDocument": {"inlineCompletion": {}}}), options_for_startup(&mock));
        startup.to_initialize.push(spawned.elapsed());
        server.open("file:///bench/small.py", "python", STARTUP_FILE);
        let result = server
            .call("textDocument/inlineCompletion", Bench::inline_params("file:///bench/small.py", 8, 11, INVOKED));
        startup.to_first_reply.push(spawned.elapsed());
        assert!(first_item(&result).is_some(), "no first completion: {result}\n{}", server.stderr());
        // The same first request once the user has paused for 100 ms after the file opened, as
        // a first keystroke usually comes: the background warm-up (HTTP client, queries) is done.
        let mut paused =
            TestServer::start_with(Options { env: vec![("MOCK_KEY", "bench-key".to_owned())], args: log_args() });
        paused.initialize_with(json!({"textDocument": {"inlineCompletion": {}}}), options_for_startup(&mock));
        paused.open("file:///bench/small.py", "python", STARTUP_FILE);
        std::thread::sleep(Duration::from_millis(100));
        let asked = Instant::now();
        let result = paused
            .call("textDocument/inlineCompletion", Bench::inline_params("file:///bench/small.py", 8, 11, INVOKED));
        startup.first_reply_after_pause.push(asked.elapsed());
        assert!(first_item(&result).is_some(), "no first completion: {result}");
        if std::env::var_os("SWITCHBOARD_BENCH_SHOW_LOG").is_some() {
            say(&format!("{}\n----\n{}", server.stderr(), paused.stderr()));
        }
    }
    startup
}

/// `--log-level` for the server when `SWITCHBOARD_BENCH_LOG_LEVEL` is set.
fn log_args() -> Vec<String> {
    std::env::var("SWITCHBOARD_BENCH_LOG_LEVEL").map(|level| vec!["--log-level".to_owned(), level]).unwrap_or_default()
}

fn report_startup(startup: &Startup) {
    say("\nstart-up (7 fresh processes, medians)                                                   target");
    say(&"-".repeat(100));
    say(&format!(
        "{:<59}{:<35}{}",
        "spawn to initialize answered",
        ms(percentile(&sorted(&startup.to_initialize), 0.5)),
        "<= 6 ms"
    ));
    say(&format!(
        "{:<59}{:<35}{}",
        "spawn to first completion reply (small file)",
        ms(percentile(&sorted(&startup.to_first_reply), 0.5)),
        "<= 10 ms"
    ));
    say(&format!(
        "{:<59}{:<35}",
        "  first reply when asked 100 ms after the file opened",
        ms(percentile(&sorted(&startup.first_reply_after_pause), 0.5)),
    ));
}

#[allow(clippy::print_stdout, reason = "a bench reports on stdout")]
fn say(line: &str) {
    println!("{line}");
}

// ---------------------------------------------------------------------------------------------
// Driving the server

struct Bench {
    server: TestServer,
    pid: u32,
}

/// Starts the server with `mock` as its only provider (native FIM) and `completion` settings on top.
fn start(mock: &MockProvider, completion: Value, inline: bool) -> Bench {
    start_fim(mock, "native", completion, inline)
}

/// [`start`] with the provider's FIM mode: `native` (`/v1/completions` with `suffix`) or
/// `chat` (FIM through `/v1/chat/completions`, as for a chat-only model).
fn start_fim(mock: &MockProvider, fim: &str, completion: Value, inline: bool) -> Bench {
    let provider = json!({
        "kind": "openai", "model": "mock", "base_url": format!("{}/v1", mock.base_url),
        "api_key_env": "MOCK_KEY", "fim": fim,
    });
    start_provider(provider, completion, inline)
}

/// [`start`] with `provider` as the one provider's settings.
fn start_provider(provider: Value, completion: Value, inline: bool) -> Bench {
    let before = children();
    let server = TestServer::start_with(Options {
        env: vec![("SWITCHBOARD_DEBUG_METHODS", "1".to_owned()), ("MOCK_KEY", "bench-key".to_owned())],
        // For a look at what the server does: `SWITCHBOARD_BENCH_LOG_LEVEL=debug`; its log is
        // printed when something goes wrong.
        args: std::env::var("SWITCHBOARD_BENCH_LOG_LEVEL")
            .map(|level| vec!["--log-level".to_owned(), level])
            .unwrap_or_default(),
    });
    let pid = children().into_iter().find(|pid| !before.contains(pid)).expect("the server's process id");
    if std::env::var_os("SWITCHBOARD_BENCH_ONLY").is_some() {
        say(&format!("server process {pid}"));
    }
    let mut bench = Bench { server, pid };
    let mut completion = completion;
    completion["providers"] = json!(["mock"]);
    let options = json!({"providers": {"mock": provider}, "completion": completion});
    let mut capabilities = json!({"general": {"positionEncodings": ["utf-16"]}});
    if inline {
        capabilities["textDocument"] = json!({"inlineCompletion": {}});
    }
    let result = bench.server.initialize_with(capabilities, options);
    if inline {
        assert!(
            result["capabilities"].get("inlineCompletionProvider").is_some_and(|v| !v.is_null() && *v != json!(false)),
            "the server does not offer inline completion: {result}"
        );
    }
    bench.ping();
    bench
}

impl Bench {
    /// A request the server answers at once (an unknown method: no handler, no timer), so
    /// everything sent before it has been read.
    fn ping(&mut self) -> Duration {
        let started = Instant::now();
        let response = self.server.request("switchboard/bench/ping", Value::Null);
        assert_eq!(response["error"]["code"], json!(-32601), "an unknown method: {response}");
        started.elapsed()
    }

    fn inline_params(uri: &str, line: usize, character: usize, trigger: u8) -> Value {
        json!({
            "textDocument": {"uri": uri},
            "position": {"line": line, "character": character},
            "context": {"triggerKind": trigger},
        })
    }

    /// An inline completion request; how many items it answered.
    fn inline_items(&mut self, uri: &str, line: usize, character: usize, trigger: u8) -> usize {
        let result =
            self.server.call("textDocument/inlineCompletion", Self::inline_params(uri, line, character, trigger));
        let items = if result.is_array() { &result } else { &result["items"] };
        items.as_array().map_or(0, Vec::len)
    }

    /// An inline completion request; the first item's text and range start, if any.
    fn inline(&mut self, uri: &str, line: usize, character: usize, trigger: u8) -> Option<(String, usize)> {
        let result =
            self.server.call("textDocument/inlineCompletion", Self::inline_params(uri, line, character, trigger));
        first_item(&result)
    }

    fn cpu(&self) -> Cpu {
        Cpu::of(self.pid)
    }

    fn rss_kib(&self) -> u64 {
        status_field(self.pid, "VmRSS:")
    }
}

/// The first inline item of a response: its text and the character its range starts at.
fn first_item(result: &Value) -> Option<(String, usize)> {
    let items = if result.is_array() { result } else { &result["items"] };
    let item = items.get(0)?;
    let text = match &item["insertText"] {
        Value::String(text) => text.clone(),
        other => other["value"].as_str()?.to_owned(),
    };
    let start = item["range"]["start"]["character"].as_u64().unwrap_or(0) as usize;
    Some((text, start))
}

/// A one-character insertion as `didChange` sends it, ready to write.
fn insert_body(uri: &str, version: i64, line: usize, character: usize, text: &str) -> Vec<u8> {
    json!({
        "jsonrpc": "2.0",
        "method": "textDocument/didChange",
        "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{
                "range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character}},
                "text": text,
            }],
        },
    })
    .to_string()
    .into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Process figures from /proc

/// The processes whose parent is this one.
fn children() -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().and_then(|stat| {
                stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok())
            }) == Some(me)
        })
        .collect()
}

fn status_field(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time used by a process so far.
#[derive(Debug, Clone, Copy)]
struct Cpu {
    /// utime + stime from /proc/<pid>/stat, in clock ticks (usually 10 ms).
    ticks: u64,
    /// Time on CPU summed over the live threads' /proc/<pid>/task/*/schedstat, in nanoseconds.
    nanos: u64,
}

impl Cpu {
    fn of(pid: u32) -> Self {
        let ticks = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                let (_, rest) = stat.rsplit_once(')')?;
                let fields: Vec<&str> = rest.split_whitespace().collect();
                // After the command: state is field 3, utime field 14, stime field 15.
                Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
            })
            .unwrap_or(0);
        let nanos = std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|tasks| {
                tasks
                    .filter_map(|task| {
                        let path = task.ok()?.path().join("schedstat");
                        std::fs::read_to_string(path).ok()?.split_whitespace().next()?.parse::<u64>().ok()
                    })
                    .sum()
            })
            .unwrap_or(0);
        Self { ticks, nanos }
    }

    fn since(self, earlier: Self) -> (Duration, Duration) {
        let tick = Duration::from_millis(10);
        (
            tick * (self.ticks.saturating_sub(earlier.ticks)) as u32,
            Duration::from_nanos(self.nanos.saturating_sub(earlier.nanos)),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Sources

/// A small deterministic generator, so every run sees the same code.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % below as u64) as usize
    }
}

const NOUNS: &[&str] =
    &["order", "invoice", "buffer", "session", "packet", "record", "ledger", "cursor", "token", "frame"];
const TYPES: &[&str] = &["u32", "u64", "usize", "i64", "f64"];

/// Rust code of about `n_lines` lines: structs, impls, enums with matches, loops, doc comments.
/// Returns the text and the positions (line, column) at the end of block openers (`fn`, `for`,
/// `if`) inside items, where a completion of the block's first lines is wanted.
fn rust_source(n_lines: usize, seed: u64) -> (String, Vec<(usize, usize)>) {
    let mut rng = Lcg(seed);
    let mut lines: Vec<String> = vec![
        "//! Generated workload for the end-to-end benchmark.".into(),
        String::new(),
        "use std::collections::HashMap;".into(),
        "use std::fmt;".into(),
        "use std::io::{self, Write};".into(),
        String::new(),
    ];
    let mut idx = 0;
    while lines.len() < n_lines {
        let noun = NOUNS[rng.next(NOUNS.len())];
        let ty = TYPES[rng.next(TYPES.len())];
        let name = format!("{}{idx}", capitalize(noun));
        let k = rng.next(97) + 2;
        let block = match idx % 4 {
            0 => format!(
                "/// A {noun} with its running totals.\n#[derive(Debug, Clone, Default)]\npub struct {name} {{\n    pub id: {ty},\n    pub label: String,\n    pub values: Vec<{ty}>,\n    cache: HashMap<String, {ty}>,\n}}\n\nimpl {name} {{\n    pub fn new(id: {ty}, label: &str) -> Self {{\n        let values = Vec::with_capacity({k});\n        Self {{ id, label: label.to_owned(), values, cache: HashMap::new() }}\n    }}\n\n    /// Sum of the values above `floor`.\n    pub fn total_above(&self, floor: {ty}) -> {ty} {{\n        let mut total = {ty}::default();\n        for value in &self.values {{\n            if *value > floor {{\n                total += *value;\n            }}\n        }}\n        total\n    }}\n\n    pub fn remember(&mut self, key: &str, value: {ty}) -> Option<{ty}> {{\n        let previous = self.cache.insert(key.to_owned(), value);\n        self.values.push(value);\n        previous\n    }}\n}}\n"
            ),
            1 => format!(
                "#[derive(Debug, Clone, Copy, PartialEq, Eq)]\npub enum {name}State {{\n    Pending,\n    Active({k}),\n    Closed {{ code: i32 }},\n}}\n\nimpl fmt::Display for {name}State {{\n    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {{\n        match self {{\n            Self::Pending => write!(f, \"pending\"),\n            Self::Active(n) => write!(f, \"active {{n}}\"),\n            Self::Closed {{ code }} => write!(f, \"closed ({{code}})\"),\n        }}\n    }}\n}}\n"
            )
            .replace(&format!("Active({k})"), "Active(u32)"),
            2 => format!(
                "/// Writes every {noun} line to `out`, returning how many bytes were written.\npub fn write_{noun}s_{idx}(out: &mut impl Write, items: &[(String, {ty})]) -> io::Result<usize> {{\n    let mut written = 0;\n    let limit = items.len().min({k});\n    for (label, amount) in items.iter().take(limit) {{\n        let line = format!(\"{{label}}: {{amount}}\\n\");\n        out.write_all(line.as_bytes())?;\n        written += line.len();\n    }}\n    out.flush()?;\n    Ok(written)\n}}\n"
            ),
            _ => format!(
                "pub fn checksum_{noun}_{idx}(buffer: &[u8]) -> u32 {{\n    let mut hash: u32 = {k};\n    let mut count = 0usize;\n    for byte in buffer {{\n        hash = hash.rotate_left(5) ^ u32::from(*byte);\n        count += 1;\n    }}\n    let folded = hash ^ (count as u32);\n    folded.wrapping_mul(0x9e37_79b9)\n}}\n"
            ),
        };
        for line in block.lines() {
            lines.push(line.to_owned());
        }
        lines.push(String::new());
        idx += 1;
    }
    let candidates = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| {
            line.starts_with("    ") && line.ends_with('{') && ["fn ", "for ", "if "].iter().any(|k| line.contains(k))
        })
        .map(|(number, line)| (number, line.len()))
        .collect();
    let mut text = lines.join("\n");
    text.push('\n');
    (text, candidates)
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// `count` positions spread evenly over `candidates`.
fn spread(candidates: &[(usize, usize)], count: usize) -> Vec<(usize, usize)> {
    let count = count.min(candidates.len()).max(1);
    (0..count).map(|idx| candidates[idx * candidates.len() / count]).collect()
}

// ---------------------------------------------------------------------------------------------
// 1 and 2: completion overhead on a large file, and cost per keystroke

struct Overhead {
    lines: usize,
    first_request: Duration,
    rtt: Vec<Duration>,
    answered: usize,
    provider_calls: usize,
    /// Connections the provider accepted during the measured round trips.
    connections: usize,
    mock_handling: Vec<Duration>,
    direct_mock: Vec<Duration>,
    server_cpu_per_request: Duration,
    /// Mean prompt bytes of the measured requests, as the provider received them.
    prompt_bytes: usize,
    ping: Vec<Duration>,
    // Keystrokes.
    edits: usize,
    edits_wall: Duration,
    edits_cpu_ticks: Duration,
    edits_cpu: Duration,
    edits_ok: bool,
    /// The measured round trips' prompt tokens.
    cost: Cost,
}

/// A cursor position in the large file: line and column.
type Position = (usize, usize);

/// The round trip's positions in the large file: the first request (which parses the whole file
/// in Switchboard), the warm-up (positions not measured, spread among the measured ones) and the
/// measured ones. Switchboard and its peers are asked at the same positions in the same order.
fn overhead_positions(candidates: &[Position], scale: Scale) -> (Position, Vec<Position>, Vec<Position>) {
    let positions = spread(candidates, scale.positions + scale.warmup + 1);
    let (first, rest) = positions.split_first().expect("positions");
    let step = (rest.len() / scale.warmup.max(1)).max(1);
    let (warmup, measured): (Vec<_>, Vec<_>) =
        rest.iter().enumerate().partition(|(idx, _)| idx % step == 0 && idx / step < scale.warmup);
    let positions = |indexed: Vec<(usize, &Position)>| indexed.into_iter().map(|(_, position)| *position).collect();
    (*first, positions(warmup), positions(measured))
}

/// The prompt's bytes of an OpenAI-compatible completion request as the provider received it
/// (`prompt` and `suffix`: FIM tokens, when a client writes them into the prompt, included).
fn prompt_bytes(body: &Value) -> usize {
    ["prompt", "suffix"].iter().map(|field| body[field].as_str().map_or(0, str::len)).sum()
}

fn mean_prompt_bytes(requests: &[provider::Recorded]) -> usize {
    requests.iter().map(|request| prompt_bytes(&request.body)).sum::<usize>() / requests.len().max(1)
}

fn overhead_and_keystrokes(scale: Scale) -> Overhead {
    // Vendors keep connections alive, so this is what users get; `variants` measures a provider
    // that closes each connection too.
    let mock = MockProvider::start_keep_alive(Reply::text(OVERHEAD_ANSWER));
    // One item per invoked request: one provider call per round trip.
    let mut bench = start(&mock, json!({"n_items_invoked": 1}), true);
    let (text, candidates) = rust_source(scale.big_lines, 7);
    let lines = text.lines().count();
    let uri = "file:///bench/big.rs";
    bench.server.open(uri, "rust", &text);
    bench.ping();

    // The first request parses the whole file.
    let (first, warmup, measured) = overhead_positions(&candidates, scale);
    let started = Instant::now();
    let first_answer = bench.inline(uri, first.0, first.1, INVOKED);
    let first_request = started.elapsed();
    assert!(
        first_answer.is_some(),
        "no inline completion at line {} of the large file ({} provider calls); stderr:\n{}",
        first.0,
        mock.request_count(),
        bench.server.stderr()
    );

    for (line, character) in &warmup {
        bench.inline(uri, *line, *character, INVOKED);
    }
    let ping: Vec<Duration> = (0..20).map(|_| bench.ping()).collect();

    let handled_before = mock.handling_times().len();
    let calls_before = mock.request_count();
    let connections_before = mock.connections_accepted();
    let cost_before = CostMark::take(&mut bench, &mock);
    let cpu_before = bench.cpu();
    let mut rtt = Vec::with_capacity(measured.len());
    let mut answered = 0;
    for (line, character) in &measured {
        let started = Instant::now();
        let answer = bench.inline(uri, *line, *character, INVOKED);
        rtt.push(started.elapsed());
        answered += usize::from(answer.is_some());
    }
    let (_, cpu) = bench.cpu().since(cpu_before);
    // Each answer is a different suggestion; none is typed (accepted) here.
    let cost =
        cost_before.cost(&mut bench, &mock, "round trip: invoked at distinct positions, native FIM", answered, 0);
    let provider_calls = mock.request_count() - calls_before;
    let connections = mock.connections_accepted() - connections_before;
    let mock_handling = mock.handling_times().split_off(handled_before);
    let server_cpu_per_request = cpu / measured.len().max(1) as u32;
    let prompt_bytes = mean_prompt_bytes(&mock.requests()[calls_before..]);

    // The provider alone: the same request body, straight from this process, on one connection.
    let body = mock.requests().last().map(|request| request.body.to_string()).unwrap_or_default();
    let direct = MockProvider::start_keep_alive(Reply::text(OVERHEAD_ANSWER));
    let mut connection = DirectConnection::open(&direct.base_url);
    let direct_mock: Vec<Duration> = (0..measured.len()).map(|_| connection.post(&body)).collect();

    // Keystrokes: type code on a new line in the middle of the file, one character per didChange.
    let (mut line, mut character) = candidates[candidates.len() / 2];
    let typed = "\n        let total = items.iter().map(|item| item.count).sum::<usize>();";
    let mut bodies = Vec::with_capacity(scale.edits);
    let mut inserted = String::new();
    for (idx, ch) in typed.chars().cycle().take(scale.edits).enumerate() {
        bodies.push(insert_body(uri, 2 + idx as i64, line, character, &ch.to_string()));
        inserted.push(ch);
        if ch == '\n' {
            line += 1;
            character = 0;
        } else {
            character += 1;
        }
    }
    bench.ping();
    let cpu_before = bench.cpu();
    let started = Instant::now();
    for body in &bodies {
        bench.server.send_raw(body);
    }
    bench.ping();
    let edits_wall = started.elapsed();
    let (edits_cpu_ticks, edits_cpu) = bench.cpu().since(cpu_before);
    let document = bench.server.document(uri);
    let edits_ok = document["version"] == json!(1 + scale.edits as i64)
        && document["text"].as_str().is_some_and(|text| text.contains(&inserted));

    Overhead {
        lines,
        first_request,
        rtt,
        answered,
        provider_calls,
        connections,
        mock_handling,
        direct_mock,
        server_cpu_per_request,
        prompt_bytes,
        ping,
        edits: scale.edits,
        edits_wall,
        edits_cpu_ticks,
        edits_cpu,
        edits_ok,
        cost,
    }
}

/// A kept-alive connection to the mock, for streamed completion requests sent as a client with
/// no overhead would send them: POST, read to the end of the chunked answer.
struct DirectConnection {
    stream: TcpStream,
    address: String,
}

impl DirectConnection {
    fn open(base_url: &str) -> Self {
        let address = base_url.trim_start_matches("http://").to_owned();
        let stream = TcpStream::connect(&address).expect("connect to the mock");
        // As the server's HTTP client does.
        let _ = stream.set_nodelay(true);
        Self { stream, address }
    }

    fn post(&mut self, body: &str) -> Duration {
        let started = Instant::now();
        let request = format!(
            "POST /v1/completions HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\naccept: text/event-stream\r\ncontent-length: {}\r\n\r\n{body}",
            self.address,
            body.len()
        );
        self.stream.write_all(request.as_bytes()).expect("write to the mock");
        // The last chunk of a chunked body is empty: `0\r\n\r\n`.
        let mut answer = Vec::new();
        let mut buffer = [0u8; 16 * 1024];
        while !answer.ends_with(b"\r\n0\r\n\r\n") {
            let read = self.stream.read(&mut buffer).expect("read from the mock");
            assert!(read > 0, "the mock closed a kept-alive connection");
            answer.extend_from_slice(&buffer[..read]);
        }
        started.elapsed()
    }
}

// ---------------------------------------------------------------------------------------------
// 1c: a peer, llm-ls (github.com/huggingface/llm-ls), over the same file and positions

/// The llm-ls binary to measure beside Switchboard, if `SWITCHBOARD_BENCH_LLM_LS` names one.
fn llm_ls_binary() -> Option<std::path::PathBuf> {
    std::env::var_os("SWITCHBOARD_BENCH_LLM_LS").filter(|path| !path.is_empty()).map(std::path::PathBuf::from)
}

/// Taken out of the peer's environment: its HTTP client (reqwest) honours them, and its backend
/// is on loopback.
const PROXY_VARIABLES: &[&str] = &["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];

/// llm-ls's round trip, measured as Switchboard's is.
struct Peer {
    /// `contextWindow`: without a tokenizer llm-ls counts it in bytes of whole lines.
    context_window: usize,
    /// From writing `didOpen` to the first answer (llm-ls parses the whole file in `didOpen`).
    open_to_first_answer: Duration,
    rtt: Vec<Duration>,
    /// schedstat, and utime + stime (which keeps the time of threads that ended meanwhile).
    server_cpu_per_request: Duration,
    server_cpu_ticks_per_request: Duration,
    /// Responses with a completion, and those whose completion has text.
    answered: usize,
    with_text: usize,
    provider_calls: usize,
    connections: usize,
    prompt_bytes: usize,
    ping: Vec<Duration>,
}

/// `llm-ls/getCompletions` with every field of llm-ls 0.5's `GetCompletionsParams`, as its editor
/// plugins fill them:
/// the `openai` backend, which POSTs `{prompt, model, stream: false}` plus `requestBody` to
/// `{url}/v1/completions` and reads `choices[].text` from one JSON answer; StarCoder's FIM tokens
/// written into the prompt; no tokenizer, so nothing is downloaded and the window is counted in
/// bytes.
fn llm_ls_params(uri: &str, (line, character): Position, url: &str, context_window: usize) -> Value {
    json!({
        "textDocument": {"uri": uri},
        "position": {"line": line, "character": character},
        "ide": "neovim",
        "fim": {"enabled": true, "prefix": "<fim_prefix>", "middle": "<fim_middle>", "suffix": "<fim_suffix>"},
        "apiToken": null,
        "model": "mock",
        "backend": "openai",
        "url": url,
        "tokensToClear": ["<|endoftext|>"],
        "tokenizerConfig": null,
        "contextWindow": context_window,
        "tlsSkipVerifyInsecure": false,
        "requestBody": {"max_tokens": 64, "temperature": 0.2},
        "disableUrlPathCompletion": false,
    })
}

/// The completions of an `llm-ls/getCompletions` result: how many, and how many have text.
fn llm_ls_completions(result: &Value) -> (usize, usize) {
    let completions = result["completions"].as_array().map(Vec::as_slice).unwrap_or_default();
    let with_text = completions.iter().filter(|c| c["generated_text"].as_str().is_some_and(|t| !t.is_empty())).count();
    (completions.len(), with_text)
}

fn llm_ls(binary: &std::path::Path, scale: Scale, context_window: usize) -> Peer {
    let mock = MockProvider::start_keep_alive(Reply::text(OVERHEAD_ANSWER));
    // Its log goes to `$HOME/.cache/llm_ls/llm-ls.log`: the server's temporary home.
    let mut server = TestServer::start_program(binary, Options { env: Vec::new(), args: Vec::new() }, PROXY_VARIABLES);
    let pid = server.pid();
    if std::env::var_os("SWITCHBOARD_BENCH_ONLY").is_some() {
        say(&format!("llm-ls process {pid} (context window {context_window})"));
    }
    server.initialize_with(json!({"general": {"positionEncodings": ["utf-16"]}}), Value::Null);
    let (text, candidates) = rust_source(scale.big_lines, 7);
    let uri = "file:///bench/big.rs";
    let (first, warmup, measured) = overhead_positions(&candidates, scale);
    let complete = |server: &mut TestServer, position: Position| {
        llm_ls_completions(
            &server.call("llm-ls/getCompletions", llm_ls_params(uri, position, &mock.base_url, context_window)),
        )
    };
    let opened = Instant::now();
    server.open(uri, "rust", &text);
    // tower-lsp may handle a request before a notification sent ahead of it: until the document
    // is open, llm-ls answers no completion.
    while complete(&mut server, first).0 == 0 {
        assert!(opened.elapsed() < support::TIMEOUT, "llm-ls answered no completion; stderr:\n{}", server.stderr());
        std::thread::sleep(Duration::from_millis(1));
    }
    let open_to_first_answer = opened.elapsed();
    for position in &warmup {
        complete(&mut server, *position);
    }
    let ping: Vec<Duration> = (0..20)
        .map(|_| {
            let started = Instant::now();
            server.request("switchboard/bench/ping", Value::Null);
            started.elapsed()
        })
        .collect();

    let calls_before = mock.request_count();
    let connections_before = mock.connections_accepted();
    let cpu_before = Cpu::of(pid);
    let (mut rtt, mut answered, mut with_text) = (Vec::with_capacity(measured.len()), 0, 0);
    for position in &measured {
        let started = Instant::now();
        let (completions, texts) = complete(&mut server, *position);
        rtt.push(started.elapsed());
        answered += usize::from(completions > 0);
        with_text += usize::from(texts > 0);
    }
    let (ticks, cpu) = Cpu::of(pid).since(cpu_before);
    let count = measured.len().max(1) as u32;
    Peer {
        context_window,
        open_to_first_answer,
        rtt,
        server_cpu_per_request: cpu / count,
        server_cpu_ticks_per_request: ticks / count,
        answered,
        with_text,
        provider_calls: mock.request_count() - calls_before,
        connections: mock.connections_accepted() - connections_before,
        prompt_bytes: mean_prompt_bytes(&mock.requests()[calls_before..]),
        ping,
    }
}

/// llm-ls, if `SWITCHBOARD_BENCH_LLM_LS` names it, with the same context as Switchboard sent
/// (its window in bytes set to Switchboard's mean prompt bytes) and with a 4,096 window, which
/// without a tokenizer is 4,096 bytes, not tokens.
fn peers(scale: Scale, overhead: &Overhead) -> Vec<Peer> {
    let Some(binary) = llm_ls_binary() else { return Vec::new() };
    [overhead.prompt_bytes, 4_096].into_iter().map(|window| llm_ls(&binary, scale, window)).collect()
}

fn report_peers(overhead: &Overhead, peers: &[Peer]) {
    if peers.is_empty() {
        return;
    }
    let column = |switchboard: String, peer: &dyn Fn(&Peer) -> String| {
        let mut line = format!("{switchboard:<38}");
        for each in peers {
            line.push_str(&format!(" {:<38}", peer(each)));
        }
        line.trim_end().to_owned()
    };
    let mut heads =
        format!("{:<60} {:<38}", "side by side, measured here (same file, positions, warm-up)", "switchboard");
    for peer in peers {
        heads.push_str(&format!(" {:<38}", format!("llm-ls, contextWindow {}", peer.context_window)));
    }
    let heads = heads.trim_end().to_owned();
    let row = |label: &str, cells: String| format!("{label:<60} {cells}");
    let lines = [
        String::new(),
        heads,
        "-".repeat(60 + 39 * (peers.len() + 1)),
        row(
            &format!("completion round trip p50/p95/p99 ({} pos., {} lines)", overhead.rtt.len(), overhead.lines),
            column(pcts(&overhead.rtt), &|peer| pcts(&peer.rtt)),
        ),
        row(
            "  server CPU per completion (schedstat | utime+stime)",
            column(format!("{} ms", ms(overhead.server_cpu_per_request)), &|peer| {
                format!("{} ms | {} ms", ms(peer.server_cpu_per_request), ms(peer.server_cpu_ticks_per_request))
            }),
        ),
        row(
            "  prompt bytes per request, as the provider received them",
            column(overhead.prompt_bytes.to_string(), &|peer| peer.prompt_bytes.to_string()),
        ),
        row(
            "  context sent",
            column("window, scopes, imports, related code".to_owned(), &|_| "lines around the cursor".to_owned()),
        ),
        row(
            "  answered / with text / provider calls / new connections",
            column(
                format!("{0} / {0} / {1} / {2}", overhead.answered, overhead.provider_calls, overhead.connections),
                &|peer| {
                    format!("{} / {} / {} / {}", peer.answered, peer.with_text, peer.provider_calls, peer.connections)
                },
            ),
        ),
        row(
            "  an unknown method's round trip p50 (LSP over stdio)",
            column(format!("{} ms", ms(percentile(&sorted(&overhead.ping), 0.5))), &|peer| {
                format!("{} ms", ms(percentile(&sorted(&peer.ping), 0.5)))
            }),
        ),
        row(
            "  first answer (llm-ls: from didOpen, which parses the file)",
            column(format!("{} ms", ms(overhead.first_request)), &|peer| {
                format!("{} ms", ms(peer.open_to_first_answer))
            }),
        ),
    ];
    for line in lines {
        say(&line);
    }
    say("(llm-ls: `llm-ls/getCompletions`, backend `openai`, StarCoder FIM tokens, against the same instant \
         kept-alive loopback provider, which answers it whole as it asks (`stream: false`); no tokenizer, so its \
         window counts bytes; where it judges the cursor single-line it keeps only the answer's first line, \
         which may leave no text)");
}

// ---------------------------------------------------------------------------------------------
// 1b: the same round trip with other providers and requests

/// One variant of the round trip, measured in a fresh server over the same file and positions.
struct Variant {
    label: &'static str,
    rtt: Vec<Duration>,
    server_cpu_per_request: Duration,
    answered: usize,
    items: usize,
    provider_calls: usize,
    connections: usize,
}

/// `text` cut into pieces of `bytes` bytes (at character boundaries), as a streamed answer.
fn pieces(text: &str, bytes: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for ch in text.chars() {
        if current.len() + ch.len_utf8() > bytes && !current.is_empty() {
            pieces.push(std::mem::take(&mut current));
        }
        current.push(ch);
    }
    pieces.extend((!current.is_empty()).then_some(current));
    pieces
}

fn variants(scale: Scale) -> Vec<Variant> {
    let (text, candidates) = rust_source(scale.big_lines, 7);
    let positions = spread(&candidates, scale.positions + scale.warmup);
    let chat_answer = format!("```rust\n{}\n```", OVERHEAD_ANSWER.trim_start_matches('\n'));
    [
        ("a provider that closes each connection", MockProvider::start(Reply::text(OVERHEAD_ANSWER)), "native", 1),
        (
            "chat FIM (/v1/chat/completions, streamed)",
            MockProvider::start_keep_alive(Reply::text(&chat_answer)),
            "chat",
            1,
        ),
        (
            // As vendors stream: an event per token or two, not the whole answer in one.
            "chat FIM, the answer in 4-byte events (as vendors stream)",
            MockProvider::start_keep_alive(Reply::Stream { chunks: pieces(&chat_answer, 4), delay: Duration::ZERO }),
            "chat",
            1,
        ),
        (
            "native FIM, the answer in 4-byte events",
            MockProvider::start_keep_alive(Reply::Stream { chunks: pieces(OVERHEAD_ANSWER, 4), delay: Duration::ZERO }),
            "native",
            1,
        ),
        (
            "invoked, three items (one request with n = 3)",
            MockProvider::start_keep_alive(Reply::Choices(vec![
                OVERHEAD_ANSWER.to_owned(),
                "\n    let checked = total.min(limit);".to_owned(),
                "\n    let checked = limit.saturating_sub(total);".to_owned(),
            ])),
            "native",
            3,
        ),
    ]
    .into_iter()
    .map(|(label, mock, fim, n_items)| {
        // A gateway is asked for several choices in one request only when the user says it
        // takes `n` (`max_choices`); the public OpenAI host is known to.
        let provider = json!({
            "kind": "openai", "model": "mock", "base_url": format!("{}/v1", mock.base_url),
            "api_key_env": "MOCK_KEY", "fim": fim, "max_choices": n_items,
        });
        if std::env::var_os("SWITCHBOARD_BENCH_ONLY").is_some() {
            say(label);
        }
        let mut bench = start_provider(provider, json!({"n_items_invoked": n_items}), true);
        let uri = "file:///bench/big.rs";
        bench.server.open(uri, "rust", &text);
        let (warmup, measured) = positions.split_at(scale.warmup.min(positions.len()));
        for (line, character) in warmup {
            bench.inline_items(uri, *line, *character, INVOKED);
        }
        let calls_before = mock.request_count();
        let connections_before = mock.connections_accepted();
        let cpu_before = bench.cpu();
        let mut rtt = Vec::with_capacity(measured.len());
        let (mut answered, mut items) = (0, 0);
        for (line, character) in measured {
            let started = Instant::now();
            let count = bench.inline_items(uri, *line, *character, INVOKED);
            rtt.push(started.elapsed());
            answered += usize::from(count > 0);
            items += count;
        }
        let (_, cpu) = bench.cpu().since(cpu_before);
        Variant {
            label,
            server_cpu_per_request: cpu / measured.len().max(1) as u32,
            answered,
            items,
            provider_calls: mock.request_count() - calls_before,
            connections: mock.connections_accepted() - connections_before,
            rtt,
        }
    })
    .collect()
}

fn report_variants(variants: &[Variant]) {
    say("");
    say(&format!(
        "{:<58} {:<34} {}",
        "completion round trip, other providers", "p50/p95/p99", "server CPU | answered, items, calls, connections"
    ));
    say(&"-".repeat(140));
    for variant in variants {
        say(&format!(
            "{:<58} {:<34} {} ms | {} of {}, {} items, {} calls, {} connections",
            variant.label,
            pcts(&variant.rtt),
            ms(variant.server_cpu_per_request),
            variant.answered,
            variant.rtt.len(),
            variant.items,
            variant.provider_calls,
            variant.connections
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// 3: memory

struct Memory {
    files: usize,
    file_lines: usize,
    before_kib: u64,
    opened_kib: u64,
    completed_kib: u64,
    text_bytes: usize,
}

fn memory(scale: Scale) -> Memory {
    let mock = MockProvider::start(Reply::text(OVERHEAD_ANSWER));
    let mut bench = start(&mock, json!({"n_items_invoked": 1}), true);
    let files: Vec<(String, Vec<(usize, usize)>)> =
        (0..scale.files).map(|idx| rust_source(scale.file_lines, 100 + idx as u64)).collect();
    bench.ping();
    std::thread::sleep(Duration::from_millis(200));
    let before_kib = bench.rss_kib();
    for (idx, (text, _)) in files.iter().enumerate() {
        bench.server.open(&format!("file:///bench/file{idx}.rs"), "rust", text);
    }
    bench.ping();
    std::thread::sleep(Duration::from_millis(200));
    let opened_kib = bench.rss_kib();
    // One completion in each file, as when the user works in each: trees are parsed, contexts built.
    for (idx, (_, candidates)) in files.iter().enumerate() {
        let (line, character) = candidates[candidates.len() / 2];
        bench.inline(&format!("file:///bench/file{idx}.rs"), line, character, INVOKED);
    }
    bench.ping();
    std::thread::sleep(Duration::from_millis(200));
    let completed_kib = bench.rss_kib();
    Memory {
        files: scale.files,
        file_lines: scale.file_lines,
        before_kib,
        opened_kib,
        completed_kib,
        text_bytes: files.iter().map(|(text, _)| text.len()).sum(),
    }
}

// ---------------------------------------------------------------------------------------------
// 4: typing through a suggestion

const SMALL_FILE: &str = "use std::collections::HashMap;\n\npub fn summarize(items: &[usize], names: &HashMap<String, usize>) -> usize {\n    let factor = names.len() + 1;\n    \n    factor\n}\n";
/// The blank line of `SMALL_FILE` inside the function, and its indentation.
const SMALL_LINE: usize = 4;
const SMALL_INDENT: usize = 4;

struct Through {
    first_answer: Option<String>,
    first_calls: usize,
    /// Calls made while typing all but the last character (the suggestion is still showing).
    calls_while_typing: usize,
    /// Requests whose answer was not the remaining text: (typed, expected, got).
    wrong: Vec<(usize, String, Option<String>)>,
    requests: usize,
    rtt: Vec<Duration>,
    /// Calls after the last character (the suggestion is used up: a new request is fair).
    calls_after_complete: usize,
    /// The whole scenario: one suggestion shown (and kept on screen while typed), accepted by
    /// typing it through.
    cost: Cost,
}

fn typing_through() -> Through {
    assert_eq!(TYPED_SUGGESTION.len(), 40, "the typed-through suggestion is 40 characters");
    let mock = MockProvider::start(Reply::text(TYPED_SUGGESTION));
    let mut bench = start(&mock, json!({}), true);
    let uri = "file:///bench/through.rs";
    bench.server.open(uri, "rust", SMALL_FILE);
    bench.ping();
    let cost_before = CostMark::take(&mut bench, &mock);
    let first = bench.inline(uri, SMALL_LINE, SMALL_INDENT, AUTOMATIC);
    let first_calls = mock.request_count();
    let first_answer = first.map(|(text, _)| text);
    let suggestion = first_answer.clone().unwrap_or_else(|| TYPED_SUGGESTION.to_owned());

    let mut line_text = " ".repeat(SMALL_INDENT);
    let mut wrong = Vec::new();
    let mut rtt = Vec::new();
    let mut calls_while_typing = 0;
    let chars: Vec<char> = suggestion.chars().collect();
    let mut cost = None;
    for (idx, ch) in chars.iter().enumerate() {
        let character = line_text.chars().count();
        if idx + 1 == chars.len() {
            // Before the last character: the suggestion has been typed through; what the last
            // one asks for is a new completion, not this one's cost.
            let shown = usize::from(first_answer.is_some());
            let accepted = usize::from(shown == 1 && wrong.is_empty());
            let label = "typing through a 40-character suggestion";
            cost = Some(cost_before.cost(&mut bench, &mock, label, shown, accepted));
        }
        bench.server.send_raw(&insert_body(uri, 2 + idx as i64, SMALL_LINE, character, &ch.to_string()));
        line_text.push(*ch);
        let calls_before = mock.request_count();
        let started = Instant::now();
        let answer = bench.inline(uri, SMALL_LINE, character + 1, AUTOMATIC);
        let elapsed = started.elapsed();
        let calls = mock.request_count() - calls_before;
        if idx + 1 == chars.len() {
            // Typed in full: nothing remains; whatever comes next is a new completion.
            std::thread::sleep(Duration::from_millis(100));
            return Through {
                cost: cost.expect("taken before the last character"),
                first_answer,
                first_calls,
                calls_while_typing,
                wrong,
                requests: chars.len() - 1,
                rtt,
                calls_after_complete: mock.request_count() - calls_before,
            };
        }
        rtt.push(elapsed);
        calls_while_typing += calls;
        let remaining: String = chars[idx + 1..].iter().collect();
        // Items replace from the start of the word before the cursor, so they repeat it.
        let got = answer.map(|(text, start)| {
            let typed_word: String = line_text.chars().skip(start).collect();
            text.strip_prefix(&typed_word).map_or_else(|| format!("<range {start}> {text}"), str::to_owned)
        });
        if got.as_deref() != Some(remaining.as_str()) {
            wrong.push((idx + 1, remaining, got));
        }
    }
    unreachable!("the loop returns at the last character")
}

// ---------------------------------------------------------------------------------------------
// 5: a burst of keystrokes with automatic requests

struct Burst {
    keystrokes: usize,
    calls: usize,
    answered: usize,
    elapsed: Duration,
    /// Every answered request showed a suggestion; the typing never follows one.
    cost: Cost,
}

fn burst(scale: Scale) -> Burst {
    let mock = MockProvider::start(Reply::text("return factor * 2;"));
    let mut bench = start(&mock, json!({}), true);
    let uri = "file:///bench/burst.rs";
    bench.server.open(uri, "rust", SMALL_FILE);
    bench.ping();
    let cost_before = CostMark::take(&mut bench, &mock);
    let typed = "let weighted = items.iter().map(|item| item * factor).sum::<usize>() + names.len(); ";
    let mut ids = Vec::with_capacity(scale.burst);
    let started = Instant::now();
    for (idx, ch) in typed.chars().cycle().take(scale.burst).enumerate() {
        let character = SMALL_INDENT + idx;
        bench.server.send_raw(&insert_body(uri, 2 + idx as i64, SMALL_LINE, character, &ch.to_string()));
        ids.push(bench.server.send_request(
            "textDocument/inlineCompletion",
            Bench::inline_params(uri, SMALL_LINE, character + 1, AUTOMATIC),
        ));
        let next = KEYSTROKE_GAP * (idx as u32 + 1);
        std::thread::sleep(next.saturating_sub(started.elapsed()));
    }
    let answered = ids
        .into_iter()
        .filter(|id| {
            let response = bench.server.response(*id);
            first_item(&response["result"]).is_some()
        })
        .count();
    let elapsed = started.elapsed();
    // Let any call still in flight reach the provider.
    std::thread::sleep(Duration::from_millis(300));
    let label = "burst: keystrokes 50 ms apart";
    let cost = cost_before.cost(&mut bench, &mock, label, answered, 0);
    Burst { keystrokes: scale.burst, calls: mock.request_count(), answered, elapsed, cost }
}

// ---------------------------------------------------------------------------------------------
// Cost: prompt tokens per suggestion

/// What a scenario cost in prompt tokens. `sent` and `cached` are what the vendor bills: the
/// mock's usage for every request it received (`MockProvider::usage`, tokens estimated as the
/// server estimates them, the cached part by OpenAI's prefix-caching rules), whether or not the
/// server read the answer to its end. `reported` and `reported_cached` are what
/// `switchboard/status` shows: only usage the server read (a vendor reports it in the last
/// chunk, which an answer cut short at its line end never reaches).
struct Cost {
    label: &'static str,
    calls: usize,
    /// Suggestions shown (a suggestion kept on screen while it is typed through counts once).
    shown: usize,
    /// Suggestions typed through to their end.
    accepted: usize,
    sent: usize,
    cached: usize,
    /// Written to the cache at a breakpoint (Anthropic).
    written: usize,
    reported: u64,
    reported_cached: u64,
}

/// The counters when a scenario starts.
struct CostMark {
    requests: usize,
    reported: u64,
    reported_cached: u64,
}

impl CostMark {
    fn take(bench: &mut Bench, mock: &MockProvider) -> Self {
        let (reported, reported_cached) = bench.status_tokens();
        Self { requests: mock.usage().len(), reported, reported_cached }
    }

    fn cost(&self, bench: &mut Bench, mock: &MockProvider, label: &'static str, shown: usize, accepted: usize) -> Cost {
        let usage = mock.usage().split_off(self.requests);
        let (reported, reported_cached) = bench.status_tokens();
        Cost {
            label,
            calls: usage.len(),
            shown,
            accepted,
            sent: usage.iter().map(|usage| usage.prompt).sum(),
            cached: usage.iter().map(|usage| usage.cached).sum(),
            written: usage.iter().map(|usage| usage.written).sum(),
            reported: reported - self.reported,
            reported_cached: reported_cached - self.reported_cached,
        }
    }
}

impl Bench {
    /// Prompt tokens and cached prompt tokens of every provider, from `switchboard/status`.
    fn status_tokens(&mut self) -> (u64, u64) {
        let status = self.server.call("switchboard/status", Value::Null);
        let providers = status["providers"].as_array().cloned().unwrap_or_default();
        let sum = |field: &str| providers.iter().filter_map(|provider| provider[field].as_u64()).sum::<u64>();
        (sum("input_tokens"), sum("cached_input_tokens"))
    }
}

/// Typing a statement on a new line in the middle of the large file, one character at a time,
/// each keystroke followed by an automatic request answered before the next (a slow typist; no
/// debounce), with a provider whose suggestions the typing never follows: one call per
/// keystroke, each a fresh prompt around a cursor one character on. What vendors' prefix caches
/// save then depends on the prompt's order: `chat` puts the stable part first.
fn typing_in_a_function(scale: Scale, vendor: &'static str) -> Cost {
    let (mock, mut bench, label) = match vendor {
        "anthropic" => {
            // The prefill opens the fence; the answer closes it.
            let mock = MockProvider::start_keep_alive(Reply::text("\nunrelated_call();\n```"));
            let provider = json!({"kind": "anthropic", "model": "claude-sonnet-4-5", "base_url": mock.base_url,
                "api_key_env": "MOCK_KEY"});
            let bench = start_provider(provider, json!({"debounce_ms": 0}), true);
            (mock, bench, "typing a line in a 20,000-line file, Anthropic")
        }
        "chat" => {
            let mock = MockProvider::start_keep_alive(Reply::text("```rust\nunrelated_call();\n```"));
            let bench = start_fim(&mock, "chat", json!({"debounce_ms": 0}), true);
            (mock, bench, "typing a line in a 20,000-line file, chat FIM")
        }
        _ => {
            let mock = MockProvider::start_keep_alive(Reply::text("unrelated_call();"));
            let bench = start_fim(&mock, "native", json!({"debounce_ms": 0}), true);
            (mock, bench, "typing a line in a 20,000-line file, native FIM")
        }
    };
    let (text, candidates) = rust_source(scale.big_lines, 7);
    let uri = "file:///bench/big.rs";
    bench.server.open(uri, "rust", &text);
    bench.ping();
    // A new line after a block opener in the middle of the file.
    let (line, character) = candidates[candidates.len() / 2];
    let indent = text.lines().nth(line).map_or(0, |opener| opener.len() - opener.trim_start().len()) + 4;
    let new_line = format!("\n{}", " ".repeat(indent));
    bench.server.send_raw(&insert_body(uri, 2, line, character, &new_line));
    let cost_before = CostMark::take(&mut bench, &mock);
    let typed = "let weighted = items.len() * 3;";
    let mut shown = 0;
    for (idx, ch) in typed.chars().enumerate() {
        let column = indent + idx;
        bench.server.send_raw(&insert_body(uri, 3 + idx as i64, line + 1, column, &ch.to_string()));
        shown += usize::from(bench.inline(uri, line + 1, column + 1, AUTOMATIC).is_some());
    }
    std::thread::sleep(Duration::from_millis(100));
    cost_before.cost(&mut bench, &mock, label, shown, 0)
}

fn report_cost(costs: &[&Cost]) {
    let per = |tokens: usize, count: usize| tokens.checked_div(count).map_or_else(|| "-".to_owned(), |n| n.to_string());
    let share = |part: usize, whole: usize| {
        if whole == 0 { "-".to_owned() } else { format!("{:.0} %", 100.0 * part as f64 / whole as f64) }
    };
    say("");
    say(&format!(
        "{:<50} {:>5} {:>5} {:>5} {:>9} {:>8} {:>8} {:>9} {:>9} {:>10} {:>17}",
        "prompt tokens (vendor-billed, estimated)",
        "calls",
        "shown",
        "acc.",
        "sent",
        "cached",
        "written",
        "/ shown",
        "/ acc.",
        "/ call",
        "status: in|cached"
    ));
    say(&"-".repeat(140));
    for cost in costs {
        say(&format!(
            "{:<50} {:>5} {:>5} {:>5} {:>9} {:>8} {:>8} {:>9} {:>9} {:>10} {:>17}",
            cost.label,
            cost.calls,
            cost.shown,
            cost.accepted,
            cost.sent,
            share(cost.cached, cost.sent),
            share(cost.written, cost.sent),
            per(cost.sent, cost.shown),
            per(cost.sent, cost.accepted),
            per(cost.sent, cost.calls),
            format!("{}|{}", cost.reported, cost.reported_cached),
        ));
    }
    say("(cached: the share served from the vendor's prompt cache, billed at a discount: OpenAI's automatic prefix \
         caching, or Anthropic's at the breakpoint; written: the share written to Anthropic's cache, at 1.25x)");
}

// ---------------------------------------------------------------------------------------------
// Code actions

struct Actions {
    lines: usize,
    /// `textDocument/codeAction` round trips, cursor inside functions.
    listing: Vec<Duration>,
    /// Actions offered per listing (the first one), to show listing did real work.
    offered: usize,
    /// Provider calls the listings caused (must be 0).
    listing_calls: usize,
    /// From `workspace/executeCommand` sent to `workspace/applyEdit` received, instant provider.
    to_edit: Vec<Duration>,
    /// Lines the edit touched (a line diff of a one-line change is one line).
    edit_lines: usize,
}

fn actions(scale: Scale) -> Actions {
    let (text, _) = rust_source(scale.big_lines, 11);
    let lines: Vec<&str> = text.lines().collect();
    // The function whose rewrite the provider answers: the first checksum, one line changed.
    let start = lines.iter().position(|line| line.starts_with("pub fn checksum_")).expect("a checksum function");
    let end = start + lines[start..].iter().position(|line| *line == "}").expect("its end") + 1;
    let answer = lines[start..end].join("\n").replace("count += 1;", "count += 2;");
    let mock = MockProvider::start(Reply::text(&format!("```rust\n{answer}\n```")));
    let mut server = TestServer::start_with(Options {
        env: vec![("SWITCHBOARD_DEBUG_METHODS", "1".to_owned()), ("MOCK_KEY", "bench-key".to_owned())],
        args: Vec::new(),
    });
    let options = json!({
        "providers": {"mock": {"kind": "openai", "model": "mock", "base_url": format!("{}/v1", mock.base_url), "api_key_env": "MOCK_KEY"}},
        "completion": {"enabled": false},
        "actions": {"providers": ["mock"]},
    });
    let capabilities = json!({
        "general": {"positionEncodings": ["utf-16"]},
        "window": {"workDoneProgress": true},
        "workspace": {"workspaceEdit": {"documentChanges": true}},
    });
    server.initialize_with(capabilities, options);
    let uri = "file:///bench/actions.rs";
    server.open(uri, "rust", &text);
    // Cursors inside function bodies, spread over the file.
    let bodies: Vec<usize> =
        lines.iter().enumerate().filter(|(_, line)| line.starts_with("        ")).map(|(n, _)| n).collect();
    let positions: Vec<usize> = (0..scale.positions).map(|i| bodies[i * bodies.len() / scale.positions]).collect();
    let list = |server: &mut TestServer, line: usize| {
        server.call(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": line, "character": 8}, "end": {"line": line, "character": 8}},
                   "context": {"diagnostics": [], "triggerKind": 1}}),
        )
    };
    // The first listing parses the whole file; warm up as an editor would have.
    for line in positions.iter().take(scale.warmup) {
        list(&mut server, *line);
    }
    let mut listing = Vec::with_capacity(positions.len());
    let mut offered = 0;
    for line in &positions {
        let started = Instant::now();
        let result = list(&mut server, *line);
        listing.push(started.elapsed());
        offered = offered.max(result.as_array().map_or(0, Vec::len));
    }
    let listing_calls = mock.request_count();
    let runs = (scale.positions / 10).max(3);
    let mut to_edit = Vec::with_capacity(runs);
    let mut edit_lines = 0;
    for _ in 0..runs {
        let actions = list(&mut server, start + 2);
        let improve = actions
            .as_array()
            .and_then(|actions| {
                actions.iter().find(|a| a["title"].as_str().is_some_and(|t| t.starts_with("AI: Improve")))
            })
            .expect("an improve action")
            .clone();
        let started = Instant::now();
        let response = server.request(
            "workspace/executeCommand",
            json!({"command": improve["command"]["command"], "arguments": improve["command"]["arguments"]}),
        );
        assert!(response.get("error").is_none(), "{response}");
        let edit = server.server_request("workspace/applyEdit", Duration::from_secs(10)).expect("an edit");
        to_edit.push(started.elapsed());
        let edits = &edit["params"]["edit"]["documentChanges"][0]["edits"];
        edit_lines = edits.as_array().map_or(0, |edits| {
            edits
                .iter()
                .map(|e| {
                    (e["range"]["end"]["line"].as_u64().unwrap_or(0)
                        - e["range"]["start"]["line"].as_u64().unwrap_or(0)) as usize
                })
                .sum()
        });
        server.take_notifications("$/progress", Duration::from_millis(5));
    }
    Actions { lines: lines.len(), listing, offered, listing_calls, to_edit, edit_lines }
}

fn report_actions(actions: &Actions) {
    let lines = [
        String::new(),
        format!("{:<58} {:<34} target", "code actions", ""),
        "-".repeat(100),
        format!(
            "{:<58} {:<34} p50 < 1 ms",
            format!("listing round trip p50/p95/p99 ({} pos., {} lines)", actions.listing.len(), actions.lines),
            pcts(&actions.listing)
        ),
        format!("{:<58} {:<34} 0", "  provider calls for all listings", actions.listing_calls.to_string()),
        format!("{:<58} {:<34}", "  actions offered inside a function", actions.offered.to_string()),
        format!(
            "{:<58} {:<34}",
            format!("command to applied edit, instant provider ({} runs)", actions.to_edit.len()),
            pcts(&actions.to_edit)
        ),
        format!("{:<58} {:<34}", "  lines replaced by a one-line change", actions.edit_lines.to_string()),
    ];
    for line in lines {
        say(&line);
    }
    assert_eq!(actions.listing_calls, 0, "listing code actions called the model");
    assert_eq!(actions.edit_lines, 1, "a one-line change must be a one-line edit");
}

// ---------------------------------------------------------------------------------------------
// The report

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn sorted(values: &[Duration]) -> Vec<Duration> {
    let mut values = values.to_vec();
    values.sort();
    values
}

fn ms(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64() * 1000.0)
}

fn pcts(values: &[Duration]) -> String {
    let values = sorted(values);
    format!(
        "{} / {} / {} ms",
        ms(percentile(&values, 0.5)),
        ms(percentile(&values, 0.95)),
        ms(percentile(&values, 0.99))
    )
}

fn report(scale: Scale, overhead: &Overhead, peers: &[Peer], memory: &Memory, through: &Through, burst: &Burst) {
    let mib = |kib: u64| kib as f64 / 1024.0;
    let rtt = sorted(&overhead.rtt);
    let direct = sorted(&overhead.direct_mock);
    let handling = sorted(&overhead.mock_handling);
    let per_edit_wall = overhead.edits_wall / overhead.edits.max(1) as u32;
    let per_edit_cpu = overhead.edits_cpu / overhead.edits.max(1) as u32;
    let ping_p50 = percentile(&sorted(&overhead.ping), 0.5);
    // The peers' figures are older ones, measured elsewhere, except llm-ls's round trip when
    // `SWITCHBOARD_BENCH_LLM_LS` has it measured here (the first of `peers`: the same context).
    let (peers_head, older) = if peers.is_empty() {
        ("peers, older figures: llm-ls | lsp-ai", "")
    } else {
        ("peers: llm-ls | lsp-ai (* older figure)", "*")
    };
    let round_trip_peers = match peers.first() {
        Some(llm_ls) => {
            let rtt = sorted(&llm_ls.rtt);
            format!("{}/{} | 4.27/7.81* (p50/p99)", ms(percentile(&rtt, 0.5)), ms(percentile(&rtt, 0.99)))
        }
        None => "0.32/0.47 | 4.27/7.81 (p50/p99)".to_owned(),
    };
    let lines = [
        String::new(),
        format!("{:<58} {:<34} {:<40} target", "measure", "switchboard", peers_head),
        "-".repeat(150),
        format!(
            "{:<58} {:<34} {:<40} p50 <= 0.35, p99 <= 0.6",
            format!("completion round trip p50/p95/p99 ({} pos., {} lines, kept alive)", rtt.len(), overhead.lines),
            pcts(&overhead.rtt),
            round_trip_peers
        ),
        format!(
            "{:<58} {:<34} {:<40}",
            "  prompt bytes per request, as the provider received them",
            overhead.prompt_bytes.to_string(),
            peers.first().map(|llm_ls| format!("{} | -", llm_ls.prompt_bytes)).unwrap_or_default()
        ),
        format!(
            "{:<58} {:<34}",
            "  the provider alone, straight from the bench (kept alive)",
            pcts(&overhead.direct_mock)
        ),
        format!("{:<58} {:<34}", "  the mock's own handling p50/p95/p99", pcts(&overhead.mock_handling)),
        format!(
            "{:<58} {:<34}",
            "  round trip minus provider alone (p50 - p50)",
            format!("{} ms", ms(percentile(&rtt, 0.5).saturating_sub(percentile(&direct, 0.5))))
        ),
        format!("{:<58} {:<34}", "  server CPU per completion", format!("{} ms", ms(overhead.server_cpu_per_request))),
        format!(
            "{:<58} {:<34}",
            "  an unknown method's round trip p50 (LSP over stdio)",
            format!("{} ms", ms(ping_p50))
        ),
        format!(
            "{:<58} {:<34}",
            "  answered / provider calls / new connections",
            format!("{} / {} of {} / {}", overhead.answered, overhead.provider_calls, rtt.len(), overhead.connections)
        ),
        format!(
            "{:<58} {:<34}",
            "  first request (parses the whole file)",
            format!("{} ms", ms(overhead.first_request))
        ),
        format!(
            "{:<58} {:<34} {:<40} <= 0.05 ms",
            format!("keystroke: wall per edit ({} edits, then a round trip)", overhead.edits),
            format!("{} ms", ms(per_edit_wall)),
            format!("19.5{older} | 1.13{older} ms")
        ),
        format!(
            "{:<58} {:<34}",
            "  server CPU per edit (schedstat | utime+stime)",
            format!("{} ms | {} ms", ms(per_edit_cpu), ms(overhead.edits_cpu_ticks / overhead.edits.max(1) as u32))
        ),
        format!("{:<58} {:<34}", "  edits applied (version and text checked)", overhead.edits_ok.to_string()),
        format!(
            "{:<58} {:<34} {:<40} <= 10 MiB growth",
            format!("RSS after opening {} files x {} lines", memory.files, memory.file_lines),
            format!(
                "{:.1} MiB (+{:.1} MiB)",
                mib(memory.opened_kib),
                mib(memory.opened_kib.saturating_sub(memory.before_kib))
            ),
            format!("+127{older} MiB | +10.8{older} MiB")
        ),
        format!(
            "{:<58} {:<34}",
            "  after one completion in each (trees, contexts)",
            format!(
                "{:.1} MiB (+{:.1} MiB)",
                mib(memory.completed_kib),
                mib(memory.completed_kib.saturating_sub(memory.before_kib))
            )
        ),
        format!(
            "{:<58} {:<34}",
            "  before opening / text opened",
            format!("{:.1} MiB / {:.1} MiB", mib(memory.before_kib), memory.text_bytes as f64 / 1048576.0)
        ),
        format!(
            "{:<58} {:<34} {:<40} 0",
            format!("provider calls typing through 40 chars ({} requests)", through.requests),
            through.calls_while_typing.to_string(),
            ""
        ),
        format!(
            "{:<58} {:<34}",
            "  answers that were the remaining text",
            format!("{} of {}", through.requests - through.wrong.len(), through.requests)
        ),
        format!("{:<58} {:<34}", "  typed-through round trip p50/p95/p99", pcts(&through.rtt)),
        format!(
            "{:<58} {:<34}",
            "  first answer / its calls / calls once typed in full",
            format!(
                "{:?} / {} / {}",
                through.first_answer.as_deref().unwrap_or("none"),
                through.first_calls,
                through.calls_after_complete
            )
        ),
        format!(
            "{:<58} {:<34} {:<40} <= 10",
            format!("provider calls for {} keystrokes 50 ms apart", burst.keystrokes),
            burst.calls.to_string(),
            ""
        ),
        format!(
            "{:<58} {:<34}",
            "  answered requests / wall time",
            format!("{} of {} / {} ms", burst.answered, burst.keystrokes, burst.elapsed.as_millis())
        ),
    ];
    for line in lines {
        say(&line);
    }
    say(&format!(
        "\n(ms; {} cursor positions; the mock's handling is from its first request line to its last byte; \
         scale {:?}; {})",
        handling.len(),
        scale,
        if peers.is_empty() {
            "the peers' figures are older ones, measured elsewhere (docs/benchmarks.md); \
             SWITCHBOARD_BENCH_LLM_LS=<llm-ls binary> measures llm-ls's round trip here"
        } else {
            "* an older figure, measured elsewhere (docs/benchmarks.md); llm-ls's round trip and prompt bytes \
             are measured here, with Switchboard's context size (the side-by-side table below)"
        }
    ));
    for (typed, expected, got) in &through.wrong {
        say(&format!("typing through: after {typed} characters expected {expected:?}, got {got:?}"));
    }
    assert!(through.first_answer.is_some(), "no suggestion to type through");
    assert!(through.wrong.is_empty(), "typing through a suggestion must answer its remaining text");
}
