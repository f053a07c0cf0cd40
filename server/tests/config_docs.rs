//! Checks that docs/configuration.md documents every configuration key, documents no key that
//! does not exist, and states the schema's defaults where it writes one as a literal value.

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

/// The value at a dotted key path of `value`.
fn at_path<'a>(value: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
    key.split('.').try_fold(value, |value, part| value.get(part))
}

#[test]
fn documented_defaults_are_the_real_defaults() {
    let docs = configuration_md();
    let defaults = serde_json::to_value(switchboard::config::Config::default()).expect("the defaults serialize");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in docs.lines() {
        let cells: Vec<&str> = line.split(" | ").collect();
        let (Some(key), Some(default)) = (cells.first().and_then(|cell| cell.strip_prefix("| `")), cells.get(2)) else {
            continue;
        };
        let key = key.trim_end_matches('`');
        // Only a default written as one literal value (not "none", "per model", a list of globs).
        let Some(literal) = default.strip_prefix('`').and_then(|rest| rest.strip_suffix('`')) else { continue };
        if literal.contains('`') || key.contains('<') || key.contains("[]") {
            continue;
        }
        let Some(real) = at_path(&defaults, key) else { continue };
        checked += 1;
        let documented: Option<serde_json::Value> = serde_json::from_str(literal).ok();
        // Numbers compare as numbers: an `f32` setting reads back as 0.20000000298023224.
        let same = match (documented.as_ref().and_then(serde_json::Value::as_f64), real.as_f64()) {
            (Some(documented), Some(real)) => (documented - real).abs() < 1e-6,
            _ => documented.as_ref() == Some(real),
        };
        if !same {
            wrong.push(format!("{key}: documented `{literal}`, default {real}"));
        }
    }
    assert!(checked >= 20, "only {checked} defaults were checked; did the table's layout change?");
    assert!(wrong.is_empty(), "docs/configuration.md states defaults the schema does not have:\n{}", wrong.join("\n"));
}
