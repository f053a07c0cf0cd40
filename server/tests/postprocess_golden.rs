//! Golden tests for completion post-processing: each file in `postprocess_corpus/` holds a
//! document with a `<|>` cursor, what a model produced there, and the suggestion a demanding
//! user wants to see (`<none>` for nothing).
//!
//! Sections, each introduced by a `--- name` line, in any order:
//! - `note` (optional): what the case is about;
//! - `options` (optional): `key=value` lines: `language=python`, `multiline=false` (default
//!   true), `indent=tab|2|4` (the file's indentation unit), `crlf=true` (the model answered with
//!   `\r\n` line endings);
//! - `code`: the lines around the cursor, with exactly one `<|>`;
//! - `raw`: the model's output;
//! - `expected`: the suggestion, or `<none>`.
//!
//! Each section's text ends before the newline that precedes the next section header.

use std::path::{Path, PathBuf};

use switchboard::completion::postprocess::{PostprocessInput, postprocess};

const CURSOR: &str = "<|>";
const NONE: &str = "<none>";
/// The corpus must not shrink unnoticed.
const MIN_CASES: usize = 40;

struct Case {
    name: String,
    language: Option<String>,
    multiline: bool,
    indent_unit: Option<String>,
    crlf: bool,
    code: String,
    raw: String,
    expected: Option<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/postprocess_corpus")
}

fn parse(name: &str, text: &str) -> Result<Case, String> {
    let mut sections: Vec<(String, Vec<&str>)> = Vec::new();
    // The file's final newline ends the last section's last line; it is not content.
    for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
        if let Some(header) = line.strip_prefix("--- ") {
            let header = header.trim().to_owned();
            if sections.iter().any(|(seen, _)| *seen == header) {
                return Err(format!("section `{header}` appears twice"));
            }
            sections.push((header, Vec::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push(line);
        } else if !line.trim().is_empty() {
            return Err(format!("text before the first section: {line:?}"));
        }
    }
    let mut get = |key: &str| -> Option<String> {
        let at = sections.iter().position(|(header, _)| header == key)?;
        let (_, body) = sections.remove(at);
        Some(body.join("\n"))
    };
    let code = get("code").ok_or("no `--- code` section")?;
    let raw = get("raw").ok_or("no `--- raw` section")?;
    let expected = get("expected").ok_or("no `--- expected` section")?;
    let options = get("options").unwrap_or_default();
    let _note = get("note");
    if let Some((unknown, _)) = sections.first() {
        return Err(format!("unknown section `{unknown}`"));
    }
    if code.matches(CURSOR).count() != 1 {
        return Err(format!("`--- code` must hold exactly one {CURSOR}"));
    }
    let mut case = Case {
        name: name.to_owned(),
        language: None,
        multiline: true,
        indent_unit: None,
        crlf: false,
        code,
        raw,
        expected: (expected != NONE).then_some(expected),
    };
    for line in options.lines().filter(|line| !line.trim().is_empty()) {
        let (key, value) = line.split_once('=').ok_or_else(|| format!("option without `=`: {line:?}"))?;
        let value = value.trim();
        match key.trim() {
            "language" => case.language = Some(value.to_owned()),
            "multiline" => case.multiline = value.parse().map_err(|_| format!("multiline={value}"))?,
            "crlf" => case.crlf = value.parse().map_err(|_| format!("crlf={value}"))?,
            "indent" => {
                case.indent_unit = Some(match value {
                    "tab" => "\t".to_owned(),
                    width => " ".repeat(width.parse().map_err(|_| format!("indent={width}"))?),
                })
            }
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(case)
}

fn run(case: &Case) -> Option<String> {
    let (before, after) = case.code.split_once(CURSOR).unwrap_or((&case.code, ""));
    let (preceding, line_prefix) = before.rsplit_once('\n').unwrap_or(("", before));
    let (line_suffix, following) = after.split_once('\n').unwrap_or((after, ""));
    let preceding: Vec<&str> = if before.contains('\n') { preceding.split('\n').collect() } else { Vec::new() };
    let following: Vec<&str> = if after.contains('\n') { following.split('\n').collect() } else { Vec::new() };
    let raw = if case.crlf { case.raw.replace('\n', "\r\n") } else { case.raw.clone() };
    postprocess(&PostprocessInput {
        raw: &raw,
        line_prefix,
        line_suffix,
        following_lines: &following,
        preceding_lines: &preceding,
        indent_unit: case.indent_unit.as_deref(),
        multiline: case.multiline,
        language: case.language.as_deref(),
    })
}

/// Both sides line by line, whitespace made visible, mismatching lines marked.
fn diff(expected: Option<&str>, actual: Option<&str>) -> String {
    let show = |line: &str| line.replace('\t', "→").replace(' ', "·");
    let (Some(expected), Some(actual)) = (expected, actual) else {
        return format!(
            "  expected: {}\n  actual:   {}",
            expected.map_or(NONE.to_owned(), show),
            actual.map_or(NONE.to_owned(), show)
        );
    };
    let expected: Vec<&str> = expected.split('\n').collect();
    let actual: Vec<&str> = actual.split('\n').collect();
    let mut out = String::new();
    for i in 0..expected.len().max(actual.len()) {
        match (expected.get(i), actual.get(i)) {
            (Some(e), Some(a)) if e == a => out.push_str(&format!("    {}\n", show(e))),
            (e, a) => {
                if let Some(e) = e {
                    out.push_str(&format!("  - {}\n", show(e)));
                }
                if let Some(a) = a {
                    out.push_str(&format!("  + {}\n", show(a)));
                }
            }
        }
    }
    out
}

#[test]
fn golden_corpus() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("read tests/postprocess_corpus")
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
        .collect();
    paths.sort();
    assert!(paths.len() >= MIN_CASES, "only {} corpus cases, expected at least {MIN_CASES}", paths.len());
    let mut failures = Vec::new();
    for path in &paths {
        let name = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
        let text = std::fs::read_to_string(path).expect("read corpus case");
        let case = match parse(&name, &text) {
            Ok(case) => case,
            Err(problem) => {
                failures.push(format!("{name}: malformed case: {problem}"));
                continue;
            }
        };
        let actual = run(&case);
        if actual != case.expected {
            failures.push(format!(
                "{}: (- expected, + actual; · is a space, → a tab)\n{}",
                case.name,
                diff(case.expected.as_deref(), actual.as_deref())
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n\n{}", failures.len(), paths.len(), failures.join("\n"));
}

#[test]
fn the_corpus_covers_the_languages_and_outcomes() {
    let cases: Vec<Case> = std::fs::read_dir(corpus_dir())
        .expect("read tests/postprocess_corpus")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_stem()?.to_string_lossy().into_owned();
            parse(&name, &std::fs::read_to_string(&path).ok()?).ok()
        })
        .collect();
    for language in
        ["rust", "python", "javascript", "typescript", "go", "c", "cpp", "java", "ruby", "lua", "bash", "json", "yaml"]
    {
        assert!(cases.iter().any(|case| case.language.as_deref() == Some(language)), "no corpus case for {language}");
    }
    assert!(cases.iter().any(|case| case.expected.is_none()), "no case expects nothing to be shown");
    assert!(cases.iter().any(|case| !case.multiline), "no single-line case");
    // A case whose raw output already is the expected suggestion tests nothing but the
    // pass-through; a few are useful, a corpus of them is not.
    let unchanged = cases.iter().filter(|case| case.expected.as_deref() == Some(case.raw.as_str())).count();
    assert!(unchanged * 4 <= cases.len(), "{unchanged} of {} cases expect the raw output unchanged", cases.len());
}

#[test]
fn the_parser_reads_sections_and_rejects_typos() {
    let case =
        parse("t", "--- options\nlanguage=go\nmultiline=false\n--- code\nf(<|>)\n--- raw\na)\n--- expected\na\n")
            .expect("valid case");
    assert_eq!((case.language.as_deref(), case.multiline, case.raw.as_str()), (Some("go"), false, "a)"));
    assert_eq!(case.expected.as_deref(), Some("a"));
    let case = parse("t", "--- code\n<|>\n--- raw\n\n--- expected\n<none>\n").expect("valid case");
    assert_eq!((case.raw.as_str(), case.expected), ("", None));
    // A trailing newline of the raw output survives: only the one before a header goes.
    let case = parse("t", "--- code\n<|>\n--- raw\nx\n\n--- expected\nx\n").expect("valid case");
    assert_eq!(case.raw, "x\n");
    assert!(parse("t", "--- code\n<|>\n--- raw\nx\n--- expectd\nx\n").is_err());
    assert!(parse("t", "--- options\nlang=go\n--- code\n<|>\n--- raw\nx\n--- expected\nx\n").is_err());
    assert!(parse("t", "--- code\nno cursor\n--- raw\nx\n--- expected\nx\n").is_err());
}
