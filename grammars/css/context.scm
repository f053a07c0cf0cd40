; Context captures for CSS. Vocabulary: grammars/README.md.

; Scopes: rule sets and at-rules with blocks; the signature is the selector or prelude.
(rule_set (block) @scope.body) @scope
(media_statement (block) @scope.body) @scope
(supports_statement (block) @scope.body) @scope
(scope_statement (block) @scope.body) @scope
(at_rule (block) @scope.body) @scope
(keyframes_statement (keyframe_block_list) @scope.body) @scope
(keyframe_block (block) @scope.body) @scope

; Imports.
(import_statement) @import
(namespace_statement) @import
(charset_statement) @import

; Named definitions: selectors, keyframes and custom properties.
(rule_set (selectors) @definition.name) @definition
(keyframes_statement (keyframes_name) @definition.name) @definition
(declaration
  (property_name) @definition.name
  (#match? @definition.name "^--")) @definition
