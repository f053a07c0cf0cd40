//! Cursor fixtures for context tests: text with exactly one `<|>` marking the cursor.

use switchboard_core::context::CURSOR_MARKER;
use switchboard_core::documents::DocumentSnapshot;

/// A fixture's text without its marker, and the marker's byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fixture {
    pub text: String,
    pub cursor: usize,
}

/// Splits a fixture at its cursor marker; zero markers or more than one are an error, so a typo
/// in a fixture cannot silently test the wrong place.
pub(crate) fn parse(fixture: &str) -> Result<Fixture, String> {
    let mut markers = fixture.match_indices(CURSOR_MARKER).map(|(idx, _)| idx);
    let cursor = markers.next().ok_or_else(|| format!("fixture has no cursor marker {CURSOR_MARKER}"))?;
    if markers.next().is_some() {
        return Err(format!("fixture has more than one cursor marker {CURSOR_MARKER}"));
    }
    let text = format!("{}{}", &fixture[..cursor], &fixture[cursor + CURSOR_MARKER.len()..]);
    Ok(Fixture { text, cursor })
}

/// A parsed snapshot of `fixture` (tree included when the language has a grammar) and the cursor.
pub(crate) fn snapshot(uri: &str, language_id: &str, fixture: &str) -> (DocumentSnapshot, usize) {
    let parsed = match parse(fixture) {
        Ok(parsed) => parsed,
        Err(error) => panic!("{uri}: {error}"),
    };
    (DocumentSnapshot::from_text(uri, language_id, &parsed.text), parsed.cursor)
}
