-- Switchboard for Neovim: starts the `switchboard` language server and picks the surface.
--
-- * Neovim 0.12+: ghost text through vim.lsp.inline_completion, with accept/cycle keys.
-- * Neovim 0.10/0.11: completion items (nvim-cmp, blink.cmp, or vim.lsp.completion on 0.11).
-- * Every version: AI code actions, with every source's diagnostics and their progress
--   (actions.lua).
--
-- Only `setup` lives here; defaults are annotated in config.lua.
local M = {}

local NAME = 'switchboard'

---@type switchboard.Config?
M.config = nil

--- The server command: `opts.cmd`, else `switchboard` from $PATH, else nil.
---@param config switchboard.Config
---@return string[]?
function M.resolve_cmd(config)
  if config.cmd then
    return config.cmd
  end
  local exe = vim.fn.exepath('switchboard')
  if exe == '' then
    return nil
  end
  return { exe }
end

---@param settings table
local function lsp_settings(settings)
  if next(settings) == nil then
    return {}
  end
  return { switchboard = settings }
end

-- Client methods are closures on 0.10 (client.notify(...)) and methods on 0.11+ (client:notify(...)).
local has_011 = vim.fn.has('nvim-0.11') == 1

---@param client vim.lsp.Client
---@param method string
---@param params table
local function notify(client, method, params)
  if has_011 then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

---@param client vim.lsp.Client
---@param method string
---@param bufnr integer
local function supports(client, method, bufnr)
  if has_011 then
    return client:supports_method(method, bufnr)
  end
  return client.supports_method(method, { bufnr = bufnr })
end

---@param config switchboard.Config
---@param client vim.lsp.Client
---@param bufnr integer
local function on_attach(config, client, bufnr)
  if config.commands then
    require('switchboard.commands').attach(bufnr)
  end
  -- 0.10's omnifunc turns the line breaks of multi-line items into NULs; put them back. (0.11's
  -- vim.lsp.completion applies the item's textEdit itself.)
  if not vim.lsp.completion then
    require('switchboard.multiline').attach(bufnr)
  end
  local inline = vim.lsp.inline_completion
  if inline and config.inline.enabled and supports(client, 'textDocument/inlineCompletion', bufnr) then
    inline.enable(true, { bufnr = bufnr })
    local keys = config.inline.keys
    if keys.accept then
      vim.keymap.set('i', keys.accept, function()
        if not inline.get({ bufnr = bufnr }) then
          return keys.accept
        end
      end, { buffer = bufnr, expr = true, desc = 'Switchboard: accept the suggestion' })
    end
    if keys.next then
      vim.keymap.set('i', keys.next, function()
        inline.select({ bufnr = bufnr, count = 1 })
      end, { buffer = bufnr, desc = 'Switchboard: next suggestion' })
    end
    if keys.prev then
      vim.keymap.set('i', keys.prev, function()
        inline.select({ bufnr = bufnr, count = -1 })
      end, { buffer = bufnr, desc = 'Switchboard: previous suggestion' })
    end
  elseif config.items.native and vim.lsp.completion and vim.lsp.completion.enable then
    vim.lsp.completion.enable(true, client.id, bufnr, { autotrigger = true })
  end
end

--- Starts the server for a buffer on Neovim 0.10, which has no vim.lsp.config/enable.
---@param lsp_config table
---@param bufnr integer
local function start_010(lsp_config, bufnr)
  if vim.bo[bufnr].buftype ~= '' or vim.bo[bufnr].filetype == '' then
    return
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  local root = vim.fs.root(bufnr, lsp_config.root_markers)
    or (name ~= '' and vim.fs.dirname(name))
    or vim.uv.cwd()
  vim.lsp.start(vim.tbl_extend('force', lsp_config, { name = NAME, root_dir = root }), { bufnr = bufnr })
end

--- Configures and enables the server. Calling it again updates the settings of running clients.
---@param opts? switchboard.Config|table
function M.setup(opts)
  local config = require('switchboard.config').resolve(opts)
  M.config = config
  local cmd = M.resolve_cmd(config)
  if not cmd then
    vim.notify(
      'switchboard: the `switchboard` binary is not on $PATH; install it or pass setup({ cmd = { "/path/to/switchboard" } })',
      vim.log.levels.WARN
    )
    return
  end
  local settings = lsp_settings(config.settings)
  local lsp_config = {
    cmd = cmd,
    root_markers = config.root_markers,
    settings = settings,
    -- An empty table would be sent as `[]`; nil sends nothing.
    init_options = next(config.settings) ~= nil and config.settings or nil,
    -- Server messages never open the Press-ENTER prompt (which would eat the next key typed).
    handlers = {
      ['window/showMessage'] = require('switchboard.notify').handler,
      ['workspace/executeCommand'] = require('switchboard.actions').command_handler,
    },
    -- Code-action requests carry every source's diagnostics; action progress is shown.
    on_init = function(client)
      require('switchboard.actions').on_init(client)
    end,
  }

  local group = vim.api.nvim_create_augroup('switchboard', { clear = true })
  vim.api.nvim_create_autocmd('LspAttach', {
    group = group,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == NAME then
        on_attach(config, client, args.buf)
      end
    end,
  })

  -- Running clients (setup called again): push the new settings.
  for _, client in ipairs(vim.lsp.get_clients({ name = NAME })) do
    client.settings = settings
    notify(client, 'workspace/didChangeConfiguration', { settings = settings })
  end

  if vim.lsp.config and vim.lsp.enable then
    vim.lsp.config(NAME, lsp_config)
    vim.lsp.enable(NAME)
  else
    vim.api.nvim_create_autocmd('FileType', {
      group = group,
      callback = function(args)
        start_010(lsp_config, args.buf)
      end,
    })
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) then
        start_010(lsp_config, bufnr)
      end
    end
  end
end

return M
