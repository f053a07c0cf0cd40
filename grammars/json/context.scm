; Context captures for JSON (and JSONC). Vocabulary: grammars/README.md.

; Scopes: keys whose value is an object or an array; the signature is `"key":`.
(pair value: (object) @scope.body) @scope
(pair value: (array) @scope.body) @scope

; Named definitions: the top-level keys.
(document (object (pair key: (string) @definition.name) @definition))
