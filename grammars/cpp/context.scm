; Context captures for C++. Vocabulary: grammars/README.md.

; Scopes. A template's signature starts at `template <...>` (same body as the inner item).
(template_declaration [
  (function_definition body: (_) @scope.body)
  (class_specifier body: (_) @scope.body)
  (struct_specifier body: (_) @scope.body)
]) @scope
(function_definition body: (_) @scope.body) @scope
(class_specifier body: (field_declaration_list) @scope.body) @scope
(struct_specifier body: (field_declaration_list) @scope.body) @scope
(union_specifier body: (field_declaration_list) @scope.body) @scope
(enum_specifier body: (enumerator_list) @scope.body) @scope
(namespace_definition body: (declaration_list) @scope.body) @scope
(linkage_specification body: (declaration_list) @scope.body) @scope
(lambda_expression body: (compound_statement) @scope.body) @scope

; Includes and using-directives.
(preproc_include) @import
(using_declaration) @import

; Named definitions.
(function_definition declarator: (function_declarator declarator: (_) @definition.name)) @definition
(function_definition
  declarator: (pointer_declarator declarator: (function_declarator declarator: (_) @definition.name))) @definition
(function_definition
  declarator: (reference_declarator (function_declarator declarator: (_) @definition.name))) @definition
(declaration declarator: (function_declarator declarator: (_) @definition.name)) @definition
(field_declaration declarator: (function_declarator declarator: (_) @definition.name)) @definition
(class_specifier name: (_) @definition.name body: (_)) @definition
(struct_specifier name: (_) @definition.name body: (_)) @definition
(union_specifier name: (_) @definition.name body: (_)) @definition
(enum_specifier name: (_) @definition.name body: (_)) @definition
(namespace_definition name: (_) @definition.name) @definition
(type_definition declarator: (type_identifier) @definition.name) @definition
(alias_declaration name: (type_identifier) @definition.name) @definition
(preproc_def name: (identifier) @definition.name) @definition
(preproc_function_def name: (identifier) @definition.name) @definition
(enumerator name: (identifier) @definition.name) @definition
