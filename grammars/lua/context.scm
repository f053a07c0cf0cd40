; Context captures for Lua. Vocabulary: grammars/README.md.

; Scopes. `M.f = function() ... end` reads as a function: show `M.f = function()`.
(function_declaration body: (block) @scope.body) @scope
(function_declaration) @scope
(assignment_statement
  (expression_list value: (function_definition body: (block) @scope.body))) @scope
(variable_declaration
  (assignment_statement
    (expression_list value: (function_definition body: (block) @scope.body)))) @scope
(function_definition body: (block) @scope.body) @scope
; Module tables: `local M = { ... }`.
(variable_declaration
  (assignment_statement
    (expression_list value: (table_constructor) @scope.body))) @scope

; `local x = require("x")` and bare `require "x"`.
(variable_declaration
  (assignment_statement
    (expression_list value: (function_call name: (identifier) @_require)))
  (#eq? @_require "require")) @import
(chunk
  (function_call name: (identifier) @_require (#eq? @_require "require")) @import)

; Named definitions.
(function_declaration name: (_) @definition.name) @definition
(assignment_statement
  (variable_list name: (_) @definition.name)
  (expression_list value: (function_definition))) @definition
(chunk
  (variable_declaration
    (assignment_statement (variable_list name: (identifier) @definition.name))) @definition)
