//! A real VS Code as the client: code-server (VS Code 1.99 in the browser, whose extension host
//! runs extensions in Node exactly as desktop VS Code does) with the packaged extension
//! (`editors/vscode`, built into a `.vsix` by its `scripts/package.sh`), driven by playwright-core
//! in Debian's chromium (`tests/e2e/editors/vscode/driver.mjs`), against the built binary and
//! loopback model vendors.
//!
//! One VS Code session covers, in order: the extension activates and starts the server (found
//! through `switchboard.path`, with the key from `switchboard.server.extraEnv`); ghost text
//! appears, `Tab` accepts it and the saved file has it; the status bar names the provider; an AI
//! action from the `Ctrl+.` menu runs with progress in the status bar and its edit lands; the
//! "custom instruction" command runs an instruction typed in the input box; a failing provider,
//! switched to live through the settings (`workspace/didChangeConfiguration`), is told in one
//! notification however many suggestions are asked for.
//!
//! code-server, playwright-core and chromium come from `./scripts/test`, which installs them into
//! `target/vscode-test` (`tests/e2e/editors/vscode/install.sh`). A missing tool fails the test
//! with that instruction: this test never passes silently without VS Code.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::provider::{MockProvider, Reply};

/// The file being edited; the cursor goes to its end (the empty body of `square`), where the
/// driver types `ret`.
const SOURCE: &str = "def add(a, b):\n    return a + b\n\n\ndef square(x):\n    ";
/// What the completion model sends after the prefix `…def square(x):\n    ret`.
const MODEL_TEXT: &str = "urn x * x";
/// The actions model's answer to "AI: Document `add`": the function with a docstring.
const DOCUMENTED: &str = "```python\ndef add(a, b):\n    \"\"\"Return the sum of a and b.\"\"\"\n    return a + b\n```";
/// The actions model's answer to the custom instruction on the last line.
const POWER: &str = "```python\n    return x ** 2\n```";
/// The file once the session has saved it for the last time.
const EXPECTED: &str = "def add(a, b):\n    \"\"\"Return the sum of a and b.\"\"\"\n    return a + b\n\n\ndef square(x):\n    return x ** 2";
/// The whole driver run, browser start to the last step.
const DRIVER_TIMEOUT: Duration = Duration::from_secs(100);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the server crate sits in the workspace").to_path_buf()
}

/// What the test needs, from `$SWITCHBOARD_VSCODE_TEST_DIR` or `target/vscode-test`.
struct Tools {
    install: PathBuf,
    code_server: PathBuf,
    chromium: PathBuf,
}

fn tools() -> Tools {
    let install = std::env::var_os("SWITCHBOARD_VSCODE_TEST_DIR")
        .map_or_else(|| workspace_root().join("target/vscode-test"), PathBuf::from);
    let fix = "run ./scripts/test, which installs code-server, playwright-core and chromium into target/vscode-test \
               (or tests/e2e/editors/vscode/install.sh)";
    let code_server = install.join("node_modules/code-server/out/node/entry.js");
    assert!(code_server.is_file(), "code-server is not installed ({} is missing): {fix}", code_server.display());
    let playwright = install.join("node_modules/playwright-core/package.json");
    assert!(playwright.is_file(), "playwright-core is not installed ({} is missing): {fix}", playwright.display());
    let chromium =
        std::env::var_os("SWITCHBOARD_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(chromium.is_file(), "chromium is not installed ({} is missing): {fix}", chromium.display());
    let extension_deps = workspace_root().join("editors/vscode/node_modules/@vscode/vsce");
    assert!(extension_deps.is_dir(), "the extension's npm dependencies are not installed: {fix}");
    let node = Command::new("node").arg("--version").output();
    assert!(node.is_ok_and(|out| out.status.success()), "node is not on PATH: {fix}");
    Tools { install, code_server, chromium }
}

/// Builds the `.vsix` from the extension's sources, as a user does (`scripts/package.sh`).
fn package_extension(dir: &Path) -> PathBuf {
    let out = dir.join("switchboard.vsix");
    let output = Command::new("bash")
        .arg(workspace_root().join("editors/vscode/scripts/package.sh"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run editors/vscode/scripts/package.sh");
    assert!(
        output.status.success() && out.is_file(),
        "packaging the extension failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("a free loopback port").port()
}

/// A process started in its own process group; dropping it ends the whole group (code-server's
/// extension host and the server it started; chromium under the driver).
struct Group {
    child: Child,
}

impl Group {
    fn spawn(command: &mut Command) -> Self {
        let child =
            command.process_group(0).spawn().unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
        Self { child }
    }

    /// Waits for the process, ending the group after `timeout`; its exit status if it finished.
    fn wait(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Some(status);
            }
            if started.elapsed() > timeout {
                self.end();
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn end(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Stragglers of the group (the extension host, the server) after the leader left.
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.end();
    }
}

/// The environment of every process of the session: hermetic (a scratch HOME, XDG folders and
/// TMPDIR; no keys from the developer's machine; no Switchboard config).
fn isolate(command: &mut Command, home: &Path) {
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("TMPDIR", home.join("tmp"))
        .env_remove("SWITCHBOARD_CONFIG")
        .env_remove("SWITCHBOARD_SERVER")
        .env_remove("VSCODE_IPC_HOOK_CLI")
        .env_remove("NODE_OPTIONS");
    // Every key variable a provider kind reads or is detected by, and the mock's.
    for key in switchboard_providers::kinds::key_variables().into_iter().chain(["MOCK_KEY"]) {
        command.env_remove(key);
    }
}

fn mock_provider(mock: &MockProvider) -> Value {
    json!({
        "kind": "openai",
        "model": "mock",
        "base_url": format!("{}/v1", mock.base_url),
        "api_key_env": "MOCK_KEY",
        "fim": "native",
    })
}

/// The machine settings (code-server's "Remote" settings, `Machine/settings.json`): in a remote
/// window VS Code reads settings of `machine-overridable` scope (the binary, its environment, the
/// providers) only from there, as for Remote-SSH and WSL.
fn machine_settings(completion: &MockProvider, actions: &MockProvider, broken: &MockProvider) -> Value {
    json!({
        "switchboard.path": env!("CARGO_BIN_EXE_switchboard"),
        "switchboard.server.extraEnv": {"MOCK_KEY": "test-key"},
        "switchboard.providers": {
            "mock": mock_provider(completion),
            "mock_actions": mock_provider(actions),
            "broken": mock_provider(broken),
        },
    })
}

/// The user settings: VS Code quiet and offline, inline suggestions on and the suggest widget
/// off (so `Tab` goes to the ghost text), and Switchboard's settings in the server's schema.
fn user_settings() -> Value {
    json!({
        "telemetry.telemetryLevel": "off",
        "update.mode": "none",
        "extensions.autoCheckUpdates": false,
        "extensions.autoUpdate": false,
        "extensions.ignoreRecommendations": true,
        "workbench.startupEditor": "none",
        "workbench.enableExperiments": false,
        "workbench.tips.enabled": false,
        "remote.autoForwardPorts": false,
        "security.workspace.trust.enabled": false,
        "chat.commandCenter.enabled": false,
        "editor.inlineSuggest.enabled": true,
        "editor.quickSuggestions": {"other": "off", "comments": "off", "strings": "off"},
        "editor.suggestOnTriggerCharacters": false,
        "editor.wordBasedSuggestions": "off",
        "editor.acceptSuggestionOnEnter": "off",
        "editor.autoClosingBrackets": "never",
        "files.autoSave": "off",
        "files.insertFinalNewline": false,
        "switchboard.completion.providers": ["mock"],
        "switchboard.completion.debounce_ms": 0,
        "switchboard.actions.providers": ["mock_actions"],
    })
}

/// Polls code-server's `/healthz` until it answers 200.
fn wait_healthy(port: u16, server: &mut Group, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        if let Some(status) = server.child.try_wait().expect("wait") {
            panic!("code-server exited ({status}):\n{}", std::fs::read_to_string(log).unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("code-server did not answer /healthz within 30 s:\n{}", std::fs::read_to_string(log).unwrap_or_default());
}

fn tail(text: &str, n_lines: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n_lines)..].join("\n")
}

/// The extension's output channel (the server's stderr), from code-server's logs.
fn extension_log(user_data: &Path) -> String {
    fn find(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                find(&path, found);
            } else if path.file_name().is_some_and(|name| name.to_string_lossy().contains("Switchboard")) {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    find(&user_data.join("logs"), &mut found);
    found
        .iter()
        .map(|path| format!("== {}\n{}", path.display(), tail(&std::fs::read_to_string(path).unwrap_or_default(), 60)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn step<'a>(result: &'a Value, name: &str) -> &'a Value {
    result["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|step| step["name"] == name))
        .unwrap_or_else(|| panic!("the driver reports no step {name}: {result:#}"))
}

fn any_string_contains(value: &Value, needle: &str) -> bool {
    match value {
        Value::String(text) => text.contains(needle),
        Value::Array(items) => items.iter().any(|item| any_string_contains(item, needle)),
        Value::Object(map) => map.values().any(|item| any_string_contains(item, needle)),
        _ => false,
    }
}

#[test]
#[expect(
    clippy::print_stderr,
    reason = "the run's step timings, and where its files are kept, are for the person running it"
)]
fn vscode_extension_ghost_text_actions_and_one_failure_notification() {
    let tools = tools();
    let completion = MockProvider::start(Reply::text(MODEL_TEXT));
    // Streamed slowly enough for the progress to be seen in the status bar.
    let slow = |text: &str| Reply::Stream {
        chunks: text.split_inclusive('\n').map(str::to_owned).collect(),
        delay: Duration::from_millis(250),
    };
    let actions = MockProvider::start(Reply::text("```python\nunexpected()\n```"));
    actions.push(slow(DOCUMENTED));
    actions.push(slow(POWER));
    let broken = MockProvider::start(Reply::Error {
        status: 401,
        body: json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
            "param": null, "code": "invalid_api_key"}}),
    });

    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    let user_data = dir.path().join("user-data");
    let extensions = dir.path().join("extensions");
    let workspace = dir.path().join("project");
    let shots = dir.path().join("screenshots");
    for folder in [home.join("tmp"), user_data.join("User"), extensions.clone(), workspace.join(".git"), shots.clone()]
    {
        std::fs::create_dir_all(folder).expect("folders");
    }
    let file = workspace.join("main.py");
    std::fs::write(&file, SOURCE).expect("write source");
    let settings_file = user_data.join("User/settings.json");
    std::fs::write(&settings_file, serde_json::to_string_pretty(&user_settings()).expect("json"))
        .expect("write settings");
    std::fs::create_dir_all(user_data.join("Machine")).expect("folders");
    let machine = machine_settings(&completion, &actions, &broken);
    std::fs::write(user_data.join("Machine/settings.json"), serde_json::to_string_pretty(&machine).expect("json"))
        .expect("write settings");

    let started = Instant::now();
    let vsix = package_extension(dir.path());
    let packaged = started.elapsed();
    let code_server = |command: &mut Command| {
        command
            .arg(&tools.code_server)
            .arg("--user-data-dir")
            .arg(&user_data)
            .arg("--extensions-dir")
            .arg(&extensions)
            .args(["--disable-telemetry", "--disable-update-check", "--disable-workspace-trust"]);
        isolate(command, &home);
    };
    let mut install = Command::new("node");
    code_server(&mut install);
    let installed = install.arg("--install-extension").arg(&vsix).output().expect("code-server --install-extension");
    assert!(
        installed.status.success(),
        "code-server --install-extension failed:\n{}{}",
        String::from_utf8_lossy(&installed.stdout),
        String::from_utf8_lossy(&installed.stderr)
    );
    let installed_at = started.elapsed();

    let port = free_port();
    let server_log = dir.path().join("code-server.log");
    let mut command = Command::new("node");
    code_server(&mut command);
    command
        .args(["--bind-addr", &format!("127.0.0.1:{port}"), "--auth", "none", "--disable-getting-started-override"])
        .arg(&workspace)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&server_log).expect("log file"))
        .stderr(std::fs::File::create(dir.path().join("code-server.err")).expect("log file"));
    let mut server = Group::spawn(&mut command);
    wait_healthy(port, &mut server, &server_log);

    let out = dir.path().join("result.json");
    let (driver_out, driver_err) = (dir.path().join("driver.out"), dir.path().join("driver.err"));
    let mut command = Command::new("node");
    command
        .arg(workspace_root().join("tests/e2e/editors/vscode/driver.mjs"))
        .env("SB_INSTALL", &tools.install)
        .env("SB_URL", format!("http://127.0.0.1:{port}"))
        .env("SB_WORKSPACE", &workspace)
        .env("SB_FILE", &file)
        .env("SB_SETTINGS", &settings_file)
        .env("SB_BROKEN", json!({"switchboard.completion.providers": ["broken"]}).to_string())
        .env("SB_OUT", &out)
        .env("SB_SHOTS", &shots)
        .env("SB_CHROMIUM", &tools.chromium)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&driver_out).expect("driver stdout"))
        .stderr(std::fs::File::create(&driver_err).expect("driver stderr"));
    isolate(&mut command, &home);
    let mut driver = Group::spawn(&mut command);
    let status = driver.wait(DRIVER_TIMEOUT);
    let elapsed = started.elapsed();
    drop(driver);
    drop(server);

    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    let logs = || {
        format!(
            "driver stdout:\n{}\ndriver stderr:\n{}\ncode-server log (tail):\n{}\nextension output:\n{}\nscreenshots: {}",
            read(&driver_out),
            read(&driver_err),
            tail(&read(&server_log), 30),
            extension_log(&user_data),
            shots.display()
        )
    };
    let result: Value = serde_json::from_str(&read(&out)).unwrap_or(Value::Null);
    if status.is_none_or(|status| !status.success()) || result["ok"] != true {
        // Keep the folder (screenshots, logs) for a look after the failure.
        let kept = dir.keep();
        panic!(
            "the VS Code driver failed ({}):\n{}\n{}\n(kept {})",
            status.map_or_else(|| format!("timed out after {DRIVER_TIMEOUT:?}"), |status| status.to_string()),
            serde_json::to_string_pretty(&result).unwrap_or_default(),
            logs(),
            kept.display()
        );
    }
    let timings: Vec<String> = result["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|step| format!("{} {} ms", step["name"].as_str().unwrap_or("?"), step["ms"]))
        .collect();
    eprintln!(
        "vscode: packaged in {packaged:?}, installed at {installed_at:?}, whole run {elapsed:?}; steps: {}\n\
         vscode: failure notification: {}",
        timings.join(", "),
        step(&result, "provider_failure")["detail"]["notifications"]
    );
    if std::env::var_os("SWITCHBOARD_VSCODE_KEEP").is_some() {
        eprintln!("vscode: kept {} (screenshots in screenshots/)", dir.keep().display());
    }

    // Ghost text: what the model wrote after the typed word, accepted with Tab and saved.
    let ghost = &step(&result, "accept_with_tab")["detail"];
    assert!(ghost["ghost"].as_str().is_some_and(|text| text.contains("urn x * x")), "{ghost}");
    assert!(ghost["file"].as_str().is_some_and(|text| text.ends_with("def square(x):\n    return x * x")), "{ghost}");
    assert!(
        completion.requests().iter().any(|request| any_string_contains(&request.body, "def square(x):\n    ret")),
        "no completion request carried the file's prefix"
    );
    // The light bulb menu listed the AI actions; the chosen one showed progress and applied.
    let menu = &step(&result, "code_action_menu")["detail"]["entries"];
    assert!(any_string_contains(menu, "AI: Document"), "{menu}");
    let progress = &step(&result, "action_progress")["detail"];
    assert!(progress.as_str().is_some_and(|item| item.contains("AI: Document")), "{progress}");
    // The custom instruction went to the model as the instruction.
    let asked = actions.requests();
    assert_eq!(asked.len(), 2, "one request per action: {asked:#?}");
    assert!(any_string_contains(&asked[1].body, "use the power operator"), "{:#}", asked[1].body);
    assert_eq!(read(&file), EXPECTED, "the file as last saved");
    // The failing provider: asked, and told once.
    assert!(broken.request_count() >= 1, "the live settings change never reached the server");
    let failure = &step(&result, "provider_failure")["detail"];
    assert_eq!(failure["notifications"].as_array().map(Vec::len), Some(1), "exactly one notification: {failure:#}");
    assert_eq!(failure["center"].as_array().map(Vec::len), Some(1), "one in the notification center: {failure:#}");
    assert!(failure["statusbar"].as_str().is_some_and(|item| item.contains("broken")), "{failure:#}");
    // The status bar item opens the rendered `switchboard/status`; the doctor command its report.
    let status = step(&result, "status_output")["detail"].as_str().unwrap_or_default();
    assert!(status.contains("broken: 1 requests") || status.contains("broken:"), "{status}");
    let doctor = step(&result, "doctor")["detail"].as_str().unwrap_or_default();
    assert!(doctor.contains("switchboard doctor"), "{doctor}");
}
