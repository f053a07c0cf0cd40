//! The language a suggestion is in, as the steps read it: the entry of the language table
//! (`grammars/languages.toml`, via `switchboard_core::languages`) that the name resolves to, or
//! the table's default rules for plain text and names the table does not know. Every rule a step
//! applies per language (comment tokens, quotes, block style, block openers, `end` words, bracket
//! reliability) is data in that entry; nothing here matches on language names.

use switchboard_core::languages;
pub(super) use switchboard_core::languages::{BlockStyle, LanguageEntry as Lang};

/// The rules for `name` (a language name, `languageId` or file type: `python`, `py`).
pub(super) fn for_name(name: Option<&str>) -> &'static Lang {
    name.and_then(languages::find).unwrap_or_else(languages::default_entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_openers_per_language() {
        assert!(for_name(Some("python")).opens_block("    def f(x):"));
        assert!(for_name(Some("ruby")).opens_block("items.each do |item|"));
        assert!(for_name(Some("lua")).opens_block("if x then"));
        assert!(for_name(Some("bash")).opens_block("for f in *.txt; do"));
        assert!(!for_name(Some("ruby")).opens_block("def x; end"));
        assert!(!for_name(Some("python")).opens_block("x = 1"));
    }

    #[test]
    fn languages_without_a_grammar_have_their_own_rules() {
        assert!(for_name(Some("markdown")).fences_are_content);
        assert!(for_name(Some("elixir")).opens_block("def run(x) do"));
        assert!(for_name(Some("ex")).continues_block("  rescue"));
        assert!(!for_name(None).fences_are_content);
    }
}
