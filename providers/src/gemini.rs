//! The `gemini` kind: Google's native Gemini API, `generateContent` and
//! `streamGenerateContent?alt=sse`, with the key in `x-goog-api-key`.
//!
//! Gemini has no FIM endpoint: FIM requests are chat-prompted ([`crate::chat_fim`]). On models
//! that think by default and allow switching it off (the 2.5 Flash family, declared in
//! [`crate::models`]) we send `thinkingBudget: 0`: thinking costs seconds a completion does
//! not have. Errors are Google RPC style (`error.status`, `details[]` with `RetryInfo`).
//! Gemini's OpenAI-compatible endpoint is served by the `openai` kind instead.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::http::{self, Flow, FrameDecoder, SseEvent};
use crate::keys;
use crate::models;
use crate::provider::{
    Capabilities, ChatPrompt, ChatRole, ErrorKind, GenerateRequest, Prompt, ProviderError, StreamEvent, TextStream,
    Usage,
};
use crate::request_setup;
use crate::spec::{KeySource, ProviderSpec};

/// The most output tokens a model accepts: more is refused with 400 ("maxOutputTokens value of N
/// but the supported range is from 1 (inclusive) to 8193 (exclusive)" for 2.0 Flash;
/// ai.google.dev/gemini-api/docs/models lists 8,192 for the 2.0 family, 65,536 for 2.5).
fn max_output_tokens(model: &str) -> u32 {
    if model.starts_with("gemini-2.0") || model.starts_with("gemini-1.5") { 8_192 } else { 65_536 }
}

/// Gemini accepts at most five stop sequences.
const MAX_STOP_SEQUENCES: usize = 5;

#[derive(Debug)]
pub struct Gemini {
    name: String,
    model: String,
    /// Without a trailing slash.
    base_url: String,
    key: KeySource,
    capabilities: Capabilities,
    /// Send `thinkingBudget: 0` (declared per model in [`crate::models`]).
    thinking_off: bool,
    timeout: Option<Duration>,
}

impl Gemini {
    /// Builds the provider from its config. The error says what to fix in `[providers.NAME]`.
    pub fn from_spec(name: &str, spec: &ProviderSpec) -> Result<Self, String> {
        let descriptor = &crate::kinds::GEMINI;
        let model = descriptor.model(spec)?;
        // People paste the model as the API names it; the path adds `models/` itself.
        let model = model.strip_prefix("models/").unwrap_or(&model).to_owned();
        let (capabilities, info) = models::capabilities(descriptor.kind, &model, spec)?;
        let key = descriptor.key_source(spec);
        Ok(Self {
            name: name.to_owned(),
            model,
            base_url: {
                // The paths add `/v1beta`; a base URL copied with it must not double it.
                let base_url = descriptor.base_url(spec);
                base_url.strip_suffix("/v1beta").unwrap_or(&base_url).to_owned()
            },
            key,
            capabilities,
            thinking_off: info.thinking_off,
            timeout: request_setup::timeout(spec),
        })
    }

    async fn send(&self, request: GenerateRequest) -> Result<TextStream, ProviderError> {
        let deadline = http::effective_deadline(request.deadline, self.timeout);
        let key = request_setup::resolve_key(&self.name, &self.key).await?;
        let stream = self.capabilities.streaming;
        let (chat, fim) = match &request.prompt {
            Prompt::Chat(chat) => (chat.clone(), None),
            Prompt::Fim(fim) => (crate::chat_fim::to_chat(fim), Some(fim.clone())),
        };
        // A FIM prompt is answered in a fenced block: a line-end stop would end it at the fence.
        let stop = if fim.is_some() { crate::chat_fim::chat_stops(&request.stop) } else { request.stop.clone() };
        let body = self.body(&chat, &request, &stop);
        let url = if stream {
            format!("{}/v1beta/models/{}:streamGenerateContent?alt=sse", self.base_url, self.model)
        } else {
            format!("{}/v1beta/models/{}:generateContent", self.base_url, self.model)
        };
        let mut builder = http::client_for(&url).await.post(url).json(&body);
        if let Some(key) = &key {
            let mut value = reqwest::header::HeaderValue::from_str(key.expose()).map_err(|_| {
                ProviderError::new(ErrorKind::Auth, &self.name, "the API key is not a valid header value")
            })?;
            value.set_sensitive(true);
            builder = builder.header("x-goog-api-key", value);
        }
        tracing::debug!(provider = %self.name, model = %self.model, stream, "sending request");
        let response = http::send(&self.name, builder, deadline).await?;
        if !response.status().is_success() {
            let mut retry_delay = None;
            let mut error = http::error_from_response(&self.name, response, deadline, |status, body| {
                let rpc = serde_json::from_str::<ErrorBody>(body).ok()?.error?;
                retry_delay = rpc.retry_delay();
                Some(rpc.kind(status))
            })
            .await;
            error.retry_after = error.retry_after.or(retry_delay);
            error.message = keys::scrub(&error.message, key.as_ref());
            return Err(error);
        }
        let answer = if stream {
            let decoder = Decoder { provider: self.name.clone(), finished: false };
            http::decode_stream(http::sse_stream(&self.name, response, deadline), decoder)
        } else {
            let body = http::read_body(&self.name, response, deadline).await?;
            http::ready_stream(decode_whole(&self.name, &body)?)
        };
        Ok(crate::chat_fim::extract_from_answer(answer, fim, true))
    }

    fn body<'a>(&self, chat: &'a ChatPrompt, request: &'a GenerateRequest, stop: &'a [String]) -> WireRequest<'a> {
        let contents = chat
            .messages
            .iter()
            .map(|message| Content {
                role: match message.role {
                    ChatRole::User => "user",
                    ChatRole::Assistant => "model",
                },
                parts: vec![Part { text: &message.content }],
            })
            .collect();
        WireRequest {
            contents,
            system_instruction: chat
                .system
                .as_deref()
                .map(|system| SystemInstruction { parts: vec![Part { text: system }] }),
            generation_config: GenerationConfig {
                max_output_tokens: request.max_tokens.min(max_output_tokens(&self.model)),
                // ai.google.dev/api/generate-content (GenerationConfig): `temperature` 0.0 to 2.0.
                temperature: request_setup::temperature(request.temperature, 2.0),
                stop_sequences: &stop[..stop.len().min(MAX_STOP_SEQUENCES)],
                thinking_config: self.thinking_off.then_some(ThinkingConfig { thinking_budget: 0 }),
            },
        }
    }
}

request_setup::provider_via_send!(Gemini);

impl RpcError {
    /// Google's canonical status names say more than the HTTP status; the status is the
    /// fallback for proxies that strip the body.
    fn kind(&self, status: u16) -> ErrorKind {
        let message = self.message.as_deref().unwrap_or("");
        if http::is_blocked_credential_message(message) {
            return ErrorKind::BlockedCredential;
        }
        let reasons = || self.details.iter().filter_map(|detail| detail.reason.as_deref());
        match self.status.as_deref() {
            // Gemini answers a wrong key with 400 INVALID_ARGUMENT, not 401.
            Some("INVALID_ARGUMENT") if reasons().any(|reason| reason == "API_KEY_INVALID") => ErrorKind::Auth,
            Some("INVALID_ARGUMENT") if message.contains("API key not valid") => ErrorKind::Auth,
            Some("UNAUTHENTICATED" | "PERMISSION_DENIED") => ErrorKind::Auth,
            Some("RESOURCE_EXHAUSTED") => {
                // Per-minute limits also say "exceeded your current quota ... billing" but carry
                // a RetryInfo: those pass. A daily quota, or a quota/billing message without a
                // retry hint, does not. Google's generic "Resource has been exhausted (e.g. check
                // quota)" is its per-minute rate limit.
                let daily = self
                    .details
                    .iter()
                    .flat_map(|detail| &detail.violations)
                    .any(|violation| violation.quota_id.as_deref().is_some_and(|id| id.contains("PerDay")));
                let lower = message.to_lowercase();
                let says_quota = lower.contains("billing")
                    || lower.contains("exceeded your current quota")
                    || lower.contains("quota exceeded");
                if daily || (says_quota && self.retry_delay().is_none()) {
                    ErrorKind::Quota
                } else {
                    ErrorKind::RateLimited
                }
            }
            Some("UNAVAILABLE") => ErrorKind::Overloaded,
            Some("DEADLINE_EXCEEDED") => ErrorKind::Timeout,
            Some("INTERNAL" | "UNKNOWN" | "DATA_LOSS") => ErrorKind::Server,
            Some("INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "NOT_FOUND" | "OUT_OF_RANGE") => {
                ErrorKind::InvalidRequest
            }
            _ => http::classify_status(status, message),
        }
    }

    /// `RetryInfo.retryDelay`, a protobuf Duration in JSON form: `"37s"`, `"1.5s"`.
    fn retry_delay(&self) -> Option<Duration> {
        self.details.iter().filter_map(|detail| detail.retry_delay.as_deref()).find_map(parse_proto_duration)
    }
}

fn parse_proto_duration(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().strip_suffix('s')?.parse().ok()?;
    // `try_`: `"1e300s"` is no delay a `Duration` holds.
    Duration::try_from_secs_f64(seconds).ok()
}

fn rpc_error(provider: &str, rpc: &RpcError) -> ProviderError {
    let status = rpc.code.and_then(|code| u16::try_from(code).ok()).unwrap_or(500);
    let message = rpc.message.clone().unwrap_or_else(|| "error in the middle of the stream".to_owned());
    let mut error = ProviderError::new(rpc.kind(status), provider, http::shorten(&message)).with_status(status);
    error.retry_after = rpc.retry_delay();
    error
}

fn bad_response(provider: &str, what: &str, error: serde_json::Error) -> ProviderError {
    ProviderError::new(ErrorKind::BadResponse, provider, format!("malformed {what}: {error}"))
}

fn usage_of(usage: &WireUsage) -> Usage {
    // Thinking tokens are billed as output. `promptTokenCount` includes the cached part
    // (ai.google.dev/api/generate-content#UsageMetadata: "When cachedContent is set, this is
    // still the total effective prompt size"), which implicit caching also reports.
    Usage::new(usage.prompt_token_count, usage.candidates_token_count.saturating_add(usage.thoughts_token_count))
        .with_cached(usage.cached_content_token_count)
}

/// The text of a response's first candidate, without thought summaries. A prompt blocked
/// before any candidate is an error the user can act on (rephrase), not an empty answer.
fn candidate_text(provider: &str, response: &WireResponse) -> Result<(String, bool), ProviderError> {
    if let Some(error) = &response.error {
        return Err(rpc_error(provider, error));
    }
    let Some(candidate) = response.candidates.first() else {
        if let Some(reason) = response.prompt_feedback.as_ref().and_then(|feedback| feedback.block_reason.as_deref()) {
            let message = format!("the prompt was blocked ({reason})");
            return Err(ProviderError::new(ErrorKind::InvalidRequest, provider, message));
        }
        return Ok((String::new(), false));
    };
    let text = candidate
        .content
        .iter()
        .flat_map(|content| &content.parts)
        .filter(|part| !part.thought)
        .filter_map(|part| part.text.as_deref())
        .collect();
    Ok((text, candidate.finish_reason.is_some()))
}

fn decode_whole(provider: &str, body: &str) -> Result<Vec<StreamEvent>, ProviderError> {
    let response: WireResponse =
        serde_json::from_str(body).map_err(|error| bad_response(provider, "response", error))?;
    let (text, _) = candidate_text(provider, &response)?;
    let mut events = vec![StreamEvent::Text(text)];
    events.extend(response.usage_metadata.as_ref().map(|usage| StreamEvent::Usage(usage_of(usage))));
    Ok(events)
}

/// Decodes `data:` chunks. Gemini sends no `[DONE]`: the chunk with `finishReason` is the end.
/// Every chunk repeats the running usage, so usage is reported from the finishing chunk on
/// (a later usage-only chunk reports again; the last report is the total).
struct Decoder {
    provider: String,
    finished: bool,
}

impl FrameDecoder<SseEvent> for Decoder {
    fn decode(&mut self, frame: SseEvent, events: &mut Vec<StreamEvent>) -> Result<Flow, ProviderError> {
        let chunk: WireResponse = serde_json::from_str(frame.data.trim())
            .map_err(|error| bad_response(&self.provider, "stream chunk", error))?;
        let (text, finished) = candidate_text(&self.provider, &chunk)?;
        if !text.is_empty() {
            events.push(StreamEvent::Text(text));
        }
        self.finished |= finished;
        if self.finished
            && let Some(usage) = &chunk.usage_metadata
        {
            events.push(StreamEvent::Usage(usage_of(usage)));
        }
        Ok(Flow::Continue)
    }

    fn finish(&mut self) -> Result<(), ProviderError> {
        if !self.finished {
            let message = "the stream ended before the answer was complete";
            return Err(ProviderError::new(ErrorKind::Network, &self.provider, message));
        }
        Ok(())
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireRequest<'a> {
    contents: Vec<Content<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_instruction: Option<SystemInstruction<'a>>,
    generation_config: GenerationConfig<'a>,
}

#[derive(Serialize)]
struct Content<'a> {
    role: &'static str,
    parts: Vec<Part<'a>>,
}

#[derive(Serialize)]
struct SystemInstruction<'a> {
    parts: Vec<Part<'a>>,
}

#[derive(Serialize)]
struct Part<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig<'a> {
    max_output_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop_sequences: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking_config: Option<ThinkingConfig>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ThinkingConfig {
    thinking_budget: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireResponse {
    #[serde(default)]
    candidates: Vec<Candidate>,
    usage_metadata: Option<WireUsage>,
    prompt_feedback: Option<PromptFeedback>,
    error: Option<RpcError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    content: Option<CandidateContent>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct CandidateContent {
    #[serde(default)]
    parts: Vec<CandidatePart>,
}

#[derive(Deserialize)]
struct CandidatePart {
    text: Option<String>,
    /// A thought summary, not part of the answer.
    #[serde(default)]
    thought: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    block_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireUsage {
    #[serde(default)]
    prompt_token_count: u64,
    #[serde(default)]
    candidates_token_count: u64,
    #[serde(default)]
    thoughts_token_count: u64,
    #[serde(default)]
    cached_content_token_count: u64,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<RpcError>,
}

#[derive(Deserialize)]
struct RpcError {
    code: Option<u64>,
    message: Option<String>,
    status: Option<String>,
    #[serde(default)]
    details: Vec<RpcDetail>,
}

/// One entry of `details`: `RetryInfo` (`retryDelay`), `ErrorInfo` (`reason`) or
/// `QuotaFailure` (`violations`); the `@type` is not needed to tell them apart.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RpcDetail {
    retry_delay: Option<String>,
    reason: Option<String>,
    #[serde(default)]
    violations: Vec<QuotaViolation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QuotaViolation {
    quota_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(status: u16, body: &str) -> (ErrorKind, Option<Duration>) {
        let rpc = serde_json::from_str::<ErrorBody>(body).expect("json").error.expect("error");
        (rpc.kind(status), rpc.retry_delay())
    }

    #[test]
    fn rpc_errors() {
        let per_minute = r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}"#;
        assert_eq!(kind(429, per_minute), (ErrorKind::RateLimited, Some(Duration::from_secs(37))));
        let daily = per_minute.replace("PerMinute", "PerDay");
        assert_eq!(kind(429, &daily).0, ErrorKind::Quota);
        let billing = r#"{"error":{"code":429,"message":"Quota exceeded: check your billing account.","status":"RESOURCE_EXHAUSTED"}}"#;
        assert_eq!(kind(429, billing), (ErrorKind::Quota, None));
        let plain = r#"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}}"#;
        assert_eq!(kind(429, plain), (ErrorKind::RateLimited, Some(Duration::from_millis(1500))));
        let bad_key = r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#;
        assert_eq!(kind(400, bad_key).0, ErrorKind::Auth);
        let denied = r#"{"error":{"code":403,"message":"Method doesn't allow unregistered callers.","status":"PERMISSION_DENIED"}}"#;
        assert_eq!(kind(403, denied).0, ErrorKind::Auth);
        let unavailable = r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#;
        assert_eq!(kind(503, unavailable).0, ErrorKind::Overloaded);
        assert_eq!(parse_proto_duration("nope"), None);
        assert_eq!(parse_proto_duration("-1s"), None);
    }
}
