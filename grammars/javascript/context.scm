; Context captures for JavaScript (and JSX). Vocabulary: grammars/README.md.

; Scopes.
(function_declaration body: (statement_block) @scope.body) @scope
(generator_function_declaration body: (statement_block) @scope.body) @scope
(function_expression body: (statement_block) @scope.body) @scope
(class_declaration body: (class_body) @scope.body) @scope
(class body: (class_body) @scope.body) @scope
(method_definition body: (statement_block) @scope.body) @scope
; `const f = (a) => { ... }` reads as a function: show `const f = (a) =>`.
(lexical_declaration
  (variable_declarator
    value: (arrow_function body: (statement_block) @scope.body))) @scope
(variable_declaration
  (variable_declarator
    value: (arrow_function body: (statement_block) @scope.body))) @scope
(arrow_function body: (statement_block) @scope.body) @scope
; Object literals used as namespaces or configs: `const api = { ... }`, `export default { ... }`.
(lexical_declaration (variable_declarator value: (object) @scope.body)) @scope
(export_statement value: (object) @scope.body) @scope
(pair value: (object) @scope.body) @scope

; `export class C {}`: the same scope as the class (same body), with `export` in its signature.
(export_statement declaration: (_ body: (_) @scope.body)) @scope
(export_statement
  declaration: (lexical_declaration
    (variable_declarator
      value: (arrow_function body: (statement_block) @scope.body)))) @scope

; Imports: ES modules and CommonJS `require`.
(import_statement) @import
(lexical_declaration
  (variable_declarator
    value: (call_expression function: (identifier) @_require))
  (#eq? @_require "require")) @import
(variable_declaration
  (variable_declarator
    value: (call_expression function: (identifier) @_require))
  (#eq? @_require "require")) @import

; Named definitions.
(function_declaration name: (identifier) @definition.name) @definition
(generator_function_declaration name: (identifier) @definition.name) @definition
(class_declaration name: (identifier) @definition.name) @definition
(method_definition name: (property_identifier) @definition.name) @definition
(program (lexical_declaration (variable_declarator name: (identifier) @definition.name)) @definition)
(program (variable_declaration (variable_declarator name: (identifier) @definition.name)) @definition)
(program
  (export_statement
    declaration: (lexical_declaration (variable_declarator name: (identifier) @definition.name))) @definition)
