//! The syntax registry: the languages of the table (`crate::languages`) whose tree-sitter
//! grammar is compiled into this build, each with its grammar and context query.
//!
//! A grammar is the one thing the table cannot hold, since linking a crate takes Rust code:
//! [`GRAMMARS`] has one line per grammar crate, behind its `lang-*` cargo feature, naming the
//! crate's language and its `grammars/<dir>/context.scm`. An entry's `grammar` key picks a line.

use std::fmt;
use std::sync::{LazyLock, OnceLock};

use tree_sitter::{Query, QueryError};
use tree_sitter_language::LanguageFn;

use super::queries::ContextQuery;
use crate::languages::{self, LanguageEntry};

/// One compiled-in grammar: what an entry's `grammar` key names.
pub struct Grammar {
    /// The key entries use, e.g. `rust`, `tsx`.
    pub name: &'static str,
    language: LanguageFn,
    /// The text of `grammars/<dir>/context.scm`.
    context_query_source: &'static str,
}

impl fmt::Debug for Grammar {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_struct("Grammar").field("name", &self.name).finish_non_exhaustive()
    }
}

/// `include_str!` of `grammars/<dir>/context.scm`; paths are relative to this file.
macro_rules! context_query {
    ($dir:literal) => {
        include_str!(concat!("../../../grammars/", $dir, "/context.scm"))
    };
}

impl Grammar {
    #[allow(dead_code, reason = "unused only in a build with no `lang-*` feature")]
    const fn new(name: &'static str, language: LanguageFn, context_query_source: &'static str) -> Self {
        Self { name, language, context_query_source }
    }
}

/// Every grammar compiled into this build.
pub static GRAMMARS: &[Grammar] = &[
    #[cfg(feature = "lang-rust")]
    Grammar::new("rust", tree_sitter_rust::LANGUAGE, context_query!("rust")),
    #[cfg(feature = "lang-python")]
    Grammar::new("python", tree_sitter_python::LANGUAGE, context_query!("python")),
    #[cfg(feature = "lang-javascript")]
    Grammar::new("javascript", tree_sitter_javascript::LANGUAGE, context_query!("javascript")),
    #[cfg(feature = "lang-typescript")]
    Grammar::new("typescript", tree_sitter_typescript::LANGUAGE_TYPESCRIPT, context_query!("typescript")),
    // TSX is a superset of TypeScript: one query serves both.
    #[cfg(feature = "lang-typescript")]
    Grammar::new("tsx", tree_sitter_typescript::LANGUAGE_TSX, context_query!("typescript")),
    #[cfg(feature = "lang-go")]
    Grammar::new("go", tree_sitter_go::LANGUAGE, context_query!("go")),
    #[cfg(feature = "lang-c")]
    Grammar::new("c", tree_sitter_c::LANGUAGE, context_query!("c")),
    #[cfg(feature = "lang-cpp")]
    Grammar::new("cpp", tree_sitter_cpp::LANGUAGE, context_query!("cpp")),
    #[cfg(feature = "lang-java")]
    Grammar::new("java", tree_sitter_java::LANGUAGE, context_query!("java")),
    #[cfg(feature = "lang-c-sharp")]
    Grammar::new("c_sharp", tree_sitter_c_sharp::LANGUAGE, context_query!("c_sharp")),
    #[cfg(feature = "lang-ruby")]
    Grammar::new("ruby", tree_sitter_ruby::LANGUAGE, context_query!("ruby")),
    #[cfg(feature = "lang-php")]
    Grammar::new("php", tree_sitter_php::LANGUAGE_PHP, context_query!("php")),
    #[cfg(feature = "lang-lua")]
    Grammar::new("lua", tree_sitter_lua::LANGUAGE, context_query!("lua")),
    #[cfg(feature = "lang-bash")]
    Grammar::new("bash", tree_sitter_bash::LANGUAGE, context_query!("bash")),
    #[cfg(feature = "lang-kotlin")]
    Grammar::new("kotlin", tree_sitter_kotlin_ng::LANGUAGE, context_query!("kotlin")),
    #[cfg(feature = "lang-swift")]
    Grammar::new("swift", tree_sitter_swift::LANGUAGE, context_query!("swift")),
    #[cfg(feature = "lang-json")]
    Grammar::new("json", tree_sitter_json::LANGUAGE, context_query!("json")),
    #[cfg(feature = "lang-toml")]
    Grammar::new("toml", tree_sitter_toml_ng::LANGUAGE, context_query!("toml")),
    #[cfg(feature = "lang-yaml")]
    Grammar::new("yaml", tree_sitter_yaml::LANGUAGE, context_query!("yaml")),
    #[cfg(feature = "lang-html")]
    Grammar::new("html", tree_sitter_html::LANGUAGE, context_query!("html")),
    #[cfg(feature = "lang-css")]
    Grammar::new("css", tree_sitter_css::LANGUAGE, context_query!("css")),
];

/// A language of the table with a grammar in this build: its entry, grammar and compiled query.
pub struct Language {
    /// Canonical name, e.g. `rust`, `typescript`, `tsx`, `c_sharp` (the entry's).
    pub name: &'static str,
    /// LSP `languageId`s that select this language (the entry's).
    pub language_ids: &'static [&'static str],
    /// File extensions without the dot, lowercase (the entry's `file-types`).
    pub extensions: &'static [&'static str],
    /// The line comment token, for prompts that need to write a comment in this language.
    pub line_comment: Option<&'static str>,
    /// Everything else the table says about the language.
    pub entry: &'static LanguageEntry,
    grammar: &'static Grammar,
    /// Compiled on first use; `None` inside when the query does not compile (logged once).
    context_query: OnceLock<Option<ContextQuery>>,
}

impl Language {
    fn new(entry: &'static LanguageEntry, grammar: &'static Grammar) -> Self {
        Self {
            name: entry.name,
            language_ids: &entry.language_ids,
            extensions: &entry.file_types,
            line_comment: entry.line_comment(),
            entry,
            grammar,
            context_query: OnceLock::new(),
        }
    }

    /// The tree-sitter grammar.
    pub fn ts_language(&self) -> tree_sitter::Language {
        self.grammar.language.into()
    }

    /// The text of this language's `context.scm`.
    pub fn context_query_source(&self) -> &'static str {
        self.grammar.context_query_source
    }

    /// Compiles the context query afresh, reporting errors: for tests and tooling. At runtime use
    /// [`Language::context_query`], which compiles once and logs failures instead.
    pub fn compile_context_query(&self) -> Result<Query, QueryError> {
        Query::new(&self.ts_language(), self.grammar.context_query_source)
    }

    /// Whether [`Language::context_query`] has been compiled (it then returns at once).
    pub fn context_query_is_ready(&self) -> bool {
        self.context_query.get().is_some()
    }

    /// The compiled context query, or `None` if it failed to compile (a bug, logged once: the
    /// language then degrades to syntax without queries rather than panicking in a request).
    pub fn context_query(&self) -> Option<&ContextQuery> {
        self.context_query
            .get_or_init(|| match self.compile_context_query() {
                Ok(query) => Some(ContextQuery::new(query)),
                Err(error) => {
                    tracing::error!(language = self.name, %error, "context query does not compile; ignoring it");
                    None
                }
            })
            .as_ref()
    }
}

impl fmt::Debug for Language {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_struct("Language").field("name", &self.name).finish_non_exhaustive()
    }
}

/// Every language with a grammar in this build, in table order.
pub fn all() -> &'static [Language] {
    &LANGUAGES
}

/// The compiled-in grammar called `name`.
pub fn grammar(name: &str) -> Option<&'static Grammar> {
    GRAMMARS.iter().find(|grammar| grammar.name == name)
}

/// The syntax of a table entry, if its grammar is in this build.
pub fn for_entry(entry: &LanguageEntry) -> Option<&'static Language> {
    LANGUAGES.iter().find(|language| language.name == entry.name)
}

/// Looks a language up by LSP `languageId`, then by the file name or extension of `path` (see
/// [`languages::for_document`]); `None` when the language has no grammar in this build.
pub fn language_for(language_id: &str, path: &str) -> Option<&'static Language> {
    languages::for_document(language_id, path).and_then(for_entry)
}

/// The language whose `language_ids` contain `language_id` (case-insensitive), with a grammar.
pub fn by_language_id(language_id: &str) -> Option<&'static Language> {
    languages::by_language_id(language_id).and_then(for_entry)
}

/// The language for the last component of `path`, with a grammar.
pub fn by_path(path: &str) -> Option<&'static Language> {
    languages::by_path(path).and_then(for_entry)
}

// A `LazyLock` because entries hold `OnceLock`s, which a plain `static` slice cannot borrow.
static LANGUAGES: LazyLock<Box<[Language]>> = LazyLock::new(|| {
    languages::all().iter().filter_map(|entry| Some(Language::new(entry, grammar(entry.grammar?)?))).collect()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_languages_are_plain_text() {
        assert!(language_for("plaintext", "/a/notes.txt").is_none());
        assert!(language_for("", "").is_none());
        // Markdown is in the table, but has no grammar.
        assert!(language_for("markdown", "/a/README.md").is_none());
        assert!(languages::for_document("markdown", "/a/README.md").is_some());
        assert!(language_for("plaintext", "/a/.bashrc").is_none());
        assert!(language_for("plaintext", "/a/Makefile").is_none());
    }

    #[test]
    fn names_ids_and_extensions_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for language in all() {
            assert!(seen.insert(format!("name:{}", language.name)), "{}", language.name);
            for id in language.language_ids {
                assert!(seen.insert(format!("id:{id}")), "{id}");
            }
            for extension in language.extensions {
                assert_eq!(extension.to_ascii_lowercase(), *extension);
                assert!(seen.insert(format!("ext:{extension}")), "{extension}");
            }
        }
    }

    #[cfg(feature = "lang-rust")]
    #[test]
    fn the_language_id_wins_over_the_extension() {
        let by_id = language_for("rust", "/a/b.py").map(|language| language.name);
        assert_eq!(by_id, Some("rust"));
        let by_extension = language_for("plaintext", "untitled:Foo.RS").map(|language| language.name);
        assert_eq!(by_extension, Some("rust"));
    }
}
