//! The prefix/suffix window around the cursor: whole lines, balanced to a byte budget, and when
//! the prefix must be cut, started at a syntax boundary rather than mid-statement.
//!
//! The rules, in priority order:
//! 1. The cursor line is whole on both sides. Only when it alone exceeds the budget is it cut, at a
//!    character boundary, as a last resort.
//! 2. The prefix gets `prefix_percent` of the budget and the suffix the rest; what one side cannot
//!    use because the document ends flows to the other.
//! 3. The prefix starts at a line start and the suffix ends at a line end (after its line break).
//! 4. A cut prefix moves its start down, within its first quarter, to the line where the shallowest
//!    syntax node starts (a top-level item or statement); the bytes this gives up go to the suffix.

use ropey::Rope;
use tree_sitter::Tree;

use super::lines;

/// The chosen window: `start..cursor` is the prefix and `cursor..end` the suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub(crate) fn len(self) -> usize {
        self.end - self.start
    }
}

/// The syntax scores of the lines already looked at, kept across the windows one extraction
/// tries (each round moves the start up by a few lines; its zone is mostly lines scored before).
/// A line's score depends on the line and the tree only, never on the zone it was scored in.
#[derive(Debug, Default)]
pub(crate) struct LineScores {
    /// By the line's first byte, sorted: its depth score, `None` when it is no place to start.
    known: Vec<(usize, Option<usize>)>,
}

impl LineScores {
    fn get(&self, first_byte: usize) -> Option<Option<usize>> {
        self.known.binary_search_by_key(&first_byte, |(byte, _)| *byte).ok().map(|idx| self.known[idx].1)
    }

    fn insert(&mut self, first_byte: usize, score: Option<usize>) {
        if let Err(idx) = self.known.binary_search_by_key(&first_byte, |(byte, _)| *byte) {
            self.known.insert(idx, (first_byte, score));
        }
    }
}

/// Picks the window around `cursor` (already normalized) within `window_bytes`. `scores` must
/// come from calls on the same text and tree.
pub(crate) fn select(
    rope: &Rope,
    tree: Option<&Tree>,
    cursor: usize,
    window_bytes: usize,
    prefix_percent: u8,
    scores: &mut LineScores,
) -> Span {
    let len = rope.len_bytes();
    let cursor_line = lines::line_of(rope, cursor);
    let bounds = lines::line_bounds(rope, cursor_line);
    let head = cursor - bounds.start;
    let tail = bounds.next_start - cursor;
    let prefix_percent = usize::from(prefix_percent.min(100));
    if head + tail > window_bytes {
        return cut_cursor_line(rope, cursor, head, tail, window_bytes, prefix_percent);
    }

    let (prefix_share, suffix_share) = split(window_bytes, prefix_percent, cursor, len - cursor, head, tail);
    let mut start = grow_up(rope, bounds.start, prefix_share - head);
    if start > 0 {
        start = snap_to_boundary(rope, tree, start, bounds.start, scores);
    }
    // Whatever the prefix did not use (a partial line, or what the boundary gave up) goes below.
    let prefix_unused = prefix_share - (cursor - start);
    let end = grow_down(rope, bounds.next_start, suffix_share - tail + prefix_unused);
    Span { start, end }
}

/// Splits `window_bytes` between the sides: by `prefix_percent`, then moving what a side cannot
/// use (the document ends first) to the other, then making room for the cursor line's two halves.
/// Requires `head + tail <= window_bytes`, `head <= prefix_avail` and `tail <= suffix_avail`.
fn split(
    window_bytes: usize,
    prefix_percent: usize,
    prefix_avail: usize,
    suffix_avail: usize,
    head: usize,
    tail: usize,
) -> (usize, usize) {
    let mut prefix = window_bytes * prefix_percent / 100;
    let mut suffix = window_bytes - prefix;
    if prefix > prefix_avail {
        suffix += prefix - prefix_avail;
        prefix = prefix_avail;
    }
    if suffix > suffix_avail {
        prefix = (prefix + suffix - suffix_avail).min(prefix_avail);
        suffix = suffix_avail;
    }
    // `total >= head + tail` because the window fits the cursor line and each side's available
    // text contains its half of it.
    let total = prefix + suffix;
    let prefix = prefix.clamp(head, total.saturating_sub(tail).max(head));
    (prefix, total.saturating_sub(prefix))
}

/// Adds whole lines above the line that starts at `start` while they fit in `spare` bytes;
/// returns the new start. The lines that fit are those starting no earlier than `start - spare`,
/// so this is one lookup, not a walk over lines.
fn grow_up(rope: &Rope, start: usize, spare: usize) -> usize {
    let lowest = start.saturating_sub(spare);
    let line = lines::line_of(rope, lowest);
    let line_start = lines::line_start(rope, line);
    let first_whole_line = if line_start == lowest { line_start } else { lines::line_start(rope, line + 1) };
    first_whole_line.min(start)
}

/// Adds whole lines below `end` (a line start, or the end of the document) while they fit in
/// `spare` bytes; returns the new end: the last line start (or the end of the document) no later
/// than `end + spare`.
fn grow_down(rope: &Rope, end: usize, spare: usize) -> usize {
    let len = rope.len_bytes();
    let highest = end.saturating_add(spare);
    if highest >= len {
        return len;
    }
    lines::line_start(rope, lines::line_of(rope, highest)).max(end)
}

/// The last resort: the cursor line alone is over budget, so keep the bytes nearest the cursor,
/// split by the same ratio, cut inward to character boundaries.
fn cut_cursor_line(
    rope: &Rope,
    cursor: usize,
    head: usize,
    tail: usize,
    window_bytes: usize,
    prefix_percent: usize,
) -> Span {
    let prefix_take = head.min((window_bytes * prefix_percent / 100).max(window_bytes.saturating_sub(tail)));
    let suffix_take = tail.min(window_bytes - prefix_take);
    Span {
        start: lines::snap_forward(rope, cursor - prefix_take),
        end: lines::snap_back(rope, cursor + suffix_take).max(cursor),
    }
}

/// A line that could start the window.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    start: usize,
    /// Where the line's first token starts.
    first_byte: usize,
    content_end: usize,
    /// Lower is better: the node depth with a tree, an indentation score without one; `None`
    /// when the line is no place to start.
    score: Option<usize>,
}

/// Moves a cut prefix's `start` (a line start) down to a better line within the first quarter of
/// the prefix: the one whose first token starts the shallowest syntax node (with a tree), or the
/// least indented line (without). Ties go to the earliest line, which gives up the least.
fn snap_to_boundary(
    rope: &Rope,
    tree: Option<&Tree>,
    start: usize,
    cursor_line_start: usize,
    scores: &mut LineScores,
) -> usize {
    let zone_end = start + (cursor_line_start - start) / 4;
    let mut previous_blank = false;
    // The zone's lines (those starting in it), from one copy of their text.
    let (first_line, last_line) = (lines::line_of(rope, start), lines::line_of(rope, zone_end));
    let zone_text_end = lines::line_bounds(rope, last_line).next_start.min(cursor_line_start);
    let zone_text = String::from(rope.byte_slice(start..zone_text_end.max(start)));
    let mut candidates = Vec::with_capacity(last_line + 1 - first_line.min(last_line));
    for (idx, line_start, content) in lines::split_lines(&zone_text, start, first_line) {
        if line_start > zone_end {
            break;
        }
        let indent = lines::indent_len(content);
        let is_blank = indent == content.len();
        if !is_blank {
            candidates.push(Candidate {
                start: line_start,
                first_byte: line_start + indent,
                content_end: line_start + content.len(),
                // With a tree, the tree scores every line (`score_by_depth`).
                score: if tree.is_none() { indentation_score(content, previous_blank || idx == 0) } else { None },
            });
        }
        previous_blank = is_blank;
    }
    if let Some(tree) = tree {
        // Walk the tree for the lines not scored before only.
        let mut unknown = Vec::with_capacity(candidates.len());
        for candidate in &mut candidates {
            match scores.get(candidate.first_byte) {
                Some(score) => candidate.score = score,
                None => unknown.push(*candidate),
            }
        }
        if !unknown.is_empty() {
            score_by_depth(tree, &mut unknown);
            for scored in &unknown {
                scores.insert(scored.first_byte, scored.score);
            }
            for candidate in &mut candidates {
                candidate.score = scores.get(candidate.first_byte).flatten();
            }
        }
    }
    let mut best: Option<(usize, usize)> = None;
    for candidate in &candidates {
        if let Some(score) = candidate.score
            && best.is_none_or(|(best_score, _)| score < best_score)
        {
            best = Some((score, candidate.start));
        }
    }
    best.map_or(start, |(_, line_start)| line_start)
}

/// Scores each candidate line by the depth of the outermost node that starts at its first token
/// (children of the root are 1), if that node is a whole item: named, not an error, and not
/// followed on its line by anything but a comment (so `a,` in an argument list does not count).
///
/// One walk over the nodes of the zone serves every line: looking each line up from the root
/// would scan the root's children once per line, which is slow in a file of thousands of items.
fn score_by_depth(tree: &Tree, candidates: &mut [Candidate]) {
    for candidate in candidates.iter_mut() {
        candidate.score = None;
    }
    let Some(zone_end) = candidates.last().map(|candidate| candidate.first_byte) else { return };
    let mut next_candidate = 0;
    let mut cursor = tree.walk();
    let mut depth = 0;
    'walk: loop {
        let node = cursor.node();
        if node.start_byte() > zone_end {
            break;
        }
        // Pre-order visits a node before its children and in order of start, so the first node
        // seen at a line's first byte is the outermost one starting there.
        while candidates.get(next_candidate).is_some_and(|candidate| candidate.first_byte < node.start_byte()) {
            next_candidate += 1;
        }
        if let Some(candidate) = candidates.get_mut(next_candidate)
            && candidate.first_byte == node.start_byte()
            && depth > 0
        {
            let is_whole = node.end_byte() >= candidate.content_end || {
                let mut sibling = cursor.clone();
                !sibling.goto_next_sibling() || {
                    let next = sibling.node();
                    next.start_byte() >= candidate.content_end || next.kind().contains("comment")
                }
            };
            if node.is_named() && !node.is_error() && !node.is_missing() && is_whole {
                candidate.score = Some(depth);
            }
            next_candidate += 1;
        }
        // Only descend toward a line still to score: the tokens inside statements are most of
        // the nodes, and none of them can start a line we have not passed yet.
        let Some(next_first_byte) = candidates.get(next_candidate).map(|candidate| candidate.first_byte) else {
            break;
        };
        if next_first_byte < node.end_byte() && cursor.goto_first_child_for_byte(next_first_byte).is_some() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
            depth -= 1;
        }
    }
}

/// Without a tree: less indentation is better, and a line after a blank line is a slightly better
/// start than one that continues a paragraph. Closing brackets and `end` are never a good start.
fn indentation_score(content: &str, after_blank: bool) -> Option<usize> {
    let trimmed = content.trim_start();
    if trimmed.starts_with(['}', ')', ']']) || trimmed == "end" || trimmed.starts_with("end ") {
        return None;
    }
    Some(lines::indent_width(content) * 2 + usize::from(!after_blank))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str, cursor: usize, window_bytes: usize) -> String {
        let rope = Rope::from_str(text);
        let span = select(&rope, None, cursor, window_bytes, 75, &mut LineScores::default());
        format!("{}<|>{}", &text[span.start..cursor], &text[cursor..span.end])
    }

    #[test]
    fn split_flows_unused_share_and_keeps_the_cursor_line() {
        // 75/25 of 100 when both sides have room.
        assert_eq!(split(100, 75, 1000, 1000, 0, 0), (75, 25));
        // The prefix can only use 10 bytes: the rest flows to the suffix, and back.
        assert_eq!(split(100, 75, 10, 1000, 0, 0), (10, 90));
        assert_eq!(split(100, 75, 1000, 5, 0, 0), (95, 5));
        // Both sides short: everything there is.
        assert_eq!(split(100, 75, 10, 5, 0, 0), (10, 5));
        // The suffix half of the cursor line needs 40 bytes.
        assert_eq!(split(100, 75, 1000, 1000, 0, 40), (60, 40));
        assert_eq!(split(100, 0, 1000, 1000, 30, 0), (30, 70));
    }

    #[test]
    fn windows_are_whole_lines() {
        let text = "l0\nl1\nl2\nl3\nl4\nl5\nl6\nl7\nl8 cursor\nl9\nlA\nlB\n";
        let cursor = text.find("cursor").unwrap_or_default();
        // 10 bytes: the cursor line (10 bytes) alone.
        expect_test::expect![[r#"
            l8 <|>cursor
        "#]]
        .assert_eq(&render(text, cursor, 10));
        // 30 bytes: 22 to the prefix (the head and six lines above), 8 to the suffix (the tail;
        // one byte short of the next line, even with the prefix's unused byte).
        expect_test::expect![[r#"
            l2
            l3
            l4
            l5
            l6
            l7
            l8 <|>cursor
        "#]]
        .assert_eq(&render(text, cursor, 30));
        // Plenty: everything.
        assert_eq!(render(text, cursor, 1000).replace("<|>", ""), text);
    }

    #[test]
    fn a_huge_cursor_line_is_cut_at_char_boundaries() {
        let text = "ééééé|ééééé\n";
        let cursor = text.find('|').unwrap_or_default();
        // 8 bytes: 6 before (3 chars), 2 after: `|` and half an `é`, which is dropped.
        assert_eq!(render(text, cursor, 8), "ééé<|>|");
        assert_eq!(render(text, cursor, 0), "<|>");
    }

    #[test]
    fn a_cut_prefix_starts_at_a_shallow_line() {
        let text = "    a\n    b\nc\n    d\n    e\n    f\n    g\n    h\n    i\n    j\n    cursor\n";
        let cursor = text.find("cursor").unwrap_or_default();
        // Without the snap the window would start at `b`; `c` is less indented and in the zone.
        expect_test::expect![[r#"
            c
                d
                e
                f
                g
                h
                i
                j
                <|>cursor
        "#]]
        .assert_eq(&render(text, cursor, 62));
    }

    #[test]
    fn scores_kept_from_earlier_windows_choose_as_fresh_ones_do() {
        let body = "    let a = 1;\n    if a > 0 {\n        call(a,\n            2);\n    }\n\n".repeat(12);
        let text = format!("use std::io;\n\nfn main() {{\n{body}    cursor();\n}}\n");
        let snapshot = crate::documents::DocumentSnapshot::from_text("file:///w.rs", "rust", &text);
        let (rope, tree) = (snapshot.rope(), snapshot.tree());
        assert!(tree.is_some(), "the test needs a tree");
        let cursor = text.find("cursor").unwrap_or_default();
        let mut kept = LineScores::default();
        // Growing windows, as extraction's rounds try them, sharing what was scored.
        for window_bytes in (60..600).step_by(13) {
            let fresh = select(rope, tree, cursor, window_bytes, 75, &mut LineScores::default());
            assert_eq!(select(rope, tree, cursor, window_bytes, 75, &mut kept), fresh, "{window_bytes} bytes");
            // The scores are used: a window never starts inside a call or at a closing brace.
            let first_line = text[fresh.start..].lines().next().unwrap_or_default();
            assert!(!first_line.starts_with("            2") && first_line.trim() != "}", "{first_line:?}");
        }
        assert!(kept.known.len() > 10, "lines were scored and kept");
    }
}
