//! Switchboard's editor-independent core: documents held in ropes, position encodings,
//! tree-sitter syntax and context extraction.
//!
//! Nothing here knows LSP, JSON-RPC, HTTP or any model vendor, and nothing here does I/O
//! (grammar queries are compiled into the binary). Layers, bottom up:
//! `text` ← `languages` (the language table) ← `syntax` ← `documents` ← `context`.

pub mod context;
pub mod documents;
pub mod languages;
pub mod placement;
pub mod related;
pub mod secrets;
pub mod syntax;
pub mod text;
