; Context captures for TOML. Vocabulary: grammars/README.md.

; Scopes: `[table]` and `[[array.of.tables]]`; with no body node, the signature is the header line.
(table) @scope
(table_array_element) @scope
(pair (inline_table) @scope.body) @scope

; Named definitions: table names and keys.
(table [(bare_key) (dotted_key) (quoted_key)] @definition.name) @definition
(table_array_element [(bare_key) (dotted_key) (quoted_key)] @definition.name) @definition
(pair [(bare_key) (dotted_key) (quoted_key)] @definition.name) @definition
