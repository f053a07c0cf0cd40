//! AI code actions over the wire, against model vendors on loopback: what is listed (without a
//! model call), running an action as a command answered at once, the versioned minimal edit it
//! applies, progress and its cancel button, failover, an edit made while the model writes,
//! explanations and test files, errors told once, and secrets files that get nothing.

use std::time::Duration;

use serde_json::{Value, json};

use crate::provider::{MockProvider, Reply};
use crate::support::{Options, TestServer};

const MOCK_KEY: &str = "sk-mock-e2e-000000000000wxyz";
const WAIT: Duration = Duration::from_secs(10);

const CART: &str = "import math\n\n\ndef total(items):\n    result = 0\n    for item in items:\n        result += item.price\n    return reslt\n\n\nprint(total([]))\n";
const CART_URI: &str = "file:///shop/cart.py";

/// What a full-featured editor declares (VS Code, Neovim 0.11+).
fn rich_client() -> Value {
    json!({
        "general": {"positionEncodings": ["utf-16"]},
        "window": {"workDoneProgress": true, "showDocument": {"support": true}},
        "workspace": {"workspaceEdit": {"documentChanges": true, "resourceOperations": ["create", "rename", "delete"]}},
        "textDocument": {"codeAction": {"tagSupport": {"valueSet": [1]}}},
    })
}

fn options_for(mock: &MockProvider) -> Value {
    json!({
        "providers": {"mock": {"kind": "openai", "model": "mock-chat", "base_url": format!("{}/v1", mock.base_url),
                               "api_key_env": "MOCK_KEY"}},
        "completion": {"enabled": false},
        "actions": {"providers": ["mock"]},
    })
}

fn start(options: Value, capabilities: Value) -> TestServer {
    let mut server = TestServer::start_with(Options {
        env: vec![("SWITCHBOARD_DEBUG_METHODS", "1".into()), ("MOCK_KEY", MOCK_KEY.into())],
        args: vec!["--log-level".into(), "trace".into()],
    });
    server.initialize_with(capabilities, options);
    server
}

fn range(start: (u32, u32), end: (u32, u32)) -> Value {
    json!({"start": {"line": start.0, "character": start.1}, "end": {"line": end.0, "character": end.1}})
}

fn list(server: &mut TestServer, uri: &str, at: Value, diagnostics: Value, only: Option<&[&str]>) -> Vec<Value> {
    let mut context = json!({"diagnostics": diagnostics, "triggerKind": 1});
    if let Some(only) = only {
        context["only"] = json!(only);
    }
    let result =
        server.call("textDocument/codeAction", json!({"textDocument": {"uri": uri}, "range": at, "context": context}));
    result.as_array().cloned().unwrap_or_default()
}

fn titled<'a>(actions: &'a [Value], start: &str) -> &'a Value {
    actions
        .iter()
        .find(|action| action["title"].as_str().unwrap_or_default().starts_with(start))
        .unwrap_or_else(|| panic!("no action titled {start:?} in {actions:#?}"))
}

/// Runs a listed action as the editor does: `workspace/executeCommand` with its command.
fn run(server: &mut TestServer, action: &Value) -> Value {
    let command = &action["command"];
    server
        .request("workspace/executeCommand", json!({"command": command["command"], "arguments": command["arguments"]}))
}

fn undefined_name() -> Value {
    json!([{"range": range((7, 11), (7, 16)), "severity": 1, "source": "Pyright", "code": "reportUndefinedVariable",
            "message": "\"reslt\" is not defined"}])
}

/// Applies LSP text edits (ASCII text, so UTF-16 columns are bytes) to `text`.
fn apply(text: &str, edits: &[Value]) -> String {
    let starts: Vec<usize> =
        std::iter::once(0).chain(text.match_indices('\n').map(|(at, _)| at + 1)).collect::<Vec<_>>();
    let offset = |point: &Value| {
        let line = point["line"].as_u64().unwrap() as usize;
        let col = point["character"].as_u64().unwrap() as usize;
        starts.get(line).map_or(text.len(), |start| (start + col).min(text.len()))
    };
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|edit| {
            (offset(&edit["range"]["start"]), offset(&edit["range"]["end"]), edit["newText"].as_str().unwrap().into())
        })
        .collect();
    spans.sort_by_key(|span| std::cmp::Reverse(span.0));
    let mut out = text.to_owned();
    for (start, end, new_text) in spans {
        out.replace_range(start..end, &new_text);
    }
    out
}

/// The one text document edit of an `applyEdit` request: its version and edits.
fn document_edit(request: &Value) -> (Value, Vec<Value>) {
    let changes = request["params"]["edit"]["documentChanges"].as_array().expect("documentChanges");
    assert_eq!(changes.len(), 1, "{request}");
    (changes[0]["textDocument"]["version"].clone(), changes[0]["edits"].as_array().cloned().unwrap_or_default())
}

/// Waits until the vendor has received `n` requests in all.
fn wait_for_requests(mock: &MockProvider, n: usize) {
    let deadline = std::time::Instant::now() + WAIT;
    while mock.request_count() < n && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(mock.request_count(), n, "the vendor was not asked");
}

fn messages(server: &mut TestServer, wait: Duration) -> Vec<String> {
    server
        .take_notifications("window/showMessage", wait)
        .iter()
        .map(|message| message["params"]["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The `$/progress` values sent for `token`, waiting until its `end`.
fn progress_until_end(server: &mut TestServer, token: &Value) -> Vec<Value> {
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + WAIT;
    while std::time::Instant::now() < deadline {
        for message in server.take_notifications("$/progress", Duration::from_millis(50)) {
            if &message["params"]["token"] == token {
                seen.push(message["params"]["value"].clone());
            }
        }
        if seen.last().is_some_and(|value| value["kind"] == "end") {
            return seen;
        }
    }
    panic!("no progress end for {token}: {seen:?}");
}

#[test]
fn listing_offers_what_fits_and_never_calls_a_model() {
    let mock = MockProvider::start(Reply::text("unused"));
    let mut server = start(options_for(&mock), rich_client());
    server.open(CART_URI, "python", CART);
    // Neovim's normal mode: an empty range inside the function.
    let actions = list(&mut server, CART_URI, range((5, 4), (5, 4)), undefined_name(), None);
    let titles: Vec<&str> = actions.iter().filter_map(|action| action["title"].as_str()).collect();
    assert_eq!(
        titles,
        [
            "AI: Fix: \"reslt\" is not defined",
            "AI: Document `total`",
            "AI: Improve and simplify `total`",
            "AI: Write tests for `total`",
            "AI: Explain `total`",
        ],
        "{actions:#?}"
    );
    let fix = titled(&actions, "AI: Fix");
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    assert_eq!(fix["diagnostics"][0]["code"], "reportUndefinedVariable");
    assert_eq!(fix["tags"], json!([1]), "LLMGenerated for a client with tagSupport");
    assert_eq!(fix["command"]["command"], "switchboard.runAction");
    assert!(fix.get("edit").is_none(), "no edit is computed while listing");
    // Helix: a one-character range widens to the symbol too.
    let helix = list(&mut server, CART_URI, range((4, 4), (4, 5)), json!([]), None);
    titled(&helix, "AI: Document `total`");
    // A client that asks for quick fixes only gets those.
    let only = list(&mut server, CART_URI, range((5, 4), (5, 4)), undefined_name(), Some(&["quickfix"]));
    assert_eq!(only.len(), 1, "{only:#?}");
    // Outside any function, at the top-level call: no tests, no document.
    let top = list(&mut server, CART_URI, range((10, 0), (10, 0)), json!([]), None);
    assert!(top.iter().all(|action| !action["title"].as_str().unwrap().contains("tests")), "{top:#?}");
    let status = server.call("switchboard/status", Value::Null);
    assert_eq!(mock.request_count(), 0, "listing called the model");
    assert_eq!(status["actions"]["listings"], 4, "{status}");
    assert_eq!(status["actions"]["provider_calls"], 0, "{status}");
}

#[test]
fn a_fix_runs_in_the_background_and_applies_a_minimal_versioned_edit_with_progress() {
    let answer = "Sure! Here is the fixed code:\n\n```python\ndef total(items):\n    result = 0\n    for item in items:\n        result += item.price\n    return result\n```\n\nThe typo `reslt` is now `result`.";
    let mock = MockProvider::start(Reply::text(answer));
    let mut server = start(options_for(&mock), rich_client());
    server.open(CART_URI, "python", CART);
    let actions = list(&mut server, CART_URI, range((7, 11), (7, 11)), undefined_name(), None);
    let response = run(&mut server, titled(&actions, "AI: Fix"));
    assert_eq!(response["result"], Value::Null, "answered at once: {response}");
    let create = server.server_request("window/workDoneProgress/create", WAIT).expect("progress created");
    let token = create["params"]["token"].clone();
    let request = server.server_request("workspace/applyEdit", WAIT).expect("an edit is applied");
    let (version, edits) = document_edit(&request);
    assert_eq!(version, 1, "against the version the prompt was built from");
    assert_eq!(edits.len(), 1, "a line diff, not the whole function: {edits:#?}");
    assert_eq!(edits[0]["range"], range((7, 0), (8, 0)));
    assert_eq!(apply(CART, &edits), CART.replace("return reslt", "return result"));
    assert_eq!(request["params"]["label"], "Fix: \"reslt\" is not defined");
    let progress = progress_until_end(&mut server, &token);
    assert_eq!(progress[0]["kind"], "begin");
    assert_eq!(progress[0]["title"], "AI: Fix: \"reslt\" is not defined");
    assert_eq!(progress[0]["cancellable"], true);
    assert!(progress[0]["message"].as_str().unwrap().contains("mock"), "{progress:?}");
    assert!(progress.last().unwrap()["message"].as_str().unwrap().contains("applied"), "{progress:?}");
    // What the vendor was asked: the chat endpoint, the diagnostic with its source and code.
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/chat/completions");
    let prompt = requests[0].body["messages"].to_string();
    for expected in ["\\\"reslt\\\" is not defined", "Pyright", "reportUndefinedVariable", "return reslt", "cart.py"] {
        assert!(prompt.contains(expected), "{expected} not in {prompt}");
    }
    assert!(messages(&mut server, Duration::from_millis(200)).is_empty(), "success is shown in the progress only");
    assert!(!server.stderr().contains(MOCK_KEY), "the key leaked into the log");
}

#[test]
fn document_and_a_user_defined_action_apply_where_they_should() {
    let documented = "```python\ndef total(items):\n    \"\"\"Sum the prices of `items`.\"\"\"\n    result = 0\n    for item in items:\n        result += item.price\n    return reslt\n```";
    let mock = MockProvider::start(Reply::text(documented));
    let mut options = options_for(&mock);
    options["actions"]["custom"] = json!([{
        "id": "log-calls", "title": "AI: Log calls to {symbol}", "scope": "symbol", "languages": ["python"],
        "output": "insert_before", "prompt": "Write a decorator that logs calls to {symbol} in {path}:\n{code}",
    }]);
    let mut server = start(options, rich_client());
    server.open(CART_URI, "python", CART);
    let actions = list(&mut server, CART_URI, range((4, 4), (4, 4)), json!([]), None);
    assert_eq!(run(&mut server, titled(&actions, "AI: Document"))["result"], Value::Null);
    let request = server.server_request("workspace/applyEdit", WAIT).expect("the docstring is applied");
    let (_, edits) = document_edit(&request);
    assert_eq!(edits.len(), 1, "only the docstring is inserted: {edits:#?}");
    let text = apply(CART, &edits);
    assert!(text.contains("def total(items):\n    \"\"\"Sum the prices of `items`.\"\"\"\n    result = 0\n"), "{text}");
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": CART_URI, "version": 2}, "contentChanges": [{"text": text}]}),
    );
    // The user's own action, on the same function (now one line lower).
    mock.push(Reply::text("def logged(f):\n    return f\n\n\n@logged"));
    let actions = list(&mut server, CART_URI, range((6, 4), (6, 4)), json!([]), None);
    assert_eq!(run(&mut server, titled(&actions, "AI: Log calls to `total`"))["result"], Value::Null);
    let request = server.server_request("workspace/applyEdit", WAIT).expect("the custom action applies");
    let (version, edits) = document_edit(&request);
    assert_eq!(version, 2);
    let after = apply(&text, &edits);
    assert!(after.contains("def logged(f):\n    return f\n\n\n@logged\ndef total(items):"), "{after}");
    let prompt = mock.requests()[1].body["messages"].to_string();
    assert!(prompt.contains("Write a decorator that logs calls to `total` in /shop/cart.py"), "{prompt}");
}

#[test]
fn a_blocked_credential_fails_over_to_the_next_provider() {
    let blocked = MockProvider::start(Reply::blocked_credential());
    let working = MockProvider::start(Reply::text(
        "def total(items):\n    result = 0\n    for item in items:\n        result += item.price\n    return result\n",
    ));
    let options = json!({
        "providers": {
            "claude": {"kind": "anthropic", "model": "claude-haiku-4-5", "base_url": blocked.base_url, "api_key_env": "MOCK_KEY"},
            "backup": {"kind": "openai", "model": "mock-chat", "base_url": format!("{}/v1", working.base_url), "api_key_env": "MOCK_KEY"},
        },
        "completion": {"enabled": false},
        "actions": {"providers": ["claude", "backup"]},
    });
    let mut server = start(options, rich_client());
    server.open(CART_URI, "python", CART);
    let actions = list(&mut server, CART_URI, range((7, 11), (7, 11)), undefined_name(), None);
    run(&mut server, titled(&actions, "AI: Fix"));
    let create = server.server_request("window/workDoneProgress/create", WAIT).expect("progress");
    let request = server.server_request("workspace/applyEdit", WAIT).expect("the backup's fix is applied");
    let (_, edits) = document_edit(&request);
    assert_eq!(apply(CART, &edits), CART.replace("return reslt", "return result"));
    let progress = progress_until_end(&mut server, &create["params"]["token"]);
    assert!(progress.last().unwrap()["message"].as_str().unwrap().contains("backup"), "{progress:?}");
    assert_eq!(blocked.request_count(), 1);
    assert_eq!(blocked.requests()[0].path, "/v1/messages");
    assert_eq!(working.request_count(), 1);
}

#[test]
fn an_edit_made_while_the_model_writes_is_followed_or_refused() {
    let fixed =
        "def total(items):\n    result = 0\n    for item in items:\n        result += item.price\n    return result\n";
    let slow = |text: &str| Reply::Stream { chunks: vec![text.to_owned()], delay: Duration::from_millis(400) };
    let mock = MockProvider::start(slow(fixed));
    let mut server = start(options_for(&mock), rich_client());
    server.open(CART_URI, "python", CART);
    let actions = list(&mut server, CART_URI, range((7, 11), (7, 11)), undefined_name(), None);
    run(&mut server, titled(&actions, "AI: Fix"));
    // The user adds a line above the function while the model writes.
    let shifted = format!("# cart\n{CART}");
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": CART_URI, "version": 2},
               "contentChanges": [{"range": range((0, 0), (0, 0)), "text": "# cart\n"}]}),
    );
    let request = server.server_request("workspace/applyEdit", WAIT).expect("the fix still applies");
    let (version, edits) = document_edit(&request);
    assert_eq!(version, 2, "against the document as it is now");
    assert_eq!(apply(&shifted, &edits), shifted.replace("return reslt", "return result"));

    // Now the user edits the very code the model is rewriting: nothing is applied, and the user
    // is told why.
    let actions = list(&mut server, CART_URI, range((8, 11), (8, 11)), json!([]), None);
    run(&mut server, titled(&actions, "AI: Improve"));
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": CART_URI, "version": 3},
               "contentChanges": [{"range": range((5, 4), (5, 14)), "text": "total = 0"}]}),
    );
    let shown = messages(&mut server, Duration::from_secs(3));
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].contains("changed while the model was writing") && shown[0].contains("run the action again"),
        "{}",
        shown[0]
    );
    assert!(server.server_request("workspace/applyEdit", Duration::from_millis(300)).is_none());
}

#[test]
fn cancelling_stops_the_model_call_and_applies_nothing() {
    // A model that writes slowly: 60 chunks, 100 ms apart.
    let chunks: Vec<String> = (0..60).map(|n| format!("line {n}\n")).collect();
    let mock = MockProvider::start(Reply::Stream { chunks, delay: Duration::from_millis(100) });
    let mut server = start(options_for(&mock), rich_client());
    server.open(CART_URI, "python", CART);
    let actions = list(&mut server, CART_URI, range((4, 4), (4, 4)), json!([]), None);

    // 1. The progress's cancel button.
    run(&mut server, titled(&actions, "AI: Improve"));
    let create = server.server_request("window/workDoneProgress/create", WAIT).expect("progress");
    let token = create["params"]["token"].clone();
    wait_for_requests(&mock, 1);
    server.notify("window/workDoneProgress/cancel", json!({"token": token}));
    let progress = progress_until_end(&mut server, &token);
    assert!(progress.last().unwrap()["message"].as_str().unwrap().contains("cancelled"), "{progress:?}");

    // 2. The "Cancel" entry listed while an action runs.
    run(&mut server, titled(&actions, "AI: Improve"));
    let token =
        server.server_request("window/workDoneProgress/create", WAIT).expect("progress")["params"]["token"].clone();
    wait_for_requests(&mock, 2);
    let during = list(&mut server, CART_URI, range((4, 4), (4, 4)), json!([]), None);
    let cancel = titled(&during, "AI: Cancel Improve");
    assert_eq!(cancel["command"]["command"], "switchboard.cancelAction");
    assert_eq!(run(&mut server, cancel)["result"], Value::Null);
    progress_until_end(&mut server, &token);

    // 3. A new run on the same code replaces the old one.
    run(&mut server, titled(&actions, "AI: Improve"));
    let first =
        server.server_request("window/workDoneProgress/create", WAIT).expect("progress")["params"]["token"].clone();
    wait_for_requests(&mock, 3);
    run(&mut server, titled(&actions, "AI: Document"));
    let second =
        server.server_request("window/workDoneProgress/create", WAIT).expect("progress")["params"]["token"].clone();
    assert!(progress_until_end(&mut server, &first).last().unwrap()["message"].as_str().unwrap().contains("cancelled"));

    // 4. Closing the document.
    wait_for_requests(&mock, 4);
    server.notify("textDocument/didClose", json!({"textDocument": {"uri": CART_URI}}));
    assert!(
        progress_until_end(&mut server, &second).last().unwrap()["message"].as_str().unwrap().contains("cancelled")
    );

    assert!(server.server_request("workspace/applyEdit", Duration::from_millis(300)).is_none(), "nothing applied");
    assert!(messages(&mut server, Duration::from_millis(100)).is_empty(), "a cancel is not an error");
    // Every call's connection was closed: the vendor saw the client go away mid-stream.
    let deadline = std::time::Instant::now() + WAIT;
    while mock.closed_early() < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(mock.request_count(), 4);
    assert_eq!(mock.closed_early(), 4, "a cancelled call kept its connection open");
    let status = server.call("switchboard/status", Value::Null);
    assert_eq!(status["actions"]["cancelled"], 4, "{status}");
    assert_eq!(status["actions"]["running"], 0, "{status}");
}

#[test]
fn explanations_open_as_a_document_or_arrive_as_a_message() {
    let mock = MockProvider::start(Reply::text("<think>they want prose</think>`total` adds up the **prices**."));
    let mut server = start(options_for(&mock), rich_client());
    server.open(CART_URI, "python", CART);
    let actions = list(&mut server, CART_URI, range((4, 4), (4, 4)), json!([]), None);
    run(&mut server, titled(&actions, "AI: Explain"));
    let request = server.server_request("window/showDocument", WAIT).expect("the explanation is shown");
    let uri = request["params"]["uri"].as_str().unwrap();
    assert!(uri.starts_with("file:///") && uri.ends_with(".md"), "{uri}");
    let shown = std::fs::read_to_string(uri.trim_start_matches("file://")).expect("the explanation is on disk");
    assert!(shown.contains("`total` adds up the **prices**."), "{shown}");
    assert!(!shown.contains("think"), "{shown}");

    // A client without showDocument gets a message.
    let mut plain = start(options_for(&mock), json!({"general": {"positionEncodings": ["utf-16"]}}));
    plain.open(CART_URI, "python", CART);
    let actions = list(&mut plain, CART_URI, range((4, 4), (4, 4)), json!([]), None);
    run(&mut plain, titled(&actions, "AI: Explain"));
    let deadline = std::time::Instant::now() + WAIT;
    let mut shown = Vec::new();
    while std::time::Instant::now() < deadline && !shown.iter().any(|m: &String| m.contains("prices")) {
        shown.extend(messages(&mut plain, Duration::from_millis(100)));
    }
    assert!(shown.iter().any(|m| m.contains("`total` adds up the **prices**.")), "{shown:?}");
}

#[test]
fn tests_go_to_a_new_test_file_the_editor_creates() {
    let mock = MockProvider::start(Reply::text(
        "```python\nfrom cart import total\n\n\ndef test_empty():\n    assert total([]) == 0\n```",
    ));
    let mut server = start(options_for(&mock), rich_client());
    server.open(CART_URI, "python", CART);
    let actions = list(&mut server, CART_URI, range((4, 4), (4, 4)), json!([]), None);
    run(&mut server, titled(&actions, "AI: Write tests"));
    let request = server.server_request("workspace/applyEdit", WAIT).expect("the test file is created");
    let changes = request["params"]["edit"]["documentChanges"].as_array().unwrap().clone();
    assert_eq!(changes[0]["kind"], "create");
    assert_eq!(changes[0]["uri"], "file:///shop/test_cart.py");
    assert_eq!(changes[0]["options"]["ignoreIfExists"], true);
    assert_eq!(
        changes[1]["edits"][0]["newText"],
        "from cart import total\n\n\ndef test_empty():\n    assert total([]) == 0\n"
    );
    let shown = server.server_request("window/showDocument", WAIT).expect("the test file is opened");
    assert_eq!(shown["params"]["uri"], "file:///shop/test_cart.py");
}

#[test]
fn failures_are_told_once_and_leave_the_code_alone() {
    let mock = MockProvider::start(Reply::Error {
        status: 500,
        body: json!({"error": {"message": "The server had an error", "type": "server_error"}}),
    });
    let mut server = start(options_for(&mock), rich_client());
    server.open(CART_URI, "python", CART);
    let actions = list(&mut server, CART_URI, range((4, 4), (4, 4)), json!([]), None);
    run(&mut server, titled(&actions, "AI: Improve"));
    let token =
        server.server_request("window/workDoneProgress/create", WAIT).expect("progress")["params"]["token"].clone();
    let progress = progress_until_end(&mut server, &token);
    assert!(progress.last().unwrap()["message"].as_str().unwrap().starts_with("failed"), "{progress:?}");
    let shown = messages(&mut server, Duration::from_millis(300));
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].contains("AI: Improve and simplify `total` failed") && shown[0].contains("mock"), "{}", shown[0]);

    // An empty answer is an error too, not an empty edit.
    mock.push(Reply::text("   "));
    run(&mut server, titled(&actions, "AI: Document"));
    let deadline = std::time::Instant::now() + WAIT;
    let mut shown = Vec::new();
    while shown.is_empty() && std::time::Instant::now() < deadline {
        shown = messages(&mut server, Duration::from_millis(100));
    }
    assert!(
        shown.len() == 1 && shown[0].contains("answer had no code") && shown[0].contains("nothing was changed"),
        "{shown:?}"
    );
    assert!(server.server_request("workspace/applyEdit", Duration::from_millis(200)).is_none());

    // An editor that refuses the edit: told, with what to do.
    mock.push(Reply::text("def total(items):\n    return sum(item.price for item in items)\n"));
    server.apply_edit_result = json!({"applied": false, "failureReason": "version mismatch"});
    run(&mut server, titled(&actions, "AI: Improve"));
    server.server_request("workspace/applyEdit", WAIT).expect("the edit is offered");
    let deadline = std::time::Instant::now() + WAIT;
    let mut shown = Vec::new();
    while shown.is_empty() && std::time::Instant::now() < deadline {
        shown = messages(&mut server, Duration::from_millis(100));
    }
    assert!(shown.len() == 1 && shown[0].contains("version mismatch") && shown[0].contains("again"), "{shown:?}");
}

#[test]
fn secrets_files_get_no_actions_and_nothing_is_sent() {
    let mock = MockProvider::start(Reply::text("unused"));
    let mut server = start(options_for(&mock), rich_client());
    let uri = "file:///shop/.env";
    server.open(uri, "dotenv", "OPENAI_API_KEY=sk-live-0000000000000000\n");
    assert!(list(&mut server, uri, range((0, 0), (0, 0)), json!([]), None).is_empty());
    // A forged command for it is refused too.
    let forged = json!({"command": {"command": "switchboard.runAction",
        "arguments": [{"uri": uri, "action": "explain", "lines": [0, 1], "title": "AI: Explain"}]}});
    let response = run(&mut server, &forged);
    assert!(response["error"]["message"].as_str().unwrap_or_default().contains("matches `exclude`"), "{response}");
    // And actions are off for a disabled language.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"switchboard": {"actions": {"languages_disabled": ["python"]}}}}),
    );
    server.open(CART_URI, "python", CART);
    std::thread::sleep(Duration::from_millis(200));
    assert!(list(&mut server, CART_URI, range((4, 4), (4, 4)), json!([]), None).is_empty());
    assert_eq!(mock.request_count(), 0);
}

#[test]
fn a_client_without_progress_or_versioned_edits_gets_a_message_and_plain_changes() {
    let fixed =
        "def total(items):\n    result = 0\n    for item in items:\n        result += item.price\n    return result\n";
    let mock = MockProvider::start(Reply::text(fixed));
    // What a minimal client declares: nothing about progress, edits or resolve.
    let mut server = start(options_for(&mock), json!({"general": {"positionEncodings": ["utf-16"]}}));
    server.open(CART_URI, "python", CART);
    let actions = list(&mut server, CART_URI, range((7, 11), (7, 11)), undefined_name(), None);
    let fix = titled(&actions, "AI: Fix");
    assert!(fix.get("tags").is_none(), "no tags for a client without tagSupport: {fix}");
    assert_eq!(run(&mut server, fix)["result"], Value::Null);
    let request = server.server_request("workspace/applyEdit", WAIT).expect("an edit is applied");
    let edit = &request["params"]["edit"];
    assert!(edit.get("documentChanges").is_none(), "{edit}");
    let edits = edit["changes"][CART_URI].as_array().cloned().expect("changes for the document");
    assert_eq!(apply(CART, &edits), CART.replace("return reslt", "return result"));
    assert!(server.server_request("window/workDoneProgress/create", Duration::from_millis(100)).is_none());
    let shown = messages(&mut server, Duration::from_millis(300));
    assert_eq!(shown.len(), 1, "one message says it started: {shown:?}");
    assert!(shown[0].contains("asking mock"), "{}", shown[0]);
}

/// A client that resolves an action's edit in the background (VS Code, Neovim).
fn resolving_client(apply_edit: bool) -> Value {
    let mut capabilities = rich_client();
    capabilities["textDocument"]["codeAction"]["resolveSupport"] = json!({"properties": ["edit"]});
    capabilities["workspace"]["applyEdit"] = json!(apply_edit);
    capabilities
}

fn start_as(client: &str, options: Value, capabilities: Value) -> (TestServer, Value) {
    let mut server = TestServer::start_with(Options {
        env: vec![("SWITCHBOARD_DEBUG_METHODS", "1".into()), ("MOCK_KEY", MOCK_KEY.into())],
        args: vec!["--log-level".into(), "trace".into()],
    });
    let initialized = server.initialize_as(client, capabilities, options);
    (server, initialized)
}

const FIXED: &str = "```python\ndef total(items):\n    result = 0\n    for item in items:\n        result += item.price\n    return result\n```";

#[test]
fn with_actions_run_resolve_the_edit_comes_from_code_action_resolve() {
    let mock = MockProvider::start(Reply::text(FIXED));
    let mut options = options_for(&mock);
    options["actions"]["run"] = json!("resolve");
    let (mut server, initialized) = start_as("Visual Studio Code", options, resolving_client(true));
    assert_eq!(initialized["capabilities"]["codeActionProvider"]["resolveProvider"], true);
    server.open(CART_URI, "python", CART);
    let actions = list(&mut server, CART_URI, range((7, 11), (7, 11)), undefined_name(), None);
    let fix = titled(&actions, "AI: Fix").clone();
    assert!(fix.get("command").is_none() && fix.get("edit").is_none(), "{fix:#}");
    assert_eq!(fix["data"]["switchboard"]["version"], 1, "{fix:#}");
    // An explanation or a test file is no edit of this document: still a command.
    let explain = titled(&actions, "AI: Explain").clone();
    assert_eq!(explain["command"]["command"], "switchboard.runAction");
    assert_eq!(mock.request_count(), 0, "listing called the model");

    let resolved = server.call("codeAction/resolve", fix.clone());
    assert_eq!(resolved["title"], fix["title"]);
    assert!(resolved.get("data").is_none_or(Value::is_null), "{resolved:#}");
    let changes = resolved["edit"]["documentChanges"].as_array().expect("a versioned edit");
    assert_eq!(changes[0]["textDocument"]["version"], 1, "against the version the prompt was built from");
    let edits = changes[0]["edits"].as_array().unwrap();
    assert_eq!(edits.len(), 1, "a line diff: {edits:#?}");
    assert_eq!(apply(CART, edits), CART.replace("return reslt", "return result"));
    assert_eq!(mock.request_count(), 1);
    let create = server.server_request("window/workDoneProgress/create", WAIT).expect("progress while resolving");
    progress_until_end(&mut server, &create["params"]["token"]);
    assert!(server.server_request("workspace/applyEdit", Duration::from_millis(200)).is_none(), "applied twice");

    // An action listed with a command resolves to itself at once, with no model call.
    assert_eq!(server.call("codeAction/resolve", explain.clone()), explain);
    assert_eq!(mock.request_count(), 1);

    // A failure: told once, and the action comes back without an edit, so nothing changes.
    mock.push(Reply::blocked_credential());
    let failed = server.call("codeAction/resolve", fix);
    assert!(failed.get("edit").is_none_or(Value::is_null), "{failed:#}");
    let told = messages(&mut server, Duration::from_millis(500));
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].contains("AI: Fix") && told[0].contains("mock"), "{told:?}");
}

#[test]
fn auto_runs_a_command_wherever_the_client_applies_edits_and_helix_never_resolves() {
    let mock = MockProvider::start(Reply::text(FIXED));
    let fix_of = |server: &mut TestServer| {
        server.open(CART_URI, "python", CART);
        titled(&list(server, CART_URI, range((7, 11), (7, 11)), undefined_name(), None), "AI: Fix").clone()
    };
    // `auto` and a client that applies server edits: a command (progress, cancel, background).
    let (mut server, _) = start_as("Neovim", options_for(&mock), resolving_client(true));
    assert_eq!(fix_of(&mut server)["command"]["command"], "switchboard.runAction");
    // `auto` and a client that cannot apply an edit the server sends: resolve is the only way.
    let (mut server, _) = start_as("some-editor", options_for(&mock), resolving_client(false));
    assert!(fix_of(&mut server)["data"]["switchboard"].is_object());
    // Helix waits for resolve with its whole UI: commands only, whatever the setting says.
    let mut options = options_for(&mock);
    options["actions"]["run"] = json!("resolve");
    let (mut server, initialized) = start_as("helix", options, resolving_client(true));
    assert_eq!(initialized["capabilities"]["codeActionProvider"]["resolveProvider"], false);
    assert_eq!(fix_of(&mut server)["command"]["command"], "switchboard.runAction");
    assert_eq!(mock.request_count(), 0);
}

#[test]
fn cancelling_a_resolve_stops_the_model_and_applies_nothing() {
    let slow: Vec<String> = FIXED.chars().map(String::from).collect();
    let mock = MockProvider::start(Reply::Stream { chunks: slow, delay: Duration::from_millis(100) });
    let mut options = options_for(&mock);
    options["actions"]["run"] = json!("resolve");
    let (mut server, _) = start_as("Visual Studio Code", options, resolving_client(true));
    server.open(CART_URI, "python", CART);
    let fix = titled(&list(&mut server, CART_URI, range((7, 11), (7, 11)), undefined_name(), None), "AI: Fix").clone();
    let id = server.send_request("codeAction/resolve", fix);
    server.server_request("window/workDoneProgress/create", WAIT).expect("progress while resolving");
    wait_for_requests(&mock, 1);
    server.notify("$/cancelRequest", json!({"id": id}));
    let response = server.response(id);
    assert_eq!(response["error"]["code"], -32800, "answered as cancelled: {response}");
    let deadline = std::time::Instant::now() + WAIT;
    while mock.closed_early() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(mock.closed_early(), 1, "the vendor connection was closed at once");
    assert!(server.server_request("workspace/applyEdit", Duration::from_millis(300)).is_none());
    assert!(messages(&mut server, Duration::from_millis(100)).is_empty(), "a cancel is not an error");
}

#[test]
fn a_secret_in_the_code_is_masked_for_the_model_and_kept_in_the_edit() {
    const KEY: &str = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9oPq2r";
    let code = format!("def client():\n    key = \"{KEY}\"\n    return Client(key, retries=0)\n");
    // The model improves the function and keeps the placeholder where the key was.
    let mock = MockProvider::start(Reply::text(
        "```python\ndef client():\n    key = \"REDACTED_SECRET_1\"\n    return Client(key, retries=3)\n```",
    ));
    let mut server = start(options_for(&mock), rich_client());
    let uri = "file:///app/client.py";
    server.open(uri, "python", &code);
    let actions = list(&mut server, uri, range((2, 4), (2, 4)), json!([]), None);
    assert_eq!(run(&mut server, titled(&actions, "AI: Improve"))["result"], Value::Null);
    let request = server.server_request("workspace/applyEdit", WAIT).expect("the edit is applied");
    let (_, edits) = document_edit(&request);
    assert_eq!(apply(&code, &edits), code.replace("retries=0", "retries=3"), "the key is back in place");
    let sent = mock.requests()[0].body.to_string();
    assert!(!sent.contains(KEY), "the key was sent: {sent}");
    assert!(sent.contains("REDACTED_SECRET_1"), "{sent}");
    assert!(!request.to_string().contains("REDACTED_SECRET"), "a placeholder reached the file");
}
