//! Switchboard: a language server that gives every LSP editor AI completions and code actions
//! from interchangeable model vendors.
//!
//! Reading order: `config` (the settings schema), then `lsp` (the protocol layer and the only
//! module that knows LSP types). The editor-independent layers live in `switchboard-core`
//! (documents, syntax, context) and `switchboard-providers` (model vendors and failover).

pub mod actions;
pub mod complete_cli;
pub mod completion;
pub mod config;
pub mod doctor;
pub mod lsp;
pub mod provider_chains;
pub mod runtime;
