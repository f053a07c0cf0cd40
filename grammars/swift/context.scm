; Context captures for Swift. Vocabulary: grammars/README.md.

; Scopes. `class_declaration` also covers struct, enum, actor and extension.
(class_declaration body: (_) @scope.body) @scope
(protocol_declaration body: (protocol_body) @scope.body) @scope
(function_declaration body: (function_body) @scope.body) @scope
(init_declaration body: (function_body) @scope.body) @scope
(deinit_declaration body: (function_body) @scope.body) @scope
(subscript_declaration (computed_property) @scope.body) @scope
(property_declaration computed_value: (computed_property) @scope.body) @scope

; Imports.
(import_declaration) @import

; Named definitions.
(class_declaration name: (_) @definition.name) @definition
(protocol_declaration name: (type_identifier) @definition.name) @definition
(function_declaration name: (simple_identifier) @definition.name) @definition
(protocol_function_declaration name: (simple_identifier) @definition.name) @definition
(typealias_declaration name: (type_identifier) @definition.name) @definition
(property_declaration name: (pattern (simple_identifier) @definition.name)) @definition
