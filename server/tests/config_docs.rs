//! Checks that docs/configuration.md documents every configuration key, and documents no key
//! that does not exist.

use std::collections::BTreeSet;
use std::path::Path;

use switchboard::config::{ALL_KEYS, CustomAction, schema_key_paths};

/// The fields of one `[[actions.custom]]` table, as `actions.custom[].<field>`.
fn custom_action_fields() -> Vec<String> {
    let fields = serde_json::to_value(CustomAction::default()).expect("a custom action serializes");
    let fields = fields.as_object().expect("a table");
    fields.keys().map(|field| format!("actions.custom[].{field}")).collect()
}

fn configuration_md() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configuration.md");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

#[test]
fn every_key_is_documented() {
    let docs = configuration_md();
    let derived = schema_key_paths();
    assert!(!derived.is_empty(), "the schema yields no key paths");
    let fields = custom_action_fields();
    let missing: Vec<&str> = ALL_KEYS
        .iter()
        .copied()
        .chain(derived.iter().map(String::as_str))
        .chain(fields.iter().map(String::as_str))
        .filter(|key| !docs.contains(&format!("| `{key}` |")))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(missing.is_empty(), "docs/configuration.md has no table row for: {missing:?}");
}

#[test]
fn every_documented_key_exists() {
    let docs = configuration_md();
    let fields = custom_action_fields();
    let known: BTreeSet<&str> = ALL_KEYS.iter().copied().chain(fields.iter().map(String::as_str)).collect();
    let stale: Vec<&str> = docs
        .lines()
        .filter_map(|line| line.strip_prefix("| `")?.split_once("` |").map(|(key, _)| key))
        .filter(|key| !known.contains(key))
        .collect();
    assert!(stale.is_empty(), "docs/configuration.md documents keys that do not exist: {stale:?}");
}
