; Context captures for Go. Vocabulary: grammars/README.md.

; Scopes.
(function_declaration body: (block) @scope.body) @scope
(method_declaration body: (block) @scope.body) @scope
(func_literal body: (block) @scope.body) @scope
(type_declaration (type_spec type: (struct_type (field_declaration_list) @scope.body))) @scope
(type_declaration (type_spec type: (interface_type) @scope.body)) @scope

; Imports and the package clause.
(package_clause) @import
(import_declaration) @import

; Named definitions.
(function_declaration name: (identifier) @definition.name) @definition
(method_declaration name: (field_identifier) @definition.name) @definition
(type_spec name: (type_identifier) @definition.name) @definition
(type_alias name: (type_identifier) @definition.name) @definition
(source_file (const_declaration (const_spec name: (identifier) @definition.name) @definition))
(source_file (var_declaration (var_spec name: (identifier) @definition.name) @definition))
