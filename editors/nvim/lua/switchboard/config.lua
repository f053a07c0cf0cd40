-- Defaults for require('switchboard').setup(opts). Every field is optional.
-- Server-side settings (providers, completion, actions) are not duplicated here: leave
-- `settings` empty to use your ~/.config/switchboard/config.toml and the server's defaults.
local M = {}

---@class switchboard.Config
M.defaults = {
  -- The command that starts the server. nil: `switchboard` found on $PATH.
  ---@type string[]?
  cmd = nil,

  -- Files and directories that mark a project root (the server reads `.switchboard.toml` there).
  ---@type string[]
  root_markers = { '.switchboard.toml', '.git' },

  -- Server settings, the same schema as config.toml (docs/configuration.md), e.g.
  --   { providers = { ollama = { kind = 'ollama', model = 'qwen2.5-coder:7b' } },
  --     completion = { providers = { 'ollama' } } }
  -- Sent as initializationOptions and with workspace/didChangeConfiguration.
  ---@type table
  settings = {},

  -- Ghost text (Neovim 0.12+ only: vim.lsp.inline_completion).
  inline = {
    -- Enable inline completion in buffers the server attaches to.
    ---@type boolean
    enabled = true,
    -- Insert-mode keys; false disables a mapping. `accept` falls back to the key itself
    -- when there is no suggestion, so <Tab> still indents.
    keys = {
      ---@type string|false
      accept = '<Tab>',
      ---@type string|false
      next = '<M-]>',
      ---@type string|false
      prev = '<M-[>',
    },
  },

  -- Completion items (the surface for Neovim 0.10/0.11, or with nvim-cmp/blink.cmp on any version).
  items = {
    -- Neovim 0.11+ without a completion plugin: turn on vim.lsp.completion for the buffer
    -- (autotriggered popup). Leave false if nvim-cmp or blink.cmp shows LSP items already.
    ---@type boolean
    native = false,
  },

  -- AI code actions (`gra`, vim.lsp.buf.code_action(), :SwitchboardAction).
  actions = {
    -- Send Switchboard, with every code-action request, the diagnostics of every source at the
    -- range (other language servers, linters through vim.diagnostic), not only its own (which is
    -- all Neovim sends a server), so "AI: Fix" is offered for them. :SwitchboardAction always does.
    ---@type boolean
    all_diagnostics = true,
    -- Show a running action's progress on the command line, or in your notification plugin
    -- (start and end). false if fidget.nvim or noice.nvim shows LSP progress already.
    ---@type boolean
    progress = true,
  },

  -- Buffer-local :Switchboard* commands.
  ---@type boolean
  commands = true,
}

---@param opts? table
---@return switchboard.Config
function M.resolve(opts)
  return vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
end

return M
