-- Switchboard's config for Neovim's built-in LSP client (0.11+):
--
--   vim.lsp.enable('switchboard')
--
-- No `filetypes`: Switchboard completes in every language, so it attaches to every buffer
-- that has a filetype. Override anything with vim.lsp.config('switchboard', { ... }).
-- `settings` is sent with workspace/didChangeConfiguration and, unless `init_options` (the same
-- schema) are given, at start too. See docs/configuration.md for every key.
---@type vim.lsp.Config
return {
  cmd = { 'switchboard' },
  root_markers = { '.switchboard.toml', '.git' },
  settings = {},
  -- Server messages never open the Press-ENTER prompt (which would eat the next key typed).
  handlers = {
    ['window/showMessage'] = require('switchboard.notify').handler,
    ['workspace/executeCommand'] = require('switchboard.actions').command_handler,
  },
  -- `settings.switchboard` go with `initialize` too (unless `init_options` are set), so the server
  -- starts configured rather than warning about a missing provider until didChangeConfiguration.
  before_init = function(params, config)
    local settings = config.settings and config.settings.switchboard
    if params.initializationOptions == nil and type(settings) == 'table' and next(settings) ~= nil then
      params.initializationOptions = settings
    end
  end,
  -- Code-action requests carry the diagnostics of every source, not only Switchboard's own
  -- (so "AI: Fix" is offered for them), and action progress is shown.
  on_init = function(client)
    require('switchboard.actions').on_init(client)
  end,
}
