//! A deterministic scripted provider that records the requests it got, for tests of anything
//! above the provider layer (chains, the completion pipeline, the LSP server).
//!
//! It is public (not `cfg(test)`) because other crates' tests use it. Script replies with
//! [`FakeProvider::push`]; they are answered in order, then the fallback reply is repeated.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::{StreamExt, stream};

use crate::provider::{
    BoxFuture, Capabilities, ErrorKind, FimMode, GenerateRequest, Provider, ProviderError, StreamEvent, TextStream,
    Usage,
};

/// One scripted answer.
#[derive(Debug, Clone, PartialEq)]
pub enum FakeReply {
    /// Streams these pieces, then the usage if any.
    Text { chunks: Vec<String>, usage: Option<Usage> },
    /// `generate` fails with this error kind and message.
    Fail { kind: ErrorKind, message: String },
    /// Streams these pieces, then fails mid-stream.
    FailAfter { chunks: Vec<String>, kind: ErrorKind, message: String },
    /// Waits this long before answering with the inner reply (a slow vendor).
    Delay(Duration, Box<FakeReply>),
    /// Never answers (until the caller gives up and drops the future).
    Hang,
    /// Several whole answers to one request: the first as the answer, the others as its
    /// alternatives, as many as the request asked for.
    Choices(Vec<String>),
}

impl FakeReply {
    /// One piece of text.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text { chunks: vec![text.into()], usage: None }
    }

    pub fn chunks<S: Into<String>>(chunks: impl IntoIterator<Item = S>) -> Self {
        Self::Text { chunks: chunks.into_iter().map(Into::into).collect(), usage: None }
    }

    pub fn fail(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::Fail { kind, message: message.into() }
    }

    pub fn delayed(self, delay: Duration) -> Self {
        Self::Delay(delay, Box::new(self))
    }
}

#[derive(Debug)]
pub struct FakeProvider {
    name: String,
    capabilities: Capabilities,
    script: Mutex<VecDeque<FakeReply>>,
    fallback: Mutex<Option<FakeReply>>,
    requests: Mutex<Vec<GenerateRequest>>,
}

impl FakeProvider {
    /// A chat-only fake with streaming and a 32k context.
    pub fn new(name: impl Into<String>) -> Self {
        Self::with_capabilities(
            name,
            Capabilities { fim: FimMode::Chat, streaming: true, context_tokens: 32_768, max_choices: 1 },
        )
    }

    pub fn with_capabilities(name: impl Into<String>, capabilities: Capabilities) -> Self {
        Self {
            name: name.into(),
            capabilities,
            script: Mutex::new(VecDeque::new()),
            fallback: Mutex::new(None),
            requests: Mutex::new(Vec::new()),
        }
    }

    /// Answers every request (after the scripted ones) with `reply`.
    pub fn always(name: impl Into<String>, reply: FakeReply) -> Self {
        let fake = Self::new(name);
        fake.set_fallback(reply);
        fake
    }

    /// Queues a reply for the next unanswered request.
    pub fn push(&self, reply: FakeReply) -> &Self {
        lock(&self.script).push_back(reply);
        self
    }

    pub fn set_fallback(&self, reply: FakeReply) {
        *lock(&self.fallback) = Some(reply);
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<GenerateRequest> {
        lock(&self.requests).clone()
    }

    pub fn request_count(&self) -> usize {
        lock(&self.requests).len()
    }

    fn next_reply(&self) -> FakeReply {
        let scripted = lock(&self.script).pop_front();
        scripted
            .or_else(|| lock(&self.fallback).clone())
            .unwrap_or_else(|| FakeReply::fail(ErrorKind::BadResponse, "the fake provider has no scripted reply left"))
    }
}

/// A poisoned lock only means another test thread panicked; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn answer(name: String, reply: FakeReply, choices: u32) -> Result<TextStream, ProviderError> {
    let mut reply = reply;
    loop {
        match reply {
            FakeReply::Delay(delay, inner) => {
                tokio::time::sleep(delay).await;
                reply = *inner;
            }
            FakeReply::Hang => std::future::pending::<()>().await,
            FakeReply::Fail { kind, message } => return Err(ProviderError::new(kind, name, message)),
            FakeReply::Text { chunks, usage } => {
                let mut events: Vec<StreamEvent> = chunks.into_iter().map(StreamEvent::Text).collect();
                events.extend(usage.map(StreamEvent::Usage));
                return Ok(Box::pin(stream::iter(events.into_iter().map(Ok))));
            }
            FakeReply::Choices(answers) => {
                let events = answers.into_iter().zip(0..choices.max(1)).map(|(text, choice)| {
                    Ok(if choice == 0 { StreamEvent::Text(text) } else { StreamEvent::Alternative { choice, text } })
                });
                return Ok(Box::pin(stream::iter(events.collect::<Vec<_>>())));
            }
            FakeReply::FailAfter { chunks, kind, message } => {
                let texts = chunks.into_iter().map(|chunk| Ok(StreamEvent::Text(chunk)));
                let error = Err(ProviderError::new(kind, name, message));
                return Ok(stream::iter(texts).chain(stream::iter([error])).boxed());
            }
        }
    }
}

impl Provider for FakeProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn generate(&self, request: GenerateRequest) -> BoxFuture<'_, Result<TextStream, ProviderError>> {
        let choices = request.choices.clamp(1, self.capabilities.max_choices.max(1));
        lock(&self.requests).push(request);
        let reply = self.next_reply();
        Box::pin(answer(self.name.clone(), reply, choices))
    }
}
