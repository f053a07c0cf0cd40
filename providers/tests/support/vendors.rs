//! The vendors' own request validation, for `MockServer::strict`: each function refuses, with
//! the vendor's status and error body, what the real API refuses, so that a test fails whenever
//! a provider sends what the vendor would reject. Each rule names where it comes from. Rules
//! are only those the references document or that the vendors were seen to enforce; what a
//! vendor ignores (unknown fields at OpenRouter, DeepSeek, Ollama and llama.cpp) is accepted.

use serde_json::{Map, Value, json};

use super::{Recorded, Reply};

fn body_of(request: &Recorded) -> Result<Map<String, Value>, ()> {
    match serde_json::from_str::<Value>(&request.body) {
        Ok(Value::Object(fields)) => Ok(fields),
        _ => Err(()),
    }
}

fn bearer(request: &Recorded) -> bool {
    request.header("authorization").is_some_and(|value| value.starts_with("Bearer ") && value.len() > 7)
}

/// `stop` as the OpenAI-shaped APIs take it: a string or a list of strings.
fn stop_list(value: &Value) -> Option<Vec<&str>> {
    match value {
        Value::String(stop) => Some(vec![stop.as_str()]),
        Value::Array(stops) => stops.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

fn number_in(fields: &Map<String, Value>, name: &str, min: f64, max: f64) -> bool {
    fields.get(name).is_none_or(|value| value.is_null() || value.as_f64().is_some_and(|v| (min..=max).contains(&v)))
}

// ---------------------------------------------------------------------------------------------
// OpenAI: platform.openai.com/docs/api-reference (chat/create, completions/create) and the
// openai/openai-openapi spec; error texts as the API returns them (quoted in openai-python#1434,
// continuedev/continue#2461, BerriAI/litellm#5803, griptape-ai/ComfyUI-Griptape#312).
// ---------------------------------------------------------------------------------------------

/// OpenAI's reasoning models (o-series; gpt-5, gpt-5-mini, gpt-5-nano): `temperature` only 1,
/// no `stop`, no `max_tokens` on chat (holoviz/lumen#1087, huggingface/smolagents#1671).
pub(crate) fn is_openai_reasoning_model(model: &str) -> bool {
    let base = ["gpt-5-nano", "gpt-5-mini", "gpt-5"].into_iter().find(|family| {
        model == *family || model.strip_prefix(family).and_then(|rest| rest.strip_prefix("-2")).is_some()
    });
    base.is_some()
        || ["o1", "o3", "o4"].iter().any(|family| model == *family || model.starts_with(&format!("{family}-")))
}

pub(crate) fn openai(request: &Recorded) -> Option<Reply> {
    fn refuse(status: u16, message: &str, param: Option<&str>, code: Option<&str>) -> Option<Reply> {
        let body =
            json!({"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}});
        Some(Reply::json(status, body.to_string()))
    }
    let chat = request.path.ends_with("/chat/completions");
    if request.method != "POST" || !(chat || request.path.ends_with("/completions")) {
        return refuse(404, "Invalid URL", None, None);
    }
    if !bearer(request) {
        return refuse(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            None,
            None,
        );
    }
    let Ok(fields) = body_of(request) else {
        return refuse(400, "We could not parse the JSON body of your request.", None, None);
    };
    // The request schemas are closed: "Unrecognized request argument supplied: <name>".
    let known: &[&str] = if chat {
        &[
            "model",
            "messages",
            "max_tokens",
            "max_completion_tokens",
            "temperature",
            "top_p",
            "n",
            "stop",
            "stream",
            "stream_options",
            "seed",
            "response_format",
            "tools",
            "tool_choice",
            "parallel_tool_calls",
            "user",
            "logprobs",
            "top_logprobs",
            "presence_penalty",
            "frequency_penalty",
            "logit_bias",
            "reasoning_effort",
            "metadata",
            "store",
            "service_tier",
            "modalities",
            "audio",
            "prediction",
            "verbosity",
        ]
    } else {
        &[
            "model",
            "prompt",
            "suffix",
            "max_tokens",
            "temperature",
            "top_p",
            "n",
            "stop",
            "stream",
            "stream_options",
            "echo",
            "logprobs",
            "best_of",
            "presence_penalty",
            "frequency_penalty",
            "logit_bias",
            "seed",
            "user",
        ]
    };
    if let Some(extra) = fields.keys().find(|key| !known.contains(&key.as_str())) {
        return refuse(400, &format!("Unrecognized request argument supplied: {extra}"), None, None);
    }
    let Some(model) = fields.get("model").and_then(Value::as_str).filter(|model| !model.is_empty()) else {
        return refuse(400, "you must provide a model parameter", None, None);
    };
    if chat {
        let roles = ["system", "developer", "user", "assistant", "tool"];
        let messages = fields.get("messages").and_then(Value::as_array);
        let Some(messages) = messages.filter(|messages| !messages.is_empty()) else {
            return refuse(
                400,
                "Invalid 'messages': empty array. Expected an array with minimum length 1.",
                Some("messages"),
                None,
            );
        };
        if messages
            .iter()
            .any(|m| !m["role"].as_str().is_some_and(|role| roles.contains(&role)) || m["content"].is_null())
        {
            return refuse(
                400,
                "Invalid value for 'messages': each needs a valid role and content.",
                Some("messages"),
                None,
            );
        }
    } else if !fields.get("prompt").is_some_and(|prompt| prompt.is_string() || prompt.is_array()) {
        return refuse(400, "Missing required parameter: 'prompt'.", Some("prompt"), None);
    }
    if !number_in(&fields, "temperature", 0.0, 2.0) {
        return refuse(
            400,
            "Invalid 'temperature': decimal above maximum value. Expected a value <= 2.",
            Some("temperature"),
            None,
        );
    }
    if !number_in(&fields, "top_p", 0.0, 1.0) {
        return refuse(400, "Invalid 'top_p': expected a value between 0 and 1.", Some("top_p"), None);
    }
    if !number_in(&fields, "n", 1.0, 128.0) {
        return refuse(400, "Invalid 'n': expected a value between 1 and 128.", Some("n"), None);
    }
    for tokens in ["max_tokens", "max_completion_tokens"] {
        if fields.get(tokens).is_some_and(|max| max.as_u64().is_none_or(|max| max < 1)) {
            return refuse(
                400,
                &format!("Invalid '{tokens}': integer below minimum value. Expected a value >= 1."),
                Some(tokens),
                Some("integer_below_min_value"),
            );
        }
    }
    if let Some(stop) = fields.get("stop").filter(|stop| !stop.is_null()) {
        let Some(stops) = stop_list(stop) else {
            return refuse(
                400,
                "Invalid type for 'stop': expected a string or an array of strings.",
                Some("stop"),
                None,
            );
        };
        if stops.len() > 4 {
            return refuse(
                400,
                &format!(
                    "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length {} instead.",
                    stops.len()
                ),
                Some("stop"),
                Some("array_above_max_length"),
            );
        }
    }
    let streaming = fields.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if fields.get("stream_options").is_some_and(|options| !options.is_null()) && !streaming {
        return refuse(
            400,
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            Some("stream_options"),
            None,
        );
    }
    if chat && is_openai_reasoning_model(model) {
        if fields.contains_key("max_tokens") {
            return refuse(
                400,
                "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
                Some("max_tokens"),
                Some("unsupported_parameter"),
            );
        }
        if let Some(temperature) = fields.get("temperature").and_then(Value::as_f64)
            && temperature != 1.0
        {
            return refuse(
                400,
                &format!(
                    "Unsupported value: 'temperature' does not support {temperature} with this model. Only the default (1) value is supported."
                ),
                Some("temperature"),
                Some("unsupported_value"),
            );
        }
        if fields.contains_key("stop") {
            return refuse(
                400,
                "Unsupported parameter: 'stop' is not supported with this model.",
                Some("stop"),
                Some("unsupported_parameter"),
            );
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// OpenRouter: openrouter.ai/docs/api-reference (chat completion, errors-and-debugging). It ignores
// parameters it does not know ("Non-standard parameters") and never returns several choices.
// ---------------------------------------------------------------------------------------------

pub(crate) fn openrouter(request: &Recorded) -> Option<Reply> {
    fn refuse(status: u16, message: &str) -> Option<Reply> {
        Some(Reply::json(status, json!({"error": {"code": status, "message": message}}).to_string()))
    }
    let chat = request.path == "/api/v1/chat/completions";
    if request.method != "POST" || !(chat || request.path == "/api/v1/completions") {
        return refuse(404, "Not Found");
    }
    if !bearer(request) {
        return refuse(401, "No auth credentials found");
    }
    let Ok(fields) = body_of(request) else { return refuse(400, "Invalid JSON body") };
    // Models are named `vendor/slug` (openrouter.ai/models).
    let model = fields.get("model").and_then(Value::as_str).unwrap_or_default();
    if !model.contains('/') {
        return refuse(400, &format!("{model} is not a valid model ID"));
    }
    if chat && fields.get("messages").and_then(Value::as_array).is_none_or(|messages| messages.is_empty()) {
        return refuse(400, "Input required: specify \"prompt\" or \"messages\"");
    }
    if !number_in(&fields, "temperature", 0.0, 2.0) {
        return refuse(400, "temperature: must be between 0 and 2");
    }
    if fields
        .get("stop")
        .filter(|stop| !stop.is_null())
        .is_some_and(|stop| stop_list(stop).is_none_or(|stops| stops.len() > 4))
    {
        return refuse(400, "stop: at most 4 sequences");
    }
    if fields.get("max_tokens").is_some_and(|max| max.as_u64().is_none_or(|max| max < 1)) {
        return refuse(400, "max_tokens: must be at least 1");
    }
    None
}

// ---------------------------------------------------------------------------------------------
// DeepSeek: api-docs.deepseek.com (create-chat-completion, create-completion, error_codes,
// news260424: the V4 models; `deepseek-chat` and `deepseek-reasoner` retired after 2026-07-24).
// Unknown fields are ignored; `n` other than 1 is refused (SakanaAI/AI-Scientist#177).
// ---------------------------------------------------------------------------------------------

pub(crate) fn deepseek(request: &Recorded) -> Option<Reply> {
    fn refuse(status: u16, message: &str) -> Option<Reply> {
        let body = json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": "invalid_request_error"}});
        Some(Reply::json(status, body.to_string()))
    }
    let fim = request.path == "/beta/completions";
    let chat = matches!(request.path.as_str(), "/chat/completions" | "/v1/chat/completions");
    if request.method != "POST" || !(fim || chat) {
        // FIM is only under `/beta` ("User must set base_url=https://api.deepseek.com/beta").
        return refuse(404, "Not Found");
    }
    if !bearer(request) {
        return Some(Reply::json(
            401,
            json!({"error": {"message": "Authentication Fails (auth header format should be Bearer sk-...)", "type": "authentication_error", "param": null, "code": "invalid_request_error"}}).to_string(),
        ));
    }
    let Ok(fields) = body_of(request) else { return refuse(400, "Invalid Format") };
    let model = fields.get("model").and_then(Value::as_str).unwrap_or_default();
    let models: &[&str] = if fim { &["deepseek-v4-flash"] } else { &["deepseek-v4-flash", "deepseek-v4-pro"] };
    if !models.contains(&model) {
        return refuse(400, "Model Not Exist");
    }
    if fim && !fields.get("prompt").is_some_and(Value::is_string) {
        return refuse(422, "Failed to deserialize the JSON body into the target type: missing field `prompt`");
    }
    if chat && fields.get("messages").and_then(Value::as_array).is_none_or(|messages| messages.is_empty()) {
        return refuse(422, "Failed to deserialize the JSON body into the target type: missing field `messages`");
    }
    if fields.get("n").is_some_and(|n| n.as_u64() != Some(1)) {
        return refuse(400, "Invalid n value (currently only n = 1 is supported)");
    }
    if !number_in(&fields, "temperature", 0.0, 2.0) {
        return refuse(422, "Invalid temperature value, the valid range of temperature is [0, 2]");
    }
    // "The max tokens of FIM completion is 4K" (guides/fim_completion).
    if fim && fields.get("max_tokens").is_some_and(|max| max.as_u64().is_none_or(|max| !(1..=4096).contains(&max))) {
        return refuse(400, "Invalid max_tokens value, the valid range of max_tokens is [1, 4096]");
    }
    if fields
        .get("stop")
        .filter(|stop| !stop.is_null())
        .is_some_and(|stop| stop_list(stop).is_none_or(|stops| stops.len() > 16))
    {
        return refuse(422, "Invalid stop value: up to 16 sequences");
    }
    let streaming = fields.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if fields.get("stream_options").is_some_and(|options| !options.is_null()) && !streaming {
        return refuse(422, "stream_options: only set this when you set stream: true");
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Mistral: docs.mistral.ai/api (FIMCompletionRequest, ChatCompletionRequest in the published
// openapi.yaml, both `additionalProperties: false`; an extra field is 422 `extra_forbidden`, as
// quoted in yetone/avante.nvim#2347 for `stream_options`).
// ---------------------------------------------------------------------------------------------

pub(crate) fn mistral(request: &Recorded) -> Option<Reply> {
    fn invalid(kind: &str, field: &str, message: &str) -> Option<Reply> {
        let body = json!({"object": "error", "message": {"detail": [{"type": kind, "loc": ["body", field], "msg": message}]},
            "type": "invalid_request_error", "param": null, "code": null});
        Some(Reply::json(422, body.to_string()))
    }
    let fim = request.path == "/v1/fim/completions";
    let chat = request.path == "/v1/chat/completions";
    if request.method != "POST" || !(fim || chat) {
        return Some(Reply::json(404, r#"{"message":"no Route matched with those values"}"#));
    }
    if !bearer(request) {
        return Some(Reply::json(401, r#"{"message":"Unauthorized","request_id":"strict"}"#));
    }
    let Ok(fields) = body_of(request) else { return invalid("json_invalid", "", "JSON decode error") };
    let known: &[&str] = if fim {
        &[
            "model",
            "prompt",
            "suffix",
            "temperature",
            "top_p",
            "max_tokens",
            "min_tokens",
            "stream",
            "stop",
            "random_seed",
            "metadata",
            "prompt_cache_key",
        ]
    } else {
        &[
            "model",
            "messages",
            "temperature",
            "top_p",
            "max_tokens",
            "stream",
            "stop",
            "random_seed",
            "metadata",
            "response_format",
            "tools",
            "tool_choice",
            "presence_penalty",
            "frequency_penalty",
            "n",
            "prediction",
            "parallel_tool_calls",
            "prompt_mode",
            "safe_prompt",
            "reasoning_effort",
        ]
    };
    if let Some(extra) = fields.keys().find(|key| !known.contains(&key.as_str())) {
        return invalid("extra_forbidden", extra, "Extra inputs are not permitted");
    }
    if fields.get("model").and_then(Value::as_str).is_none_or(|model| model.is_empty()) {
        return invalid("missing", "model", "Field required");
    }
    if fim && !fields.get("prompt").is_some_and(Value::is_string) {
        return invalid("missing", "prompt", "Field required");
    }
    if chat && fields.get("messages").and_then(Value::as_array).is_none_or(|messages| messages.is_empty()) {
        return invalid("missing", "messages", "Field required");
    }
    if !number_in(&fields, "temperature", 0.0, 1.5) {
        return invalid("less_than_equal", "temperature", "Input should be less than or equal to 1.5");
    }
    if !number_in(&fields, "top_p", 0.0, 1.0) {
        return invalid("less_than_equal", "top_p", "Input should be less than or equal to 1");
    }
    if fields.get("max_tokens").is_some_and(|max| max.as_u64().is_none()) {
        return invalid("int_type", "max_tokens", "Input should be a valid integer");
    }
    if fields.get("stop").filter(|stop| !stop.is_null()).is_some_and(|stop| stop_list(stop).is_none()) {
        return invalid("list_type", "stop", "Input should be a valid list");
    }
    if fields.get("n").is_some_and(|n| n.as_u64().is_none_or(|n| n < 1)) {
        return invalid("greater_than_equal", "n", "Input should be greater than or equal to 1");
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Gemini: ai.google.dev/api/generate-content (GenerateContentRequest, GenerationConfig) and the
// errors it returns (google.rpc.Status; "Invalid JSON payload received. Unknown name" for a field
// the proto does not have, nashsu/llm_wiki#49; the stop-sequence limit, continuedev/continue#2702;
// the key, gunpal5/Google_GenerativeAI#15; thinking budgets, snailyp/gemini-balance#206).
// ---------------------------------------------------------------------------------------------

pub(crate) fn gemini(request: &Recorded) -> Option<Reply> {
    fn refuse(code: u16, status: &str, message: &str) -> Option<Reply> {
        Some(Reply::json(code, json!({"error": {"code": code, "message": message, "status": status}}).to_string()))
    }
    fn invalid(message: &str) -> Option<Reply> {
        refuse(400, "INVALID_ARGUMENT", message)
    }
    let (path, query) = request.path.split_once('?').unwrap_or((&request.path, ""));
    let Some(call) = path.strip_prefix("/v1beta/models/") else { return refuse(404, "NOT_FOUND", "Not Found") };
    let (model, streaming) = match call.rsplit_once(':') {
        Some((model, "generateContent")) => (model, false),
        Some((model, "streamGenerateContent")) => (model, true),
        _ => return refuse(404, "NOT_FOUND", "Not Found"),
    };
    if request.method != "POST" || model.is_empty() || model.contains('/') {
        return refuse(404, "NOT_FOUND", &format!("models/{model} is not found for API version v1beta"));
    }
    let key_in_query = query.split('&').any(|pair| pair.starts_with("key="));
    if request.header("x-goog-api-key").is_none_or(str::is_empty) && !key_in_query {
        return refuse(
            403,
            "PERMISSION_DENIED",
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        );
    }
    let _ = streaming;
    let Ok(fields) = body_of(request) else { return invalid("Invalid JSON payload received.") };
    let unknown =
        |object: &Map<String, Value>, known: &[&str]| object.keys().find(|key| !known.contains(&key.as_str())).cloned();
    let top =
        ["contents", "systemInstruction", "generationConfig", "safetySettings", "tools", "toolConfig", "cachedContent"];
    if let Some(extra) = unknown(&fields, &top) {
        return invalid(&format!("Invalid JSON payload received. Unknown name \"{extra}\": Cannot find field."));
    }
    let contents = fields.get("contents").and_then(Value::as_array).filter(|contents| !contents.is_empty());
    let Some(contents) = contents else {
        return invalid("* GenerateContentRequest.contents: contents is not specified");
    };
    for content in contents {
        if content.get("role").is_some_and(|role| !matches!(role.as_str(), Some("user" | "model"))) {
            return invalid("Please use a valid role: user, model.");
        }
        if content["parts"].as_array().is_none_or(|parts| parts.is_empty()) {
            return invalid("* GenerateContentRequest.contents.parts: contents.parts must not be empty.");
        }
    }
    if let Some(config) = fields.get("generationConfig") {
        let Some(config) = config.as_object() else { return invalid("generationConfig: must be an object") };
        let known = [
            "stopSequences",
            "responseMimeType",
            "responseSchema",
            "candidateCount",
            "maxOutputTokens",
            "temperature",
            "topP",
            "topK",
            "seed",
            "presencePenalty",
            "frequencyPenalty",
            "responseLogprobs",
            "logprobs",
            "thinkingConfig",
            "responseModalities",
        ];
        if let Some(extra) = unknown(config, &known) {
            return invalid(&format!(
                "Invalid JSON payload received. Unknown name \"{extra}\" at 'generation_config': Cannot find field."
            ));
        }
        if let Some(stops) = config.get("stopSequences") {
            let Some(stops) = stops.as_array() else { return invalid("stopSequences: must be a list") };
            if stops.len() > 5 {
                return invalid(
                    "* GenerateContentRequest.generation_config.stop_sequences: the number of stop_sequences must not exceed 5.",
                );
            }
        }
        if !number_in(config, "temperature", 0.0, 2.0) {
            return invalid(
                "* GenerateContentRequest.generation_config.temperature: temperature must be between 0 and 2",
            );
        }
        // gemini-2.0-flash: "supported range is from 1 (inclusive) to 8193 (exclusive)".
        let max_output = if model.starts_with("gemini-2.0") { 8192 } else { 65_536 };
        if config
            .get("maxOutputTokens")
            .is_some_and(|max| max.as_u64().is_none_or(|max| !(1..=max_output).contains(&max)))
        {
            return invalid(&format!(
                "Unable to submit request because it has a maxOutputTokens value outside the supported range from 1 (inclusive) to {} (exclusive).",
                max_output + 1
            ));
        }
        if let Some(budget) = config.get("thinkingConfig").and_then(|thinking| thinking.get("thinkingBudget")) {
            // 2.5 Pro only works in thinking mode; models before 2.5 do not think at all.
            if model.starts_with("gemini-2.5-pro") && budget.as_i64() == Some(0) {
                return invalid("Budget 0 is invalid. This model only works in thinking mode.");
            }
            if !model.starts_with("gemini-2.5") && !model.starts_with("gemini-3") {
                return invalid(&format!("Thinking is not enabled for models/{model}"));
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Ollama: ollama/ollama `docs/api.md`, `server/routes.go` (GenerateHandler, ChatHandler) and
// `api/types.go` (Options.FromMap, Duration). Unknown fields and options are ignored.
// ---------------------------------------------------------------------------------------------

/// Go's `time.ParseDuration`: a signed sequence of decimal numbers, each with a unit.
fn is_go_duration(text: &str) -> bool {
    let rest = text.strip_prefix(['-', '+']).unwrap_or(text);
    if rest == "0" {
        return true;
    }
    let mut rest = rest;
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest.find(|ch: char| !ch.is_ascii_digit() && ch != '.').unwrap_or(rest.len());
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let Some(unit) = ["ns", "us", "µs", "ms", "s", "m", "h"].into_iter().find(|unit| rest.starts_with(unit))
        else {
            return false;
        };
        rest = &rest[unit.len()..];
        parts += 1;
    }
    parts > 0
}

pub(crate) fn ollama(request: &Recorded) -> Option<Reply> {
    fn refuse(status: u16, message: &str) -> Option<Reply> {
        Some(Reply::json(status, json!({"error": message}).to_string()))
    }
    let generate = request.path == "/api/generate";
    if request.method != "POST" || !(generate || request.path == "/api/chat") {
        return refuse(404, "404 page not found");
    }
    let Ok(fields) = body_of(request) else { return refuse(400, "missing request body") };
    let model = fields.get("model").and_then(Value::as_str).unwrap_or_default();
    if model.is_empty() {
        return refuse(400, "model is required");
    }
    match fields.get("keep_alive") {
        None | Some(Value::Null | Value::Number(_)) => {}
        Some(Value::String(duration)) if is_go_duration(duration) => {}
        Some(other) => return refuse(400, &format!("time: invalid duration {other}")),
    }
    if let Some(options) = fields.get("options") {
        let Some(options) = options.as_object() else { return refuse(400, "options: must be an object") };
        for (name, kind) in
            [("num_predict", "integer"), ("num_ctx", "integer"), ("temperature", "float32"), ("top_p", "float32")]
        {
            if options.get(name).is_some_and(|value| !value.is_number()) {
                return refuse(500, &format!("option \"{name}\" must be of type {kind}"));
            }
        }
        if options
            .get("stop")
            .is_some_and(|stop| !stop.as_array().is_some_and(|stops| stops.iter().all(Value::is_string)))
        {
            return refuse(500, "option \"stop\" must be of type array of strings");
        }
    }
    if generate {
        // "raw mode does not support template, system, or context" (routes.go).
        let raw = fields.get("raw").and_then(Value::as_bool).unwrap_or(false);
        if raw && ["template", "system", "context"].iter().any(|field| fields.get(*field).is_some_and(|v| !v.is_null()))
        {
            return refuse(400, "raw mode does not support template, system, or context");
        }
        if !fields.get("prompt").is_none_or(Value::is_string) {
            return refuse(400, "json: cannot unmarshal prompt into a string");
        }
    } else {
        let roles = ["system", "user", "assistant", "tool"];
        let messages = fields.get("messages").and_then(Value::as_array).cloned().unwrap_or_default();
        if messages.iter().any(|m| !m["role"].as_str().is_some_and(|role| roles.contains(&role))) {
            return refuse(400, "invalid role");
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// llama.cpp's llama-server: ggml-org/llama.cpp `tools/server/README.md`, `server-context.cpp`
// (handle_infill, the input_extra checks), `server-task.cpp` (params_from_json) and the
// error body of `format_error_response`. Unknown fields are ignored.
// ---------------------------------------------------------------------------------------------

pub(crate) fn llamacpp(request: &Recorded) -> Option<Reply> {
    fn refuse(status: u16, kind: &str, message: &str) -> Option<Reply> {
        Some(Reply::json(status, json!({"error": {"code": status, "message": message, "type": kind}}).to_string()))
    }
    fn invalid(message: &str) -> Option<Reply> {
        refuse(400, "invalid_request_error", message)
    }
    let path = request.path.as_str();
    if request.method != "POST" || !matches!(path, "/infill" | "/completion" | "/v1/chat/completions") {
        return refuse(404, "not_found_error", "File Not Found");
    }
    let Ok(fields) = body_of(request) else { return refuse(500, "server_error", "[json.exception.parse_error]") };
    match path {
        "/infill" => {
            for field in ["input_prefix", "input_suffix"] {
                if !fields.get(field).is_some_and(Value::is_string) {
                    return invalid(&format!("\"{field}\" is required"));
                }
            }
            if fields.get("prompt").is_some_and(|prompt| !prompt.is_string()) {
                return invalid("\"prompt\" must be a string");
            }
            if let Some(extra) = fields.get("input_extra") {
                let Some(chunks) = extra.as_array() else {
                    return invalid("\"input_extra\" must be an array of {\"filename\": string, \"text\": string}");
                };
                for chunk in chunks {
                    if !chunk.get("text").is_some_and(Value::is_string) {
                        return invalid("extra_context chunk must contain a \"text\" field with a string value");
                    }
                    if chunk.get("filename").is_some_and(|name| !name.is_string()) {
                        return invalid("extra_context chunk's \"filename\" field must be a string");
                    }
                }
            }
        }
        "/completion" => {
            if !fields.get("prompt").is_some_and(|prompt| prompt.is_string() || prompt.is_array()) {
                return invalid("\"prompt\" is required");
            }
        }
        _ => {
            if fields.get("messages").and_then(Value::as_array).is_none_or(|messages| messages.is_empty()) {
                return invalid("'messages' is required");
            }
            if fields.get("n").is_some_and(|n| n.as_u64() != Some(1)) {
                return refuse(500, "server_error", "Only one completion choice is allowed");
            }
        }
    }
    for field in ["n_predict", "max_tokens", "t_max_predict_ms"] {
        if fields.get(field).is_some_and(|value| value.as_i64().is_none_or(|value| value < -1)) {
            return invalid(&format!("Field '{field}': Value must be >= -1"));
        }
    }
    if fields.get("stop").is_some_and(|stop| !stop.as_array().is_some_and(|stops| stops.iter().all(Value::is_string))) {
        return invalid("Field 'stop': must be an array of strings");
    }
    None
}

/// For the tests that an emulation itself refuses what its vendor refuses (else the tests built
/// on it prove nothing): `valid` must pass, and each change of one field (`Value::Null` removes
/// it) must be refused. Returns what went wrong, empty when all is as the vendor does it.
pub(crate) fn wrongly_judged(
    validate: super::Validator,
    path: &str,
    headers: &[(&str, &str)],
    valid: &Value,
    changes: &[(&str, Value)],
) -> Vec<String> {
    let request = |body: &Value| Recorded {
        method: "POST".into(),
        path: path.into(),
        headers: headers.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect(),
        body: body.to_string(),
    };
    let mut wrong = Vec::new();
    if let Some(reply) = validate(&request(valid)) {
        wrong.push(format!("the valid request was refused: {reply:?}"));
    }
    for (field, value) in changes {
        let mut body = valid.clone();
        match value {
            Value::Null => {
                body.as_object_mut().map(|fields| fields.remove(*field));
            }
            value => body[*field] = value.clone(),
        }
        if validate(&request(&body)).is_none() {
            wrong.push(format!("accepted {field} = {value}"));
        }
    }
    let unauthenticated = Recorded { headers: Vec::new(), ..request(valid) };
    if !headers.is_empty() && validate(&unauthenticated).is_none() {
        wrong.push("accepted a request without its headers".to_owned());
    }
    wrong
}

/// llama-server in router mode (`--models-dir` or model presets, several models behind one
/// server): as [`llamacpp`], and every request names its model ("model name is missing from the
/// request", 400, tools/server/README.md "Using multiple models").
pub(crate) fn llamacpp_router(request: &Recorded) -> Option<Reply> {
    let named =
        body_of(request).is_ok_and(|fields| fields.get("model").and_then(Value::as_str).is_some_and(|m| !m.is_empty()));
    if !named {
        let body = json!({"error": {"code": 400, "message": "model name is missing from the request", "type": "invalid_request_error"}});
        return Some(Reply::json(400, body.to_string()));
    }
    llamacpp(request)
}
