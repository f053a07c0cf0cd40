; Context captures for Java. Vocabulary: grammars/README.md.

; Scopes.
(class_declaration body: (class_body) @scope.body) @scope
(interface_declaration body: (interface_body) @scope.body) @scope
(enum_declaration body: (enum_body) @scope.body) @scope
(record_declaration body: (class_body) @scope.body) @scope
(annotation_type_declaration body: (annotation_type_body) @scope.body) @scope
(method_declaration body: (block) @scope.body) @scope
(constructor_declaration body: (constructor_body) @scope.body) @scope
(compact_constructor_declaration body: (block) @scope.body) @scope
(lambda_expression body: (block) @scope.body) @scope
(object_creation_expression (class_body) @scope.body) @scope

; Package and imports.
(package_declaration) @import
(import_declaration) @import

; Named definitions.
(class_declaration name: (identifier) @definition.name) @definition
(interface_declaration name: (identifier) @definition.name) @definition
(enum_declaration name: (identifier) @definition.name) @definition
(record_declaration name: (identifier) @definition.name) @definition
(annotation_type_declaration name: (identifier) @definition.name) @definition
(method_declaration name: (identifier) @definition.name) @definition
(constructor_declaration name: (identifier) @definition.name) @definition
(field_declaration declarator: (variable_declarator name: (identifier) @definition.name)) @definition
(constant_declaration declarator: (variable_declarator name: (identifier) @definition.name)) @definition
(enum_constant name: (identifier) @definition.name) @definition
