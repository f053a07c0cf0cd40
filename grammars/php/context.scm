; Context captures for PHP (the grammar with embedded HTML). Vocabulary: grammars/README.md.

; Scopes.
(namespace_definition body: (compound_statement) @scope.body) @scope
(class_declaration body: (declaration_list) @scope.body) @scope
(interface_declaration body: (declaration_list) @scope.body) @scope
(trait_declaration body: (declaration_list) @scope.body) @scope
(enum_declaration body: (enum_declaration_list) @scope.body) @scope
(function_definition body: (compound_statement) @scope.body) @scope
(method_declaration body: (compound_statement) @scope.body) @scope
(anonymous_function body: (compound_statement) @scope.body) @scope

; `namespace X;`, `use`, and require/include statements.
(namespace_definition !body) @import
(namespace_use_declaration) @import
(expression_statement (require_expression)) @import
(expression_statement (require_once_expression)) @import
(expression_statement (include_expression)) @import
(expression_statement (include_once_expression)) @import

; Named definitions.
(class_declaration name: (name) @definition.name) @definition
(interface_declaration name: (name) @definition.name) @definition
(trait_declaration name: (name) @definition.name) @definition
(enum_declaration name: (name) @definition.name) @definition
(function_definition name: (name) @definition.name) @definition
(method_declaration name: (name) @definition.name) @definition
(const_declaration (const_element (name) @definition.name)) @definition
