//! The set of open documents, shared by every request handler.
//!
//! Each method does its whole read-modify-write while holding one map guard and returns before
//! any `.await` can happen: no guard ever lives across an `.await`, so handlers cannot deadlock
//! on it and edits land in the order the editor sent them.

use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;

use super::document::{ContentChange, Document, DocumentError, DocumentSnapshot};
use super::position::PositionEncoding;

/// Bounds on memory held for documents nobody is looking at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// How many syntax trees to keep; the least recently used beyond this are dropped (and
    /// re-parsed from scratch if they are needed again).
    pub max_trees: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        Self { max_trees: 16 }
    }
}

#[derive(Debug)]
struct Entry {
    document: Document,
    /// When the tree was last asked for; orders eviction.
    last_used: u64,
}

#[derive(Debug, Default)]
pub struct DocumentStore {
    entries: DashMap<String, Entry>,
    clock: AtomicU64,
    limits: StoreLimits,
}

impl DocumentStore {
    pub fn new(limits: StoreLimits) -> Self {
        Self { entries: DashMap::new(), clock: AtomicU64::new(0), limits }
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Opens (or re-opens, replacing) a document. Does not parse.
    pub fn open(&self, uri: &str, language_id: &str, version: i32, text: &str) {
        let document = Document::new(uri, language_id, version, text);
        let entry = Entry { document, last_used: self.tick() };
        self.entries.insert(uri.to_owned(), entry);
    }

    /// Applies one `didChange`. Cheap: text edit plus a tree edit, no parse.
    pub fn change(
        &self,
        uri: &str,
        version: i32,
        changes: &[ContentChange],
        encoding: PositionEncoding,
    ) -> Result<(), DocumentError> {
        let mut entry = self.entries.get_mut(uri).ok_or_else(|| DocumentError::NotOpen(uri.to_owned()))?;
        entry.document.apply_changes(version, changes, encoding);
        Ok(())
    }

    pub fn close(&self, uri: &str) -> bool {
        self.entries.remove(uri).is_some()
    }

    pub fn is_open(&self, uri: &str) -> bool {
        self.entries.contains_key(uri)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// URIs of every open document.
    pub fn uris(&self) -> Vec<String> {
        self.entries.iter().map(|entry| entry.key().clone()).collect()
    }

    /// A snapshot of the text as it is now, with a tree only if one is already fresh.
    pub fn snapshot(&self, uri: &str) -> Option<DocumentSnapshot> {
        self.entries.get(uri).map(|entry| entry.document.snapshot())
    }

    /// Whether [`snapshot_with_syntax`](Self::snapshot_with_syntax) would parse the document
    /// from nothing: a caller on an event loop runs it on a thread of its own then.
    pub fn needs_full_parse(&self, uri: &str) -> bool {
        self.entries
            .get(uri)
            .is_some_and(|entry| entry.document.parse_job().is_some_and(|(job, _, _)| !job.is_incremental()))
    }

    /// A snapshot with an up-to-date syntax tree (parsing incrementally if needed), for features
    /// that read syntax. Keeps the number of trees held within [`StoreLimits::max_trees`].
    ///
    /// The parse runs without holding the document, so edits (applied on the editor's message
    /// loop) never wait for it; a tree parsed from text that changed meanwhile is not installed,
    /// and after a few such races the snapshot goes without a tree (features degrade).
    pub fn snapshot_with_syntax(&self, uri: &str) -> Option<DocumentSnapshot> {
        const ATTEMPTS: usize = 3;
        for _ in 0..ATTEMPTS {
            let job = {
                let mut entry = self.entries.get_mut(uri)?;
                entry.last_used = self.tick();
                entry.document.parse_job()
            };
            let Some((job, rope, token)) = job else { break };
            let tree = job.run(&rope);
            let installed =
                self.entries.get_mut(uri).is_some_and(|mut entry| entry.document.install_parse(token, tree));
            if installed {
                break;
            }
        }
        let snapshot = self.entries.get(uri)?.document.snapshot();
        self.evict_trees_beyond_limit();
        Some(snapshot)
    }

    fn evict_trees_beyond_limit(&self) {
        let mut with_trees: Vec<(u64, String)> = self
            .entries
            .iter()
            .filter(|entry| entry.document.has_tree())
            .map(|entry| (entry.last_used, entry.key().clone()))
            .collect();
        if with_trees.len() <= self.limits.max_trees {
            return;
        }
        with_trees.sort_unstable();
        let n_evict = with_trees.len() - self.limits.max_trees;
        for (_, uri) in with_trees.into_iter().take(n_evict) {
            if let Some(mut entry) = self.entries.get_mut(&uri) {
                entry.document.evict_tree();
            }
        }
    }

    /// How many documents hold a syntax tree right now.
    pub fn n_trees(&self) -> usize {
        self.entries.iter().filter(|entry| entry.document.has_tree()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::position::{LineCol, Range};

    #[test]
    fn changes_to_unknown_documents_are_errors_not_panics() {
        let store = DocumentStore::default();
        let result = store.change("file:///nope.rs", 2, &[ContentChange::full("x")], PositionEncoding::Utf16);
        assert_eq!(result, Err(DocumentError::NotOpen("file:///nope.rs".into())));
        assert!(store.snapshot("file:///nope.rs").is_none());
        assert!(!store.close("file:///nope.rs"));
    }

    #[test]
    fn open_change_snapshot_close() {
        let store = DocumentStore::default();
        store.open("file:///a.txt", "plaintext", 1, "one\ntwo");
        let before = store.snapshot("file:///a.txt").unwrap();
        let range = Range::new(LineCol::new(1, 0), LineCol::new(1, 3));
        store.change("file:///a.txt", 2, &[ContentChange::replace(range, "2")], PositionEncoding::Utf16).unwrap();
        // Snapshots are frozen.
        assert_eq!(before.text(), "one\ntwo");
        let after = store.snapshot("file:///a.txt").unwrap();
        assert_eq!((after.text().as_str(), after.version()), ("one\n2", 2));
        assert!(store.close("file:///a.txt"));
        assert!(store.is_empty());
    }
}
