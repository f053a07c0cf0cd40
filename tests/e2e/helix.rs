//! A real Helix as the client, driven through tmux by `tests/e2e/editors/helix_driver.sh`: Helix
//! (no inline completion) starts the built binary as python's server with
//! `only-features = ["completion", "code-action"]`, as `editors/helix/languages.toml` sets it up,
//! asks for completions while the user types, shows the AI item in its menu, and the accepted item
//! ends up in the written file.
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

/// What one Helix session produced: the written file, and everything to explain a failure.
struct HelixRun {
    file_text: String,
    details: String,
    mock: MockProvider,
}

/// Helix types `keys` at the end of line 6 of [`SOURCE`], the model answers `model_text`, the menu must show
/// `expect`, and the accepted item is written to the file.
fn run_helix(model_text: &str, expect: &str, keys: &str) -> HelixRun {
    let hx = helix_binary();
    assert!(
        Command::new("tmux").arg("-V").output().is_ok_and(|output| output.status.success()),
        "tmux is not installed: run ./scripts/test, which installs it (apt-get install tmux)"
    );
    let mock = MockProvider::start(Reply::text(model_text));
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
            "driver stdout:\n{stdout}\nstderr:\n{}\nmenu screen:\n{}\nafter accepting:\n{}\nfile:\n{file_text}\nserver log (tail):\n{}",
            String::from_utf8_lossy(&output.stderr),
            read("screen-menu.txt"),
            read("screen-accepted.txt"),
            read("server.log")
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n"),
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
#[test]
fn helix_inserts_a_multi_line_item_with_the_indentation_it_has() {
    // On the empty line of the body, where a suggestion may span lines (C-x asks).
    let run = run_helix("return (\n        x * x  # $HOME\n    )", "return (", "");
    let expected = "def square(x):\n    return (\n        x * x  # $HOME\n    )\n";
    assert!(run.file_text.ends_with(expected), "the written file:\n{}\n{}", run.file_text, run.details);
}
