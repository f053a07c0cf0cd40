//! The protocol layer: the only module that imports tower-lsp-server and LSP types.
//!
//! Start reading at [`server`], the routing table. Each request or notification has its own file
//! under `handlers/`, named after the LSP method. Every handler goes through [`dispatch`], which
//! adds a tracing span and turns a panic into an error answer, so that:
//! - every request gets exactly one answer (a result, an error, or `RequestCancelled` from the
//!   framework when the client cancels it);
//! - notifications that change documents apply their change before their first `.await`, so they
//!   take effect in the order the editor sent them;
//! - a request for a document that is not open gets an empty result, not an error.

pub mod capabilities;
pub mod completion_site;
pub mod config_watch;
pub mod convert;
pub mod dispatch;
pub mod edits;
pub mod ext;
pub mod handlers;
pub mod server;
pub mod session;
pub mod stdio;
pub mod transport;

pub use server::{Router, serve_stdio};
pub use session::ServerOptions;

/// The log target under which the LSP library traces every message whole. Messages hold the
/// user's files (secrets included), so the binary keeps it below `trace` unless it is named.
pub const WIRE_LOG_TARGET: &str = "tower_lsp_server";
