; Context captures for Ruby. Vocabulary: grammars/README.md.

; Scopes. Bodies start at their first statement, so signatures end at the line break before it.
(class body: (body_statement) @scope.body) @scope
(class) @scope
(module body: (body_statement) @scope.body) @scope
(module) @scope
(singleton_class body: (body_statement) @scope.body) @scope
(method body: (body_statement) @scope.body) @scope
(method) @scope
(singleton_method body: (body_statement) @scope.body) @scope
(singleton_method) @scope
; Blocks passed to DSL calls (`describe "x" do ... end`, `task :build do ... end`).
(call block: (do_block body: (body_statement) @scope.body)) @scope

; require / require_relative / load.
(call
  method: (identifier) @_require
  (#match? @_require "^(require|require_relative|load|autoload)$")) @import

; Named definitions.
(class name: (_) @definition.name) @definition
(module name: (_) @definition.name) @definition
(method name: (_) @definition.name) @definition
(singleton_method name: (_) @definition.name) @definition
(assignment left: (constant) @definition.name) @definition
