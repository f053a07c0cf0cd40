//! The command-line tools a user runs by hand: `check-config` and `doctor`.

use std::process::Command;

use crate::provider::{MockProvider, Reply};

fn switchboard(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    switchboard_in(None, args, env)
}

/// `switchboard ARGS` run from `cwd` (the test's own directory when `None`).
fn switchboard_in(cwd: Option<&std::path::Path>, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().expect("dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    if let Some(cwd) = cwd {
        command.current_dir(cwd);
    }
    command.args(args).env("XDG_CONFIG_HOME", dir.path()).env("HOME", dir.path()).env_remove("SWITCHBOARD_CONFIG");
    // Every key variable a provider kind reads or is detected by.
    for key in switchboard_providers::kinds::key_variables() {
        command.env_remove(key);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("run switchboard");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn check_config_names_every_bad_key_and_exits_one() {
    let dir = tempfile::tempdir().expect("dir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[providers.x]\nkind = \"openia\"\n[completion]\nproviders = [\"x\", \"nope\"]\ndebounce_ms = \"fast\"\n",
    )
    .expect("write");
    let (code, output) = switchboard(&["check-config", bad.to_str().expect("utf-8")], &[]);
    assert_eq!(code, 1, "{output}");
    for expected in ["providers.x.kind", "openia", "completion.providers[1]", "nope", "completion.debounce_ms"] {
        assert!(output.contains(expected), "missing {expected:?} in:\n{output}");
    }
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "[providers.x]\nkind = \"ollama\"\nmodel = \"qwen2.5-coder:1.5b-base\"\n[completion]\nproviders = [\"x\"]\n",
    )
    .expect("write");
    let (code, output) = switchboard(&["check-config", good.to_str().expect("utf-8")], &[]);
    assert_eq!((code, output.trim().ends_with(": ok")), (0, true), "{output}");
}

#[test]
fn doctor_reports_each_provider_and_how_to_fix_it_without_showing_keys() {
    let working = MockProvider::start(Reply::text("a + b"));
    let blocked = MockProvider::start(Reply::blocked_credential());
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[providers.local]\nkind = \"openai\"\nmodel = \"mock\"\nbase_url = \"{}/v1\"\napi_key_env = \"MOCK_KEY\"\nfim = \"native\"\n\
             [providers.claude]\nkind = \"anthropic\"\nmodel = \"claude-haiku-4-5\"\nbase_url = \"{}\"\napi_key_env = \"SUB_KEY\"\n\
             [completion]\nproviders = [\"local\", \"claude\"]\n[actions]\nproviders = [\"claude\"]\n",
            working.base_url, blocked.base_url
        ),
    )
    .expect("write");
    let secret = "sk-ant-oat01-SECRETSECRETSECRET-9z9z";
    let (code, output) = switchboard(
        &["--config", config.to_str().expect("utf-8"), "doctor"],
        &[("MOCK_KEY", "sk-mock-000000000000abcd"), ("SUB_KEY", secret)],
    );
    assert_eq!(code, 0, "one provider works:\n{output}");
    let local = output.lines().find(|line| line.starts_with("local ")).expect("local row");
    assert!(local.contains(" ok ") && local.contains("native") && local.contains("…abcd"), "{local}");
    let claude = output.lines().find(|line| line.starts_with("claude ")).expect("claude row");
    assert!(claude.contains("credential blocked"), "{claude}");
    assert!(output.contains("subscription logins are not allowed"), "{output}");
    assert!(output.contains("SUB_KEY"), "advice names the variable:\n{output}");
    assert!(!output.contains("SECRETSECRET") && !output.contains("000000000000abcd"), "a key leaked:\n{output}");
    assert_eq!(working.requests()[0].path, "/v1/completions");
    assert_eq!(blocked.requests()[0].path, "/v1/messages");
}

#[test]
fn doctor_with_nothing_configured_explains_and_exits_one() {
    let (code, output) = switchboard(&["doctor"], &[]);
    assert_eq!(code, 1);
    // Local servers may or may not run on this machine; without keys and config, either nothing
    // is found or only local servers are listed.
    assert!(output.contains("No providers configured") || output.contains("providers work"), "{output}");
}

fn mock_config(dir: &std::path::Path, mock: &MockProvider) -> std::path::PathBuf {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[providers.mock]\nkind = \"openai\"\nmodel = \"mock-coder\"\nbase_url = \"{}/v1\"\napi_key_env = \"MOCK_KEY\"\nfim = \"native\"\n\
             [completion]\nproviders = [\"mock\"]\n[actions]\nproviders = [\"mock\"]\n",
            mock.base_url
        ),
    )
    .expect("write config");
    config
}

#[test]
fn complete_prints_the_suggestion_and_explain_shows_every_stage() {
    let mock = MockProvider::start(Reply::text("a + b\n"));
    let dir = tempfile::tempdir().expect("dir");
    let config = mock_config(dir.path(), &mock);
    let file = dir.path().join("calc.py");
    std::fs::write(&file, "import math\n\n\ndef add(a, b):\n    return \n").expect("write");
    let target = format!("{}:5:12", file.display());
    let (code, output) = switchboard(
        &["--config", config.to_str().expect("utf-8"), "complete", &target],
        &[("MOCK_KEY", "k-0000000000")],
    );
    assert_eq!((code, output.as_str()), (0, "a + b\n"));
    let prompt = mock.requests()[0].body["prompt"].as_str().unwrap_or_default().to_owned();
    assert!(prompt.ends_with("def add(a, b):\n    return "), "{prompt:?}");

    let (code, output) = switchboard(
        &["--config", config.to_str().expect("utf-8"), "complete", &target, "--explain"],
        &[("MOCK_KEY", "k-0000000000")],
    );
    assert_eq!(code, 0, "{output}");
    for section in [
        "== placement",
        "== chain\nmock",
        "== context",
        "== prompt: prefix",
        "== prompt: suffix",
        "== answer from mock",
        "== suggestion\na + b",
    ] {
        assert!(output.contains(section), "missing {section:?} in:\n{output}");
    }
}

/// A chat provider is sent messages, not prefix and suffix: `--explain` shows those messages,
/// with secrets masked as they are sent.
#[test]
fn explain_shows_the_messages_a_chat_provider_is_sent() {
    let mock = MockProvider::start(Reply::text("```python\na + b\n```"));
    let dir = tempfile::tempdir().expect("dir");
    let config = mock_config(dir.path(), &mock);
    let toml = std::fs::read_to_string(&config).expect("read").replace("fim = \"native\"", "fim = \"chat\"");
    std::fs::write(&config, toml).expect("write");
    let file = dir.path().join("calc.py");
    let key = "ghp_4fG7hJ2kL9mN3pQ6rS8tV1wX5yZ0aB3cD6eF";
    std::fs::write(&file, format!("TOKEN = '{key}'\n\n\ndef add(a, b):\n    return \n")).expect("write");
    let (code, output) = switchboard(
        &["--config", config.to_str().expect("utf-8"), "complete", &format!("{}:5:12", file.display()), "--explain"],
        &[("MOCK_KEY", "k-0000000000")],
    );
    assert_eq!(code, 0, "{output}");
    for section in [
        "== secrets masked",
        "== prompt as sent to chat providers (mock)",
        "-- system\nYou are a code completion engine",
        "def add(a, b):\n    return <CURSOR>",
        "TOKEN = 'REDACTED_SECRET_1'",
        "== suggestion\na + b",
    ] {
        assert!(output.contains(section), "missing {section:?} in:\n{output}");
    }
    assert!(!output.contains(key), "the secret is shown as sent, masked:\n{output}");
    let sent = mock.requests()[0].body.to_string();
    assert!(!sent.contains(key) && sent.contains("REDACTED_SECRET_1"), "{sent}");
}

#[test]
fn complete_explains_why_there_is_no_suggestion() {
    let mock = MockProvider::start(Reply::text("x\n"));
    let dir = tempfile::tempdir().expect("dir");
    let config = mock_config(dir.path(), &mock);
    let file = dir.path().join("mid.py");
    std::fs::write(&file, "value = compute(1)\n").expect("write");
    // Mid-identifier: no suggestion, no provider call.
    let (code, output) = switchboard(
        &["--config", config.to_str().expect("utf-8"), "complete", &format!("{}:1:3", file.display())],
        &[("MOCK_KEY", "k-0000000000")],
    );
    assert_eq!(code, 1);
    assert!(output.contains("no suggestion"), "{output}");
    assert_eq!(mock.request_count(), 0);
    let (code, output) = switchboard(&["complete", "/nonexistent/file.rs:1:1"], &[]);
    assert_eq!(code, 2);
    assert!(output.contains("cannot open"), "{output}");
}

/// Defect: with a typo in config.toml, `doctor` and `complete` ran on the defaults and so sent
/// real requests to detected vendors (OPENAI_API_KEY to the public endpoint) although the file
/// named the user's own gateway. Now neither touches any provider until the file is fixed.
#[test]
fn a_broken_config_file_makes_doctor_and_complete_use_no_provider() {
    let dir = tempfile::tempdir().expect("dir");
    let mock = MockProvider::start(Reply::text("x\n"));
    let config = mock_config(dir.path(), &mock);
    let mut text = std::fs::read_to_string(&config).expect("read");
    text.push_str("debounce = 5\n");
    std::fs::write(&config, text).expect("write");
    let source = dir.path().join("a.py");
    std::fs::write(&source, "def f():\n    return \n").expect("write");
    let env = [("MOCK_KEY", "sk-mock-000000000000"), ("OPENAI_API_KEY", "sk-proj-000000000000")];
    let config = config.to_str().expect("utf-8");

    let (code, output) = switchboard(&["--config", config, "doctor"], &env);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("actions.debounce"), "the problem is named: {output}");
    assert!(output.contains("sends nothing to any provider until the configuration error is fixed"), "{output}");
    assert!(!output.contains("openai"), "a detected provider was checked: {output}");

    let target = format!("{}:2:12", source.display());
    let (code, output) = switchboard(&["--config", config, "complete", &target], &env);
    assert_eq!(code, 2, "{output}");
    assert!(output.contains("sends nothing to any provider"), "{output}");
    assert_eq!(mock.request_count(), 0, "the gateway was called although the file is broken");
}

/// Defect: `complete` matched exclusion globs against the absolute path, so `secrets/**` never
/// matched, and it ignored `languages_disabled`. Both now keep the file from any provider.
#[test]
fn complete_honours_folder_exclusions_and_disabled_languages() {
    let mock = MockProvider::start(Reply::text("x\n"));
    let dir = tempfile::tempdir().expect("dir");
    let config = mock_config(dir.path(), &mock);
    let mut text = std::fs::read_to_string(&config).expect("read");
    text =
        text.replace("[completion]\n", "[completion]\nexclude = [\"secrets/**\"]\nlanguages_disabled = [\"rust\"]\n");
    std::fs::write(&config, text).expect("write");
    std::fs::create_dir_all(dir.path().join("secrets/deep")).expect("mkdir");
    std::fs::write(dir.path().join("secrets/deep/keys.py"), "def f():\n    return \n").expect("write");
    std::fs::write(dir.path().join("lib.rs"), "fn f() -> i32 {\n    \n}\n").expect("write");
    std::fs::write(dir.path().join("ok.py"), "def f():\n    return \n").expect("write");
    let config = config.to_str().expect("utf-8");
    let env = [("MOCK_KEY", "k-0000000000")];

    let (code, output) =
        switchboard_in(Some(dir.path()), &["--config", config, "complete", "secrets/deep/keys.py:2:12"], &env);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("the file matches `exclude`"), "{output}");
    let (code, output) = switchboard_in(Some(dir.path()), &["--config", config, "complete", "lib.rs:2:5"], &env);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("disabled for rust"), "{output}");
    assert_eq!(mock.request_count(), 0, "an excluded or disabled file reached the provider");
    // The same configuration still completes an ordinary file.
    let (code, output) = switchboard_in(Some(dir.path()), &["--config", config, "complete", "ok.py:2:12"], &env);
    assert_eq!(code, 0, "{output}");
    assert_eq!(mock.request_count(), 1);
}
