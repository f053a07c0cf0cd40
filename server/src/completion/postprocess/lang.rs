//! What the steps need to know about a language: how it ends a scope, how it comments, and a
//! bracket scanner that skips strings and comments on a line.

use super::text::{first_word, is_closer, is_opener};

/// How a language delimits a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Family {
    /// Braces and brackets (Rust, C, Go, Java, JavaScript, JSON, ...): the default.
    Brace,
    /// Indentation alone (Python, YAML).
    Indent,
    /// Keywords (`end`, `fi`, `done`) with conventional indentation (Ruby, Lua, shells, Elixir).
    Keyword,
}

/// The languages some rules single out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Python,
    Yaml,
    Ruby,
    Lua,
    Shell,
    Elixir,
    Rust,
    Markdown,
    Other,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Lang {
    pub(super) kind: Kind,
    pub(super) family: Family,
    line_comments: &'static [&'static str],
    block_comments: bool,
    /// Whether `'…'` is a string; in Rust (and when unknown) it may be a lifetime, so only a
    /// char-literal shape counts.
    single_quote_strings: bool,
    /// False for shells, where `case` patterns (`a)`) leave unmatched closing parentheses.
    pub(super) brackets_reliable: bool,
}

impl Lang {
    pub(super) fn from_name(name: Option<&str>) -> Self {
        let name = name.unwrap_or("").to_ascii_lowercase();
        let lang = |kind, family, line_comments, block_comments, single_quote_strings| Lang {
            kind,
            family,
            line_comments,
            block_comments,
            single_quote_strings,
            brackets_reliable: true,
        };
        match name.as_str() {
            "python" | "py" => lang(Kind::Python, Family::Indent, &["#"], false, true),
            "yaml" | "yml" => lang(Kind::Yaml, Family::Indent, &["#"], false, true),
            "ruby" | "rb" => lang(Kind::Ruby, Family::Keyword, &["#"], false, true),
            "lua" => lang(Kind::Lua, Family::Keyword, &["--"], false, true),
            "elixir" | "ex" => lang(Kind::Elixir, Family::Keyword, &["#"], false, true),
            "bash" | "sh" | "shell" | "shellscript" | "zsh" | "fish" => {
                Lang { brackets_reliable: false, ..lang(Kind::Shell, Family::Keyword, &["#"], false, true) }
            }
            "rust" | "rs" => lang(Kind::Rust, Family::Brace, &["//"], true, false),
            "markdown" | "md" => lang(Kind::Markdown, Family::Brace, &[], false, true),
            "toml" => lang(Kind::Other, Family::Brace, &["#"], false, true),
            "" => lang(Kind::Other, Family::Brace, &["//"], true, false),
            _ => lang(Kind::Other, Family::Brace, &["//"], true, true),
        }
    }

    pub(super) fn has_end_keywords(&self) -> bool {
        self.family == Family::Keyword
    }

    /// The brackets on one line with their byte offsets, skipping strings and char literals
    /// that close on the same line, and comments. An unterminated quote is treated as a plain
    /// character: it is more often an apostrophe, a lifetime, or the end of a string the
    /// prefix opened than a string the suggestion opens.
    pub(super) fn brackets(&self, line: &str) -> Vec<(usize, char)> {
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(c) = line[i..].chars().next() {
            let rest = &line[i..];
            if self.line_comments.iter().any(|marker| rest.starts_with(marker)) {
                break;
            }
            if self.block_comments && rest.starts_with("/*") {
                match rest[2..].find("*/") {
                    Some(end) => {
                        i += 2 + end + 2;
                        continue;
                    }
                    None => break,
                }
            }
            if matches!(c, '"' | '`' | '\'')
                && let Some(len) = self.quoted_len(rest, c)
            {
                i += len;
                continue;
            }
            if is_opener(c) || is_closer(c) {
                out.push((i, c));
            }
            i += c.len_utf8();
        }
        out
    }

    /// Length of the quoted literal `rest` starts with, if it closes on this line.
    fn quoted_len(&self, rest: &str, quote: char) -> Option<usize> {
        let mut chars = rest.char_indices().skip(1);
        if quote == '\'' && !self.single_quote_strings {
            // Only a char literal: 'x' or an escape such as '\n' or '\u{1F600}'.
            let (_, first) = chars.next()?;
            if first == '\\' {
                return rest.char_indices().skip(2).take(10).find(|&(_, c)| c == '\'').map(|(j, _)| j + 1);
            }
            let (j, second) = chars.next()?;
            return (second == '\'').then_some(j + 1);
        }
        let mut escaped = false;
        for (j, c) in chars {
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

    /// Whether a line (the cursor line completed by the suggestion's first line) opens an
    /// indented block, so that its body sits deeper and a line back at its indentation ends it.
    pub(super) fn opens_block(&self, line: &str) -> bool {
        let trimmed = line.trim();
        let ends_with_word = |word: &str| {
            trimmed.strip_suffix(word).is_some_and(|before| before.is_empty() || before.ends_with([' ', ';', ')']))
        };
        match self.kind {
            Kind::Python => trimmed.ends_with(':'),
            Kind::Yaml => trimmed.ends_with(':') || trimmed.ends_with('|') || trimmed.ends_with('>'),
            Kind::Ruby => {
                let opener = matches!(
                    first_word(trimmed),
                    "def" | "class" | "module" | "if" | "unless" | "while" | "until" | "case" | "begin" | "for"
                );
                (opener && !ends_with_word("end"))
                    || ends_with_word("do")
                    || (trimmed.ends_with('|') && trimmed.contains(" do |"))
            }
            Kind::Lua => {
                ends_with_word("then")
                    || ends_with_word("do")
                    || ends_with_word("repeat")
                    || (trimmed.contains("function") && trimmed.ends_with(')'))
            }
            Kind::Shell => {
                ends_with_word("then") || ends_with_word("do") || ends_with_word("in") || trimmed.ends_with('{')
            }
            Kind::Elixir => ends_with_word("do") || trimmed.ends_with("->"),
            Kind::Rust | Kind::Markdown | Kind::Other => trimmed.ends_with(['{', '(', '[']),
        }
    }

    /// Whether a line at a block's own indentation continues that block rather than ending it
    /// (`else:`, `elsif`, `rescue`, a YAML sequence item under its key).
    pub(super) fn continues_block(&self, line: &str) -> bool {
        let word = first_word(line);
        match self.kind {
            Kind::Python => matches!(word, "elif" | "else" | "except" | "finally"),
            Kind::Yaml => line.trim_start().starts_with("- "),
            Kind::Ruby => matches!(word, "else" | "elsif" | "when" | "rescue" | "ensure" | "in"),
            Kind::Lua => matches!(word, "else" | "elseif"),
            Kind::Shell => matches!(word, "else" | "elif"),
            Kind::Elixir => matches!(word, "else" | "rescue" | "catch" | "after"),
            Kind::Rust | Kind::Markdown | Kind::Other => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(lang: &str, line: &str) -> String {
        Lang::from_name(Some(lang)).brackets(line).into_iter().map(|(_, c)| c).collect()
    }

    #[test]
    fn strings_and_comments_hide_their_brackets() {
        assert_eq!(chars("javascript", r#"f("(", ')') // )"#), "()");
        assert_eq!(chars("python", "d['a)'] # ]"), "[]");
        assert_eq!(chars("c", "x /* ( */ [0]"), "[]");
        assert_eq!(chars("c", r#"s = "a\")" + f("#), "(");
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
    fn block_openers_per_language() {
        assert!(Lang::from_name(Some("python")).opens_block("    def f(x):"));
        assert!(Lang::from_name(Some("ruby")).opens_block("items.each do |item|"));
        assert!(Lang::from_name(Some("lua")).opens_block("if x then"));
        assert!(Lang::from_name(Some("bash")).opens_block("for f in *.txt; do"));
        assert!(!Lang::from_name(Some("ruby")).opens_block("def x; end"));
        assert!(!Lang::from_name(Some("python")).opens_block("x = 1"));
    }
}
