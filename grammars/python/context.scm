; Context captures for Python. Vocabulary: grammars/README.md.

; Scopes. A decorated definition's signature starts at its first decorator.
(decorated_definition
  definition: [
    (function_definition body: (block) @scope.body)
    (class_definition body: (block) @scope.body)
  ]) @scope
(function_definition body: (block) @scope.body) @scope
(class_definition body: (block) @scope.body) @scope

; Imports.
(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import

; Named definitions.
(function_definition name: (identifier) @definition.name) @definition
(class_definition name: (identifier) @definition.name) @definition
(module
  (expression_statement
    (assignment left: (identifier) @definition.name)) @definition)
(class_definition
  body: (block
    (expression_statement
      (assignment left: (identifier) @definition.name)) @definition))
