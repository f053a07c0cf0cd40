; Context captures for Rust. Vocabulary: grammars/README.md.

; Scopes: items with a signature worth showing above the cursor.
(function_item body: (block) @scope.body) @scope
(impl_item body: (declaration_list) @scope.body) @scope
(trait_item body: (declaration_list) @scope.body) @scope
(mod_item body: (declaration_list) @scope.body) @scope
(struct_item body: (field_declaration_list) @scope.body) @scope
(enum_item body: (enum_variant_list) @scope.body) @scope
(union_item body: (field_declaration_list) @scope.body) @scope
(foreign_mod_item body: (declaration_list) @scope.body) @scope
(macro_definition) @scope
(closure_expression body: (block) @scope.body) @scope

; Imports and file-header items.
(use_declaration) @import
(extern_crate_declaration) @import
(mod_item !body) @import

; Named definitions.
(function_item name: (identifier) @definition.name) @definition
(function_signature_item name: (identifier) @definition.name) @definition
(struct_item name: (type_identifier) @definition.name) @definition
(enum_item name: (type_identifier) @definition.name) @definition
(union_item name: (type_identifier) @definition.name) @definition
(trait_item name: (type_identifier) @definition.name) @definition
(type_item name: (type_identifier) @definition.name) @definition
(const_item name: (identifier) @definition.name) @definition
(static_item name: (identifier) @definition.name) @definition
(mod_item name: (identifier) @definition.name) @definition
(macro_definition name: (identifier) @definition.name) @definition
(enum_variant name: (identifier) @definition.name) @definition
