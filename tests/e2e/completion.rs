//! Completions over the wire, against a model vendor on loopback: both surfaces, capability
//! negotiation, the prompt the vendor receives, typing through a suggestion from the cache,
//! supersession, cancellation, non-ASCII text in every position encoding, and failover.

use std::time::Duration;

use serde_json::{Value, json};

use crate::provider::{MockProvider, Reply, ReportedUsage};
use crate::support::{Options, TestServer};

const MOCK_KEY: &str = "sk-mock-e2e-000000000000wxyz";

fn provider_options(mock: &MockProvider, debounce_ms: u64) -> Value {
    json!({
        "providers": {"mock": {"kind": "openai", "model": "mock-coder", "base_url": format!("{}/v1", mock.base_url),
                                "api_key_env": "MOCK_KEY", "fim": "native"}},
        "completion": {"providers": ["mock"], "debounce_ms": debounce_ms},
    })
}

fn start(options: Value, inline: bool, encoding: &str) -> (TestServer, Value) {
    let mut server = TestServer::start_with(Options {
        env: vec![("SWITCHBOARD_DEBUG_METHODS", "1".into()), ("MOCK_KEY", MOCK_KEY.into())],
        // Everything is logged, so the key-leak check below reads every log line there is.
        args: vec!["--log-level".into(), "trace".into()],
    });
    let mut capabilities = json!({"general": {"positionEncodings": [encoding]}});
    if inline {
        capabilities["textDocument"] = json!({"inlineCompletion": {"dynamicRegistration": false}});
    }
    let result = server.initialize_with(capabilities, options);
    (server, result)
}

fn inline_request(server: &mut TestServer, uri: &str, line: u32, character: u32, trigger: u32) -> Value {
    server.request(
        "textDocument/inlineCompletion",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character},
               "context": {"triggerKind": trigger}}),
    )
}

fn items(response: &Value) -> Vec<Value> {
    response["result"]["items"].as_array().cloned().unwrap_or_default()
}

fn change(server: &mut TestServer, uri: &str, version: i32, line: u32, character: u32, text: &str) {
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": version},
               "contentChanges": [{"range": {"start": {"line": line, "character": character},
                                             "end": {"line": line, "character": character}}, "text": text}]}),
    );
}

#[test]
fn capabilities_follow_the_client() {
    let mock = MockProvider::start(Reply::text("x"));
    let (_, with_inline) = start(provider_options(&mock, 0), true, "utf-16");
    assert_eq!(with_inline["capabilities"]["inlineCompletionProvider"], true);
    assert!(with_inline["capabilities"]["completionProvider"].is_null(), "no duplicate items for ghost-text clients");
    let (_, without) = start(provider_options(&mock, 0), false, "utf-16");
    assert!(without["capabilities"]["inlineCompletionProvider"].is_null());
    assert!(without["capabilities"]["completionProvider"].is_object());
}

#[test]
fn inline_completion_replaces_from_the_word_start_and_sends_the_right_prompt() {
    let mock = MockProvider::start(Reply::text("pute_total(items)\n"));
    let (mut server, _) = start(provider_options(&mock, 0), true, "utf-16");
    let uri = "file:///shop/cart.py";
    let text = "import math\n\ndef total(items):\n    return com\n\nprint(total([1]))\n";
    server.open(uri, "python", text);
    let response = inline_request(&mut server, uri, 3, 14, 2);
    let items = items(&response);
    assert_eq!(items.len(), 1, "{response}");
    assert_eq!(items[0]["insertText"], "compute_total(items)");
    assert_eq!(items[0]["range"], json!({"start": {"line": 3, "character": 11}, "end": {"line": 3, "character": 14}}));
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.path, "/v1/completions");
    assert!(sent.headers.iter().any(|(name, value)| name == "authorization" && value == &format!("Bearer {MOCK_KEY}")));
    assert_eq!(sent.body["model"], "mock-coder");
    assert!(
        sent.body["prompt"].as_str().is_some_and(|p| p.ends_with("def total(items):\n    return com")),
        "{}",
        sent.body
    );
    assert!(sent.body["suffix"].as_str().is_some_and(|s| s.starts_with("\n\nprint(total([1]))")), "{}", sent.body);
    assert_eq!(sent.body["stream"], true);
}

#[test]
fn completion_items_for_clients_without_inline_completion() {
    let mock = MockProvider::start(Reply::text("(a, b):\n"));
    let (mut server, _) = start(provider_options(&mock, 0), false, "utf-16");
    let uri = "file:///m.py";
    server.open(uri, "python", "def add\n");
    let response = server.call(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 7}}),
    );
    assert_eq!(response["isIncomplete"], true);
    let items = response["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{response}");
    let item = &items[0];
    assert_eq!(item["textEdit"]["newText"], "add(a, b):");
    assert_eq!(
        item["textEdit"]["range"],
        json!({"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 7}})
    );
    assert_eq!(item["filterText"], "add(a, b):");
    assert!(item["detail"].as_str().is_some_and(|d| d.contains("mock · mock-coder")), "{item}");
    assert!(item["sortText"].as_str().is_some_and(|s| s.starts_with('~')), "sorted after other servers' items");
    assert_eq!(item["label"], "add(a, b):");
}

#[test]
fn multi_line_items_at_an_empty_body() {
    let mock = MockProvider::start(Reply::text("total = a + b\n    return total\n\nprint(add(1, 2))\n"));
    let (mut server, _) = start(provider_options(&mock, 0), false, "utf-16");
    let uri = "file:///m.py";
    server.open(uri, "python", "def add(a, b):\n    \n");
    let response = server.call(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 4}}),
    );
    let items = response["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{response}");
    // The suggestion stops at the end of the function body.
    assert_eq!(items[0]["textEdit"]["newText"], "total = a + b\n    return total");
    assert_eq!(items[0]["label"], "total = a + b…");
}

#[test]
fn typing_through_a_suggestion_is_served_from_the_cache() {
    let mock = MockProvider::start(Reply::text("compute(a, b)\n"));
    let (mut server, _) = start(provider_options(&mock, 0), true, "utf-16");
    let uri = "file:///t.py";
    server.open(uri, "python", "x = \n");
    assert_eq!(items(&inline_request(&mut server, uri, 0, 4, 2))[0]["insertText"], "compute(a, b)");
    let mut version = 1;
    let typed = "compute(";
    for (idx, ch) in typed.char_indices() {
        version += 1;
        change(&mut server, uri, version, 0, 4 + idx as u32, &ch.to_string());
        let column = 5 + idx as u32;
        let response = inline_request(&mut server, uri, 0, column, 2);
        let expected_word = &typed[..=idx];
        let word_len = expected_word.chars().rev().take_while(|c| c.is_alphanumeric() || *c == '_').count();
        let word = &expected_word[expected_word.len() - word_len..];
        assert_eq!(
            items(&response)[0]["insertText"],
            format!("{word}{}", &"compute(a, b)"[idx + 1..]),
            "after typing {expected_word:?}"
        );
    }
    assert_eq!(mock.request_count(), 1, "typing through must not call the provider again");
}

#[test]
fn a_newer_request_supersedes_an_older_one() {
    let mock = MockProvider::start(Reply::text("alue\n"));
    let (mut server, _) = start(provider_options(&mock, 400), true, "utf-16");
    let uri = "file:///s.py";
    server.open(uri, "python", "x = \n");
    let first = server.send_request(
        "textDocument/inlineCompletion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 4}, "context": {"triggerKind": 2}}),
    );
    // Sent straight after the first, with no wait: the two requests' workers may start in either
    // order, and the older one must still be the one superseded (it used to supersede the newer
    // one about one run in five).
    change(&mut server, uri, 2, 0, 4, "v");
    let second = inline_request(&mut server, uri, 0, 5, 2);
    let first = server.response(first);
    assert_eq!(first["result"], Value::Null, "the older request is answered empty: {first}");
    assert_eq!(
        items(&second).first().map(|item| item["insertText"].clone()),
        Some(json!("value")),
        "{second}\n{}",
        server.stderr()
    );
    assert_eq!(mock.request_count(), 1, "the superseded request never reached the provider");
}

#[test]
fn a_cancelled_request_is_answered_and_its_upstream_connection_closed() {
    let chunks = (0..40).map(|idx| format!("part{idx} ")).collect();
    let mock = MockProvider::start(Reply::Stream { chunks, delay: Duration::from_millis(150) });
    let (mut server, _) = start(provider_options(&mock, 0), true, "utf-16");
    let uri = "file:///c.py";
    server.open(uri, "python", "x = \n");
    let id = server.send_request(
        "textDocument/inlineCompletion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 4}, "context": {"triggerKind": 2}}),
    );
    std::thread::sleep(Duration::from_millis(400));
    server.notify("$/cancelRequest", json!({"id": id}));
    let response = server.response(id);
    assert_eq!(response["error"]["code"], -32800, "{response}\n{}", server.stderr());
    // The vendor sees its stream closed long before its end: no more tokens are paid for.
    // The stream would run for 6 s and the completion deadline is 4 s; the cancellation must
    // close it well before either.
    let cancelled = std::time::Instant::now();
    while mock.closed_early() == 0 && cancelled.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        mock.closed_early(),
        1,
        "the upstream stream was not closed after the cancellation\n{}",
        server.stderr()
    );
    assert_eq!(server.document(uri)["text"], "x = \n");
}

#[test]
fn finished_answers_leave_the_connection_open_for_the_next_request() {
    // A vendor's `[DONE]` and the body's last chunk can come in separate packets; a stream
    // dropped between them closes the connection, and with a real vendor every completion
    // would then pay a new TCP and TLS handshake.
    let mock = MockProvider::start_keep_alive(Reply::text("total"));
    mock.pause_before_last_chunk(Duration::from_millis(30));
    let (mut server, _) = start(provider_options(&mock, 0), true, "utf-16");
    let uri = "file:///k.py";
    server.open(uri, "python", "def a():\n    return \n\ndef b():\n    return \n\ndef c():\n    return \n");
    for line in [1, 4, 7] {
        // Automatic: one model call per request.
        let response = inline_request(&mut server, uri, line, 11, 2);
        assert_eq!(items(&response).len(), 1, "{response}\n{}", server.stderr());
        // As between keystrokes: the last chunk arrives before the next request.
        std::thread::sleep(Duration::from_millis(150));
    }
    assert_eq!(mock.request_count(), 3);
    assert_eq!(mock.connections_accepted(), 1, "{}", server.stderr());
}

#[test]
fn non_ascii_text_in_every_position_encoding() {
    // "日本😀" is 3 chars, 4 UTF-16 units, 10 bytes: the cursor after `len(s` is at these columns.
    for (encoding, column) in [("utf-16", 21), ("utf-8", 27), ("utf-32", 20)] {
        let mock = MockProvider::start(Reply::text(" + 1\n"));
        let (mut server, _) = start(provider_options(&mock, 0), true, encoding);
        let uri = "file:///u.py";
        server.open(uri, "python", "s = \"日本😀\"; n = len(s)\n");
        let response = inline_request(&mut server, uri, 0, column, 1);
        let items = items(&response);
        assert_eq!(items.len(), 1, "{encoding}: {response}");
        // The suggestion goes in before the closing `)` that follows the cursor.
        assert_eq!(items[0]["insertText"], "s + 1", "{encoding}");
        let start = &items[0]["range"]["start"]["character"];
        assert_eq!(start.as_u64(), Some(column as u64 - 1), "{encoding}: word start of `s`");
        let prompt = mock.requests()[0].body["prompt"].as_str().unwrap_or_default().to_owned();
        assert!(prompt.ends_with("s = \"日本😀\"; n = len(s"), "{encoding}: {prompt:?}");
    }
}

#[test]
fn a_blocked_credential_fails_over_to_the_next_provider_with_one_message() {
    let blocked = MockProvider::start(Reply::blocked_credential());
    let working = MockProvider::start(Reply::text("42\n"));
    let options = json!({
        "providers": {
            "claude": {"kind": "anthropic", "model": "claude-haiku-4-5", "base_url": blocked.base_url, "api_key_env": "MOCK_KEY"},
            "backup": {"kind": "openai", "model": "mock-coder", "base_url": format!("{}/v1", working.base_url),
                       "api_key_env": "MOCK_KEY", "fim": "native"},
        },
        "completion": {"providers": ["claude", "backup"], "debounce_ms": 0},
    });
    let (mut server, _) = start(options, true, "utf-16");
    let uri = "file:///f.py";
    server.open(uri, "python", "answer = \n");
    // Automatic triggers: one model call each (an invoked request asks for several items).
    let first = inline_request(&mut server, uri, 0, 9, 2);
    assert_eq!(
        items(&first).first().map(|item| item["insertText"].clone()),
        Some(json!("42")),
        "{first}\n{}",
        server.stderr()
    );
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "other = \n"}]}),
    );
    assert_eq!(items(&inline_request(&mut server, uri, 0, 8, 2))[0]["insertText"], "42");
    assert_eq!(blocked.request_count(), 1, "the blocked provider is skipped afterwards");
    let status = server.call("switchboard/status", Value::Null);
    assert_eq!(status["completion_chain"], json!(["claude", "backup"]));
    let claude = status["providers"].as_array().and_then(|p| p.iter().find(|p| p["name"] == "claude")).cloned();
    let claude = claude.unwrap_or_default();
    assert_eq!(claude["circuit"], "open: blocked_credential", "{status}");
    assert_eq!(claude["failures"]["blocked_credential"], 1, "{status}");
    assert_eq!(status["completion"]["provider_calls"], 2, "{status}");
    assert_eq!(working.request_count(), 2);
    let shown: Vec<String> = server
        .take_notifications("window/showMessage", Duration::from_millis(300))
        .iter()
        .map(|m| m["params"]["message"].as_str().unwrap_or_default().to_owned())
        .filter(|m| m.contains("subscription"))
        .collect();
    assert_eq!(shown.len(), 1, "told once: {shown:?}");
    assert!(shown[0].contains("API key") && shown[0].contains("backup"), "{}", shown[0]);
    assert!(!server.stderr().contains(MOCK_KEY), "the key leaked into the log");
}

#[test]
fn a_request_that_extends_an_in_flight_call_adopts_it() {
    // The answer takes ~600 ms to finish streaming; meanwhile the user types the first letter.
    let mock = MockProvider::start(Reply::Stream {
        chunks: vec!["va".into(), "lue".into(), "_total\n".into()],
        delay: Duration::from_millis(200),
    });
    let (mut server, _) = start(provider_options(&mock, 0), true, "utf-16");
    let uri = "file:///adopt.py";
    server.open(uri, "python", "x = \n");
    let first = server.send_request(
        "textDocument/inlineCompletion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 4}, "context": {"triggerKind": 2}}),
    );
    std::thread::sleep(Duration::from_millis(100));
    change(&mut server, uri, 2, 0, 4, "v");
    let second = inline_request(&mut server, uri, 0, 5, 2);
    assert_eq!(server.response(first)["result"], Value::Null, "the older request is superseded");
    assert_eq!(items(&second)[0]["insertText"], "value_total", "{second}");
    assert_eq!(mock.request_count(), 1, "the second request waited for the first call instead of making its own");
}

#[test]
fn reading_stops_once_a_suggestion_is_complete() {
    // A model that would ramble on for many lines (and seconds) past the end of the block: the
    // vendor's own stop sequences cannot tell (a multi-line answer sends none), the server can.
    let mut chunks = vec!["return sum(items)\n".to_owned(), "total = 0\n".to_owned()];
    chunks.extend((0..30).map(|idx| format!("line_{idx}()\n")));
    let mock = MockProvider::start(Reply::Stream { chunks, delay: Duration::from_millis(100) });
    let (mut server, _) = start(provider_options(&mock, 0), true, "utf-16");
    let uri = "file:///stop.py";
    server.open(uri, "python", "def total(items):\n    \n\nprint(total([1]))\n");
    let response = inline_request(&mut server, uri, 1, 4, 2);
    assert_eq!(items(&response)[0]["insertText"], "return sum(items)", "{response}");
    assert!(mock.requests()[0].body.get("stop").is_none(), "a multi-line request");
    // The stream was dropped once the answer left the block: the vendor saw it closed early.
    let started = std::time::Instant::now();
    while mock.closed_early() == 0 && started.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(mock.closed_early(), 1, "the rest of the answer was read and paid for");
}

#[test]
fn items_extend_the_selected_completion_item_over_its_range() {
    let mock = MockProvider::start(Reply::text("pute_total(items)\n"));
    let (mut server, _) = start(provider_options(&mock, 0), true, "utf-16");
    let uri = "file:///sel.py";
    server.open(uri, "python", "x = com\n");
    let selected = |text: &str| {
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 7},
               "context": {"triggerKind": 2, "selectedCompletionInfo": {
                   "range": {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 7}}, "text": text}}})
    };
    // The popup has `compute_total` selected: the suggestion extends it, over the same range.
    let response = server.request("textDocument/inlineCompletion", selected("compute_total"));
    let found = items(&response);
    assert_eq!(found.len(), 1, "{response}");
    assert_eq!(found[0]["insertText"], "compute_total(items)");
    assert_eq!(found[0]["range"], json!({"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 7}}));
    // A selected item the suggestion does not extend: nothing is shown (it would be dropped).
    let response = server.request("textDocument/inlineCompletion", selected("compare"));
    assert!(items(&response).is_empty(), "{response}");
}

#[test]
fn secrets_are_never_completed_in_nor_sent() {
    let mock = MockProvider::start(Reply::text("sk-live-123\n"));
    let (mut server, _) = start(provider_options(&mock, 0), true, "utf-16");
    for uri in [
        "file:///app/.env",
        "file:///app/.env.production",
        "file:///keys/server.pem",
        "file:///home/me/.ssh/id_ed25519",
    ] {
        server.open(uri, "plaintext", "API_KEY=\n");
        assert_eq!(inline_request(&mut server, uri, 0, 8, 1)["result"], Value::Null, "{uri}");
    }
    assert_eq!(mock.request_count(), 0, "an excluded file reached the provider");
}

#[test]
fn an_invoked_request_for_three_items_asks_once_where_the_vendor_takes_n() {
    let answers = || Reply::Choices(vec!["total(items)\n".into(), "sum(items)\n".into(), "len(items)\n".into()]);
    let invoke = |options: Value| {
        let mock = MockProvider::start(answers());
        let mut options = options;
        options["providers"]["mock"]["base_url"] = json!(format!("{}/v1", mock.base_url));
        let (mut server, _) = start(options, true, "utf-16");
        let uri = "file:///n.py";
        server.open(uri, "python", "def f(items):\n    return \n");
        let response = inline_request(&mut server, uri, 1, 11, 1);
        let texts: Vec<Value> = items(&response).iter().map(|item| item["insertText"].clone()).collect();
        (texts, mock.requests())
    };
    let mock = MockProvider::start(answers());
    let mut options = provider_options(&mock, 0);
    options["completion"]["n_items_invoked"] = json!(3);
    options["providers"]["mock"]["max_choices"] = json!(8);
    let (texts, requests) = invoke(options.clone());
    assert_eq!(texts, [json!("total(items)"), json!("sum(items)"), json!("len(items)")]);
    assert_eq!(requests.len(), 1, "one request, the prompt billed once");
    assert_eq!(requests[0].body["n"], 3);

    // A server not known to take `n` gets one request per item, none of them with `n`; each
    // returns its first choice only, so this mock's three requests give one distinct item.
    options["providers"]["mock"].as_object_mut().map(|mock| mock.remove("max_choices"));
    let (texts, requests) = invoke(options);
    assert_eq!(texts, [json!("total(items)")]);
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|request| request.body.get("n").is_none()));
}

#[test]
fn a_single_line_completion_from_a_chat_model_gets_the_code_not_the_fence() {
    // Chat models answer a FIM prompt in a fenced block, fence line first. This loopback vendor
    // stops at `stop` sequences as the real APIs do, so a line-end stop would leave only the fence.
    let mock = MockProvider::start(Reply::Stream {
        chunks: vec!["```python\n".into(), "1, 2\n".into(), "```\n".into()],
        delay: Duration::ZERO,
    });
    let mut options = provider_options(&mock, 0);
    options["providers"]["mock"]["fim"] = json!("chat");
    let (mut server, _) = start(options, true, "utf-16");
    let uri = "file:///chat.py";
    server.open(uri, "python", "def add(a, b):\n    return a + b\n\nprint(add())\n");
    let response = inline_request(&mut server, uri, 3, 10, 2);
    assert_eq!(items(&response).first().map(|item| item["insertText"].clone()), Some(json!("1, 2")), "{response}");
    let requests = mock.requests();
    assert_eq!(requests[0].path, "/v1/chat/completions");
    let fim = MockProvider::start(Reply::text("1, 2\n"));
    let (mut native, _) = start(provider_options(&fim, 0), true, "utf-16");
    native.open(uri, "python", "def add(a, b):\n    return a + b\n\nprint(add())\n");
    inline_request(&mut native, uri, 3, 10, 2);
    assert_eq!(fim.requests()[0].body["stop"], json!(["\n"]), "the position asks for a single line");
}

#[test]
fn a_provider_that_cannot_be_reached_is_named_with_its_address_in_one_short_line() {
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let options = json!({
        "providers": {"down": {"kind": "openai", "model": "m", "base_url": format!("http://127.0.0.1:{dead_port}/v1"),
                               "api_key_env": "MOCK_KEY", "fim": "native"}},
        "completion": {"providers": ["down"], "debounce_ms": 0},
    });
    let (mut server, _) = start(options, true, "utf-16");
    let uri = "file:///down.py";
    server.open(uri, "python", "x = \n");
    inline_request(&mut server, uri, 0, 4, 2);
    let shown: Vec<String> = server
        .take_notifications("window/showMessage", Duration::from_millis(500))
        .iter()
        .map(|m| m["params"]["message"].as_str().unwrap_or_default().to_owned())
        .collect();
    let expected = format!(
        "Switchboard: No completion from any provider: down at http://127.0.0.1:{dead_port}: connection refused (is it running?)."
    );
    assert_eq!(shown, [expected], "one line, in the user's terms");
    let status = server.call("switchboard/status", Value::Null);
    assert_eq!(status["messages"].as_array().map(Vec::len), Some(1), "{status}");
}

/// Defect: the first explicit request for menu items (Neovim 0.10's `<C-x><C-o>`) always came
/// back empty, after 250 ms, and the user had to ask again. An explicit request waits for its
/// answer; an automatic one still answers at once and marks the list incomplete.
#[test]
fn an_explicit_items_request_waits_for_its_answer() {
    let mock =
        MockProvider::start(Reply::Stream { chunks: vec!["total(items)\n".into()], delay: Duration::from_millis(400) });
    let (mut server, _) = start(provider_options(&mock, 0), false, "utf-16");
    let ask = |server: &mut TestServer, uri: &str, trigger: u32| {
        server.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 9}, "context": {"triggerKind": trigger}}),
        )
    };
    server.open("file:///automatic.py", "python", "result = \n");
    let automatic = ask(&mut server, "file:///automatic.py", 2);
    assert_eq!(automatic["result"]["items"], json!([]), "an automatic request does not wait: {automatic}");
    server.open("file:///explicit.py", "python", "answer = \n");
    let explicit = ask(&mut server, "file:///explicit.py", 1);
    let items = explicit["result"]["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        items.first().map(|item| item["textEdit"]["newText"].clone()),
        Some(json!("total(items)")),
        "{explicit}"
    );
}

/// Made up, in the vendors' documented shapes.
const GITHUB_TOKEN: &str = "ghp_4fG7hJ2kL9mN3pQ6rS8tV1wX5yZ0aB3cD6eF";
const DB_PASSWORD: &str = "S3cr3t-P4ss";

#[test]
fn secrets_inside_ordinary_files_are_masked_and_never_completed_back() {
    let mock = MockProvider::start(Reply::text("REDACTED_SECRET_1\"\n"));
    let (mut server, _) = start(provider_options(&mock, 0), true, "utf-16");
    let uri = "file:///app/settings.py";
    let text = format!(
        "GITHUB_TOKEN = \"{GITHUB_TOKEN}\"\nDATABASE_URL = \"postgres://app:{DB_PASSWORD}@db:5432/shop\"\nBACKUP_TOKEN = \"\n"
    );
    server.open(uri, "python", &text);
    // The model answers with the placeholder it was shown: that suggestion must not be inserted.
    let response = inline_request(&mut server, uri, 2, 16, 2);
    assert!(items(&response).is_empty(), "a suggestion that writes a placeholder: {response}");
    let sent = mock.requests()[0].body.to_string();
    assert!(!sent.contains(GITHUB_TOKEN) && !sent.contains(DB_PASSWORD), "a secret was sent: {sent}");
    assert!(sent.contains("GITHUB_TOKEN = \\\"REDACTED_SECRET_1\\\""), "{sent}");
    assert!(sent.contains("postgres://app:REDACTED_SECRET_2@db"), "{sent}");
    // Ordinary suggestions in the same file still come.
    mock.push(Reply::text("os.environ[\"BACKUP_TOKEN\"]\n"));
    change(&mut server, uri, 2, 3, 0, "x = ");
    assert_eq!(items(&inline_request(&mut server, uri, 3, 4, 2))[0]["insertText"], "os.environ[\"BACKUP_TOKEN\"]");
    let status = server.call("switchboard/status", Value::Null);
    assert_eq!(status["redact"]["enabled"], true, "{status}");
    assert_eq!(status["redact"]["prompts_masked"], 2, "{status}");
    assert_eq!(status["redact"]["secrets_masked"]["github_token"], 2, "{status}");
    assert_eq!(status["redact"]["secrets_masked"]["url_password"], 2, "{status}");
    assert_eq!(status["redact"]["suggestions_dropped"], 1, "{status}");
    let log = server.stderr();
    let leaked: Vec<&str> = log.lines().filter(|line| line.contains(GITHUB_TOKEN)).collect();
    assert!(leaked.is_empty(), "a secret reached the log: {leaked:#?}");
}

#[test]
fn the_user_s_own_patterns_are_masked_and_redaction_is_off_only_when_the_user_says() {
    let mock = MockProvider::start(Reply::text("1\n"));
    let mut options = provider_options(&mock, 0);
    options["redact"] = json!({"patterns": ["acme-[0-9a-f]{16}"]});
    let (mut server, _) = start(options, true, "utf-16");
    let uri = "file:///app/acme.py";
    server.open(uri, "python", "LICENSE = 'acme-0123456789abcdef'\nx = \n");
    let response = inline_request(&mut server, uri, 1, 4, 2);
    assert_eq!(mock.request_count(), 1, "{response}\n{}", server.stderr());
    let sent = mock.requests()[0].body.to_string();
    assert!(!sent.contains("acme-0123456789abcdef") && sent.contains("REDACTED_SECRET_1"), "{sent}");

    let mut options = provider_options(&mock, 0);
    options["redact"] = json!({"enabled": false});
    let (mut server, _) = start(options, true, "utf-16");
    server.open(uri, "python", &format!("TOKEN = '{GITHUB_TOKEN}'\nx = \n"));
    inline_request(&mut server, uri, 1, 4, 2);
    assert!(mock.requests()[1].body.to_string().contains(GITHUB_TOKEN), "redaction off sends the text as it is");
}

/// Helix shows a message until the next key and never again: an explicit request that no
/// provider can answer is told each time it is made; automatic ones stay quiet after the first.
#[test]
fn an_explicit_request_that_no_provider_answers_is_told_every_time() {
    let blocked = MockProvider::start(Reply::blocked_credential());
    let options = json!({
        "providers": {"claude": {"kind": "anthropic", "model": "claude-haiku-4-5", "base_url": blocked.base_url,
                                 "api_key_env": "MOCK_KEY"}},
        "completion": {"providers": ["claude"], "debounce_ms": 0},
    });
    let (mut server, _) = start(options.clone(), true, "utf-16");
    let uri = "file:///f.py";
    server.open(uri, "python", "answer = \n");
    let messages = |server: &mut TestServer| -> Vec<String> {
        server
            .take_notifications("window/showMessage", Duration::from_millis(300))
            .iter()
            .map(|m| m["params"]["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    inline_request(&mut server, uri, 0, 9, 2);
    let first = messages(&mut server);
    assert!(!first.is_empty(), "the failure is told: {first:?}");
    inline_request(&mut server, uri, 0, 9, 2);
    assert!(messages(&mut server).is_empty(), "an automatic request repeats nothing");
    for _ in 0..2 {
        inline_request(&mut server, uri, 0, 9, 1);
        let told = messages(&mut server);
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(
            told[0].starts_with("Switchboard: no suggestion:")
                && told[0].contains("claude")
                && told[0].contains("doctor"),
            "{}",
            told[0]
        );
        assert!(!told[0].contains('\n'), "one line: {}", told[0]);
    }
    // Items too, for a client without ghost text (Helix asks for items).
    let (mut server, _) = start(options, false, "utf-16");
    server.open(uri, "python", "answer = \n");
    server.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 9}, "context": {"triggerKind": 1}}),
    );
    let told = messages(&mut server);
    assert!(told.iter().any(|message| message.starts_with("Switchboard: no suggestion:")), "{told:?}");
}

/// Languages the table knows without a grammar get their own post-processing through the
/// server: Markdown keeps a suggestion's fences (they are the file's content), and an Elixir
/// body stops at its `end`.
#[test]
fn languages_without_a_grammar_get_their_own_post_processing() {
    let suggest = |uri: &str, language_id: &str, text: &str, line: u32, character: u32, answer: &str| {
        let mock = MockProvider::start(Reply::text(answer));
        let (mut server, _) = start(provider_options(&mock, 0), false, "utf-16");
        server.open(uri, language_id, text);
        let response = server.call(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
        );
        let items = response["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 1, "{response}");
        items[0]["textEdit"]["newText"].as_str().unwrap_or_default().to_owned()
    };
    let fenced = "```sh\nls -l\n```";
    assert_eq!(suggest("file:///notes/README.md", "markdown", "# Notes\n\n\n", 2, 0, fenced), fenced);
    let module = "defmodule Cart do\n  def add(a, b) do\n    \n  end\nend\n";
    let answer = "a + b\n  end\n\n  def sub(a, b), do: a - b\nend\n";
    assert_eq!(suggest("file:///app/lib/cart.ex", "elixir", module, 2, 4, answer), "a + b");
}

/// The prompt tokens the vendor reports, cached ones included, add up per provider in
/// `switchboard/status`; a chat prompt's stable part (system prompt, the file's imports) is the
/// prefix the vendor's cache serves to the next request in the same function.
#[test]
fn reported_and_cached_prompt_tokens_add_up_in_status() {
    let mock = MockProvider::start(Reply::text("value"));
    let mut options = provider_options(&mock, 0);
    options["providers"]["mock"]["fim"] = json!("chat");
    options["completion"]["n_items_invoked"] = json!(1);
    let (mut server, _) = start(options, true, "utf-16");
    let mut text: String =
        (0..160).map(|n| format!("use crate::generated::module_{n}::{{Alpha{n}, Beta{n}, Gamma{n}}};\n")).collect();
    text.push_str("\npub fn long_function(input: &[u32]) -> u32 {\n");
    for line in 0..1200 {
        text.push_str(&format!("    let value_{line} = input.len() as u32 + {line};\n"));
    }
    text.push_str("    0\n}\n");
    let uri = "file:///src/lib.rs";
    server.open(uri, "rust", &text);
    for line in [1000, 1040] {
        // At the end of a line: a new statement may follow.
        let end = text.lines().nth(line).map_or(0, str::len) as u32;
        let response = inline_request(&mut server, uri, line as u32, end, 1);
        assert!(!items(&response).is_empty(), "{response}\n{}", server.stderr());
    }
    let reported = mock.usage();
    assert_eq!(reported.len(), 2);
    assert!(reported[1].cached >= 1024, "the second prompt shares the first's stable prefix: {reported:?}");
    let status = server.call("switchboard/status", Value::Null);
    let provider = &status["providers"][0];
    assert_eq!(provider["name"], "mock", "{status}");
    assert_eq!(provider["input_tokens"], reported.iter().map(|usage| usage.prompt).sum::<usize>(), "{status}");
    assert_eq!(provider["cached_input_tokens"], reported.iter().map(|usage| usage.cached).sum::<usize>(), "{status}");
    assert_eq!(provider["cache_write_tokens"], 0, "{status}");
    assert!(provider["output_tokens"].as_u64().is_some_and(|n| n > 0), "{status}");
}

/// A long file header reaches Anthropic marked with one `cache_control` breakpoint, which the
/// strict loopback double accepts; the first request writes the cache and the next one, in the
/// same function, reads it, and `switchboard/status` shows both.
#[test]
fn anthropic_caches_the_stable_prefix_and_status_shows_reads_and_writes() {
    let mock = MockProvider::start(Reply::text("\nvalue\n```"));
    let options = json!({
        "providers": {"claude": {"kind": "anthropic", "model": "claude-sonnet-4-5", "base_url": mock.base_url,
                                  "api_key_env": "MOCK_KEY"}},
        "completion": {"providers": ["claude"], "debounce_ms": 0, "n_items_invoked": 1},
    });
    let (mut server, _) = start(options, true, "utf-16");
    let mut text: String =
        (0..160).map(|n| format!("use crate::generated::module_{n}::{{Alpha{n}, Beta{n}, Gamma{n}}};\n")).collect();
    text.push_str("\npub fn long_function(input: &[u32]) -> u32 {\n");
    for line in 0..1200 {
        text.push_str(&format!("    let value_{line} = input.len() as u32 + {line};\n"));
    }
    text.push_str("    0\n}\n");
    let uri = "file:///src/lib.rs";
    server.open(uri, "rust", &text);
    for line in [1000, 1040] {
        let end = text.lines().nth(line).map_or(0, str::len) as u32;
        let response = inline_request(&mut server, uri, line as u32, end, 1);
        assert!(!items(&response).is_empty(), "{response}\n{}", server.stderr());
    }
    let requests = mock.requests();
    for request in &requests {
        // Two breakpoints: after the header and the other files, and at the cursor's line.
        assert_eq!(request.body.to_string().matches("cache_control").count(), 2, "{}", request.body);
        let content = &request.body["messages"][0]["content"];
        assert_eq!(content[0]["cache_control"], json!({"type": "ephemeral"}));
        let header = content[0]["text"].as_str().unwrap_or_default();
        assert!(header.contains("use crate::generated::module_0::"), "the header is in it: {header}");
        assert_eq!(content[1]["cache_control"], json!({"type": "ephemeral"}));
        assert!(content[2].get("cache_control").is_none());
    }
    assert_eq!(requests[0].body["messages"][0]["content"][0], requests[1].body["messages"][0]["content"][0]);
    let reported = mock.usage();
    assert!(reported[0].written >= 1024 && reported[0].cached == 0, "{reported:?}");
    // The second request, 40 lines on, reads the header and the other files from the cache
    // and writes its own window.
    assert!(reported[1].cached >= 1024 && reported[1].cached < reported[0].written, "{reported:?}");
    assert!(reported[1].written > 0, "{reported:?}");
    let status = server.call("switchboard/status", Value::Null);
    let claude = &status["providers"][0];
    let sum = |part: fn(&ReportedUsage) -> usize| reported.iter().map(part).sum::<usize>();
    assert_eq!(claude["input_tokens"], sum(|usage| usage.prompt), "{status}");
    assert_eq!(claude["cache_write_tokens"], sum(|usage| usage.written), "{status}");
    assert_eq!(claude["cached_input_tokens"], sum(|usage| usage.cached), "{status}");
}
