//! The language registry: one table entry per language (ids, extensions, comment token, grammar,
//! context query), each behind its `lang-*` cargo feature. Adding a language is adding an entry
//! here and a `grammars/<lang>/context.scm`; see `grammars/README.md`.

use std::fmt;
use std::sync::{LazyLock, OnceLock};

use tree_sitter::{Query, QueryError};
use tree_sitter_language::LanguageFn;

use super::queries::ContextQuery;

/// One supported language: static data plus its grammar and compiled queries.
pub struct Language {
    /// Canonical name, e.g. `rust`, `typescript`, `tsx`, `c_sharp`.
    pub name: &'static str,
    /// LSP `languageId`s that select this language (what VS Code and Neovim send).
    pub language_ids: &'static [&'static str],
    /// File extensions without the dot, lowercase; used when the `languageId` says nothing.
    pub extensions: &'static [&'static str],
    /// The line comment token, for prompts that need to write a comment in this language.
    pub line_comment: Option<&'static str>,
    grammar: LanguageFn,
    /// The text of `grammars/<lang>/context.scm`.
    context_query_source: &'static str,
    /// Compiled on first use; `None` inside when the query does not compile (logged once).
    context_query: OnceLock<Option<ContextQuery>>,
}

impl Language {
    #[allow(dead_code, reason = "unused only in a build with no `lang-*` feature")]
    const fn new(
        name: &'static str,
        language_ids: &'static [&'static str],
        extensions: &'static [&'static str],
        line_comment: Option<&'static str>,
        grammar: LanguageFn,
        context_query_source: &'static str,
    ) -> Self {
        Self {
            name,
            language_ids,
            extensions,
            line_comment,
            grammar,
            context_query_source,
            context_query: OnceLock::new(),
        }
    }

    /// The tree-sitter grammar.
    pub fn ts_language(&self) -> tree_sitter::Language {
        self.grammar.into()
    }

    /// The text of this language's `context.scm`.
    pub fn context_query_source(&self) -> &'static str {
        self.context_query_source
    }

    /// Compiles the context query afresh, reporting errors: for tests and tooling. At runtime use
    /// [`Language::context_query`], which compiles once and logs failures instead.
    pub fn compile_context_query(&self) -> Result<Query, QueryError> {
        Query::new(&self.ts_language(), self.context_query_source)
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

/// Every language compiled into this build, in no particular order.
pub fn all() -> &'static [Language] {
    &LANGUAGES
}

/// Looks a language up by LSP `languageId`, then by the file extension of `path`.
/// Generic ids such as `plaintext` and ids we do not know fall through to the extension.
pub fn language_for(language_id: &str, path: &str) -> Option<&'static Language> {
    by_language_id(language_id).or_else(|| by_path(path))
}

/// The language whose `language_ids` contain `language_id` (case-insensitive).
pub fn by_language_id(language_id: &str) -> Option<&'static Language> {
    if language_id.is_empty() {
        return None;
    }
    LANGUAGES.iter().find(|language| language.language_ids.iter().any(|id| id.eq_ignore_ascii_case(language_id)))
}

/// The language for the extension of the last component of `path` (case-insensitive).
/// Works on file paths and on other URIs (`untitled:foo.rs`).
pub fn by_path(path: &str) -> Option<&'static Language> {
    let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let (stem, extension) = file_name.rsplit_once('.')?;
    if stem.is_empty() && !file_name.is_empty() {
        // A dot file such as `.bashrc` has no extension; we do not guess from its name.
        return None;
    }
    LANGUAGES.iter().find(|language| language.extensions.iter().any(|known| known.eq_ignore_ascii_case(extension)))
}

// Paths in `include_str!` are relative to this file: core/src/syntax/ → the workspace root.
// A `LazyLock` because entries hold `OnceLock`s, which a plain `static` slice cannot borrow.
static LANGUAGES: LazyLock<Box<[Language]>> = LazyLock::new(|| {
    Box::new([
        #[cfg(feature = "lang-rust")]
        Language::new(
            "rust",
            &["rust"],
            &["rs"],
            Some("//"),
            tree_sitter_rust::LANGUAGE,
            include_str!("../../../grammars/rust/context.scm"),
        ),
        #[cfg(feature = "lang-python")]
        Language::new(
            "python",
            &["python"],
            &["py", "pyi", "pyw"],
            Some("#"),
            tree_sitter_python::LANGUAGE,
            include_str!("../../../grammars/python/context.scm"),
        ),
        // JSX parses with the JavaScript grammar, so `javascriptreact` needs no grammar of its own.
        #[cfg(feature = "lang-javascript")]
        Language::new(
            "javascript",
            &["javascript", "javascriptreact", "js", "jsx"],
            &["js", "mjs", "cjs", "jsx"],
            Some("//"),
            tree_sitter_javascript::LANGUAGE,
            include_str!("../../../grammars/javascript/context.scm"),
        ),
        #[cfg(feature = "lang-typescript")]
        Language::new(
            "typescript",
            &["typescript", "ts"],
            &["ts", "mts", "cts"],
            Some("//"),
            tree_sitter_typescript::LANGUAGE_TYPESCRIPT,
            include_str!("../../../grammars/typescript/context.scm"),
        ),
        #[cfg(feature = "lang-typescript")]
        Language::new(
            "tsx",
            &["typescriptreact", "tsx"],
            &["tsx"],
            Some("//"),
            tree_sitter_typescript::LANGUAGE_TSX,
            include_str!("../../../grammars/typescript/context.scm"),
        ),
        #[cfg(feature = "lang-go")]
        Language::new(
            "go",
            &["go"],
            &["go"],
            Some("//"),
            tree_sitter_go::LANGUAGE,
            include_str!("../../../grammars/go/context.scm"),
        ),
        // `.h` goes to C: C++ headers parse acceptably with it, C files would not parse as C++ as well.
        #[cfg(feature = "lang-c")]
        Language::new(
            "c",
            &["c"],
            &["c", "h"],
            Some("//"),
            tree_sitter_c::LANGUAGE,
            include_str!("../../../grammars/c/context.scm"),
        ),
        #[cfg(feature = "lang-cpp")]
        Language::new(
            "cpp",
            &["cpp", "c++", "cuda-cpp"],
            &["cpp", "cc", "cxx", "c++", "hpp", "hh", "hxx", "h++", "ipp", "inl", "cu"],
            Some("//"),
            tree_sitter_cpp::LANGUAGE,
            include_str!("../../../grammars/cpp/context.scm"),
        ),
        #[cfg(feature = "lang-java")]
        Language::new(
            "java",
            &["java"],
            &["java"],
            Some("//"),
            tree_sitter_java::LANGUAGE,
            include_str!("../../../grammars/java/context.scm"),
        ),
        #[cfg(feature = "lang-c-sharp")]
        Language::new(
            "c_sharp",
            &["csharp", "c#", "cs"],
            &["cs", "csx"],
            Some("//"),
            tree_sitter_c_sharp::LANGUAGE,
            include_str!("../../../grammars/c_sharp/context.scm"),
        ),
        #[cfg(feature = "lang-ruby")]
        Language::new(
            "ruby",
            &["ruby"],
            &["rb", "rake", "gemspec", "ru"],
            Some("#"),
            tree_sitter_ruby::LANGUAGE,
            include_str!("../../../grammars/ruby/context.scm"),
        ),
        // The grammar with embedded HTML: `.php` files start outside `<?php`.
        #[cfg(feature = "lang-php")]
        Language::new(
            "php",
            &["php"],
            &["php", "phtml", "php8"],
            Some("//"),
            tree_sitter_php::LANGUAGE_PHP,
            include_str!("../../../grammars/php/context.scm"),
        ),
        #[cfg(feature = "lang-lua")]
        Language::new(
            "lua",
            &["lua"],
            &["lua"],
            Some("--"),
            tree_sitter_lua::LANGUAGE,
            include_str!("../../../grammars/lua/context.scm"),
        ),
        #[cfg(feature = "lang-bash")]
        Language::new(
            "bash",
            &["shellscript", "sh", "bash", "zsh"],
            &["sh", "bash", "zsh", "ksh"],
            Some("#"),
            tree_sitter_bash::LANGUAGE,
            include_str!("../../../grammars/bash/context.scm"),
        ),
        #[cfg(feature = "lang-kotlin")]
        Language::new(
            "kotlin",
            &["kotlin"],
            &["kt", "kts"],
            Some("//"),
            tree_sitter_kotlin_ng::LANGUAGE,
            include_str!("../../../grammars/kotlin/context.scm"),
        ),
        #[cfg(feature = "lang-swift")]
        Language::new(
            "swift",
            &["swift"],
            &["swift"],
            Some("//"),
            tree_sitter_swift::LANGUAGE,
            include_str!("../../../grammars/swift/context.scm"),
        ),
        // The grammar accepts comments, so JSONC needs nothing more.
        #[cfg(feature = "lang-json")]
        Language::new(
            "json",
            &["json", "jsonc", "json5"],
            &["json", "jsonc"],
            None,
            tree_sitter_json::LANGUAGE,
            include_str!("../../../grammars/json/context.scm"),
        ),
        #[cfg(feature = "lang-toml")]
        Language::new(
            "toml",
            &["toml"],
            &["toml"],
            Some("#"),
            tree_sitter_toml_ng::LANGUAGE,
            include_str!("../../../grammars/toml/context.scm"),
        ),
        #[cfg(feature = "lang-yaml")]
        Language::new(
            "yaml",
            &["yaml"],
            &["yaml", "yml"],
            Some("#"),
            tree_sitter_yaml::LANGUAGE,
            include_str!("../../../grammars/yaml/context.scm"),
        ),
        #[cfg(feature = "lang-html")]
        Language::new(
            "html",
            &["html"],
            &["html", "htm", "xhtml"],
            None,
            tree_sitter_html::LANGUAGE,
            include_str!("../../../grammars/html/context.scm"),
        ),
        #[cfg(feature = "lang-css")]
        Language::new(
            "css",
            &["css"],
            &["css"],
            None,
            tree_sitter_css::LANGUAGE,
            include_str!("../../../grammars/css/context.scm"),
        ),
    ])
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_languages_are_plain_text() {
        assert!(language_for("plaintext", "/a/notes.txt").is_none());
        assert!(language_for("", "").is_none());
        assert!(language_for("markdown", "/a/README.md").is_none());
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
