//! The provider layer: every model vendor behind one small trait, and ordered fallback chains
//! that move a request to the next vendor when one fails.
//!
//! This crate knows nothing of LSP, documents, ropes or syntax trees. Callers hand it typed
//! requests made of strings and numbers and get text back.

pub mod answer;
pub mod anthropic;
pub mod chain;
pub mod chat_fim;
#[cfg(feature = "test-support")]
pub mod fake;
pub mod fim_templates;
pub mod gemini;
pub mod health;
pub mod http;
mod json_text;
pub mod keys;
pub mod kinds;
pub mod llamacpp;
pub mod models;
pub mod ollama;
pub mod openai_compat;
pub mod provider;
pub mod registry;
pub(crate) mod request_setup;
pub mod spec;

pub use chain::{Chain, ChainAnswer, ChainError, ChainOptions, ChainStream};
pub use health::{CircuitState, Health, HealthOptions, ProviderEvent, ProviderInfo, Severity, UsageSnapshot};

pub use provider::{
    Capabilities, ChatMessage, ChatPrompt, ChatRole, ErrorKind, FimMode, FimPrompt, GenerateRequest, Prompt, Provider,
    ProviderError, Purpose, Snippet, StablePrefix, StreamEvent, TextStream, Usage,
};
pub use registry::{Detected, LocalServers, Registry, RegistryError, build_provider, detect_providers};
pub use spec::{KeySource, ProviderKind, ProviderSpec, Secret};
