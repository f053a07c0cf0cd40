-- Buffer-local :Switchboard* commands, created when the server attaches to a buffer.
-- AI code actions are code actions (`gra`); :SwitchboardAction is their shortcut (actions.lua).
local M = {}

---@param bufnr integer
---@return vim.lsp.Client?
local function client_for(bufnr)
  return vim.lsp.get_clients({ name = 'switchboard', bufnr = bufnr })[1]
end

--- The server's own `switchboard/status` (version, chains, providers), or nil if it does not
--- answer within a second.
---@param client vim.lsp.Client
---@param bufnr integer
---@return table?
function M.server_status(client, bufnr)
  local ok, response
  if vim.fn.has('nvim-0.11') == 1 then
    ok, response = pcall(client.request_sync, client, 'switchboard/status', vim.NIL, 1000, bufnr)
  else
    ok, response = pcall(client.request_sync, 'switchboard/status', vim.NIL, 1000, bufnr)
  end
  return ok and response and response.result or nil
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
  local status = M.server_status(client, bufnr) or {}
  local lines = {
    ('switchboard %s (client %d)'):format(info.version or status.version or '?', client.id),
    'command: ' .. table.concat(client.config.cmd or {}, ' '),
    'root: ' .. (client.root_dir or '(none)'),
    'position encoding: ' .. tostring(client.offset_encoding),
    'surface: ' .. surface,
  }
  for _, line in ipairs(M.provider_lines(status)) do
    lines[#lines + 1] = line
  end
  return lines
end

--- One line for the completion chain and one per provider: requests, failures, circuit.
---@param status table the result of switchboard/status
---@return string[]
function M.provider_lines(status)
  if not status.completion_chain then
    return { 'providers: the server did not report them' }
  end
  local chain = #status.completion_chain > 0 and table.concat(status.completion_chain, ' → ') or '(none)'
  local lines = { 'completion providers: ' .. chain .. (status.detected and ' (detected)' or '') }
  for _, provider in ipairs(status.providers or {}) do
    local failures = {}
    for kind, n in pairs(provider.failures or {}) do
      failures[#failures + 1] = ('%s %d'):format(kind, n)
    end
    table.sort(failures)
    lines[#lines + 1] = ('  %s: %d requests, %d answered%s, %s'):format(
      provider.name,
      provider.requests or 0,
      provider.successes or 0,
      #failures > 0 and (', failed: ' .. table.concat(failures, ', ')) or '',
      provider.circuit == 'closed' and 'in use' or tostring(provider.circuit)
    )
  end
  return lines
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
  vim.api.nvim_buf_create_user_command(bufnr, 'SwitchboardAction', function(command)
    require('switchboard.actions').command(bufnr, command)
  end, {
    range = true,
    nargs = '?',
    complete = function(lead)
      return require('switchboard.actions').complete(lead)
    end,
    desc = 'Switchboard: AI actions at the cursor or range (optionally the one named: fix, document, …)',
  })
  if vim.lsp.inline_completion then
    vim.api.nvim_buf_create_user_command(bufnr, 'SwitchboardToggle', function()
      local inline = vim.lsp.inline_completion
      inline.enable(not inline.is_enabled({ bufnr = bufnr }), { bufnr = bufnr })
    end, { desc = 'Switchboard: turn ghost text on or off in this buffer' })
  end
end

return M
