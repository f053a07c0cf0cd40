//! The document layer: open documents held in ropes, position encodings, edits and snapshots.
//!
//! Invariants:
//! - every conversion between an editor position and a byte offset goes through [`position`];
//! - edits are applied synchronously, in arrival order, to text and syntax together;
//! - snapshots are cheap (`Rope` and `Tree` clones share their data) and never change.

mod document;
pub mod position;
mod store;

pub use document::{ContentChange, Document, DocumentError, DocumentSnapshot, path_of_uri, uri_of_path};
pub use position::{LineCol, PositionEncoding, Range};
pub use store::{DocumentStore, StoreLimits};
