-- Buffer-local :Switchboard* commands, created when the server attaches to a buffer.
-- Actions (explain, document, fix) are code actions, not commands.
local M = {}

---@param bufnr integer
---@return vim.lsp.Client?
local function client_for(bufnr)
  return vim.lsp.get_clients({ name = 'switchboard', bufnr = bufnr })[1]
end

---@param bufnr integer
---@return string[]
function M.status_lines(bufnr)
  local client = client_for(bufnr)
  if not client then
    return { 'switchboard: not attached to this buffer' }
  end
  local info = client.server_info or (client.initialize_result or {}).serverInfo or {}
  local inline = vim.lsp.inline_completion
  local surface
  if inline and client.server_capabilities.inlineCompletionProvider then
    surface = ('inline completion (%s)'):format(
      inline.is_enabled({ bufnr = bufnr }) and 'enabled' or 'disabled'
    )
  elseif client.server_capabilities.completionProvider then
    surface = 'completion items'
  else
    surface = 'none offered by the server'
  end
  return {
    ('switchboard %s (client %d)'):format(info.version or '?', client.id),
    'command: ' .. table.concat(client.config.cmd or {}, ' '),
    'root: ' .. (client.root_dir or '(none)'),
    'position encoding: ' .. tostring(client.offset_encoding),
    'surface: ' .. surface,
  }
end

---@param bufnr integer
function M.attach(bufnr)
  vim.api.nvim_buf_create_user_command(bufnr, 'SwitchboardStatus', function()
    vim.notify(table.concat(M.status_lines(bufnr), '\n'))
  end, { desc = 'Switchboard: server, root, encoding and completion surface for this buffer' })
  vim.api.nvim_buf_create_user_command(bufnr, 'SwitchboardMessages', function()
    local chunks = {}
    for _, line in ipairs(require('switchboard.notify').lines()) do
      chunks[#chunks + 1] = { line .. '\n' }
    end
    vim.api.nvim_echo(chunks, false, {})
  end, { desc = 'Switchboard: every message the server sent, in full' })
  if vim.lsp.inline_completion then
    vim.api.nvim_buf_create_user_command(bufnr, 'SwitchboardToggle', function()
      local inline = vim.lsp.inline_completion
      inline.enable(not inline.is_enabled({ bufnr = bufnr }), { bufnr = bufnr })
    end, { desc = 'Switchboard: turn ghost text on or off in this buffer' })
  end
end

return M
