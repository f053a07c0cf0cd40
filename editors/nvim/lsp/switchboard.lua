-- Switchboard's config for Neovim's built-in LSP client (0.11+):
--
--   vim.lsp.enable('switchboard')
--
-- No `filetypes`: Switchboard completes in every language, so it attaches to every buffer
-- that has a filetype. Override anything with vim.lsp.config('switchboard', { ... }).
-- `settings` is sent with workspace/didChangeConfiguration; `init_options` (the same schema)
-- at start. See docs/configuration.md for every key.
---@type vim.lsp.Config
return {
  cmd = { 'switchboard' },
  root_markers = { '.switchboard.toml', '.git' },
  settings = {},
  -- Server messages never open the Press-ENTER prompt (which would eat the next key typed).
  handlers = { ['window/showMessage'] = require('switchboard.notify').handler },
}
