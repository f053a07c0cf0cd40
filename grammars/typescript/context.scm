; Context captures for TypeScript; TSX uses this file too (its grammar is a superset).
; Vocabulary: grammars/README.md.

; Scopes.
(function_declaration body: (statement_block) @scope.body) @scope
(generator_function_declaration body: (statement_block) @scope.body) @scope
(function_expression body: (statement_block) @scope.body) @scope
(class_declaration body: (class_body) @scope.body) @scope
(abstract_class_declaration body: (class_body) @scope.body) @scope
(class body: (class_body) @scope.body) @scope
(method_definition body: (statement_block) @scope.body) @scope
(interface_declaration body: (interface_body) @scope.body) @scope
(enum_declaration body: (enum_body) @scope.body) @scope
(internal_module body: (statement_block) @scope.body) @scope
(module body: (statement_block) @scope.body) @scope
(type_alias_declaration value: (object_type) @scope.body) @scope
(lexical_declaration
  (variable_declarator
    value: (arrow_function body: (statement_block) @scope.body))) @scope
(variable_declaration
  (variable_declarator
    value: (arrow_function body: (statement_block) @scope.body))) @scope
(arrow_function body: (statement_block) @scope.body) @scope
(lexical_declaration (variable_declarator value: (object) @scope.body)) @scope
(export_statement value: (object) @scope.body) @scope
(pair value: (object) @scope.body) @scope

; `export class C {}`: the same scope as the class (same body), with `export` in its signature.
(export_statement declaration: (_ body: (_) @scope.body)) @scope
(export_statement
  declaration: (lexical_declaration
    (variable_declarator
      value: (arrow_function body: (statement_block) @scope.body)))) @scope

; Imports: ES modules, `import x = require(...)`, CommonJS `require`.
(import_statement) @import
(import_alias) @import
(lexical_declaration
  (variable_declarator
    value: (call_expression function: (identifier) @_require))
  (#eq? @_require "require")) @import

; Named definitions.
(function_declaration name: (identifier) @definition.name) @definition
(function_signature name: (identifier) @definition.name) @definition
(generator_function_declaration name: (identifier) @definition.name) @definition
(class_declaration name: (type_identifier) @definition.name) @definition
(abstract_class_declaration name: (type_identifier) @definition.name) @definition
(method_definition name: (property_identifier) @definition.name) @definition
(method_signature name: (property_identifier) @definition.name) @definition
(abstract_method_signature name: (property_identifier) @definition.name) @definition
(interface_declaration name: (type_identifier) @definition.name) @definition
(type_alias_declaration name: (type_identifier) @definition.name) @definition
(enum_declaration name: (identifier) @definition.name) @definition
(internal_module name: (identifier) @definition.name) @definition
(program (lexical_declaration (variable_declarator name: (identifier) @definition.name)) @definition)
(program (variable_declaration (variable_declarator name: (identifier) @definition.name)) @definition)
(program
  (export_statement
    declaration: (lexical_declaration (variable_declarator name: (identifier) @definition.name))) @definition)
