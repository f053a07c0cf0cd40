; Context captures for HTML. Vocabulary: grammars/README.md.

; Scopes: elements; the signature is the start tag (up to the first child or the end tag).
(element (start_tag) . (_) @scope.body) @scope
(element) @scope
(script_element (start_tag) . (_) @scope.body) @scope
(style_element (start_tag) . (_) @scope.body) @scope

; Imports: external scripts and linked resources.
(script_element
  (start_tag (attribute (attribute_name) @_src))
  (#eq? @_src "src")) @import
(element
  (start_tag (tag_name) @_link)
  (#eq? @_link "link")) @import

; Named definitions: elements with an `id`.
(element
  (start_tag
    (attribute
      (attribute_name) @_id
      (quoted_attribute_value (attribute_value) @definition.name)))
  (#eq? @_id "id")) @definition
