; Context captures for C#. Vocabulary: grammars/README.md.

; Scopes.
(namespace_declaration body: (declaration_list) @scope.body) @scope
(class_declaration body: (declaration_list) @scope.body) @scope
(struct_declaration body: (declaration_list) @scope.body) @scope
(record_declaration body: (declaration_list) @scope.body) @scope
(interface_declaration body: (declaration_list) @scope.body) @scope
(enum_declaration body: (enum_member_declaration_list) @scope.body) @scope
(method_declaration body: (_) @scope.body) @scope
(constructor_declaration body: (_) @scope.body) @scope
(destructor_declaration body: (_) @scope.body) @scope
(operator_declaration body: (_) @scope.body) @scope
(conversion_operator_declaration body: (_) @scope.body) @scope
(local_function_statement body: (_) @scope.body) @scope
(property_declaration accessors: (accessor_list) @scope.body) @scope
(indexer_declaration accessors: (accessor_list) @scope.body) @scope
(accessor_declaration body: (_) @scope.body) @scope
(lambda_expression body: (block) @scope.body) @scope

; Usings and file-scoped namespaces.
(using_directive) @import
(file_scoped_namespace_declaration) @import

; Named definitions.
(class_declaration name: (identifier) @definition.name) @definition
(struct_declaration name: (identifier) @definition.name) @definition
(record_declaration name: (identifier) @definition.name) @definition
(interface_declaration name: (identifier) @definition.name) @definition
(enum_declaration name: (identifier) @definition.name) @definition
(delegate_declaration name: (identifier) @definition.name) @definition
(method_declaration name: (identifier) @definition.name) @definition
(constructor_declaration name: (identifier) @definition.name) @definition
(local_function_statement name: (identifier) @definition.name) @definition
(property_declaration name: (identifier) @definition.name) @definition
(event_declaration name: (identifier) @definition.name) @definition
(enum_member_declaration name: (identifier) @definition.name) @definition
(field_declaration (variable_declaration (variable_declarator name: (identifier) @definition.name))) @definition
