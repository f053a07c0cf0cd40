; Context captures for YAML. Vocabulary: grammars/README.md.

; Scopes: a key whose value is a block (mapping or sequence); the signature is `key:`.
(block_mapping_pair value: (block_node (block_mapping) @scope.body)) @scope
(block_mapping_pair value: (block_node (block_sequence) @scope.body)) @scope
; A sequence item that is itself a mapping (`- name: x`): the item is the scope.
(block_sequence_item (block_node (block_mapping) @scope.body)) @scope

; Named definitions: the keys of the top-level mapping.
(document
  (block_node
    (block_mapping
      (block_mapping_pair key: (_) @definition.name) @definition)))
