//! Suggestions already paid for, so typing never costs a second call for the same text.
//!
//! An entry remembers the text just before and just after the cursor when a suggestion was made.
//! A later request is served from it when the text after the cursor is unchanged and the text
//! before the cursor is the old text plus a prefix of the suggestion: the user is typing the
//! suggestion (typing through), so the answer is the rest of it. An exact match is the special
//! case where nothing was typed. Keys hold a bounded window of text, not whole documents.

use std::collections::VecDeque;

/// How much text before the cursor identifies a position (bytes).
pub const BEFORE_WINDOW: usize = 1024;
/// How much text after the cursor must be unchanged (bytes).
pub const AFTER_WINDOW: usize = 256;

/// The text around a cursor, as a cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CursorKey {
    /// The document.
    pub uri: String,
    /// Up to `BEFORE_WINDOW` bytes before the cursor (longer keys are allowed for lookups).
    pub before: String,
    /// Up to `AFTER_WINDOW` bytes after the cursor.
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    key: CursorKey,
    /// The suggestions made at `key` (several when the user asked to cycle).
    suggestions: Vec<String>,
    provider: String,
}

/// A hit: the remaining text of each suggestion, and who made them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub suggestions: Vec<String>,
    pub provider: String,
    /// How many bytes of the suggestion the user has typed since it was made.
    pub typed: usize,
}

/// A small most-recently-used list; lookups scan it, which at this size beats hashing windows.
#[derive(Debug)]
pub struct SuggestionCache {
    entries: VecDeque<Entry>,
    capacity: usize,
}

impl Default for SuggestionCache {
    fn default() -> Self {
        Self::new(64)
    }
}

/// If `longer` is `shorter` followed by a prefix of `suggestion`, the length of that prefix.
pub fn typed_through(shorter: &str, longer: &str, suggestion: &str) -> Option<usize> {
    // `longer` may hold more text before the window start than `shorter` does; compare the
    // ends: `longer` must end with `shorter` + typed, where typed is a prefix of `suggestion`.
    let max_typed = longer.len().saturating_sub(shorter.len().min(longer.len())).min(suggestion.len());
    (0..=max_typed).find(|&typed| {
        suggestion.is_char_boundary(typed)
            && longer.ends_with(&suggestion[..typed])
            && longer[..longer.len() - typed].ends_with(shorter)
    })
}

impl SuggestionCache {
    pub fn new(capacity: usize) -> Self {
        Self { entries: VecDeque::with_capacity(capacity), capacity: capacity.max(1) }
    }

    pub fn insert(&mut self, key: CursorKey, suggestions: Vec<String>, provider: &str) {
        if suggestions.iter().all(String::is_empty) {
            return;
        }
        self.entries.retain(|entry| entry.key != key);
        if self.entries.len() == self.capacity {
            self.entries.pop_back();
        }
        self.entries.push_front(Entry { key, suggestions, provider: provider.to_owned() });
    }

    /// The suggestions that still apply at `key`, with what the user has typed removed. A
    /// suggestion typed in full is used up and is not returned.
    pub fn lookup(&mut self, key: &CursorKey) -> Option<Hit> {
        let position = self.entries.iter().position(|entry| {
            entry.key.uri == key.uri
                && entry.key.after == key.after
                && entry
                    .suggestions
                    .iter()
                    .any(|s| typed_through(&entry.key.before, &key.before, s).is_some_and(|typed| typed < s.len()))
        })?;
        let entry = self.entries.remove(position)?;
        let mut remaining = Vec::new();
        let mut typed_bytes = 0;
        for suggestion in &entry.suggestions {
            if let Some(typed) = typed_through(&entry.key.before, &key.before, suggestion)
                && typed < suggestion.len()
            {
                typed_bytes = typed;
                remaining.push(suggestion[typed..].to_owned());
            }
        }
        let hit = Hit { suggestions: remaining, provider: entry.provider.clone(), typed: typed_bytes };
        self.entries.push_front(entry);
        Some(hit)
    }

    /// Forgets everything about a document (closed, or replaced wholesale).
    pub fn forget(&mut self, uri: &str) {
        self.entries.retain(|entry| entry.key.uri != uri);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(before: &str, after: &str) -> CursorKey {
        CursorKey { uri: "file:///a.rs".into(), before: before.into(), after: after.into() }
    }

    #[test]
    fn exact_hits_and_typing_through() {
        let mut cache = SuggestionCache::default();
        cache.insert(key("fn main() {\n    let x", "\n}"), vec![" = compute(1, 2);".into()], "p");
        let exact = cache.lookup(&key("fn main() {\n    let x", "\n}")).unwrap();
        assert_eq!(exact.suggestions, vec![" = compute(1, 2);"]);
        let typed = cache.lookup(&key("fn main() {\n    let x = comp", "\n}")).unwrap();
        assert_eq!((typed.suggestions, typed.typed), (vec!["ute(1, 2);".to_owned()], 7));
    }

    #[test]
    fn diverging_text_misses() {
        let mut cache = SuggestionCache::default();
        cache.insert(key("let x", ";"), vec![" = 1".into()], "p");
        assert!(cache.lookup(&key("let x = 2", ";")).is_none(), "typed text differs from the suggestion");
        assert!(cache.lookup(&key("let x", ");")).is_none(), "text after the cursor changed");
        assert!(cache.lookup(&key("let y", ";")).is_none());
        let other_doc = CursorKey { uri: "file:///b.rs".into(), ..key("let x", ";") };
        assert!(cache.lookup(&other_doc).is_none());
    }

    #[test]
    fn a_fully_typed_suggestion_is_used_up() {
        let mut cache = SuggestionCache::default();
        cache.insert(key("a", ""), vec!["bc".into()], "p");
        assert!(cache.lookup(&key("abc", "")).is_none());
    }

    #[test]
    fn longer_lookup_windows_still_match() {
        // The lookup key may carry more text before the window start than the stored key.
        let mut cache = SuggestionCache::default();
        cache.insert(key("ello wor", ""), vec!["ld!".into()], "p");
        let hit = cache.lookup(&key("hello worl", "")).unwrap();
        assert_eq!(hit.suggestions, vec!["d!"]);
    }

    #[test]
    fn multibyte_suggestions_are_cut_on_char_boundaries() {
        let mut cache = SuggestionCache::default();
        cache.insert(key("s = \"", "\""), vec!["日本語".into()], "p");
        assert_eq!(cache.lookup(&key("s = \"日", "\"")).unwrap().suggestions, vec!["本語"]);
    }

    #[test]
    fn capacity_evicts_the_least_recently_used() {
        let mut cache = SuggestionCache::new(2);
        cache.insert(key("a", ""), vec!["1".into()], "p");
        cache.insert(key("b", ""), vec!["2".into()], "p");
        assert!(cache.lookup(&key("a", "")).is_some());
        cache.insert(key("c", ""), vec!["3".into()], "p");
        assert!(cache.lookup(&key("b", "")).is_none());
        assert!(cache.lookup(&key("a", "")).is_some());
        cache.forget("file:///a.rs");
        assert!(cache.is_empty());
    }
}
