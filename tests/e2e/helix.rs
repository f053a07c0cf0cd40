//! A real Helix as the client, driven through tmux: Helix (no inline completion) starts the built
//! binary as python's server with `only-features = ["completion", "code-action"]`, as
//! `editors/helix/languages.toml` sets it up.
//!
//! - Completion (`tests/e2e/editors/helix_driver.sh`): Helix asks for completions while the user
//!   types, shows the AI item in its menu, and the accepted item ends up in the written file.
//! - Code actions (`tests/e2e/editors/helix_action_driver.sh`): `<space>a` lists the AI actions,
//!   choosing one runs its command (`workspace/executeCommand`; `code-action` is the only feature
//!   this needs), Helix stays responsive while the model writes, shows the progress and errors in
//!   its status line, and applies the edit (`workspace/applyEdit`) that ends up in the written file.
//!
//! Helix 25.07 comes from `./scripts/test` (into `target/editors/forky`, with tmux); a missing
//! editor or tmux fails the test with that instruction.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::provider::{MockProvider, Reply};

const SOURCE: &str = "def add(a, b):\n    return a + b\n\n\ndef square(x):\n    \n";
const EXPECTED_LINE: &str = "    return x * x";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the server crate sits in the workspace").to_path_buf()
}

fn helix_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("SWITCHBOARD_HELIX") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "SWITCHBOARD_HELIX={} does not exist; run ./scripts/test, which installs Helix",
            path.display()
        );
        return path;
    }
    let editors = std::env::var_os("SWITCHBOARD_EDITORS_DIR")
        .map_or_else(|| workspace_root().join("target/editors"), PathBuf::from);
    let path = editors.join("forky/bin/hx");
    assert!(
        path.is_file(),
        "Helix is not installed (looked at $SWITCHBOARD_HELIX and {}): run ./scripts/test, which installs it",
        path.display()
    );
    path
}

fn toml_string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// The last `n` lines of `text`.
fn log_tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn assert_tmux() {
    assert!(
        Command::new("tmux").arg("-V").output().is_ok_and(|output| output.status.success()),
        "tmux is not installed: run ./scripts/test, which installs it (apt-get install tmux)"
    );
}

/// What one Helix session produced: the written file, and everything to explain a failure.
struct HelixRun {
    file_text: String,
    details: String,
    mock: MockProvider,
}

/// Helix types `keys` at the end of line 6 of [`SOURCE`], the model answers `model_text`, the menu must show
/// `expect`, and the accepted item is written to the file.
fn run_helix(model_text: &str, expect: &str, keys: &str) -> HelixRun {
    run_helix_with(Reply::text(model_text), expect, keys, &[])
}

/// [`run_helix`] with the vendor's reply and extra driver environment given.
fn run_helix_with(reply: Reply, expect: &str, keys: &str, env: &[(&str, &str)]) -> HelixRun {
    let hx = helix_binary();
    assert_tmux();
    let mock = MockProvider::start(reply);
    let dir = tempfile::tempdir().expect("temp dir");
    let work = dir.path();
    let helix_config = work.join("config/helix");
    std::fs::create_dir_all(&helix_config).expect("config dir");
    std::fs::create_dir_all(work.join("proj/.git")).expect("project dir");
    std::fs::create_dir_all(work.join("cache")).expect("cache dir");
    let file = work.join("proj/main.py");
    std::fs::write(&file, SOURCE).expect("write source");
    let server_log = work.join("server.log");
    // Shaped like editors/helix/languages.toml, with the loopback vendor as the only provider.
    let languages = format!(
        r#"[language-server.switchboard]
command = {bin}
args = ["--log-file", {log}, "--log-level", "debug"]
environment = {{ MOCK_KEY = "test-key" }}

[language-server.switchboard.config.providers.mock]
kind = "openai"
model = "mock"
base_url = {base_url}
api_key_env = "MOCK_KEY"
fim = "native"

[language-server.switchboard.config.completion]
providers = ["mock"]
debounce_ms = 0

[[language]]
name = "python"
language-servers = [{{ name = "switchboard", only-features = ["completion", "code-action"] }}]
"#,
        bin = toml_string(env!("CARGO_BIN_EXE_switchboard")),
        log = toml_string(&server_log.display().to_string()),
        base_url = toml_string(&format!("{}/v1", mock.base_url)),
    );
    std::fs::write(helix_config.join("languages.toml"), languages).expect("languages.toml");
    std::fs::write(helix_config.join("config.toml"), "").expect("config.toml");

    let started = Instant::now();
    let output = Command::new(workspace_root().join("tests/e2e/editors/helix_driver.sh"))
        .arg(&hx)
        .arg(work)
        .env("EXPECT", expect)
        .env("KEYS", keys)
        .env("SERVER_LOG", &server_log)
        .envs(env.iter().copied())
        .env_remove("SWITCHBOARD_CONFIG")
        .env_remove("TMUX")
        .output()
        .expect("run helix_driver.sh");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let read = |name: &str| std::fs::read_to_string(work.join(name)).unwrap_or_default();
    let file_text = std::fs::read_to_string(&file).unwrap_or_default();
    let details = || {
        format!(
            "driver stdout:\n{stdout}\nstderr:\n{}\nmenu screen:\n{}\nafter accepting:\n{}\nerror screens:\n{}\n{}\nfile:\n{file_text}\nserver log (tail):\n{}",
            String::from_utf8_lossy(&output.stderr),
            read("screen-menu.txt"),
            read("screen-accepted.txt"),
            read("screen-error-1.txt"),
            read("screen-error-2.txt"),
            log_tail(&read("server.log"), 30),
        )
    };
    assert!(output.status.success(), "the Helix driver failed ({})\n{}", output.status, details());
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
    let details = details();
    HelixRun { file_text, details, mock }
}

#[test]
fn helix_shows_and_accepts_an_ai_completion_item() {
    let run = run_helix("urn x * x", "return x * x", "ret");
    assert!(
        run.file_text.lines().any(|line| line == EXPECTED_LINE),
        "the written file lacks {EXPECTED_LINE:?}\n{}",
        run.details
    );
    assert!(
        run.mock.requests().iter().any(|request| request.body.to_string().contains(r"def square(x):\n    re")),
        "no provider request carried the typed prefix\n{}",
        run.details
    );
}

/// Defect: Helix indented every line after the first of a multi-line AI item once more (the item
/// was a `Snippet`, which Helix renders with the cursor line's indentation added, and parses for
/// `$` tabstops). The text written must be exactly what ghost text would have shown.
/// A rejected key must not go unseen in Helix, whose status line forgets a message at the next
/// key: each `C-x` the user presses tells the failure again.
#[test]
fn helix_tells_a_provider_failure_each_time_the_user_asks() {
    let run = run_helix_with(Reply::blocked_credential(), "unused", "ret", &[("EXPECT_ERROR", "no suggestion")]);
    assert!(run.details.contains("PASS: C-x shows the failure in the status line (round 2)"), "{}", run.details);
    assert!(run.mock.request_count() >= 1, "the vendor was asked");
}

#[test]
fn helix_inserts_a_multi_line_item_with_the_indentation_it_has() {
    // On the empty line of the body, where a suggestion may span lines (C-x asks).
    let run = run_helix("return (\n        x * x  # $HOME\n    )", "return (", "");
    let expected = "def square(x):\n    return (\n        x * x  # $HOME\n    )\n";
    assert!(run.file_text.ends_with(expected), "the written file:\n{}\n{}", run.file_text, run.details);
}

/// A method with a bug, for the code actions: lines 5-9 are `Cart.total`.
const CART: &str = "import math\n\n\nclass Cart:\n    def total(self, items):\n        result = 0\n        for item in items:\n            result += item.price\n        return reslt\n\n\nprint(Cart().total([]))\n";

/// One code action run in Helix by `tests/e2e/editors/helix_action_driver.sh`.
struct Action<'a> {
    /// 1-based line the cursor goes to before `<space>a`.
    line: usize,
    /// The start of the menu entry to choose, and the action id the server must start.
    title: &'a str,
    id: &'a str,
    /// What shows on screen once the edit is applied.
    applied: &'a str,
    /// Typed on a new line after the last one right after choosing the action (empty: nothing).
    typed: &'a str,
    /// What the status line must show while the model writes (empty: not checked).
    status: &'a str,
    /// Helix's config.toml.
    config: &'a str,
    /// Whether the action must fail (then `applied` is the error Helix shows).
    fails: bool,
    /// Diagnostics (a JSON array) another language server publishes for the file (empty: none).
    diagnostics: &'a str,
}

/// What one code-action session produced: the written file, the driver's report, and everything
/// to explain a failure.
struct ActionRun {
    file_text: String,
    stdout: String,
    details: String,
    mock: MockProvider,
}

/// Helix opens [`CART`] as `main.py`, with switchboard as python's server for completions and code
/// actions (`only-features` as `editors/helix/languages.toml` sets it) and `reply` as the model's
/// answer; the driver runs `action` through `<space>a` and writes the file.
fn run_helix_action(reply: Reply, action: &Action<'_>) -> ActionRun {
    let hx = helix_binary();
    assert_tmux();
    let mock = MockProvider::start(reply);
    let dir = tempfile::tempdir().expect("temp dir");
    let work = dir.path();
    let helix_config = work.join("config/helix");
    std::fs::create_dir_all(&helix_config).expect("config dir");
    std::fs::create_dir_all(work.join("proj/.git")).expect("project dir");
    std::fs::create_dir_all(work.join("cache")).expect("cache dir");
    let file = work.join("proj/main.py");
    std::fs::write(&file, CART).expect("write source");
    let server_log = work.join("server.log");
    // Shaped like editors/helix/languages.toml, with the loopback vendor as the only provider for
    // actions. Completion is off, so nothing but the action asks the vendor.
    let languages = format!(
        r#"[language-server.switchboard]
command = {bin}
args = ["--log-file", {log}, "--log-level", "debug"]
environment = {{ MOCK_KEY = "test-key" }}

[language-server.switchboard.config.providers.mock]
kind = "openai"
model = "mock"
base_url = {base_url}
api_key_env = "MOCK_KEY"

[language-server.switchboard.config.completion]
enabled = false

[language-server.switchboard.config.actions]
providers = ["mock"]

[language-server.fake-pyright]
command = {other}
environment = {{ DIAGNOSTICS = {diagnostics} }}

[[language]]
name = "python"
language-servers = [{{ name = "switchboard", only-features = ["completion", "code-action"] }}{more}]
"#,
        bin = toml_string(env!("CARGO_BIN_EXE_switchboard")),
        log = toml_string(&server_log.display().to_string()),
        base_url = toml_string(&format!("{}/v1", mock.base_url)),
        other = toml_string(&workspace_root().join("tests/e2e/editors/diagnostics_server.sh").display().to_string()),
        diagnostics = toml_string(if action.diagnostics.is_empty() { "[]" } else { action.diagnostics }),
        more = if action.diagnostics.is_empty() { "" } else { ", \"fake-pyright\"" },
    );
    std::fs::write(helix_config.join("languages.toml"), languages).expect("languages.toml");
    std::fs::write(helix_config.join("config.toml"), action.config).expect("config.toml");

    let started = Instant::now();
    let output = Command::new(workspace_root().join("tests/e2e/editors/helix_action_driver.sh"))
        .arg(&hx)
        .arg(work)
        .env("LINE", action.line.to_string())
        .env("ACTION", action.title)
        .env("ACTION_ID", action.id)
        .env("APPLIED", action.applied)
        .env("TYPED", action.typed)
        .env("STATUS", action.status)
        .env("FAILS", if action.fails { "1" } else { "0" })
        .env("SELECT_LINE", if action.diagnostics.is_empty() { "0" } else { "1" })
        .env("SERVER_LOG", &server_log)
        .env_remove("SWITCHBOARD_CONFIG")
        .env_remove("TMUX")
        .output()
        .expect("run helix_action_driver.sh");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let read = |name: &str| std::fs::read_to_string(work.join(name)).unwrap_or_default();
    let file_text = std::fs::read_to_string(&file).unwrap_or_default();
    let screens = ["screen-menu.txt", "screen-typed.txt", "screen-progress.txt", "screen-applied.txt"]
        .iter()
        .filter(|name| work.join(name).exists())
        .map(|name| format!("{name}:\n{}", read(name)))
        .collect::<Vec<_>>()
        .join("\n");
    let details = format!(
        "driver stdout:\n{stdout}\nstderr:\n{}\n{screens}\nfile:\n{file_text}\nserver log (tail):\n{}",
        String::from_utf8_lossy(&output.stderr),
        log_tail(&read("server.log"), 40),
    );
    assert!(output.status.success(), "the Helix driver failed ({})\n{details}", output.status);
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}\n{details}");
    ActionRun { file_text, stdout, details, mock }
}

/// Another server (a stand-in for pyright) reports `reslt` as undefined; `<space>a` on that line
/// offers "AI: Fix: …" for it (Helix passes every server's diagnostics on), and choosing it
/// applies the model's fix as a one-line edit; the model was told the diagnostic.
#[test]
fn helix_fixes_another_servers_diagnostic_from_its_menu() {
    let answer = "```python\n    def total(self, items):\n        result = 0\n        for item in items:\n            result += item.price\n        return result\n```";
    let diagnostics = r#"[{"range":{"start":{"line":8,"character":15},"end":{"line":8,"character":20}},"severity":1,"source":"Pyright","code":"reportUndefinedVariable","message":"\"reslt\" is not defined"}]"#;
    let run = run_helix_action(
        Reply::text(answer),
        &Action {
            line: 9,
            title: "AI: Fix: \"reslt\" is not defined",
            id: "fix",
            applied: "return result",
            typed: "",
            status: "",
            config: "",
            fails: false,
            diagnostics,
        },
    );
    assert_eq!(run.file_text, CART.replace("return reslt", "return result"), "the written file\n{}", run.details);
    let requests = run.mock.requests();
    assert_eq!(requests.len(), 1, "{}", run.details);
    let prompt = requests[0].body["messages"].to_string();
    for expected in ["is not defined", "Pyright", "reportUndefinedVariable"] {
        assert!(prompt.contains(expected), "{expected} not in {prompt}\n{}", run.details);
    }
}

/// `<space>a` inside a method, "AI: Improve and simplify": the model's answer (prose around a
/// fenced, unindented method) becomes a minimal edit Helix applies, and the written file holds
/// the method rewritten at its own indentation, once, without fences or prose.
#[test]
fn helix_runs_an_ai_code_action_from_its_menu() {
    let answer = "Here is a simpler version:\n\n```python\ndef total(self, items):\n    return sum(item.price for item in items)\n```\n\nIt also fixes the typo `reslt`.";
    let run = run_helix_action(
        Reply::text(answer),
        &Action {
            line: 6,
            title: "AI: Improve and simplify",
            id: "improve",
            applied: "return sum(item.price",
            typed: "",
            status: "",
            config: "",
            fails: false,
            diagnostics: "",
        },
    );
    let expected = "import math\n\n\nclass Cart:\n    def total(self, items):\n        return sum(item.price for item in items)\n\n\nprint(Cart().total([]))\n";
    assert_eq!(run.file_text, expected, "the written file\n{}", run.details);
    let requests = run.mock.requests();
    assert_eq!(requests.len(), 1, "one model call, made when the action ran\n{}", run.details);
    assert_eq!(requests[0].path, "/v1/chat/completions");
    let prompt = requests[0].body["messages"].to_string();
    assert!(prompt.contains("return reslt") && prompt.contains("main.py"), "{prompt}\n{}", run.details);
}

/// Helix stays responsive while the model is slow: right after choosing "AI: Document", the user
/// types a line at the end of the file, which shows while the model still writes (2.4 s); the
/// progress shows in the status line; the docstring then lands in the changed document
/// (re-anchored by content), and the written file has both.
#[test]
fn helix_stays_responsive_while_an_ai_code_action_runs() {
    let chunks = [
        "```python\n",
        "    def total(self, items):\n",
        "        \"\"\"Sum the prices of `items`.\"\"\"\n",
        "        result = 0\n        for item in items:\n",
        "            result += item.price\n",
        "        return reslt\n```\n",
    ];
    let reply = Reply::Stream {
        chunks: chunks.iter().map(|chunk| (*chunk).to_owned()).collect(),
        delay: Duration::from_millis(400),
    };
    let run = run_helix_action(
        reply,
        &Action {
            line: 6,
            title: "AI: Document",
            id: "document",
            applied: "Sum the prices",
            typed: "x = 1",
            status: "switchboard: AI: Document",
            config: "[editor.lsp]\ndisplay-progress-messages = true\n",
            fails: false,
            diagnostics: "",
        },
    );
    let expected = "import math\n\n\nclass Cart:\n    def total(self, items):\n        \"\"\"Sum the prices of `items`.\"\"\"\n        result = 0\n        for item in items:\n            result += item.price\n        return reslt\n\n\nprint(Cart().total([]))\nx = 1\n";
    assert_eq!(run.file_text, expected, "the written file\n{}", run.details);
    assert!(run.stdout.contains("PASS: typed text shown"), "{}", run.details);
    assert_eq!(run.mock.request_count(), 1, "{}", run.details);
}

/// A vendor error: Helix shows the server's `window/showMessage` error in its status line, and
/// the code stays as it was.
#[test]
fn helix_shows_why_an_ai_code_action_failed() {
    let reply = Reply::Error {
        status: 500,
        body: serde_json::json!({"error": {"message": "The server had an error", "type": "server_error"}}),
    };
    let run = run_helix_action(
        reply,
        &Action {
            line: 9,
            title: "AI: Improve and simplify",
            id: "improve",
            applied: "AI: Improve and simplify `total` failed",
            typed: "",
            status: "",
            config: "",
            fails: true,
            diagnostics: "",
        },
    );
    assert_eq!(run.file_text, CART, "the written file\n{}", run.details);
    assert!(run.mock.request_count() >= 1, "the vendor was never asked\n{}", run.details);
}
