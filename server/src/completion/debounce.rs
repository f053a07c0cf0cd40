//! How long to wait after a keystroke before asking a model: long enough that a fast typist's
//! next keystroke supersedes the request for free, short enough that a pause feels instant.
//!
//! The wait adapts to the user's rhythm: it follows a moving average of the gaps between their
//! keystrokes, within the configured bounds. It is a quiet period counted from the last edit (or
//! the previous request), not from this request: an editor that already waited before asking
//! (Neovim's inline completion waits about 200 ms, VS Code debounces too) is not made to wait a
//! second full time.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct TypingRhythm {
    last_edit: Option<Instant>,
    /// When the previous automatic request for the document arrived.
    last_request: Option<Instant>,
    /// Moving average of the gap between edits, in milliseconds.
    average_gap_ms: f64,
}

impl Default for TypingRhythm {
    fn default() -> Self {
        Self { last_edit: None, last_request: None, average_gap_ms: 150.0 }
    }
}

/// Gaps longer than this are pauses, not typing, and do not move the average.
const PAUSE: Duration = Duration::from_millis(1500);

impl TypingRhythm {
    pub fn note_edit(&mut self, now: Instant) {
        if let Some(last) = self.last_edit {
            let gap = now.saturating_duration_since(last);
            if gap < PAUSE {
                self.average_gap_ms = 0.7 * self.average_gap_ms + 0.3 * gap.as_secs_f64() * 1000.0;
            }
        }
        self.last_edit = Some(now);
    }

    /// How long a request arriving `now` still waits: the quiet period ([`Self::debounce`]) less
    /// the time since the last edit or the previous request, whichever is later. Records the
    /// request.
    pub fn remaining_wait(&mut self, now: Instant, min: Duration, max: Duration) -> Duration {
        let quiet_since = match (self.last_edit, self.last_request) {
            (Some(edit), Some(request)) => Some(edit.max(request)),
            (edit, request) => edit.or(request),
        };
        self.last_request = Some(now);
        let wait = self.debounce(min, max);
        match quiet_since {
            Some(since) => wait.saturating_sub(now.saturating_duration_since(since)),
            None => wait,
        }
    }

    /// The wait: a bit more than the typical gap, clamped to `[min, max]`.
    pub fn debounce(&self, min: Duration, max: Duration) -> Duration {
        let wait = Duration::from_secs_f64(self.average_gap_ms * 1.5 / 1000.0);
        wait.clamp(min, max.max(min))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_typing_waits_longer_than_its_gaps_and_stays_in_bounds() {
        let mut rhythm = TypingRhythm::default();
        let start = Instant::now();
        for idx in 0..20 {
            rhythm.note_edit(start + Duration::from_millis(idx * 60));
        }
        let wait = rhythm.debounce(Duration::from_millis(30), Duration::from_millis(400));
        assert!(wait > Duration::from_millis(60) && wait < Duration::from_millis(120), "{wait:?}");
        assert_eq!(rhythm.debounce(Duration::from_millis(200), Duration::from_millis(400)), Duration::from_millis(200));
        // A long pause does not make the next wait huge.
        rhythm.note_edit(start + Duration::from_secs(60));
        assert!(rhythm.debounce(Duration::from_millis(30), Duration::from_millis(400)) < Duration::from_millis(120));
    }

    #[test]
    fn a_client_that_already_waited_is_not_made_to_wait_again() {
        let (min, max) = (Duration::from_millis(60), Duration::from_millis(300));
        let mut rhythm = TypingRhythm::default();
        let start = Instant::now();
        for idx in 0..10 {
            rhythm.note_edit(start + Duration::from_millis(idx * 100));
        }
        let full = rhythm.debounce(min, max);
        let last_key = start + Duration::from_millis(900);
        // A client that asks at once waits the whole quiet period.
        assert_eq!(rhythm.remaining_wait(last_key, min, max), full);
        // One that waited 200 ms itself (Neovim) waits only what is left, here nothing.
        let mut rhythm_later = rhythm.clone();
        rhythm_later.last_request = None;
        assert_eq!(rhythm_later.remaining_wait(last_key + Duration::from_millis(200), min, max), Duration::ZERO);
        // Requests without edits between them (cursor moves) count the gap from the previous one.
        let moved = last_key + Duration::from_millis(40);
        assert_eq!(rhythm.remaining_wait(moved, min, max), full - Duration::from_millis(40));
        // The first request for a document, with no edit seen, waits the quiet period.
        assert_eq!(TypingRhythm::default().remaining_wait(start, min, max), TypingRhythm::default().debounce(min, max));
    }
}
