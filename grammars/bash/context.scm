; Context captures for Bash and other POSIX-like shells. Vocabulary: grammars/README.md.

; Scopes.
(function_definition body: (_) @scope.body) @scope

; `source file` and `. file`.
(command
  name: (command_name (word) @_source)
  (#match? @_source "^(source|\\.)$")) @import

; Named definitions.
(function_definition name: (word) @definition.name) @definition
(program (variable_assignment name: (variable_name) @definition.name) @definition)
(program (declaration_command (variable_assignment name: (variable_name) @definition.name)) @definition)
