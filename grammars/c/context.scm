; Context captures for C. Vocabulary: grammars/README.md.

; Scopes.
(function_definition body: (compound_statement) @scope.body) @scope
(struct_specifier body: (field_declaration_list) @scope.body) @scope
(union_specifier body: (field_declaration_list) @scope.body) @scope
(enum_specifier body: (enumerator_list) @scope.body) @scope

; Includes.
(preproc_include) @import

; Named definitions. Function names sit under pointer declarators for `char *f(void)`.
(function_definition declarator: (function_declarator declarator: (identifier) @definition.name)) @definition
(function_definition
  declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @definition.name))) @definition
(declaration declarator: (function_declarator declarator: (identifier) @definition.name)) @definition
(struct_specifier name: (type_identifier) @definition.name body: (_)) @definition
(union_specifier name: (type_identifier) @definition.name body: (_)) @definition
(enum_specifier name: (type_identifier) @definition.name body: (_)) @definition
(type_definition declarator: (type_identifier) @definition.name) @definition
(preproc_def name: (identifier) @definition.name) @definition
(preproc_function_def name: (identifier) @definition.name) @definition
(enumerator name: (identifier) @definition.name) @definition
