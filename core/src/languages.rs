//! The language table: what every layer needs to know about a language, as data.
//!
//! `grammars/languages.toml` holds one entry per language (helix's `languages.toml` is the
//! model): its LSP ids and file types, its tree-sitter grammar if we link one, comment tokens,
//! how it delimits blocks, which quotes make strings, whether bracket counting is reliable, what
//! an import line looks like, where its tests go and its indentation unit. It is embedded at
//! compile time and parsed once; `core/tests/language_table.rs` proves every entry has what each
//! consumer needs. Adding a language is one entry there (plus, for a grammar, the query file and
//! the crate: see `grammars/README.md`); no consumer matches on language names.
//!
//! Languages without a grammar (Markdown, Elixir...) are entries too: detection finds them, and
//! post-processing and actions follow their rules; only syntax-tree features skip them.

use std::sync::{LazyLock, OnceLock};

use regex::Regex;
use serde::Deserialize;

/// The table's text, for tests and tooling that check it.
pub const TABLE_SOURCE: &str = include_str!("../../grammars/languages.toml");

/// How a language delimits a block of code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockStyle {
    /// Braces and brackets (Rust, C, Go, Java, JavaScript, JSON...).
    Braces,
    /// Indentation alone (Python, YAML).
    Indentation,
    /// Keywords (`end`, `fi`, `done`) with conventional indentation (Ruby, Lua, shells, Elixir).
    Keywords,
    /// No code blocks (prose such as Markdown); brackets are still counted.
    None,
}

/// Where a language's tests go, for the "write tests" action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestConvention {
    /// How a prompt describes the place (`pytest functions in a separate test module...`).
    pub place: &'static str,
    /// Tests go at the end of the file they test (Rust's `mod tests`).
    pub same_file: bool,
    /// The test file's name: `{stem}` is the tested file's stem, `{ext}` its extension (`.{ext}`
    /// disappears when it has none).
    pub file: Option<&'static str>,
    /// A directory under the workspace root that holds tests when it exists (`tests`); else the
    /// test file sits beside the tested one.
    pub directory: Option<&'static str>,
}

impl TestConvention {
    /// The test file's name for a file with this stem and extension (`""` for none), or `None`
    /// when tests go in the same file.
    pub fn file_name(&self, stem: &str, extension: &str) -> Option<String> {
        if self.same_file {
            return None;
        }
        let pattern = self.file?;
        let pattern = if extension.is_empty() { pattern.replace(".{ext}", "") } else { pattern.to_owned() };
        Some(pattern.replace("{stem}", stem).replace("{ext}", extension))
    }
}

/// One language of the table. Every `&'static` in it points into the table, which lives for
/// the process.
#[derive(Debug)]
pub struct LanguageEntry {
    /// Canonical name, e.g. `rust`, `typescript`, `tsx`, `c_sharp`, `markdown`.
    pub name: &'static str,
    /// LSP `languageId`s that select this language (what VS Code and Neovim send).
    pub language_ids: Vec<&'static str>,
    /// File extensions without the dot, lowercase; used when the `languageId` says nothing.
    pub file_types: Vec<&'static str>,
    /// Whole file names (`Gemfile`), matched exactly.
    pub file_names: Vec<&'static str>,
    /// The name of the tree-sitter grammar in `syntax`'s grammar registry, if there is one.
    pub grammar: Option<&'static str>,
    /// Line comment tokens, the one to write first; empty when the language has none.
    pub line_comments: Vec<&'static str>,
    /// Block comment delimiters, `(open, close)`.
    pub block_comments: Vec<(&'static str, &'static str)>,
    pub block_style: BlockStyle,
    /// The block rules' regexes as written.
    block_patterns: BlockRules<&'static str>,
    /// The same, compiled on first use: compiling every language's at parse time would cost
    /// milliseconds on the editor's message loop (a document's first `didOpen`), for languages
    /// most sessions never see. A pattern that does not compile is logged and dropped.
    block_regexes: OnceLock<BlockRules<Regex>>,
    /// The bytes [`LanguageEntry::brackets`] stops at (a bracket, a quote, a comment's first
    /// byte), derived on first use.
    bracket_stops: OnceLock<[bool; 256]>,
    /// Words that end a block on a line of their own (`end`, `fi`); empty unless `Keywords`.
    pub end_words: Vec<&'static str>,
    /// A block opener with no body is unfinished code (Python's `else:`).
    pub block_needs_body: bool,
    /// Quote characters that open a string (one that closes on the same line counts).
    pub strings: Vec<char>,
    /// A quote that opens only a char literal (`'x'`, `'\n'`): elsewhere it is a lifetime or an
    /// apostrophe.
    pub char_literal: Option<char>,
    /// False where brackets do not come in pairs (shell `case` patterns).
    pub brackets_reliable: bool,
    /// Markdown fences and prose are the file's content, not a chat answer around code.
    pub fences_are_content: bool,
    /// One level of indentation when the file does not show its own.
    pub indent: &'static str,
    /// What an import line starts with, for context without a syntax tree.
    pub import_prefixes: Vec<&'static str>,
    /// Text that makes a line an import wherever it appears (`require(`).
    pub import_contains: Vec<&'static str>,
    /// Where tests go; the table's default convention when the entry names none.
    pub tests: TestConvention,
}

/// An entry's block rules, as patterns or compiled.
#[derive(Debug, Default)]
struct BlockRules<T> {
    /// The trimmed line opens an indented block (its body sits deeper).
    opens: Vec<T>,
    /// The trimmed line never opens a block, whatever `opens` says (`def x; end`).
    not_opens: Vec<T>,
    /// The line, without its indentation, at a block's own indentation continues the block
    /// rather than ending it (`else:`, `elsif`, a YAML sequence item).
    continues: Vec<T>,
}

impl BlockRules<&'static str> {
    fn compile(&self, mut compile: impl FnMut(&'static str) -> Option<Regex>) -> BlockRules<Regex> {
        let mut all = |patterns: &[&'static str]| patterns.iter().filter_map(|pattern| compile(pattern)).collect();
        BlockRules { opens: all(&self.opens), not_opens: all(&self.not_opens), continues: all(&self.continues) }
    }
}

impl LanguageEntry {
    /// Compiles every regex of the entry, reporting the first that does not: for the table test
    /// and tooling (at runtime a bad pattern is logged and dropped).
    pub fn check(&self) -> Result<(), TableError> {
        let mut first_error = None;
        self.block_patterns.compile(|pattern| match Regex::new(pattern) {
            Ok(regex) => Some(regex),
            Err(error) => {
                first_error.get_or_insert(TableError::Regex {
                    language: self.name.to_owned(),
                    pattern: pattern.to_owned(),
                    error,
                });
                None
            }
        });
        first_error.map_or(Ok(()), Err)
    }

    fn block_regexes(&self) -> &BlockRules<Regex> {
        self.block_regexes.get_or_init(|| {
            self.block_patterns.compile(|pattern| match Regex::new(pattern) {
                Ok(regex) => Some(regex),
                Err(error) => {
                    tracing::error!(language = self.name, pattern, %error, "grammars/languages.toml: bad regex; ignoring it");
                    None
                }
            })
        })
    }

    /// The line comment token to write a comment with, if the language has one.
    pub fn line_comment(&self) -> Option<&'static str> {
        self.line_comments.first().copied()
    }

    /// Whether `line` (trimmed here) opens an indented block: its body sits deeper and a line
    /// back at its indentation ends it.
    pub fn opens_block(&self, line: &str) -> bool {
        let trimmed = line.trim();
        let rules = self.block_regexes();
        rules.opens.iter().any(|regex| regex.is_match(trimmed))
            && !rules.not_opens.iter().any(|regex| regex.is_match(trimmed))
    }

    /// Whether a line at a block's own indentation continues that block rather than ending it.
    pub fn continues_block(&self, line: &str) -> bool {
        let content = line.trim_start();
        self.block_regexes().continues.iter().any(|regex| regex.is_match(content))
    }

    /// The brackets on one line with their byte offsets, skipping comments and the strings and
    /// char literals that close on the same line. An unterminated quote is a plain character: it
    /// is more often an apostrophe, a lifetime, or the end of a string opened on an earlier line
    /// than a string that opens here.
    ///
    /// This is the one bracket counter: post-processing, context and actions all count with it.
    pub fn brackets(&self, line: &str) -> Vec<(usize, char)> {
        // Only a bracket, a quote or a comment's first byte can matter: the scan jumps from one
        // to the next (a first byte is never a UTF-8 continuation byte, so each is a char start).
        let stops = self.bracket_stops.get_or_init(|| {
            let mut stops = [false; 256];
            let mut buffer = [0u8; 4];
            let tokens = self.line_comments.iter().copied().chain(self.block_comments.iter().map(|(open, _)| *open));
            let quotes =
                self.strings.iter().chain(&self.char_literal).map(|c| c.encode_utf8(&mut buffer).as_bytes()[0]);
            for byte in b"()[]{}".iter().copied().chain(tokens.filter_map(|token| token.bytes().next())).chain(quotes) {
                stops[usize::from(byte)] = true;
            }
            stops
        });
        let matters = |byte: &u8| stops[usize::from(*byte)];
        let mut found = Vec::new();
        let mut at = 0;
        while let Some(skip) = line.as_bytes()[at..].iter().position(matters) {
            at += skip;
            let Some(character) = line[at..].chars().next() else { break };
            let rest = &line[at..];
            if self.line_comments.iter().any(|token| rest.starts_with(token)) {
                break;
            }
            if let Some((open, close)) = self.block_comments.iter().find(|(open, _)| rest.starts_with(open)) {
                match rest[open.len()..].find(close) {
                    Some(end) => {
                        at += open.len() + end + close.len();
                        continue;
                    }
                    None => break,
                }
            }
            if let Some(length) = self.quoted_len(rest, character) {
                at += length;
                continue;
            }
            if matches!(character, '(' | '[' | '{' | ')' | ']' | '}') {
                found.push((at, character));
            }
            at += character.len_utf8();
        }
        found
    }

    /// Opening minus closing brackets on `line`, by [`LanguageEntry::brackets`].
    pub fn bracket_balance(&self, line: &str) -> isize {
        self.brackets(line)
            .iter()
            .map(|&(_, character)| if matches!(character, '(' | '[' | '{') { 1 } else { -1 })
            .sum()
    }

    /// Length of the quoted literal `rest` starts with (its first character is `quote`), if it
    /// closes on this line.
    fn quoted_len(&self, rest: &str, quote: char) -> Option<usize> {
        if self.char_literal == Some(quote) {
            // Only a char literal: 'x' or an escape such as '\n' or '\u{1F600}'.
            let mut chars = rest.char_indices().skip(1);
            let (_, first) = chars.next()?;
            if first == '\\' {
                return rest
                    .char_indices()
                    .skip(2)
                    .take(10)
                    .find(|&(_, c)| c == quote)
                    .map(|(j, _)| j + quote.len_utf8());
            }
            let (j, second) = chars.next()?;
            return (second == quote).then_some(j + quote.len_utf8());
        }
        if !self.strings.contains(&quote) {
            return None;
        }
        let mut escaped = false;
        for (j, c) in rest.char_indices().skip(1) {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == quote {
                return Some(j + c.len_utf8());
            }
        }
        None
    }
}

/// A parsed table: the default rules and the entries.
#[derive(Debug)]
pub struct Table {
    pub default: LanguageEntry,
    pub languages: Vec<LanguageEntry>,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| match parse(TABLE_SOURCE) {
    Ok(table) => table,
    Err(error) => {
        // Only a bad edit of the embedded file gets here, and the table test catches it first;
        // degrade to plain text everywhere rather than panicking in a request.
        tracing::error!(%error, "grammars/languages.toml does not parse; every document is plain text");
        Table { default: fallback_entry(), languages: Vec::new() }
    }
});

/// Every language of the table, in table order.
pub fn all() -> &'static [LanguageEntry] {
    &TABLE.languages
}

/// The rules for a document in no language of the table.
pub fn default_entry() -> &'static LanguageEntry {
    &TABLE.default
}

/// The language of a document: by LSP `languageId`, then by the file name or extension of
/// `path`. Generic ids such as `plaintext` and ids we do not know fall through to the path.
pub fn for_document(language_id: &str, path: &str) -> Option<&'static LanguageEntry> {
    by_language_id(language_id).or_else(|| by_path(path))
}

/// The language whose canonical name is `name` (exactly).
pub fn by_name(name: &str) -> Option<&'static LanguageEntry> {
    all().iter().find(|entry| entry.name == name)
}

/// A language named loosely, as settings and tests do: its name, one of its `languageId`s or
/// one of its file types (`python`, `py`, `shellscript`), case-insensitive.
pub fn find(name: &str) -> Option<&'static LanguageEntry> {
    if name.is_empty() {
        return None;
    }
    all()
        .iter()
        .find(|entry| entry.name.eq_ignore_ascii_case(name))
        .or_else(|| by_language_id(name))
        .or_else(|| all().iter().find(|entry| entry.file_types.iter().any(|known| known.eq_ignore_ascii_case(name))))
}

/// The language whose `language_ids` contain `language_id` (case-insensitive).
pub fn by_language_id(language_id: &str) -> Option<&'static LanguageEntry> {
    if language_id.is_empty() {
        return None;
    }
    all().iter().find(|entry| entry.language_ids.iter().any(|id| id.eq_ignore_ascii_case(language_id)))
}

/// The language for the last component of `path`: its whole name, else its extension
/// (case-insensitive). Works on file paths and on other URIs (`untitled:foo.rs`).
pub fn by_path(path: &str) -> Option<&'static LanguageEntry> {
    let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    if let Some(entry) = all().iter().find(|entry| entry.file_names.contains(&file_name)) {
        return Some(entry);
    }
    let (stem, extension) = file_name.rsplit_once('.')?;
    if stem.is_empty() && !file_name.is_empty() {
        // A dot file such as `.bashrc` has no extension; we do not guess from its name.
        return None;
    }
    all().iter().find(|entry| entry.file_types.iter().any(|known| known.eq_ignore_ascii_case(extension)))
}

/// Why the table does not load.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("grammars/languages.toml: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("grammars/languages.toml: {0}")]
    Entry(String),
    #[error("grammars/languages.toml: language `{language}`: bad regex `{pattern}`: {error}")]
    Regex { language: String, pattern: String, error: regex::Error },
}

/// Parses a table in the format of `grammars/languages.toml`. Strings are leaked into
/// `'static`: the table is parsed once per process (tests may parse it again, which costs a few
/// kilobytes). Block regexes compile on first use; [`LanguageEntry::check`] compiles them now.
pub fn parse(source: &str) -> Result<Table, TableError> {
    let raw: RawTable = toml::from_str(source)?;
    if raw.default.name.is_some() {
        return Err(TableError::Entry("[default] has no name".to_owned()));
    }
    let default_tests = convert_tests(raw.default.tests.as_ref());
    let default = convert("default", raw.default, default_tests.as_ref())?;
    let languages = raw
        .language
        .into_iter()
        .map(|rules| match rules.name.clone() {
            Some(name) => convert(&name, rules, Some(&default.tests)),
            None => Err(TableError::Entry("a [[language]] has no name".to_owned())),
        })
        .collect::<Result<_, _>>()?;
    Ok(Table { default, languages })
}

fn fallback_entry() -> LanguageEntry {
    LanguageEntry {
        name: "default",
        language_ids: Vec::new(),
        file_types: Vec::new(),
        file_names: Vec::new(),
        grammar: None,
        line_comments: vec!["//"],
        block_comments: vec![("/*", "*/")],
        block_style: BlockStyle::Braces,
        block_patterns: BlockRules { opens: vec!["[{(\\[]$"], ..BlockRules::default() },
        block_regexes: OnceLock::new(),
        bracket_stops: OnceLock::new(),
        end_words: Vec::new(),
        block_needs_body: false,
        strings: vec!['"', '`'],
        char_literal: Some('\''),
        brackets_reliable: true,
        fences_are_content: false,
        indent: "    ",
        import_prefixes: Vec::new(),
        import_contains: Vec::new(),
        tests: TestConvention {
            place: "the language's usual test file",
            same_file: false,
            file: None,
            directory: None,
        },
    }
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn leak_all(texts: Vec<String>) -> Vec<&'static str> {
    texts.into_iter().map(leak).collect()
}

fn convert_tests(raw: Option<&RawTests>) -> Option<TestConvention> {
    raw.map(|tests| TestConvention {
        place: leak(tests.place.clone()),
        same_file: tests.same_file,
        file: tests.file.clone().map(leak),
        directory: tests.directory.clone().map(leak),
    })
}

fn convert(name: &str, rules: RawRules, default_tests: Option<&TestConvention>) -> Result<LanguageEntry, TableError> {
    let tests = convert_tests(rules.tests.as_ref())
        .or_else(|| default_tests.cloned())
        .unwrap_or_else(|| fallback_entry().tests);
    Ok(LanguageEntry {
        name: leak(name.to_owned()),
        language_ids: leak_all(rules.language_ids),
        file_types: leak_all(rules.file_types),
        file_names: leak_all(rules.file_names),
        grammar: rules.grammar.map(leak),
        line_comments: leak_all(rules.line_comments),
        block_comments: rules.block_comments.into_iter().map(|[open, close]| (leak(open), leak(close))).collect(),
        block_style: rules.block_style,
        block_patterns: BlockRules {
            opens: leak_all(rules.opens_block),
            not_opens: leak_all(rules.not_opens_block),
            continues: leak_all(rules.continues_block),
        },
        block_regexes: OnceLock::new(),
        bracket_stops: OnceLock::new(),
        end_words: leak_all(rules.end_words),
        block_needs_body: rules.block_needs_body,
        strings: rules.strings,
        char_literal: rules.char_literal,
        brackets_reliable: rules.brackets_reliable,
        fences_are_content: rules.fences_are_content,
        indent: leak(rules.indent),
        import_prefixes: leak_all(rules.imports.line_prefixes),
        import_contains: leak_all(rules.imports.line_contains),
        tests,
    })
}

/// The file as written. Keys a consumer always needs are required, so a missing one fails the
/// parse (and the table test) rather than defaulting silently.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    default: RawRules,
    language: Vec<RawRules>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawRules {
    /// Required in `[[language]]`, absent in `[default]`.
    name: Option<String>,
    #[serde(default)]
    language_ids: Vec<String>,
    #[serde(default)]
    file_types: Vec<String>,
    #[serde(default)]
    file_names: Vec<String>,
    grammar: Option<String>,
    line_comments: Vec<String>,
    #[serde(default)]
    block_comments: Vec<[String; 2]>,
    block_style: BlockStyle,
    opens_block: Vec<String>,
    #[serde(default)]
    not_opens_block: Vec<String>,
    #[serde(default)]
    continues_block: Vec<String>,
    #[serde(default)]
    end_words: Vec<String>,
    #[serde(default)]
    block_needs_body: bool,
    strings: Vec<char>,
    char_literal: Option<char>,
    brackets_reliable: bool,
    #[serde(default)]
    fences_are_content: bool,
    indent: String,
    #[serde(default)]
    imports: RawImports,
    tests: Option<RawTests>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawImports {
    #[serde(default)]
    line_prefixes: Vec<String>,
    #[serde(default)]
    line_contains: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawTests {
    place: String,
    #[serde(default)]
    same_file: bool,
    file: Option<String>,
    directory: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(language: &str, line: &str) -> String {
        let Some(entry) = find(language) else { panic!("{language} is in the table") };
        entry.brackets(line).into_iter().map(|(_, c)| c).collect()
    }

    #[test]
    fn strings_and_comments_hide_their_brackets() {
        assert_eq!(chars("javascript", r#"f("(", ')') // )"#), "()");
        assert_eq!(chars("python", "d['a)'] # ]"), "[]");
        assert_eq!(chars("c", "x /* ( */ [0]"), "[]");
        assert_eq!(chars("c", r#"s = "a\")" + f("#), "(");
        assert_eq!(chars("html", "<!-- ( --> <p>[</p>"), "[");
    }

    #[test]
    fn an_unterminated_quote_is_a_plain_character() {
        // The string was opened by the prefix: `print("<|>` + `hello")`.
        assert_eq!(chars("python", r#"hello")"#), ")");
    }

    #[test]
    fn rust_lifetimes_are_not_strings() {
        assert_eq!(chars("rust", "fn f<'a>(x: &'a str) -> Y<'a> {"), "(){");
        assert_eq!(chars("rust", "let c = '(';"), "");
        assert_eq!(chars("rust", r"let c = '\u{28}'; f()"), "()");
    }

    #[test]
    fn documents_find_their_language_by_id_then_path() {
        let name = |id: &str, path: &str| for_document(id, path).map(|entry| entry.name);
        assert_eq!(name("markdown", "/a/README"), Some("markdown"));
        assert_eq!(name("plaintext", "/a/README.md"), Some("markdown"));
        assert_eq!(name("plaintext", "/a/lib/app.ex"), Some("elixir"));
        assert_eq!(name("plaintext", "/a/Gemfile"), Some("ruby"));
        assert_eq!(name("plaintext", "/a/notes.txt"), None);
        assert_eq!(name("plaintext", "/a/.bashrc"), None);
        assert_eq!(find("py").map(|entry| entry.name), Some("python"));
        assert_eq!(find("shellscript").map(|entry| entry.name), Some("bash"));
    }

    #[test]
    fn test_files_follow_the_pattern() {
        let convention = |name: &str| &find(name).unwrap_or_else(default_entry).tests;
        assert_eq!(convention("go").file_name("server", "go").as_deref(), Some("server_test.go"));
        assert_eq!(convention("rust").file_name("lib", "rs"), None);
        assert_eq!(convention("java").file_name("Cart", "java").as_deref(), Some("Cart_test.java"));
        assert_eq!(default_entry().tests.file_name("run", "").as_deref(), Some("run_test"));
    }
}
