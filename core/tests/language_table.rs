//! The language table (`grammars/languages.toml`) walked entry by entry: each has what every
//! consumer needs. Detection needs ids and file types that lead back to it alone; syntax needs a
//! grammar in the registry whose query file compiles; context needs import rules wherever the
//! query captures imports; post-processing needs comment tokens, a block style with its rules,
//! quote rules and an indentation unit; the test action needs a test convention.

use std::collections::HashMap;

use switchboard_core::languages::{self, BlockStyle, LanguageEntry};
use switchboard_core::syntax::{self, queries};

/// Languages that have no comments at all.
const NO_COMMENTS: &[&str] = &["json"];

fn entries() -> &'static [LanguageEntry] {
    let all = languages::all();
    assert!(all.len() >= 20, "the table lost its entries: does grammars/languages.toml parse?");
    all
}

#[test]
fn the_embedded_table_parses() {
    if let Err(error) = languages::parse(languages::TABLE_SOURCE) {
        panic!("{error}");
    }
}

#[test]
fn every_regex_compiles() {
    for entry in languages::all().iter().chain([languages::default_entry()]) {
        if let Err(error) = entry.check() {
            panic!("{error}");
        }
    }
}

#[test]
fn names_ids_file_types_and_file_names_are_unique_across_entries() {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for entry in entries() {
        let keys = std::iter::once(format!("name:{}", entry.name))
            .chain(entry.language_ids.iter().map(|id| format!("id:{}", id.to_ascii_lowercase())))
            .chain(entry.file_types.iter().map(|file_type| format!("file type:{file_type}")))
            .chain(entry.file_names.iter().map(|file_name| format!("file name:{file_name}")));
        for key in keys {
            if let Some(other) = seen.insert(key.clone(), entry.name) {
                panic!("{key} is in both {other} and {}", entry.name);
            }
        }
        for file_type in &entry.file_types {
            assert_eq!(file_type.to_ascii_lowercase(), *file_type, "{}: file types are lowercase", entry.name);
            assert!(!file_type.starts_with('.'), "{}: file types have no dot", entry.name);
        }
    }
}

#[test]
fn every_id_file_type_and_name_resolves_to_its_entry() {
    for entry in entries() {
        assert!(!entry.language_ids.is_empty(), "{}: no language-ids", entry.name);
        assert!(!entry.file_types.is_empty(), "{}: no file-types", entry.name);
        let found = |found: Option<&LanguageEntry>| found.map(|found| found.name);
        for id in &entry.language_ids {
            assert_eq!(found(languages::for_document(id, "")), Some(entry.name), "id {id}");
        }
        for file_type in &entry.file_types {
            let path = format!("/x/file.{file_type}");
            assert_eq!(found(languages::for_document("plaintext", &path)), Some(entry.name), "{path}");
        }
        for file_name in &entry.file_names {
            let path = format!("/x/{file_name}");
            assert_eq!(found(languages::for_document("plaintext", &path)), Some(entry.name), "{path}");
        }
        // Post-processing and settings name languages loosely; the name must lead back here.
        assert_eq!(found(languages::find(entry.name)), Some(entry.name));
        assert_eq!(found(languages::by_name(entry.name)), Some(entry.name));
    }
}

#[test]
fn every_grammar_is_in_the_registry_and_its_query_compiles() {
    for entry in entries() {
        let Some(grammar) = entry.grammar else { continue };
        assert!(
            cfg!(not(feature = "all-languages")) || syntax::languages::grammar(grammar).is_some(),
            "{}: grammar `{grammar}` is not in syntax::languages::GRAMMARS",
            entry.name
        );
        let Some(language) = syntax::languages::for_entry(entry) else { continue };
        let query = match language.compile_context_query() {
            Ok(query) => query,
            Err(error) => panic!("{}: context query: {error}", entry.name),
        };
        // Without a tree, context falls back to the table's import rules: they must exist
        // wherever the query finds imports.
        if query.capture_index_for_name(queries::CAPTURE_IMPORT).is_some() {
            assert!(!entry.import_prefixes.is_empty(), "{}: the query has @import, the table no imports", entry.name);
        }
    }
    for grammar in syntax::languages::GRAMMARS {
        assert!(
            entries().iter().any(|entry| entry.grammar == Some(grammar.name)),
            "grammar `{}` is compiled in but no entry uses it",
            grammar.name
        );
    }
}

#[test]
fn every_entry_has_comment_tokens_and_quote_rules() {
    for entry in entries() {
        let has_comments = !entry.line_comments.is_empty() || !entry.block_comments.is_empty();
        assert_eq!(has_comments, !NO_COMMENTS.contains(&entry.name), "{}: comment tokens", entry.name);
        assert!(entry.line_comments.iter().all(|token| !token.trim().is_empty()), "{}", entry.name);
        assert!(
            entry.block_comments.iter().all(|(open, close)| !open.is_empty() && !close.is_empty()),
            "{}: block comments",
            entry.name
        );
        assert!(entry.strings.contains(&'"'), "{}: `\"` makes strings everywhere", entry.name);
        assert!(
            entry.char_literal.is_none_or(|quote| !entry.strings.contains(&quote)),
            "{}: a quote is a string or a char literal, not both",
            entry.name
        );
    }
}

#[test]
fn every_entry_has_block_rules_that_fit_its_style() {
    for entry in entries() {
        let name = entry.name;
        match entry.block_style {
            BlockStyle::Braces | BlockStyle::None => {
                assert!(entry.opens_block("f() {"), "{name}: a line ending in a brace opens a block");
                assert!(entry.end_words.is_empty(), "{name}: end-words only for keyword blocks");
            }
            BlockStyle::Indentation => {
                assert!(entry.end_words.is_empty(), "{name}: end-words only for keyword blocks");
                assert!(!entry.opens_block("x"), "{name}: a plain line opens nothing");
            }
            BlockStyle::Keywords => {
                assert!(!entry.end_words.is_empty(), "{name}: keyword blocks need end-words");
                assert!(!entry.opens_block("x"), "{name}: a plain line opens nothing");
            }
        }
        assert!(!entry.block_needs_body || entry.block_style == BlockStyle::Indentation, "{name}");
        let indent = entry.indent;
        assert!(indent == "\t" || (1..=8).contains(&indent.len()) && indent.bytes().all(|b| b == b' '), "{name}");
    }
    let default = languages::default_entry();
    assert!(default.opens_block("{") && default.line_comment().is_some());
}

#[test]
fn every_entry_has_a_test_convention() {
    for entry in languages::all().iter().chain([languages::default_entry()]) {
        let tests = &entry.tests;
        assert!(!tests.place.trim().is_empty(), "{}: tests.place", entry.name);
        assert!(
            tests.same_file || tests.file.is_some_and(|file| file.contains("{stem}")),
            "{}: tests go in the same file or in a file named after it",
            entry.name
        );
    }
}
