//! The `anthropic` kind: the Messages API with an API key (`x-api-key`), streamed as named
//! SSE events, with assistant prefill for fill-in-the-middle.
//!
//! Subscription (Claude Pro/Max OAuth) credentials are refused by the vendor outside its own
//! tool; that answer is classified as `blocked_credential` so the chain moves on and the user
//! is told to set an API key.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::http::{self, Flow, FrameDecoder, SseEvent};
use crate::keys;
use crate::provider::{
    Capabilities, ChatPrompt, ChatRole, ErrorKind, GenerateRequest, Prompt, ProviderError, StreamEvent, TextStream,
    Usage,
};
use crate::request_setup;
use crate::spec::{KeySource, ProviderSpec};

pub const API_VERSION: &str = "2023-06-01";

#[derive(Debug)]
pub struct Anthropic {
    name: String,
    model: String,
    /// Without a trailing slash; `/v1/messages` is appended.
    base_url: String,
    key: KeySource,
    headers: HeaderMap,
    capabilities: Capabilities,
    timeout: Option<Duration>,
}

impl Anthropic {
    pub fn from_spec(name: &str, spec: &ProviderSpec) -> Result<Self, String> {
        let descriptor = &crate::kinds::ANTHROPIC;
        let model = descriptor.model(spec)?;
        let base_url = descriptor.base_url(spec);
        let key = descriptor.key_source(spec);
        let headers = request_setup::sensitive_headers(
            spec.headers.iter().map(|(header, value)| (header.as_str(), value.as_str())),
        )?;
        let (capabilities, _) = crate::models::capabilities(descriptor.kind, &model, spec)?;
        Ok(Self {
            name: name.to_owned(),
            model,
            base_url,
            key,
            headers,
            capabilities,
            timeout: request_setup::timeout(spec),
        })
    }

    async fn send(&self, request: GenerateRequest) -> Result<TextStream, ProviderError> {
        let deadline = http::effective_deadline(request.deadline, self.timeout);
        let key = request_setup::resolve_key(&self.name, &self.key).await?;
        let stream = self.capabilities.streaming;
        // The Messages API refuses a stop sequence with no visible character (HTTP 400, "each stop
        // sequence must contain non-whitespace"), and a single-line completion asks to stop at
        // "\n". Leave those out: the caller's stream reader already ends a single line itself.
        let mut stop: Vec<String> = request.stop.iter().filter(|stop| !stop.trim().is_empty()).cloned().collect();
        let (chat, prefill, fim) = match &request.prompt {
            Prompt::Chat(chat) => (chat.clone(), None, None),
            Prompt::Fim(fim) => {
                // The answer continues inside an opened fence, so it is code from its first
                // token; the closing fence stops it. Anthropic refuses a prefill that ends in
                // whitespace, hence no newline after the language tag.
                let prefill = format!("```{}", fim.language.as_deref().unwrap_or(""));
                stop.push("```".to_owned());
                (crate::chat_fim::to_chat(fim), Some(prefill), Some(fim.clone()))
            }
        };
        let breakpoints = cache_breakpoints(&chat, &self.model);
        let mut messages: Vec<WireMessage<'_>> = chat
            .messages
            .iter()
            .enumerate()
            .map(|(index, message)| WireMessage {
                role: match message.role {
                    ChatRole::User => "user",
                    ChatRole::Assistant => "assistant",
                },
                content: match &breakpoints {
                    Some((at, parts)) if *at == index => WireContent::marked(parts),
                    _ => WireContent::Text(&message.content),
                },
            })
            .collect();
        if let Some(prefill) = &prefill {
            messages.push(WireMessage { role: "assistant", content: WireContent::Text(prefill) });
        }
        let body = MessagesRequest {
            model: &self.model,
            max_tokens: request.max_tokens,
            system: chat.system.as_deref(),
            messages,
            stop_sequences: &stop,
            // docs.anthropic.com/en/api/messages: `temperature` 0.0 to 1.0.
            temperature: request_setup::temperature(request.temperature, 1.0),
            stream,
        };
        let mut builder = http::client_for(&self.base_url)
            .await
            .post(format!("{}/v1/messages", self.base_url))
            .headers(self.headers.clone())
            .header("anthropic-version", API_VERSION)
            .json(&body);
        if let Some(key) = &key {
            let mut value = HeaderValue::from_str(key.expose()).map_err(|_| {
                ProviderError::new(ErrorKind::Auth, &self.name, "the API key contains characters a header cannot carry")
            })?;
            value.set_sensitive(true);
            builder = builder.header("x-api-key", value);
        }
        if stream {
            builder = builder.header(reqwest::header::ACCEPT, "text/event-stream");
        }
        tracing::debug!(provider = %self.name, stream, "sending request");
        let response = http::send(&self.name, builder, deadline).await?;
        if !response.status().is_success() {
            let mut error = http::error_from_response(&self.name, response, deadline, refine_status).await;
            error.message = keys::scrub(&error.message, key.as_ref());
            return Err(error);
        }
        let answer = if stream {
            let decoder = SseDecoder {
                provider: self.name.clone(),
                usage: Usage::default(),
                reported_prompt: false,
                stopped: false,
            };
            http::decode_stream(http::sse_stream(&self.name, response, deadline), decoder)
        } else {
            let body = http::read_body(&self.name, response, deadline).await?;
            http::ready_stream(decode_whole(&self.name, &body)?)
        };
        Ok(match (prefill, fim) {
            (Some(prefill), Some(fim)) => crate::chat_fim::stream_completion(answer, fim, prefill, true),
            _ => answer,
        })
    }
}

request_setup::provider_via_send!(Anthropic);

/// The shortest prompt prefix Anthropic caches, in tokens, by model family
/// (docs.anthropic.com/en/docs/build-with-claude/prompt-caching, "Cache limitations": a
/// shorter prefix is processed without caching even when marked). A model not listed gets the
/// largest minimum, so a breakpoint is never sent where it cannot pay off.
pub fn min_cacheable_tokens(model: &str) -> u64 {
    const LARGEST: u64 = 4096;
    // Longest, most specific names first: `opus-4-5` before `opus-4`.
    const FAMILIES: &[(&str, u64)] = &[
        ("opus-4-6", 4096),
        ("opus-4-5", 4096),
        ("haiku-4", 4096),
        ("sonnet-4-6", 2048),
        ("3-5-haiku", 2048),
        ("3-haiku", 2048),
        ("sonnet-4-5", 1024),
        ("opus-4-1", 1024),
        ("opus-4", 1024),
        ("sonnet-4", 1024),
        ("3-7-sonnet", 1024),
        ("3-5-sonnet", 1024),
        ("3-opus", 1024),
    ];
    let model = model.to_ascii_lowercase();
    FAMILIES.iter().find(|(family, _)| model.contains(family)).map_or(LARGEST, |(_, tokens)| *tokens)
}

/// A count that Claude's tokenizer does not go below for `text`: a token rarely covers more
/// than four visible characters of code or prose, and whitespace runs (indentation) may merge
/// into one token, so they are not counted at all. Deliberately low: a prefix this estimate
/// finds long enough is long enough, and one just over the minimum may go unmarked.
pub fn tokens_at_least(text: &str) -> u64 {
    (text.bytes().filter(|byte| !byte.is_ascii_whitespace()).count() / 4) as u64
}

/// Where to put the request's `cache_control` breakpoints: at the two depths of the prompt's
/// stable prefix ([`StablePrefix`](crate::provider::StablePrefix): the end of what stays as the
/// cursor moves about a function, and the start of the cursor's line, which stays while the
/// user types on it), each only when the prompt up to it (system prompt, earlier messages,
/// the message so far) is long enough for `model` to cache. The message's index and its parts,
/// each with whether it ends at a breakpoint; empty parts are left out (Anthropic refuses an
/// empty text block).
///
/// At most two breakpoints, within Anthropic's limit of four per request: the system prompt
/// sits before them and is cached with them, and a breakpoint on it alone would pay for a
/// prefix far below every model's minimum.
fn cache_breakpoints<'a>(chat: &'a ChatPrompt, model: &str) -> Option<(usize, Vec<(&'a str, bool)>)> {
    let (index, parts) = chat.split_stable_parts()?;
    let minimum = min_cacheable_tokens(model);
    let mut so_far: u64 = chat.system.as_deref().map_or(0, tokens_at_least)
        + chat.messages[..index].iter().map(|message| tokens_at_least(&message.content)).sum::<u64>();
    let mut blocks = Vec::new();
    for (number, part) in parts.into_iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        so_far += tokens_at_least(part);
        // The last part changes with every keystroke: never worth a cache write.
        blocks.push((part, number < 2 && so_far >= minimum));
    }
    blocks.iter().any(|(_, marked)| *marked).then_some((index, blocks))
}

/// Anthropic's `error.type` says more than the status (docs: "check error.type").
fn kind_of(error_type: &str, message: &str) -> Option<ErrorKind> {
    if http::is_blocked_credential_message(message) {
        return Some(ErrorKind::BlockedCredential);
    }
    Some(match error_type {
        "authentication_error" | "permission_error" => ErrorKind::Auth,
        "billing_error" => ErrorKind::Quota,
        // Out of prepaid credit is reported as a 400.
        "invalid_request_error" if message.to_lowercase().contains("credit balance") => ErrorKind::Quota,
        "rate_limit_error" => ErrorKind::RateLimited,
        "overloaded_error" => ErrorKind::Overloaded,
        "api_error" => ErrorKind::Server,
        "timeout_error" => ErrorKind::Timeout,
        "invalid_request_error" | "not_found_error" | "request_too_large" => ErrorKind::InvalidRequest,
        _ => return None,
    })
}

fn refine_status(_status: u16, body: &str) -> Option<ErrorKind> {
    let error = serde_json::from_str::<ErrorBody>(body).ok()?.error;
    kind_of(&error.kind, error.message.as_deref().unwrap_or(""))
}

fn decode_whole(provider: &str, body: &str) -> Result<Vec<StreamEvent>, ProviderError> {
    let message: WholeMessage = serde_json::from_str(body).map_err(|error| {
        ProviderError::new(ErrorKind::BadResponse, provider, format!("malformed response: {error}"))
    })?;
    let text: String =
        message.content.iter().filter(|block| block.kind == "text").filter_map(|block| block.text.as_deref()).collect();
    let mut events = vec![StreamEvent::Text(text)];
    if let Some(usage) = message.usage {
        let mut counted = Usage::default();
        usage.apply_to(&mut counted);
        events.push(StreamEvent::Usage(counted));
    }
    Ok(events)
}

struct SseDecoder {
    provider: String,
    /// The running counts: the prompt's from `message_start`, output from the last
    /// `message_delta`; reported after the first text and at the end (the chain counts only
    /// what a report adds).
    usage: Usage,
    reported_prompt: bool,
    stopped: bool,
}

impl FrameDecoder<SseEvent> for SseDecoder {
    fn decode(&mut self, frame: SseEvent, events: &mut Vec<StreamEvent>) -> Result<Flow, ProviderError> {
        // Dispatch on the JSON `type`, which always matches the event name; new event types
        // appear over time and are ignored.
        let event: StreamFrame = serde_json::from_str(&frame.data).map_err(|error| {
            ProviderError::new(ErrorKind::BadResponse, &self.provider, format!("malformed stream event: {error}"))
        })?;
        match event.kind.as_str() {
            "message_start" => {
                if let Some(usage) = event.message.and_then(|message| message.usage) {
                    usage.apply_to(&mut self.usage);
                }
            }
            "content_block_delta" => {
                if let Some(delta) = event.delta
                    && delta.kind.as_deref() == Some("text_delta")
                    && let Some(text) = delta.text.filter(|text| !text.is_empty())
                {
                    events.push(StreamEvent::Text(text));
                    // The prompt's counts are final since `message_start`: reported after the
                    // first text (which stays the first event, the first token's latency), so
                    // an answer ended early (a closing fence, a cancel) still counts its prompt.
                    if !self.reported_prompt {
                        self.reported_prompt = true;
                        events.push(StreamEvent::Usage(self.usage));
                    }
                }
            }
            "message_delta" => {
                // Its counts are cumulative; newer API versions repeat the input counts here.
                if let Some(usage) = event.usage {
                    usage.apply_to(&mut self.usage);
                }
            }
            "message_stop" => {
                self.stopped = true;
                events.push(StreamEvent::Usage(self.usage));
                return Ok(Flow::Done);
            }
            "error" => {
                let (kind, message) = match event.error {
                    Some(error) => {
                        let message = error.message.unwrap_or_else(|| error.kind.clone());
                        (kind_of(&error.kind, &message).unwrap_or(ErrorKind::Server), message)
                    }
                    None => (ErrorKind::Server, "error event without details".to_owned()),
                };
                return Err(ProviderError::new(kind, &self.provider, http::shorten(&message)));
            }
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn finish(&mut self) -> Result<(), ProviderError> {
        if self.stopped {
            return Ok(());
        }
        Err(ProviderError::new(ErrorKind::Network, &self.provider, "the stream ended before message_stop"))
    }
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: WireContent<'a>,
}

/// A message's content: a plain string, or text blocks when one of them carries the cache
/// breakpoint (`cache_control` is allowed only on a block).
#[derive(Serialize)]
#[serde(untagged)]
enum WireContent<'a> {
    Text(&'a str),
    Blocks(Vec<TextBlock<'a>>),
}

impl<'a> WireContent<'a> {
    /// Text blocks, a breakpoint on those that end one ([`cache_breakpoints`]).
    fn marked(parts: &[(&'a str, bool)]) -> Self {
        Self::Blocks(
            parts
                .iter()
                .map(|(text, marked)| TextBlock {
                    kind: "text",
                    text,
                    cache_control: marked.then_some(CacheControl::EPHEMERAL),
                })
                .collect(),
        )
    }
}

#[derive(Serialize)]
struct TextBlock<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_control: Option<CacheControl>,
}

/// `{"type": "ephemeral"}`: the default five-minute cache, refreshed on every hit, which
/// typing keeps warm (the one-hour cache costs twice the input price to write).
#[derive(Serialize, Clone, Copy)]
struct CacheControl {
    #[serde(rename = "type")]
    kind: &'static str,
}

impl CacheControl {
    const EPHEMERAL: Self = Self { kind: "ephemeral" };
}

#[derive(Serialize)]
struct MessagesRequest<'a> {
    model: &'a str,
    /// Required by the API.
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a str>,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop_sequences: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    stream: bool,
}

/// Anthropic's `usage`: `input_tokens` counts only the prompt tokens after the last cache
/// breakpoint; those read from the cache and those written to it are counted apart
/// (docs.anthropic.com/en/docs/build-with-claude/prompt-caching, "Tracking cache performance":
/// total input = `cache_read_input_tokens` + `cache_creation_input_tokens` + `input_tokens`).
/// Every count is cumulative, so a later event's count replaces an earlier one.
#[derive(Deserialize)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
}

impl WireUsage {
    /// Overwrites the counts this report carries, in [`Usage`]'s convention (input counts the
    /// cached tokens too).
    fn apply_to(&self, usage: &mut Usage) {
        let uncached =
            usage.input_tokens.saturating_sub(usage.cached_input_tokens).saturating_sub(usage.cache_write_tokens);
        let uncached = self.input_tokens.unwrap_or(uncached);
        if let Some(read) = self.cache_read_input_tokens {
            usage.cached_input_tokens = read;
        }
        if let Some(written) = self.cache_creation_input_tokens {
            usage.cache_write_tokens = written;
        }
        usage.input_tokens =
            uncached.saturating_add(usage.cached_input_tokens).saturating_add(usage.cache_write_tokens);
        if let Some(output) = self.output_tokens {
            usage.output_tokens = output;
        }
    }
}

#[derive(Deserialize)]
struct WireError {
    #[serde(rename = "type")]
    kind: String,
    message: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: WireError,
}

#[derive(Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
}

#[derive(Deserialize)]
struct WholeMessage {
    #[serde(default)]
    content: Vec<ContentBlock>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct StartedMessage {
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct StreamFrame {
    #[serde(rename = "type")]
    kind: String,
    message: Option<StartedMessage>,
    delta: Option<Delta>,
    usage: Option<WireUsage>,
    error: Option<WireError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimum_cacheable_prefix_by_model_family() {
        assert_eq!(min_cacheable_tokens("claude-sonnet-4-5"), 1024);
        assert_eq!(min_cacheable_tokens("claude-sonnet-4-5-20250929"), 1024);
        assert_eq!(min_cacheable_tokens("claude-opus-4-1-20250805"), 1024);
        assert_eq!(min_cacheable_tokens("claude-3-7-sonnet-latest"), 1024);
        assert_eq!(min_cacheable_tokens("claude-sonnet-4-6"), 2048);
        assert_eq!(min_cacheable_tokens("claude-3-5-haiku-20241022"), 2048);
        assert_eq!(min_cacheable_tokens("claude-haiku-4-5"), 4096);
        assert_eq!(min_cacheable_tokens("claude-opus-4-5"), 4096);
        // Unknown: the largest minimum.
        assert_eq!(min_cacheable_tokens("claude-next"), 4096);
    }

    #[test]
    fn the_token_estimate_ignores_whitespace_and_rounds_down() {
        assert_eq!(tokens_at_least("abcd"), 1);
        assert_eq!(tokens_at_least("abc"), 0);
        assert_eq!(tokens_at_least("        ab\n        cd"), 1);
    }
}
