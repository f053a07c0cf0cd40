//! Rewrites: turning a model's rewrite of a region into the smallest set of line edits.
//!
//! An AI code action sends a region of whole lines to a model and gets code back. Replacing
//! the region wholesale would move the cursor, make undo coarse and, when the model repeated
//! lines from around the region or left some out, duplicate or lose code. So the answer is
//! first fitted to the document:
//!
//! 1. leading and trailing blank lines of the answer are dropped; the region's own leading
//!    and trailing blank lines are kept (they separate it from its neighbours);
//! 2. the region is widened over lines just outside it that the answer repeats (a signature
//!    above a body, a closing brace or the next function below it), so they are not doubled;
//! 3. placeholder lines ("...", "// rest of the code unchanged") that the region does not
//!    have are refused: applying them would delete code;
//! 4. the answer is re-based to the region's indentation in the file's indentation style;
//! 5. a line diff against the region gives the edits, one per changed hunk.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use switchboard_core::text::{TAB_WIDTH, indent_of, indent_width};

/// How far outside the region the answer's repeated lines are looked for.
const ANCHOR_LOOKAROUND: usize = 50;
/// Largest line-diff table (region lines × answer lines) computed; past it the changed middle
/// is replaced in one edit.
const DIFF_CELL_LIMIT: usize = 4_000_000;

/// How the file indents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndentStyle {
    /// One tab per level.
    Tabs,
    /// This many spaces per level.
    Spaces(usize),
}

impl IndentStyle {
    /// One level of indentation in this style.
    #[must_use]
    pub fn unit(self) -> String {
        match self {
            IndentStyle::Tabs => "\t".to_owned(),
            IndentStyle::Spaces(n) => " ".repeat(n.max(1)),
        }
    }

    /// The style of one level of indentation written out (`"\t"`, `"  "`), as the language table
    /// gives it.
    #[must_use]
    pub fn from_unit(unit: &str) -> Self {
        if unit.contains('\t') { IndentStyle::Tabs } else { IndentStyle::Spaces(unit.len().max(1)) }
    }

    /// Columns one level spans.
    fn columns(self) -> usize {
        match self {
            IndentStyle::Tabs => TAB_WIDTH,
            IndentStyle::Spaces(n) => n.max(1),
        }
    }
}

/// Detects the style from the document's lines: tabs if most indented lines start with a
/// tab, otherwise the most common step by which the indentation of one line exceeds the
/// previous line's. `Spaces(4)` when nothing tells.
#[must_use]
pub fn detect_style<S: AsRef<str>>(lines: &[S]) -> IndentStyle {
    detect_style_or(lines, IndentStyle::Spaces(4))
}

/// [`detect_style`], with `fallback` (the language's unit) when nothing tells.
#[must_use]
pub fn detect_style_or<S: AsRef<str>>(lines: &[S], fallback: IndentStyle) -> IndentStyle {
    let (mut tabs, mut spaces) = (0usize, 0usize);
    let mut steps = [0usize; 9];
    let mut previous: Option<usize> = None;
    for line in lines.iter().map(AsRef::as_ref).filter(|line| !is_blank(line)) {
        match line.as_bytes().first() {
            Some(b'\t') => tabs += 1,
            Some(b' ') => spaces += 1,
            _ => {}
        }
        let ws = indent_of(line);
        // Block-comment continuations (` * text`) sit one column in: alignment, not a level.
        if ws.contains('\t') || line.trim_start().starts_with('*') {
            continue;
        }
        let w = ws.len();
        if let Some(p) = previous
            && w > p
            && w - p < steps.len()
        {
            steps[w - p] += 1;
        }
        previous = Some(w);
    }
    if tabs > spaces {
        return IndentStyle::Tabs;
    }
    // The most common step; a tie goes to the smaller one.
    let best =
        steps.iter().enumerate().skip(1).filter(|&(_, &n)| n > 0).max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)));
    best.map_or(fallback, |(step, _)| IndentStyle::Spaces(step))
}

/// A replacement of whole document lines `start..end` (0-based, end exclusive; `start ==
/// end` is a pure insertion before line `start`) by `lines` (no line terminators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineEdit {
    /// First replaced line.
    pub start: usize,
    /// One past the last replaced line.
    pub end: usize,
    /// The lines that take their place.
    pub lines: Vec<String>,
}

/// Why an answer was not turned into edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RewriteError {
    /// The answer has no code.
    Empty,
    /// The answer says the same as the region.
    Unchanged,
    /// The answer elides code the region has ("...", "// rest of the code unchanged",
    /// "# existing code here", "/* ... */" placeholder lines that are not in the original):
    /// applying it would delete code.
    Elided {
        /// The placeholder line, trimmed.
        line: String,
    },
}

impl fmt::Display for RewriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RewriteError::Empty => write!(f, "the model's answer had no code; nothing was changed"),
            RewriteError::Unchanged => write!(f, "the model's answer is the same as the code; nothing was changed"),
            RewriteError::Elided { line } => {
                write!(f, "the model's answer left out part of the code ({line:?}); nothing was changed")
            }
        }
    }
}

impl std::error::Error for RewriteError {}

/// A planned rewrite: the edits and what they make of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    /// The document lines the rewrite replaces: the requested region without its leading and
    /// trailing blank lines, widened over the lines around it that the answer repeats.
    pub region: Range<usize>,
    /// What `region` says after the edits: the answer, re-indented.
    pub lines: Vec<String>,
    /// The edits, sorted, disjoint and inside `region`.
    pub edits: Vec<LineEdit>,
}

/// Plans the edits that turn `doc_lines[region]` into `code`.
///
/// # Errors
///
/// [`RewriteError::Empty`] when `code` has no non-blank line, [`RewriteError::Elided`] when it
/// has a placeholder line the region does not have, [`RewriteError::Unchanged`] when it says
/// what the region says.
pub fn plan_rewrite<S: AsRef<str>>(
    doc_lines: &[S],
    region: Range<usize>,
    code: &str,
    style: IndentStyle,
) -> Result<Vec<LineEdit>, RewriteError> {
    rewrite(doc_lines, region, code, style).map(|plan| plan.edits)
}

/// Like [`plan_rewrite`], but also tells which lines are replaced and by what.
///
/// # Errors
///
/// As [`plan_rewrite`].
pub fn rewrite<S: AsRef<str>>(
    doc_lines: &[S],
    region: Range<usize>,
    code: &str,
    style: IndentStyle,
) -> Result<Rewrite, RewriteError> {
    let doc: Vec<&str> = doc_lines.iter().map(AsRef::as_ref).collect();
    let end = region.end.min(doc.len());
    let region = region.start.min(end)..end;
    let answer = trim_blank_lines(code.split('\n').map(|line| line.strip_suffix('\r').unwrap_or(line)).collect());
    if answer.is_empty() {
        return Err(RewriteError::Empty);
    }
    let mut target = region.clone();
    while target.start < target.end && is_blank(doc[target.start]) {
        target.start += 1;
    }
    while target.end > target.start && is_blank(doc[target.end - 1]) {
        target.end -= 1;
    }
    if target.is_empty() {
        // Nothing but blank lines: the code goes before them.
        target = region.start..region.start;
    }
    let target = widen(&doc, target, &answer);
    let original = &doc[target.clone()];
    if let Some(line) = answer
        .iter()
        .map(|line| line.trim())
        .find(|line| is_placeholder(line) && !original.iter().any(|old| old.trim() == *line))
    {
        return Err(RewriteError::Elided { line: line.to_owned() });
    }
    let lines = fit_indentation(&doc, &target, &answer, style);
    if lines.len() == original.len() && lines.iter().zip(original).all(|(new, old)| new.trim_end() == old.trim_end()) {
        return Err(RewriteError::Unchanged);
    }
    let edits = diff(original, &lines, target.start);
    Ok(Rewrite { region: target, lines, edits })
}

/// Re-indents `code` so that it sits at `base` (the region's indentation) in `style`.
///
/// The answer's least-indented non-blank line gets `base`; deeper lines keep their depth
/// relative to it, measured in the answer's own indentation unit and re-expressed in the
/// file's unit (a 2-space answer in a 4-space file becomes 4-space; tabs become spaces and
/// back). Spaces past a whole level (alignment) stay spaces. Blank lines become empty and
/// trailing whitespace is removed.
#[must_use]
pub fn reindent(code: &str, base: &str, style: IndentStyle) -> Vec<String> {
    let lines: Vec<&str> = code.split('\n').map(|line| line.strip_suffix('\r').unwrap_or(line)).collect();
    reindent_lines(&lines, base, style)
}

/// Applies sorted, disjoint `edits` to `doc_lines`.
#[must_use]
pub fn apply(doc_lines: &[String], edits: &[LineEdit]) -> Vec<String> {
    let mut out = Vec::with_capacity(doc_lines.len());
    let mut next = 0;
    for edit in edits {
        let start = edit.start.clamp(next, doc_lines.len());
        out.extend_from_slice(&doc_lines[next..start]);
        out.extend(edit.lines.iter().cloned());
        next = edit.end.clamp(start, doc_lines.len());
    }
    out.extend_from_slice(&doc_lines[next..]);
    out
}

/// The answer re-indented for `target`. Chat answers are relative (re-based to the region's
/// indentation), but an answer whose first line lost its indentation to trimming while the
/// rest kept theirs reads better with the first line at the region's first line's
/// indentation: of the two readings, the one that keeps more region lines wins.
fn fit_indentation(doc: &[&str], target: &Range<usize>, answer: &[&str], style: IndentStyle) -> Vec<String> {
    let base = base_indent(doc, target);
    let relative = reindent_lines(answer, base, style);
    let original = &doc[target.clone()];
    let first_ws = original.iter().find(|line| !is_blank(line)).map_or("", |line| indent_of(line));
    let rest_indented = answer[1..].iter().filter(|line| !is_blank(line)).all(|line| !indent_of(line).is_empty());
    if first_ws.is_empty() || !indent_of(answer[0]).is_empty() || answer.len() < 2 || !rest_indented {
        return relative;
    }
    let mut restored = answer.to_vec();
    let first = format!("{first_ws}{}", answer[0]);
    restored[0] = &first;
    let absolute = reindent_lines(&restored, base, style);
    if kept_lines(original, &absolute) > kept_lines(original, &relative) { absolute } else { relative }
}

/// How many lines of `old` a diff to `new` keeps (0 when the inputs are too large to tell).
fn kept_lines(old: &[&str], new: &[String]) -> usize {
    if old.len().saturating_mul(new.len()) > DIFF_CELL_LIMIT {
        return 0;
    }
    let mut row = vec![0usize; new.len() + 1];
    let mut next = row.clone();
    for line in old {
        for (j, other) in new.iter().enumerate() {
            next[j + 1] = if line.trim_end() == other { row[j] + 1 } else { row[j + 1].max(next[j]) };
        }
        std::mem::swap(&mut row, &mut next);
    }
    row[new.len()]
}

fn reindent_lines(lines: &[&str], base: &str, style: IndentStyle) -> Vec<String> {
    // A tab in the answer is one of the answer's levels, whatever its unit.
    let columns = detect_style(lines).columns();
    let width = |line: &str| indent_of(line).chars().map(|c| if c == '\t' { columns } else { 1 }).sum::<usize>();
    let least = lines.iter().filter(|line| !is_blank(line)).map(|line| width(line)).min().unwrap_or(0);
    let unit = style.unit();
    lines
        .iter()
        .map(|line| {
            if is_blank(line) {
                return String::new();
            }
            let depth = width(line) - least;
            let content = line.trim();
            format!("{base}{}{}{content}", unit.repeat(depth / columns), " ".repeat(depth % columns))
        })
        .collect()
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn trim_blank_lines(mut lines: Vec<&str>) -> Vec<&str> {
    while lines.last().is_some_and(|line| is_blank(line)) {
        lines.pop();
    }
    let leading = lines.iter().take_while(|line| is_blank(line)).count();
    lines.drain(..leading);
    lines
}

/// The indentation the answer is re-based to: the region's least-indented line's. An empty
/// region takes the next non-blank line's (the previous one's at the end of the file).
fn base_indent<'a>(doc: &[&'a str], core: &Range<usize>) -> &'a str {
    let lines = &doc[core.clone()];
    let least = lines.iter().filter(|line| !is_blank(line)).min_by_key(|line| indent_width(line));
    let near = || {
        doc[core.end..].iter().find(|line| !is_blank(line)).or_else(|| doc[..core.start].iter().rfind(|l| !is_blank(l)))
    };
    least.or_else(near).map_or("", |line| indent_of(line))
}

/// Gives each distinct line (after `key`) a number, so that comparisons are cheap.
struct Interner<'a> {
    ids: HashMap<&'a str, usize>,
}

impl<'a> Interner<'a> {
    fn new() -> Self {
        Interner { ids: HashMap::new() }
    }

    fn id(&mut self, line: &'a str) -> usize {
        let next = self.ids.len();
        *self.ids.entry(line).or_insert(next)
    }
}

/// Widens `core` over the lines just above and below it that the answer repeats.
///
/// The answer's first line must be the line the widened region would start at (its last line
/// the one it would end at), and every non-blank line taken in must add to the longest common
/// subsequence of answer and region: then the answer really has them, and none of the
/// region's own lines lost its match to them.
fn widen(doc: &[&str], core: Range<usize>, answer: &[&str]) -> Range<usize> {
    let mut interner = Interner::new();
    let doc_ids: Vec<usize> = doc.iter().map(|line| interner.id(line.trim())).collect();
    let answer_ids: Vec<usize> = answer.iter().map(|line| interner.id(line.trim())).collect();
    let blank = interner.id("");
    let look = ANCHOR_LOOKAROUND.min(answer.len().saturating_sub(1));

    let above = look.min(core.start);
    let core_up: Vec<usize> = doc_ids[core.clone()].iter().rev().copied().collect();
    let ctx_up: Vec<usize> = doc_ids[core.start - above..core.start].iter().rev().copied().collect();
    let answer_up: Vec<usize> = answer_ids.iter().rev().copied().collect();
    let mut start = core.start - anchor(&core_up, &ctx_up, &answer_up, blank);
    if start == core.start
        && let Some(header) = rewritten_header(doc, &core, answer)
    {
        start = header;
    }

    let below = look.min(doc.len() - core.end);
    let ctx_down = &doc_ids[core.end..core.end + below];
    let end = core.end + anchor(&doc_ids[start..core.end], ctx_down, &answer_ids, blank);
    start..end
}

/// The line just above the region when the answer starts with a rewrite of it: a line
/// enclosing the region (less indented) that the answer's first line resembles (same words
/// up to the first bracket, colon or `=`: `def load(path):` and `def load(path: str) -> str:`)
/// and that sits above the rest of the answer.
fn rewritten_header(doc: &[&str], core: &Range<usize>, answer: &[&str]) -> Option<usize> {
    let first = *answer.first()?;
    let header = (core.start.saturating_sub(3)..core.start).rev().find(|&i| !is_blank(doc[i]))?;
    let nonblank = |lines: &[&str]| lines.iter().filter(|line| !is_blank(line)).map(|line| indent_width(line)).min();
    let region_least = nonblank(&doc[core.clone()])?;
    let answer_rest_least = nonblank(&answer[1..])?;
    let encloses = indent_width(doc[header]) < region_least && indent_width(first) < answer_rest_least;
    let new_line = !doc[core.clone()].iter().any(|line| line.trim() == first.trim());
    let key = header_key(doc[header]);
    (encloses && new_line && key.is_some() && key == header_key(first)).then_some(header)
}

/// The words a block header starts with, up to its first bracket, colon or `=`, when they are
/// telling: two words or more, or a word followed by `(` (`func (s *Server)`).
fn header_key(line: &str) -> Option<String> {
    let line = line.trim();
    let cut = line.find(['(', ':', '{', '<', '=']).unwrap_or(line.len());
    let words: Vec<&str> = line[..cut].split_whitespace().collect();
    (words.len() >= 2 || (!words.is_empty() && line[cut..].starts_with('('))).then(|| words.join(" "))
}

/// How many lines of `ctx` (the lines after `core`, nearest first) the answer repeats at its
/// end. The other directions are the same question asked of reversed sequences.
fn anchor(core: &[usize], ctx: &[usize], answer: &[usize], blank: usize) -> usize {
    let Some(&outermost) = answer.last() else { return 0 };
    if ctx.is_empty()
        || !ctx.contains(&outermost)
        || (core.len() + ctx.len()).saturating_mul(answer.len()) > DIFF_CELL_LIMIT
    {
        return 0;
    }
    // `lcs[k]`: longest common subsequence of the answer and `core` + `ctx[..k]`.
    let mut lcs = Vec::with_capacity(ctx.len() + 1);
    let mut row = vec![0usize; answer.len() + 1];
    let mut next = row.clone();
    for (i, &line) in core.iter().chain(ctx).enumerate() {
        for (j, &other) in answer.iter().enumerate() {
            next[j + 1] = if line == other { row[j] + 1 } else { row[j + 1].max(next[j]) };
        }
        std::mem::swap(&mut row, &mut next);
        if i + 1 >= core.len() {
            lcs.push(row[answer.len()]);
        }
    }
    if core.is_empty() {
        lcs.insert(0, 0);
    }
    (1..=ctx.len())
        .rev()
        .find(|&k| {
            let needed = ctx[..k].iter().filter(|&&id| id != blank).count();
            ctx[k - 1] == outermost && ctx[k - 1] != blank && lcs[k] >= lcs[0] + needed
        })
        .unwrap_or(0)
}

/// The edits that turn `old` (document lines from `offset` on) into `new`, one per hunk.
fn diff(old: &[&str], new: &[String], offset: usize) -> Vec<LineEdit> {
    let mut interner = Interner::new();
    let xs: Vec<usize> = old.iter().map(|line| interner.id(line.trim_end())).collect();
    let ys: Vec<usize> = new.iter().map(|line| interner.id(line.trim_end())).collect();
    let prefix = xs.iter().zip(&ys).take_while(|(x, y)| x == y).count();
    let suffix = xs[prefix..].iter().rev().zip(ys[prefix..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (xs, ys) = (&xs[prefix..xs.len() - suffix], &ys[prefix..ys.len() - suffix]);
    let offset = offset + prefix;
    let new = &new[prefix..new.len() - suffix];
    if xs.is_empty() && ys.is_empty() {
        return Vec::new();
    }
    if xs.is_empty() || ys.is_empty() || xs.len().saturating_mul(ys.len()) > DIFF_CELL_LIMIT {
        return vec![LineEdit { start: offset, end: offset + xs.len(), lines: new.to_vec() }];
    }
    // `table[i * width + j]`: longest common subsequence of `xs[i..]` and `ys[j..]`.
    let width = ys.len() + 1;
    let mut table = vec![0u32; (xs.len() + 1) * width];
    for i in (0..xs.len()).rev() {
        for j in (0..ys.len()).rev() {
            table[i * width + j] = if xs[i] == ys[j] {
                table[(i + 1) * width + j + 1] + 1
            } else {
                table[(i + 1) * width + j].max(table[i * width + j + 1])
            };
        }
    }
    let mut edits = Vec::new();
    let mut hunk: Option<LineEdit> = None;
    let (mut i, mut j) = (0, 0);
    while i < xs.len() || j < ys.len() {
        if i < xs.len() && j < ys.len() && xs[i] == ys[j] {
            edits.extend(hunk.take());
            i += 1;
            j += 1;
            continue;
        }
        let edit = hunk.get_or_insert_with(|| LineEdit { start: offset + i, end: offset + i, lines: Vec::new() });
        if j < ys.len() && (i == xs.len() || table[i * width + j + 1] >= table[(i + 1) * width + j]) {
            edit.lines.push(new[j].clone());
            j += 1;
        } else {
            i += 1;
            edit.end = offset + i;
        }
    }
    edits.extend(hunk);
    edits
}

/// Whether a (trimmed) answer line stands for code the model left out: a bare ellipsis, or a
/// comment like `// ...`, `# ... rest unchanged`, `/* existing code */`.
fn is_placeholder(line: &str) -> bool {
    // What a placeholder is about, and what it says of it.
    const WHAT: [&str; 7] = ["rest", "remaining", "existing", "previous", "original", "other", "same"];
    const HOW: [&str; 11] = [
        "code",
        "unchanged",
        "implementation",
        "logic",
        "omitted",
        "methods",
        "fields",
        "as-is",
        "before",
        "same",
        "here",
    ];
    if is_ellipsis(line) {
        return true;
    }
    let Some(body) = comment_body(line) else { return false };
    let body = body.trim().to_lowercase();
    if body.is_empty() {
        return false;
    }
    if is_ellipsis(&body) || body.starts_with("...") || body.starts_with('…') {
        return true;
    }
    let words: Vec<&str> = body.split(|c: char| !c.is_alphanumeric() && c != '-').filter(|w| !w.is_empty()).collect();
    if words.len() > 8 {
        return false;
    }
    let has = |list: &[&str]| words.iter().any(|word| list.contains(word));
    let trailing_dots = body.ends_with("...") || body.ends_with('…');
    let phrase = ["for brevity", "and so on", "as is", "goes here"].iter().any(|p| body.contains(p));
    phrase
        || (words.len() <= 3 && has(&["unchanged", "omitted", "etc", "snip", "snipped"]))
        || (has(&WHAT) && (has(&HOW) || trailing_dots))
}

fn is_ellipsis(text: &str) -> bool {
    (text.contains("...") || text.contains('…')) && text.chars().all(|c| c == '.' || c == '…' || c.is_whitespace())
}

/// The text of a line that is a comment and nothing else.
fn comment_body(line: &str) -> Option<&str> {
    const OPENERS: [&str; 7] = ["{/*", "<!--", "/*", "//", "#", "--", ";"];
    const CLOSERS: [&str; 3] = ["*/}", "*/", "-->"];
    let body = OPENERS.iter().find_map(|opener| line.strip_prefix(opener))?;
    let body = body.trim_start_matches(['/', '*', '!', '#']);
    Some(CLOSERS.iter().find_map(|closer| body.strip_suffix(closer)).unwrap_or(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    fn edit(start: usize, end: usize, new: &[&str]) -> LineEdit {
        LineEdit { start, end, lines: new.iter().map(|line| (*line).to_owned()).collect() }
    }

    /// Plans the rewrite in the document's own style, checks what every plan must satisfy,
    /// and returns the edits and the edited document.
    fn run(doc: &str, region: Range<usize>, code: &str) -> (Vec<LineEdit>, String) {
        let doc = lines(doc);
        let style = detect_style(&doc);
        let plan = rewrite(&doc, region.clone(), code, style).unwrap();
        assert_eq!(plan_rewrite(&doc, region.clone(), code, style).unwrap(), plan.edits);
        assert!(plan.region.start <= region.start.max(plan.region.start));
        let mut previous_end = None;
        for edit in &plan.edits {
            assert!(
                edit.start <= edit.end && edit.start >= plan.region.start && edit.end <= plan.region.end,
                "{edit:?}"
            );
            assert!(edit.start < edit.end || !edit.lines.is_empty(), "empty edit {edit:?}");
            // Disjoint and not even adjacent: adjacent hunks would be one.
            assert!(previous_end.is_none_or(|end| edit.start > end), "{:?}", plan.edits);
            previous_end = Some(edit.end);
        }
        let applied = apply(&doc, &plan.edits);
        let mut expected = doc[..plan.region.start].to_vec();
        expected.extend(plan.lines.iter().cloned());
        expected.extend_from_slice(&doc[plan.region.end..]);
        assert_eq!(applied, expected);
        (plan.edits, applied.join("\n"))
    }

    fn error(doc: &str, region: Range<usize>, code: &str) -> RewriteError {
        let doc = lines(doc);
        plan_rewrite(&doc, region, code, detect_style(&doc)).unwrap_err()
    }

    const PY_CIRCLE: &str = r"import math


class Circle:
    def __init__(self, radius):
        self.radius = radius

    def area(self):
        return math.pi * self.radius ** 2

    def scale(self, factor):
        return Circle(self.radius * factor)";

    #[test]
    fn a_python_docstring_added_is_one_insertion() {
        let code =
            "def area(self):\n    \"\"\"Returns the area of the circle.\"\"\"\n    return math.pi * self.radius ** 2\n";
        let (edits, _) = run(PY_CIRCLE, 7..10, code);
        assert_eq!(edits, vec![edit(8, 8, &["        \"\"\"Returns the area of the circle.\"\"\""])]);
    }

    #[test]
    fn a_rust_doc_comment_added_above_the_fn_is_one_insertion() {
        let doc = "use std::collections::HashMap;

pub fn word_counts(text: &str) -> HashMap<&str, usize> {
    let mut counts = HashMap::new();
    for word in text.split_whitespace() {
        *counts.entry(word).or_insert(0) += 1;
    }
    counts
}";
        let code = format!("/// Counts how often each word occurs in `text`.\n{}", lines(doc)[2..].join("\n"));
        let (edits, _) = run(doc, 2..9, &code);
        assert_eq!(edits, vec![edit(2, 2, &["/// Counts how often each word occurs in `text`."])]);
    }

    const TS_SUMMARY: &str = r#"export function summarize(orders: Order[]): Summary {
  let total = 0;
  let count = 0;
  let largest: Order | undefined;
  for (const order of orders) {
    if (order.status === "cancelled") {
      continue;
    }
    total += order.amount;
    count += 1;
    if (!largest || order.amount > largest.amount) {
      largest = order;
    }
  }
  const average = total / orders.length;
  return {
    total,
    count,
    average,
    largest,
  };
}"#;

    #[test]
    fn a_one_line_fix_in_a_long_typescript_function_is_one_edit() {
        let code = TS_SUMMARY.replace("total / orders.length", "count === 0 ? 0 : total / count");
        let (edits, text) = run(TS_SUMMARY, 0..22, &code);
        assert_eq!(edits, vec![edit(14, 15, &["  const average = count === 0 ? 0 : total / count;"])]);
        assert_eq!(text, code);
    }

    #[test]
    fn two_separate_fixes_are_two_sorted_hunks() {
        let code = TS_SUMMARY
            .replace("let largest: Order | undefined;", "let largest: Order | null = null;")
            .replace("    total += order.amount;\n", "    total += order.amount;\n    total = round(total);\n");
        let (edits, text) = run(TS_SUMMARY, 0..22, &code);
        assert_eq!(
            edits,
            vec![edit(3, 4, &["  let largest: Order | null = null;"]), edit(9, 9, &["    total = round(total);"])]
        );
        assert_eq!(text, code);
    }

    const RUST_STACK: &str = "impl Stack {
    pub fn push(&mut self, value: i32) {
        self.items.push(value);
    }

    pub fn pop(&mut self) -> Option<i32> {
        let value = self.items.last().copied();
        self.items.truncate(self.items.len() - 1);
        value
    }
}";

    #[test]
    fn a_repeated_signature_and_closing_brace_widen_the_region() {
        // The region is the body of `pop`; the chat answer is the whole function from column 0.
        let code = "pub fn pop(&mut self) -> Option<i32> {\n    self.items.pop()\n}";
        let (edits, text) = run(RUST_STACK, 6..9, code);
        assert_eq!(edits, vec![edit(6, 9, &["        self.items.pop()"])]);
        assert_eq!(
            text,
            "impl Stack {
    pub fn push(&mut self, value: i32) {
        self.items.push(value);
    }

    pub fn pop(&mut self) -> Option<i32> {
        self.items.pop()
    }
}"
        );
    }

    #[test]
    fn a_repeated_decorator_and_signature_widen_the_region() {
        let doc = r#"from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/users/<int:user_id>")
@login_required
def get_user(user_id):
    user = db.get(user_id)
    return jsonify(user)"#;
        let code = r#"@app.route("/users/<int:user_id>")
@login_required
def get_user(user_id):
    user = db.get(user_id)
    if user is None:
        return jsonify({"error": "not found"}), 404
    return jsonify(user)"#;
        let (edits, text) = run(doc, 8..10, code);
        assert_eq!(
            edits,
            vec![edit(9, 9, &["    if user is None:", "        return jsonify({\"error\": \"not found\"}), 404"])]
        );
        assert_eq!(text, format!("{}\n{code}", lines(doc)[..5].join("\n")));
    }

    #[test]
    fn a_repeated_signature_anchors_even_with_a_docstring_added_under_it() {
        let code =
            "def scale(self, factor):\n    \"\"\"Returns a scaled copy.\"\"\"\n    return Circle(self.radius * factor)";
        let (edits, _) = run(PY_CIRCLE, 11..12, code);
        assert_eq!(edits, vec![edit(11, 11, &["        \"\"\"Returns a scaled copy.\"\"\""])]);
    }

    #[test]
    fn the_next_function_repeated_after_the_region_is_not_duplicated() {
        let doc = "function add(a, b) {\n  return a + b;\n}\n\nfunction sub(a, b) {\n  return a - b;\n}\n\nexport { add, sub };";
        let code =
            "function add(a, b) {\n  return Number(a) + Number(b);\n}\n\nfunction sub(a, b) {\n  return a - b;\n}";
        let (edits, text) = run(doc, 0..4, code);
        assert_eq!(edits, vec![edit(1, 2, &["  return Number(a) + Number(b);"])]);
        assert_eq!(text, doc.replace("return a + b", "return Number(a) + Number(b)"));
    }

    #[test]
    fn a_rewritten_signature_above_a_body_region_replaces_the_signature() {
        let doc =
            "def load(path):\n    with open(path) as f:\n        return f.read()\n\n\ndef save(path, text):\n    pass";
        let code =
            "def load(path: str) -> str:\n    with open(path, encoding=\"utf-8\") as f:\n        return f.read()";
        let (edits, text) = run(doc, 1..3, code);
        assert_eq!(
            edits,
            vec![edit(0, 2, &["def load(path: str) -> str:", "    with open(path, encoding=\"utf-8\") as f:"])]
        );
        assert_eq!(text.matches("def load").count(), 1);
    }

    #[test]
    fn an_answer_whose_first_line_lost_its_indentation_keeps_the_rest_in_place() {
        let doc = "class Cache:\n    def get(self, key):\n        if key in self.data:\n            return self.data[key]\n        return None";
        // Trimming the answer took the first line's indentation only.
        let code = "def get(self, key):\n        if key in self.data:\n            return self.data[key]\n        return self.default";
        let (edits, _) = run(doc, 1..5, code);
        assert_eq!(edits, vec![edit(4, 5, &["        return self.default"])]);
        let code = "if key in self.data:\n            return self.data[key]\n        return self.default";
        let (edits, _) = run(doc, 2..5, code);
        assert_eq!(edits, vec![edit(4, 5, &["        return self.default"])]);
    }

    #[test]
    fn a_line_equal_to_the_one_above_the_region_is_not_taken_for_a_repeat() {
        let doc = "def pad(items):\n    items.append(None)\n    items.append(None)\n    return items";
        let (edits, text) = run(doc, 2..4, "items.append(None)\nreturn list(items)");
        assert_eq!(edits, vec![edit(3, 4, &["    return list(items)"])]);
        assert_eq!(text.matches("append").count(), 2);
    }

    #[test]
    fn placeholders_for_left_out_code_are_refused() {
        let python =
            "def load(path):\n    \"\"\"Loads the file.\"\"\"\n    with open(path) as f:\n        return f.read()";
        let cases = [
            (
                python,
                "def load(path: str) -> str:\n    # ... rest of the function unchanged",
                "# ... rest of the function unchanged",
            ),
            (python, "def load(path: str) -> str:\n    ...", "..."),
            (python, "def load(path: str) -> str:\n    # existing code here", "# existing code here"),
            (TS_SUMMARY, "export function summarize(orders: Order[]): Summary {\n  // ...\n}", "// ..."),
            (
                TS_SUMMARY,
                "export function summarize(orders: Order[]): Summary {\n  /* existing code */\n}",
                "/* existing code */",
            ),
            (RUST_STACK, "impl Stack {\n    // rest of the code unchanged\n}", "// rest of the code unchanged"),
        ];
        for (doc, code, line) in cases {
            let region = 0..lines(doc).len();
            assert_eq!(error(doc, region, code), RewriteError::Elided { line: line.to_owned() }, "{code}");
        }
    }

    #[test]
    fn ordinary_comments_are_not_placeholders() {
        for line in [
            "// Count the orders that were not cancelled.",
            "# TODO: handle timeouts",
            "/* SAFETY: checked above */",
            "#[derive(Debug)]",
            "...spread,",
        ] {
            assert!(!is_placeholder(line), "{line}");
        }
    }

    #[test]
    fn a_python_stub_ellipsis_that_is_in_the_region_is_kept() {
        let doc = "class Repository(Protocol):\n    def get(self, key: str) -> bytes: ...\n\n    def put(self, key: str, value: bytes) -> None:\n        ...";
        let code =
            "def put(self, key: str, value: bytes) -> None:\n    \"\"\"Stores `value` under `key`.\"\"\"\n    ...";
        let (edits, _) = run(doc, 3..5, code);
        assert_eq!(edits, vec![edit(4, 4, &["        \"\"\"Stores `value` under `key`.\"\"\""])]);
    }

    #[test]
    fn an_answer_at_column_zero_is_rebased_to_the_region() {
        let doc = "class Cache:\n    def get(self, key):\n        if key in self.data:\n            return self.data[key]\n        return None";
        let code = "if key in self.data:\n    return self.data[key]\nreturn self.default";
        let (edits, text) = run(doc, 2..5, code);
        assert_eq!(edits, vec![edit(4, 5, &["        return self.default"])]);
        assert!(text.ends_with("            return self.data[key]\n        return self.default"));
    }

    #[test]
    fn a_two_space_answer_in_a_four_space_file_is_converted() {
        let doc = "def walk(tree):\n    for node in tree:\n        visit(node)";
        let code = "def walk(tree):\n  for node in tree:\n    if node.hidden:\n      continue\n    visit(node)";
        let (edits, text) = run(doc, 0..3, code);
        assert_eq!(edits, vec![edit(2, 2, &["        if node.hidden:", "            continue"])]);
        assert_eq!(
            text,
            "def walk(tree):\n    for node in tree:\n        if node.hidden:\n            continue\n        visit(node)"
        );
    }

    const GO_SUM: &str = "package stats\n\nfunc Sum(xs []int) int {\n\ttotal := 0\n\tfor _, x := range xs {\n\t\ttotal += x\n\t}\n\treturn total\n}";

    #[test]
    fn a_tab_indented_go_file_gets_tabs_and_the_repeated_func_line_anchors() {
        // The region is the body; the answer is the whole function, indented with spaces.
        let code = "func Sum(xs []int) int {\n    total := 0\n    for _, x := range xs {\n        if x < 0 {\n            continue\n        }\n        total += x\n    }\n    return total\n}";
        let (edits, text) = run(GO_SUM, 3..8, code);
        assert_eq!(edits, vec![edit(5, 5, &["\t\tif x < 0 {", "\t\t\tcontinue", "\t\t}"])]);
        assert_eq!(
            text,
            "package stats\n\nfunc Sum(xs []int) int {\n\ttotal := 0\n\tfor _, x := range xs {\n\t\tif x < 0 {\n\t\t\tcontinue\n\t\t}\n\t\ttotal += x\n\t}\n\treturn total\n}"
        );
    }

    #[test]
    fn document_lines_can_be_str_slices() {
        let doc: Vec<&str> = GO_SUM.lines().collect();
        let edits = plan_rewrite(&doc, 7..8, "return total * 2", IndentStyle::Tabs).unwrap();
        assert_eq!(edits, vec![edit(7, 8, &["\treturn total * 2"])]);
    }

    #[test]
    fn an_answer_equal_to_the_region_is_unchanged() {
        let region = lines(PY_CIRCLE)[7..9].join("   \n");
        assert_eq!(error(PY_CIRCLE, 7..10, &format!("{region}  \n\n")), RewriteError::Unchanged);
        // From column 0 it is still the same code.
        assert_eq!(
            error(PY_CIRCLE, 7..9, "def area(self):\n    return math.pi * self.radius ** 2"),
            RewriteError::Unchanged
        );
        // Repeating the signature of a body region is no change either.
        assert_eq!(
            error(RUST_STACK, 2..3, "pub fn push(&mut self, value: i32) {\n    self.items.push(value);\n}"),
            RewriteError::Unchanged
        );
    }

    #[test]
    fn an_answer_without_code_is_empty() {
        assert_eq!(error(PY_CIRCLE, 7..9, ""), RewriteError::Empty);
        assert_eq!(error(PY_CIRCLE, 7..9, "  \n\n\t\r\n"), RewriteError::Empty);
    }

    #[test]
    fn blank_lines_around_the_answer_are_dropped() {
        let code = "\n\n  \ndef area(self):\n    return 3.14159 * self.radius ** 2\n\n\n";
        let (edits, _) = run(PY_CIRCLE, 7..9, code);
        assert_eq!(edits, vec![edit(8, 9, &["        return 3.14159 * self.radius ** 2"])]);
    }

    #[test]
    fn blank_lines_ending_the_region_are_kept() {
        let doc = "fn a() {\n    1\n}\n\n\nfn b() {\n    2\n}";
        let (edits, text) = run(doc, 0..5, "fn a() -> i32 {\n    1\n}");
        assert_eq!(edits, vec![edit(0, 1, &["fn a() -> i32 {"])]);
        assert_eq!(text, "fn a() -> i32 {\n    1\n}\n\n\nfn b() {\n    2\n}");
    }

    #[test]
    fn a_crlf_answer_is_read_as_lines() {
        let code = "def area(self):\r\n    \"\"\"Area.\"\"\"\r\n    return math.pi * self.radius ** 2\r\n";
        let (edits, _) = run(PY_CIRCLE, 7..9, code);
        assert_eq!(edits, vec![edit(8, 8, &["        \"\"\"Area.\"\"\""])]);
    }

    #[test]
    fn an_empty_region_is_an_insertion_at_the_next_lines_indentation() {
        let (edits, _) = run(PY_CIRCLE, 8..8, "assert self.radius >= 0");
        assert_eq!(edits, vec![edit(8, 8, &["        assert self.radius >= 0"])]);
    }

    #[test]
    fn a_huge_rewrite_falls_back_to_one_replacement() {
        let doc: Vec<String> = (0..2100).map(|i| format!("x{} = {i}", i % 7)).collect();
        let mut code = doc.clone();
        code[0] = "first = 0".to_owned();
        code[2099] = "last = 0".to_owned();
        code.swap(1000, 1001);
        let code = code.join("\n");
        let plan = rewrite(&doc, 0..2100, &code, IndentStyle::Spaces(4)).unwrap();
        assert_eq!(plan.edits.len(), 1);
        assert_eq!((plan.edits[0].start, plan.edits[0].end), (0, 2100));
        assert_eq!(apply(&doc, &plan.edits), lines(&code));
    }

    #[test]
    fn the_style_is_the_most_common_step() {
        assert_eq!(detect_style(&lines(PY_CIRCLE)), IndentStyle::Spaces(4));
        assert_eq!(detect_style(&lines(TS_SUMMARY)), IndentStyle::Spaces(2));
        assert_eq!(detect_style(&lines(GO_SUM)), IndentStyle::Tabs);
        assert_eq!(detect_style(&lines("/**\n * Docs.\n */\nfunction f() {\n  g();\n}")), IndentStyle::Spaces(2));
        assert_eq!(detect_style::<&str>(&[]), IndentStyle::Spaces(4));
        assert_eq!(detect_style(&["x = 1", "y = 2"]), IndentStyle::Spaces(4));
        assert_eq!(detect_style_or(&["x = 1"], IndentStyle::from_unit("\t")), IndentStyle::Tabs);
        assert_eq!(IndentStyle::from_unit("  "), IndentStyle::Spaces(2));
    }

    #[test]
    fn reindent_rebases_and_restyles() {
        let code = "if x:\n  y()\n\n  z(a,\n     b)   \n";
        assert_eq!(
            reindent(code, "    ", IndentStyle::Spaces(4)),
            ["    if x:", "        y()", "", "        z(a,", "             b)", ""]
        );
        assert_eq!(reindent("\tif (x) {\n\t\ty();\n\t}", "", IndentStyle::Spaces(2)), ["if (x) {", "  y();", "}"]);
        assert_eq!(reindent("if x {\n    y()\n}", "\t", IndentStyle::Tabs), ["\tif x {", "\t\ty()", "\t}"]);
    }

    #[test]
    fn errors_read_as_sentences() {
        assert_eq!(
            RewriteError::Elided { line: "# ... rest unchanged".to_owned() }.to_string(),
            "the model's answer left out part of the code (\"# ... rest unchanged\"); nothing was changed"
        );
        assert_eq!(RewriteError::Empty.to_string(), "the model's answer had no code; nothing was changed");
        assert!(RewriteError::Unchanged.to_string().contains("same"));
    }
}
