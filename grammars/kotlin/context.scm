; Context captures for Kotlin. Vocabulary: grammars/README.md.

; Scopes.
(class_declaration (class_body) @scope.body) @scope
(class_declaration (enum_class_body) @scope.body) @scope
(object_declaration (class_body) @scope.body) @scope
(companion_object (class_body) @scope.body) @scope
(object_literal (class_body) @scope.body) @scope
(function_declaration (function_body) @scope.body) @scope
(property_declaration (getter (function_body) @scope.body)) @scope
(property_declaration (setter (function_body) @scope.body)) @scope
; Trailing lambdas of DSL calls: `fun main() = runBlocking { ... }`, `tasks.register("x") { ... }`.
(call_expression (annotated_lambda (lambda_literal) @scope.body)) @scope

; Package and imports.
(package_header) @import
(import) @import

; Named definitions.
(class_declaration name: (identifier) @definition.name) @definition
(object_declaration name: (identifier) @definition.name) @definition
(function_declaration name: (identifier) @definition.name) @definition
(property_declaration (variable_declaration (identifier) @definition.name)) @definition
(type_alias type: (identifier) @definition.name) @definition
