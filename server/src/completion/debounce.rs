//! How long to wait after a keystroke before asking a model: long enough that a fast typist's
//! next keystroke supersedes the request for free, short enough that a pause feels instant.
//!
//! The wait adapts to the user's rhythm: it follows a moving average of the gaps between their
//! keystrokes, within the configured bounds.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct TypingRhythm {
    last_edit: Option<Instant>,
    /// Moving average of the gap between edits, in milliseconds.
    average_gap_ms: f64,
}

impl Default for TypingRhythm {
    fn default() -> Self {
        Self { last_edit: None, average_gap_ms: 150.0 }
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
}
