//! Property tests of everything a vendor's bytes go through (issue 11):
//! - the SSE and NDJSON readers of `http`, fed chunks split at points the test chooses (a
//!   `reqwest::Response` built from a stream, no server), against the unsplit input and against
//!   models of the two formats;
//! - `decode_stream`, with a scripted decoder;
//! - the header and body parsers (`retry_after`, `parse_http_date`, `error_message`);
//! - every vendor's own decoder, streamed and whole, through its public `Provider` on a loopback
//!   server, on JSON shaped like the vendor's with values of any type and size.

mod support;

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Map, Value, json};
use support::{Body, MockServer, Piece, Reply};
use switchboard_providers::http::{
    self, FrameDecoder, FrameStream, SseEvent, decode_stream, ndjson_stream, parse_http_date, retry_after, sse_stream,
};
use switchboard_providers::{ErrorKind, Provider, ProviderError, ProviderKind, ProviderSpec, StreamEvent, Usage};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|error| panic!("no runtime: {error}"))
}

/// A 200 response whose body arrives in exactly these chunks.
fn response(chunks: Vec<Vec<u8>>) -> reqwest::Response {
    let chunks = stream::iter(chunks.into_iter().map(|chunk| Ok::<_, std::io::Error>(Bytes::from(chunk))));
    reqwest::Response::from(::http::Response::new(reqwest::Body::wrap_stream(chunks)))
}

/// `bytes` cut at the given points (taken modulo the length, in any order).
fn split(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut cuts: Vec<usize> = cuts.iter().map(|cut| cut % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for cut in cuts.into_iter().chain([bytes.len()]) {
        chunks.push(bytes[start..cut].to_vec());
        start = cut;
    }
    chunks
}

/// Every item of a frame stream, errors as their kind (the stream ends after one).
async fn drain<T>(mut frames: FrameStream<T>) -> Vec<Result<T, ErrorKind>> {
    let mut items = Vec::new();
    while let Some(item) = tokio::time::timeout(Duration::from_secs(10), frames.next()).await.expect("no hang") {
        items.push(item.map_err(|error| error.kind));
    }
    items
}

/// Fails the test if an error ended the stream anywhere but at its end.
fn check_error_ends<T>(items: &[Result<T, ErrorKind>]) -> Result<(), TestCaseError> {
    let first_error = items.iter().position(Result::is_err);
    prop_assert!(first_error.is_none_or(|at| at == items.len() - 1), "items after an error");
    Ok(())
}

// --- SSE ---

/// Pieces of an event stream: fields, comments, every line end, a BOM, characters of every
/// width, and bytes that are not UTF-8.
fn sse_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        8 => prop::sample::select(vec![
            "data:", "data: ", "data", "event: ", "event:x", "id: 7", "id", "retry: 10", "retry: x", ": keep-alive",
            ":", " ", "\n", "\r", "\r\n", "\n\n", "\r\n\r\n", "x", "{\"a\":1}", "[DONE]", "é", "😀", "\u{feff}", "\0",
            "message_stop",
        ])
        .prop_map(|piece| piece.as_bytes().to_vec()),
        1 => prop::sample::select(vec![vec![0xff], vec![0xc3], vec![0xed, 0xa0, 0x80], vec![0xef, 0xbb]]),
    ];
    (any::<bool>(), prop::collection::vec(piece, 0..40)).prop_map(|(bom, pieces)| {
        let mut bytes = if bom { "\u{feff}".as_bytes().to_vec() } else { Vec::new() };
        bytes.extend(pieces.concat());
        bytes
    })
}

async fn sse_items(chunks: Vec<Vec<u8>>) -> Vec<Result<SseEvent, ErrorKind>> {
    drain(sse_stream("fuzz", response(chunks), None)).await
}

/// One event as the model sees it: an optional name, data lines, comments between them.
#[derive(Debug, Clone)]
struct ModelEvent {
    name: Option<String>,
    data: Vec<String>,
    comment: Option<String>,
    id: Option<String>,
}

/// A field value: anything but a line break. A leading space is part of the value once the
/// one after the colon is taken.
fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[^\r\n]{0,12}",
        prop::sample::select(vec!["", " ", "  two", "{\"choices\":[]}", "[DONE]", "😀", "a:b"]).prop_map(str::to_owned),
    ]
}

fn model_events() -> impl Strategy<Value = Vec<ModelEvent>> {
    let event = (
        prop::option::of(prop::sample::select(vec!["message_start", "x", "é", ""]).prop_map(str::to_owned)),
        prop::collection::vec(field_value(), 0..4),
        prop::option::of(field_value()),
        prop::option::of("[a-z0-9]{0,4}"),
    )
        .prop_map(|(name, data, comment, id)| ModelEvent { name, data, comment, id });
    prop::collection::vec(event, 0..8)
}

/// The events written with `end` as the line end.
fn write_events(events: &[ModelEvent], end: &str) -> Vec<u8> {
    let mut text = String::new();
    for event in events {
        if let Some(comment) = &event.comment {
            text.push_str(&format!(":{comment}{end}"));
        }
        if let Some(name) = &event.name {
            text.push_str(&format!("event: {name}{end}"));
        }
        for (index, line) in event.data.iter().enumerate() {
            // Both spellings: `data: x`, and `data:x`, where a value's own leading space is taken
            // for the one after the colon.
            if index % 2 == 0 {
                text.push_str(&format!("data: {line}{end}"));
            } else {
                text.push_str(&format!("data:{line}{end}"));
            }
        }
        if let Some(id) = &event.id {
            text.push_str(&format!("id: {id}{end}"));
        }
        text.push_str(end);
    }
    text.into_bytes()
}

/// What the SSE specification dispatches for these events.
fn expected_events(events: &[ModelEvent]) -> Vec<SseEvent> {
    events
        .iter()
        .filter(|event| !event.data.is_empty())
        .map(|event| {
            let data: Vec<String> = event
                .data
                .iter()
                .enumerate()
                .map(
                    |(index, line)| {
                        if index % 2 == 1 && line.starts_with(' ') { line[1..].to_owned() } else { line.clone() }
                    },
                )
                .collect();
            SseEvent {
                event: event.name.clone().filter(|name| !name.is_empty()).unwrap_or_else(|| "message".to_owned()),
                data: data.join("\n"),
            }
        })
        .collect()
}

// --- NDJSON ---

fn ndjson_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        8 => prop::sample::select(vec![
            "{\"response\":\"a\"}", "{\"done\":true}", "\n", "\r\n", "\r", " ", "\t", "x", "é", "😀", "\u{feff}", "",
        ])
        .prop_map(|piece| piece.as_bytes().to_vec()),
        1 => prop::sample::select(vec![vec![0xff], vec![0xc3], vec![0xe2, 0x82]]),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

/// The NDJSON reader's contract: lines split at `\n`, trimmed, blank ones skipped, the last
/// one without a `\n` too; a line that is not UTF-8 is an error that ends the stream.
fn expected_lines(bytes: &[u8]) -> Vec<Result<String, ErrorKind>> {
    let mut items = Vec::new();
    let mut lines: Vec<&[u8]> = bytes.split(|byte| *byte == b'\n').collect();
    if bytes.ends_with(b"\n") || bytes.is_empty() {
        lines.pop();
    }
    for line in lines {
        match std::str::from_utf8(line) {
            Ok(line) if line.trim().is_empty() => {}
            Ok(line) => items.push(Ok(line.trim().to_owned())),
            Err(_) => {
                items.push(Err(ErrorKind::BadResponse));
                break;
            }
        }
    }
    items
}

async fn ndjson_items(chunks: Vec<Vec<u8>>) -> Vec<Result<String, ErrorKind>> {
    drain(ndjson_stream("fuzz", response(chunks), None)).await
}

// --- decode_stream ---

/// What a scripted decoder does with its next frame.
#[derive(Debug, Clone)]
enum Step {
    Continue(Vec<String>),
    Done(Vec<String>),
    Fail(Vec<String>),
}

struct Scripted {
    steps: std::collections::VecDeque<Step>,
    finish_fails: bool,
}

impl FrameDecoder<u32> for Scripted {
    fn decode(&mut self, _frame: u32, events: &mut Vec<StreamEvent>) -> Result<http::Flow, ProviderError> {
        let step = self.steps.pop_front().unwrap_or(Step::Continue(Vec::new()));
        let (texts, outcome) = match step {
            Step::Continue(texts) => (texts, Ok(http::Flow::Continue)),
            Step::Done(texts) => (texts, Ok(http::Flow::Done)),
            Step::Fail(texts) => (texts, Err(ProviderError::new(ErrorKind::BadResponse, "fuzz", "scripted"))),
        };
        events.extend(texts.into_iter().map(StreamEvent::Text));
        outcome
    }

    fn finish(&mut self) -> Result<(), ProviderError> {
        if self.finish_fails { Err(ProviderError::new(ErrorKind::Network, "fuzz", "cut short")) } else { Ok(()) }
    }
}

fn step() -> impl Strategy<Value = Step> {
    let texts = prop::collection::vec("[a-z]{1,3}", 0..3);
    prop_oneof![
        6 => texts.clone().prop_map(Step::Continue),
        1 => texts.clone().prop_map(Step::Done),
        1 => texts.prop_map(Step::Fail),
    ]
}

// --- Vendor-shaped JSON ---

/// The shape of a vendor's JSON: each member is there or not, each value of its type or of any
/// other.
#[derive(Debug, Clone)]
enum Shape {
    Object(Vec<(&'static str, Shape)>),
    Array(Box<Shape>),
    Text,
    Number,
    Flag,
    OneOf(&'static [&'static str]),
}

fn object(members: Vec<(&'static str, Shape)>) -> Shape {
    Shape::Object(members)
}

fn array(shape: Shape) -> Shape {
    Shape::Array(Box::new(shape))
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => (0u64..5000).prop_map(Value::from),
        1 => prop::sample::select(vec![
            json!(0),
            json!(1),
            json!(-1),
            json!(u32::MAX),
            json!(u64::MAX),
            json!(u64::MAX - 1),
            json!(i64::MIN),
            json!(1.5),
            json!(1e300),
            json!(-1e300),
        ]),
        1 => any::<u64>().prop_map(Value::from),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["", "Hello", " there", "\n", "é😀", "STOP", "error", "[DONE]", "0"]).prop_map(str::to_owned),
        1 => "\\PC{0,16}",
        1 => (1usize..3000).prop_map(|n| "x".repeat(n)),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf =
        prop_oneof![Just(Value::Null), any::<bool>().prop_map(Value::Bool), number(), text().prop_map(Value::String)];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec(("[a-z]{1,6}", inner), 0..3)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

fn shaped(shape: &Shape) -> BoxedStrategy<Value> {
    let typed = match shape {
        Shape::Text => text().prop_map(Value::String).boxed(),
        Shape::Number => number().boxed(),
        Shape::Flag => any::<bool>().prop_map(Value::Bool).boxed(),
        Shape::OneOf(options) => prop::sample::select(options.to_vec()).prop_map(Value::from).boxed(),
        Shape::Array(item) => prop::collection::vec(shaped(item), 0..3).prop_map(Value::Array).boxed(),
        Shape::Object(members) => {
            let members: Vec<BoxedStrategy<Option<(String, Value)>>> = members
                .iter()
                .map(|(name, shape)| {
                    // Errors are rare, and Anthropic's `type` is always there.
                    let presence = match *name {
                        "error" => 0.08,
                        "type" => 0.95,
                        _ => 0.6,
                    };
                    let name = (*name).to_owned();
                    prop::option::weighted(presence, shaped(shape))
                        .prop_map(move |value| value.map(|value| (name.clone(), value)))
                        .boxed()
                })
                .collect();
            members.prop_map(|members| Value::Object(members.into_iter().flatten().collect::<Map<_, _>>())).boxed()
        }
    };
    prop_oneof![30 => typed, 1 => any_json()].boxed()
}

fn openai_choice() -> Shape {
    object(vec![
        ("index", Shape::Number),
        ("delta", object(vec![("content", Shape::Text), ("role", Shape::Text), ("reasoning_content", Shape::Text)])),
        ("message", object(vec![("content", Shape::Text)])),
        ("text", Shape::Text),
        ("finish_reason", Shape::OneOf(&["stop", "length", "error", ""])),
    ])
}

fn openai_error() -> Shape {
    object(vec![("message", Shape::Text), ("code", Shape::Number), ("type", Shape::Text)])
}

fn openai_chunk() -> Shape {
    object(vec![
        ("choices", array(openai_choice())),
        ("usage", object(vec![("prompt_tokens", Shape::Number), ("completion_tokens", Shape::Number)])),
        ("error", openai_error()),
    ])
}

fn anthropic_event() -> Shape {
    object(vec![
        (
            "type",
            Shape::OneOf(&[
                "message_start",
                "content_block_start",
                "content_block_delta",
                "message_delta",
                "message_stop",
                "ping",
                "error",
                "new_kind",
            ]),
        ),
        (
            "message",
            object(vec![("usage", object(vec![("input_tokens", Shape::Number), ("output_tokens", Shape::Number)]))]),
        ),
        (
            "delta",
            object(vec![
                ("type", Shape::OneOf(&["text_delta", "input_json_delta"])),
                ("text", Shape::Text),
                ("stop_reason", Shape::Text),
            ]),
        ),
        ("usage", object(vec![("output_tokens", Shape::Number)])),
        (
            "error",
            object(vec![
                ("type", Shape::OneOf(&["overloaded_error", "rate_limit_error", "invalid_request_error", "api_error"])),
                ("message", Shape::Text),
            ]),
        ),
        ("content", array(object(vec![("type", Shape::OneOf(&["text"])), ("text", Shape::Text)]))),
    ])
}

fn gemini_response() -> Shape {
    object(vec![
        (
            "candidates",
            array(object(vec![
                (
                    "content",
                    object(vec![("parts", array(object(vec![("text", Shape::Text), ("thought", Shape::Flag)])))]),
                ),
                ("finishReason", Shape::OneOf(&["STOP", "MAX_TOKENS", "SAFETY"])),
            ])),
        ),
        (
            "usageMetadata",
            object(vec![
                ("promptTokenCount", Shape::Number),
                ("candidatesTokenCount", Shape::Number),
                ("thoughtsTokenCount", Shape::Number),
            ]),
        ),
        ("promptFeedback", object(vec![("blockReason", Shape::Text)])),
        (
            "error",
            object(vec![
                ("code", Shape::Number),
                ("message", Shape::Text),
                ("status", Shape::OneOf(&["RESOURCE_EXHAUSTED", "UNAVAILABLE", "INVALID_ARGUMENT", "INTERNAL", "X"])),
                (
                    "details",
                    array(object(vec![
                        (
                            "retryDelay",
                            Shape::OneOf(&["1s", "1.5s", "-1s", "1e300s", "18446744073709551616s", "NaNs", "s"]),
                        ),
                        ("reason", Shape::OneOf(&["API_KEY_INVALID", "RATE"])),
                        ("violations", array(object(vec![("quotaId", Shape::OneOf(&["PerDay", "PerMinute"]))]))),
                    ])),
                ),
            ]),
        ),
    ])
}

fn llamacpp_chunk() -> Shape {
    object(vec![
        ("content", Shape::Text),
        ("stop", Shape::Flag),
        ("tokens_evaluated", Shape::Number),
        ("tokens_predicted", Shape::Number),
        ("timings", object(vec![("prompt_n", Shape::Number), ("predicted_n", Shape::Number)])),
        ("choices", array(openai_choice())),
        ("usage", object(vec![("prompt_tokens", Shape::Number), ("completion_tokens", Shape::Number)])),
        ("error", openai_error()),
    ])
}

fn ollama_line() -> Shape {
    object(vec![
        ("response", Shape::Text),
        ("message", object(vec![("role", Shape::Text), ("content", Shape::Text)])),
        ("done", Shape::Flag),
        ("done_reason", Shape::Text),
        ("prompt_eval_count", Shape::Number),
        ("eval_count", Shape::Number),
        ("error", Shape::Text),
    ])
}

/// One frame's text: the vendor's JSON, that JSON cut short, `[DONE]`, or anything.
fn frame_text(shape: Shape) -> impl Strategy<Value = String> {
    prop_oneof![
        40 => shaped(&shape).prop_map(|value| value.to_string()),
        1 => (shaped(&shape), any::<prop::sample::Index>()).prop_map(|(value, cut)| {
            let text: Vec<char> = value.to_string().chars().collect();
            text[..cut.index(text.len() + 1)].iter().collect()
        }),
        1 => Just("[DONE]".to_owned()),
        1 => "\\PC{0,30}",
    ]
}

#[derive(Debug, Clone, Copy)]
enum Vendor {
    OpenAi,
    Anthropic,
    Gemini,
    LlamaCpp,
    Ollama,
}

impl Vendor {
    fn shape(self) -> Shape {
        match self {
            Self::OpenAi => openai_chunk(),
            Self::Anthropic => anthropic_event(),
            Self::Gemini => gemini_response(),
            Self::LlamaCpp => llamacpp_chunk(),
            Self::Ollama => ollama_line(),
        }
    }

    fn provider(self, url: String, stream: bool) -> Box<dyn Provider> {
        let spec =
            ProviderSpec { stream: Some(stream), ..support::keyed_spec(url, "fuzz-model", "fuzz-key-0123456789") };
        let built: Result<Box<dyn Provider>, String> = match self {
            Self::OpenAi => {
                switchboard_providers::openai_compat::OpenAiCompatible::from_spec(ProviderKind::Openai, "fuzz", &spec)
                    .map(|p| Box::new(p) as _)
            }
            Self::Anthropic => {
                switchboard_providers::anthropic::Anthropic::from_spec("fuzz", &spec).map(|p| Box::new(p) as _)
            }
            Self::Gemini => switchboard_providers::gemini::Gemini::from_spec("fuzz", &spec).map(|p| Box::new(p) as _),
            Self::LlamaCpp => {
                switchboard_providers::llamacpp::LlamaCpp::from_spec("fuzz", &spec).map(|p| Box::new(p) as _)
            }
            Self::Ollama => switchboard_providers::ollama::Ollama::from_spec("fuzz", &spec).map(|p| Box::new(p) as _),
        };
        built.unwrap_or_else(|error| panic!("cannot build the provider: {error}"))
    }
}

/// One vendor answer: frames, whether they are streamed, and where the bytes are cut.
#[derive(Debug, Clone)]
struct Answer {
    frames: Vec<String>,
    names: Vec<Option<&'static str>>,
    stream: bool,
    cuts: Vec<usize>,
}

fn answer(vendor: Vendor) -> impl Strategy<Value = Answer> {
    (
        prop::collection::vec(frame_text(vendor.shape()), 1..8),
        prop::collection::vec(
            prop::option::of(prop::sample::select(vec!["message_start", "content_block_delta", "error"])),
            6,
        ),
        prop::bool::weighted(0.75),
        prop::collection::vec(any::<usize>(), 0..6),
    )
        .prop_map(|(frames, names, stream, cuts)| Answer { frames, names, stream, cuts })
}

fn reply(vendor: Vendor, answer: &Answer) -> Reply {
    if !answer.stream {
        return Reply::json(200, answer.frames[0].clone());
    }
    let (content_type, body) = match vendor {
        Vendor::Ollama => {
            ("application/x-ndjson", answer.frames.iter().map(|frame| format!("{frame}\n")).collect::<String>())
        }
        _ => {
            let mut body = String::new();
            for (frame, name) in answer.frames.iter().zip(&answer.names) {
                if let Some(name) = name {
                    body.push_str(&format!("event: {name}\n"));
                }
                body.push_str(&format!("data: {frame}\n\n"));
            }
            ("text/event-stream", body)
        }
    };
    let pieces =
        split(body.as_bytes(), &answer.cuts).into_iter().map(|data| Piece { delay: Duration::ZERO, data }).collect();
    Reply { status: 200, headers: vec![("content-type".into(), content_type.into())], body: Body::Pieces(pieces) }
}

/// Runs `cases` answers of `vendor` through its provider: each ends, in time, without a panic.
fn vendor_never_panics(vendor: Vendor, cases: u32) {
    let runtime = runtime();
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let result = runner.run(&answer(vendor), |answer| {
        runtime.block_on(async {
            let server = MockServer::start().await;
            server.push(reply(vendor, &answer));
            let provider = vendor.provider(server.url(), answer.stream);
            let collected = tokio::time::timeout(Duration::from_secs(10), async {
                match provider.generate(support::chat_request()).await {
                    Ok(stream) => support::collect(stream).await,
                    Err(error) => support::Collected { error: Some(error), ..support::Collected::default() },
                }
            })
            .await;
            let collected = collected.map_err(|_| TestCaseError::fail("the answer never ended"))?;
            // Any answer ends on its own, in time, and not by our deadline.
            if let Some(error) = &collected.error {
                prop_assert!(!matches!(error.kind, ErrorKind::Timeout), "{:?}", error);
            }
            Ok(())
        })
    });
    if let Err(error) = result {
        panic!("{vendor:?}: {error}");
    }
}

/// Formats `time` as an IMF-fixdate with the inverse of the parser's algorithm (Howard
/// Hinnant's `civil_from_days`), weekday included.
fn imf_fixdate(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let (hour, minute, second) = (seconds % 86_400 / 3600, seconds % 3600 / 60, seconds % 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let month =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][month as usize - 1];
    format!("{weekday}, {day:02} {month} {year} {hour:02}:{minute:02}:{second:02} GMT")
}

fn header_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "0",
            "7",
            "-1",
            "1.5",
            "1e300",
            "-1e300",
            "NaN",
            "inf",
            "18446744073709551616",
            "1e20",
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 99999999999999 08:49:37 GMT",
            "Mon, 01 Jan 292277026597 00:00:00 GMT",
            "Sun, 06 Nov -9223372036854775808 08:49:37 GMT",
            "Sun, 06 Nov 9223372036854775807 23:59:60 GMT",
            "Sun, 31 Feb 2026 00:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "",
            " ",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,40}",
        (any::<i64>(), 1u32..=31, 0u64..30, 0u64..70)
            .prop_map(|(year, day, hour, minute)| { format!("Mon, {day:02} Jan {year} {hour:02}:{minute:02}:00 GMT") }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any bytes, split anywhere: the same events and the same ending as in one piece; an
    /// error only at the end, and only `BadResponse`.
    #[test]
    fn sse_splits_change_nothing(bytes in sse_bytes(), cuts in prop::collection::vec(any::<usize>(), 0..12)) {
        let runtime = runtime();
        let whole = runtime.block_on(sse_items(vec![bytes.clone()]));
        let pieces = runtime.block_on(sse_items(split(&bytes, &cuts)));
        let bytewise = runtime.block_on(sse_items(bytes.iter().map(|byte| vec![*byte]).collect()));
        prop_assert_eq!(&pieces, &whole);
        prop_assert_eq!(&bytewise, &whole);
        check_error_ends(&whole)?;
        for item in &whole {
            if let Err(kind) = item {
                prop_assert_eq!(*kind, ErrorKind::BadResponse);
            }
        }
    }

    /// Events written with LF, CRLF or CR line ends, behind a BOM or not, split anywhere,
    /// are the events the SSE specification dispatches.
    #[test]
    fn sse_events_match_the_specification(
        events in model_events(),
        end in prop::sample::select(vec!["\n", "\r\n", "\r"]),
        bom in any::<bool>(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let mut bytes = if bom { "\u{feff}".as_bytes().to_vec() } else { Vec::new() };
        bytes.extend(write_events(&events, end));
        let items = runtime().block_on(sse_items(split(&bytes, &cuts)));
        let expected: Vec<Result<SseEvent, ErrorKind>> = expected_events(&events).into_iter().map(Ok).collect();
        prop_assert_eq!(items, expected);
    }

    /// Any bytes, split anywhere, are the lines of the NDJSON contract.
    #[test]
    fn ndjson_lines_match_the_contract(bytes in ndjson_bytes(), cuts in prop::collection::vec(any::<usize>(), 0..12)) {
        let runtime = runtime();
        let expected = expected_lines(&bytes);
        prop_assert_eq!(runtime.block_on(ndjson_items(split(&bytes, &cuts))), expected.clone());
        prop_assert_eq!(runtime.block_on(ndjson_items(bytes.iter().map(|byte| vec![*byte]).collect())), expected);
    }

    /// A decoder's events come out in order; `Done` stops reading, an error ends the stream
    /// and drops that frame's events, and running out of frames asks the decoder whether
    /// that is fine.
    #[test]
    fn decode_stream_follows_its_decoder(steps in prop::collection::vec(step(), 0..8), n_frames in 0usize..10, finish_fails in any::<bool>()) {
        let frames: FrameStream<u32> = Box::pin(stream::iter((0..n_frames as u32).map(Ok)));
        let decoder = Scripted { steps: steps.iter().cloned().collect(), finish_fails };
        let items = runtime().block_on(async {
            let mut events = decode_stream(frames, decoder);
            let mut items = Vec::new();
            while let Some(item) = events.next().await {
                items.push(item.map_err(|error| error.kind));
            }
            items
        });
        let mut expected = Vec::new();
        let mut ended = false;
        for index in 0..n_frames {
            match steps.get(index).cloned().unwrap_or(Step::Continue(Vec::new())) {
                Step::Continue(texts) => expected.extend(texts.into_iter().map(|text| Ok(StreamEvent::Text(text)))),
                Step::Done(texts) => {
                    expected.extend(texts.into_iter().map(|text| Ok(StreamEvent::Text(text))));
                    ended = true;
                }
                Step::Fail(_) => {
                    expected.push(Err(ErrorKind::BadResponse));
                    ended = true;
                }
            }
            if ended {
                break;
            }
        }
        if !ended && finish_fails {
            expected.push(Err(ErrorKind::Network));
        }
        prop_assert_eq!(items, expected);
    }

    /// Header values of any form: no panic; a number of seconds is that wait; an HTTP-date is
    /// parsed back to the second it was made from.
    #[test]
    fn headers_never_panic(value in header_text(), seconds in 0u64..253_402_300_800) {
        for name in ["retry-after", "retry-after-ms"] {
            let mut headers = HeaderMap::new();
            if let Ok(header) = HeaderValue::from_str(&value) {
                headers.insert(name, header);
            }
            let wait = retry_after(&headers);
            if let Ok(number) = value.trim().parse::<u64>()
                && number < 1 << 40
            {
                let expected = if name == "retry-after" { Duration::from_secs(number) } else { Duration::from_millis(number) };
                let wait = wait.unwrap_or(Duration::MAX);
                prop_assert!(wait.abs_diff(expected) <= Duration::from_micros(1), "{:?} for {}: {}", wait, name, value);
            }
            let _ = http::should_retry(&headers);
        }
        let _ = parse_http_date(&value);
        let date = imf_fixdate(seconds);
        prop_assert_eq!(parse_http_date(&date), Some(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)), "{}", date);
    }

    /// Error bodies of any form: no panic, and the message a user sees is short.
    #[test]
    fn error_bodies_never_panic(body in prop_oneof![any_json().prop_map(|value| value.to_string()), "\\PC{0,600}", (0usize..5000).prop_map(|n| "é".repeat(n))], status in any::<u16>()) {
        let message = http::error_message(&body);
        prop_assert!(message.chars().count() <= 401);
        let _ = http::classify_status(status, &body);
    }
}

/// A long line in small chunks arrives whole, in time linear in its length: 8 MiB in 1 KiB
/// chunks took minutes in a debug build when every chunk had the whole line parsed again.
#[test]
fn long_lines_arrive_whole_and_soon() {
    let runtime = runtime();
    let line = "y".repeat(8 << 20);
    let in_time = |items: Vec<Vec<u8>>, sse: bool| {
        runtime.block_on(async {
            let items = async {
                if sse {
                    sse_items(items).await.into_iter().map(|item| item.map(|event| event.data)).collect::<Vec<_>>()
                } else {
                    ndjson_items(items).await
                }
            };
            tokio::time::timeout(Duration::from_secs(10), items).await.expect("linear time")
        })
    };
    let sse = format!("data: {line}\n\n").into_bytes();
    assert_eq!(in_time(sse.chunks(1024).map(<[u8]>::to_vec).collect(), true), vec![Ok(line.clone())]);
    let ndjson = format!("{line}\n").into_bytes();
    assert_eq!(in_time(ndjson.chunks(1024).map(<[u8]>::to_vec).collect(), false), vec![Ok(line)]);
}

/// A line longer than 16 MiB, or an event larger, is an error once it is that long, after the
/// events before it.
#[test]
fn oversized_lines_and_events_are_errors() {
    let runtime = runtime();
    let chunks = |text: String| -> Vec<Vec<u8>> { text.into_bytes().chunks(64 << 10).map(<[u8]>::to_vec).collect() };
    let before = Ok(SseEvent { event: "message".into(), data: "a".into() });
    let endless = format!("data: a\n\ndata: {}", "y".repeat(17 << 20));
    assert_eq!(runtime.block_on(sse_items(chunks(endless))), vec![before.clone(), Err(ErrorKind::BadResponse)]);
    let huge_event = format!("data: a\n\n{}", format!("data: {}\n", "y".repeat(1 << 20)).repeat(17));
    assert_eq!(runtime.block_on(sse_items(chunks(huge_event))), vec![before, Err(ErrorKind::BadResponse)]);
    let endless = format!("{{}}\n{}", "y".repeat(17 << 20));
    assert_eq!(runtime.block_on(ndjson_items(chunks(endless))), vec![Ok("{}".to_owned()), Err(ErrorKind::BadResponse)]);
}

#[test]
fn openai_decoder_never_panics() {
    vendor_never_panics(Vendor::OpenAi, 96);
}

#[test]
fn anthropic_decoder_never_panics() {
    vendor_never_panics(Vendor::Anthropic, 96);
}

#[test]
fn gemini_decoder_never_panics() {
    vendor_never_panics(Vendor::Gemini, 96);
}

#[test]
fn llamacpp_decoder_never_panics() {
    vendor_never_panics(Vendor::LlamaCpp, 96);
}

#[test]
fn ollama_decoder_never_panics() {
    vendor_never_panics(Vendor::Ollama, 96);
}

/// Usage reported as the vendor sent it, at the edges of `u64`.
#[test]
fn usage_at_the_edges() {
    let runtime = runtime();
    let usage = runtime.block_on(async {
        let server = MockServer::start().await;
        let frame = json!({"candidates":[{"content":{"parts":[{"text":"hi"}]},"finishReason":"STOP"}],
            "usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":u64::MAX,"thoughtsTokenCount":1}});
        server.push(Reply::sse_data([frame.to_string()]));
        let provider = Vendor::Gemini.provider(server.url(), true);
        let stream = provider.generate(support::chat_request()).await.unwrap_or_else(|error| panic!("{error}"));
        support::collect(stream).await.usage
    });
    assert_eq!(usage, Some(Usage::new(1, u64::MAX)));
}
