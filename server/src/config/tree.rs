//! Value trees: every layer (TOML file or JSON from the client) becomes a `serde_json` object,
//! layers are deep-merged, and the merged tree is deserialized once.
//!
//! JSON is the common type because it is what the client sends, and TOML converts into it
//! without loss for this schema (datetimes, which the schema never uses, become strings so
//! they fail as type errors with a key path).

use serde_json::{Map, Number, Value};

pub(crate) type Table = Map<String, Value>;

/// Converts a parsed TOML table to a JSON object.
pub(crate) fn from_toml(table: toml::Table) -> Table {
    table.into_iter().map(|(key, value)| (key, from_toml_value(value))).collect()
}

fn from_toml_value(value: toml::Value) -> Value {
    match value {
        toml::Value::String(text) => Value::String(text),
        toml::Value::Integer(integer) => Value::Number(integer.into()),
        // JSON has no NaN or infinity: keep them as text so they fail as type errors.
        toml::Value::Float(float) => {
            Number::from_f64(float).map_or_else(|| Value::String(float.to_string()), Value::Number)
        }
        toml::Value::Boolean(boolean) => Value::Bool(boolean),
        toml::Value::Datetime(datetime) => Value::String(datetime.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(from_toml_value).collect()),
        toml::Value::Table(table) => Value::Object(from_toml(table)),
    }
}

/// Removes `null` members of objects, recursively.
///
/// Clients send `null` for a setting the user has not set (VS Code does for settings declared
/// with a `null` default), so `null` means "this layer does not set the key" and a lower
/// layer's value stays. `null` inside arrays is kept so that it is reported as a type error.
pub(crate) fn strip_nulls(table: Table) -> Table {
    table
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| match value {
            Value::Object(inner) => (key, Value::Object(strip_nulls(inner))),
            other => (key, other),
        })
        .collect()
}

/// Deep merge: tables merge key by key, anything else in `overlay` replaces what `base` has.
pub(crate) fn merge(base: &mut Table, overlay: Table) {
    for (key, overlay_value) in overlay {
        match (base.get_mut(&key), overlay_value) {
            (Some(Value::Object(base_table)), Value::Object(overlay_table)) => merge(base_table, overlay_table),
            (_, overlay_value) => {
                base.insert(key, overlay_value);
            }
        }
    }
}

/// The dotted paths of every leaf, where a leaf is a non-object value or an empty object (a
/// free-form map such as `headers`).
pub(crate) fn leaf_paths(value: &Value) -> Vec<String> {
    let mut paths = Vec::new();
    collect_leaf_paths(value, "", &mut paths);
    paths
}

fn collect_leaf_paths(value: &Value, prefix: &str, paths: &mut Vec<String>) {
    match value {
        Value::Object(table) if !table.is_empty() => {
            for (key, inner) in table {
                collect_leaf_paths(inner, &join(prefix, key), paths);
            }
        }
        _ => paths.push(prefix.to_owned()),
    }
}

pub(crate) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_owned() } else { format!("{prefix}.{key}") }
}

/// Whether `table` sets the key path `key` (dotted, optionally with `[index]` suffixes, which
/// are ignored: an array is set as a whole).
pub(crate) fn sets_path(table: &Table, key: &str) -> bool {
    let mut current = table;
    let mut segments = key.split('.').map(|segment| segment.split('[').next().unwrap_or(segment)).peekable();
    while let Some(segment) = segments.next() {
        match current.get(segment) {
            None => return false,
            Some(Value::Object(inner)) if segments.peek().is_some() => current = inner,
            Some(_) => return segments.peek().is_none(),
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn table(value: Value) -> Table {
        match value {
            Value::Object(table) => table,
            _ => Table::new(),
        }
    }

    #[test]
    fn merge_is_deep_for_tables_and_replaces_everything_else() {
        let mut base = table(json!({
            "providers": {"a": {"kind": "openai", "model": "m1", "headers": {"x": "1"}}},
            "completion": {"providers": ["a", "b"], "debounce_ms": 100},
        }));
        merge(
            &mut base,
            table(json!({
                "providers": {"a": {"model": "m2", "headers": {"y": "2"}}},
                "completion": {"providers": ["b"]},
            })),
        );
        assert_eq!(
            Value::Object(base),
            json!({
                "providers": {"a": {"kind": "openai", "model": "m2", "headers": {"x": "1", "y": "2"}}},
                "completion": {"providers": ["b"], "debounce_ms": 100},
            })
        );
    }

    #[test]
    fn nulls_mean_unset_except_in_arrays() {
        let stripped = strip_nulls(table(json!({"completion": {"prompt": null, "exclude": [null]}, "server": null})));
        assert_eq!(Value::Object(stripped), json!({"completion": {"exclude": [null]}}));
    }

    #[test]
    fn toml_converts_without_loss() {
        let parsed = toml::from_str::<toml::Table>("a = 1\nb = 0.5\nc = [true]\nd = 1979-05-27\n[e]\nf = 'x'\n");
        let converted = parsed.map(from_toml).map(Value::Object).ok();
        assert_eq!(converted, Some(json!({"a": 1, "b": 0.5, "c": [true], "d": "1979-05-27", "e": {"f": "x"}})));
    }

    #[test]
    fn paths_and_lookup() {
        let tree = json!({"completion": {"surfaces": {"inline": true}, "providers": ["a"]}, "providers": {"a": {"headers": {}}}});
        let mut paths = leaf_paths(&tree);
        paths.sort();
        assert_eq!(paths, ["completion.providers", "completion.surfaces.inline", "providers.a.headers"]);
        let tree = table(tree);
        assert!(sets_path(&tree, "completion.providers[0]"));
        assert!(sets_path(&tree, "completion.surfaces"));
        assert!(!sets_path(&tree, "completion.surfaces.items"));
        assert!(!sets_path(&tree, "completion.providers.x"));
    }
}
