//! The provider layer: every model vendor behind one small trait, and ordered fallback chains
//! that move a request to the next vendor when one fails.
//!
//! This crate knows nothing of LSP, documents, ropes or syntax trees. Callers hand it typed
//! requests made of strings and numbers and get text back.

pub mod chat_fim;
pub mod fim_templates;
pub mod http;
pub mod keys;
pub mod models;
pub mod openai;
pub mod provider;
pub mod spec;

pub use provider::{
    Capabilities, ChatMessage, ChatPrompt, ChatRole, ErrorKind, FimMode, FimPrompt, GenerateRequest, Prompt, Provider,
    ProviderError, Purpose, Snippet, StreamEvent, TextStream, Usage,
};
pub use spec::{KeySource, ProviderKind, ProviderSpec, Secret};
