-- :checkhealth switchboard
local M = {}

function M.check()
  local health = vim.health
  health.start('switchboard')

  local plugin = require('switchboard')
  local config = plugin.config or require('switchboard.config').resolve()
  if not plugin.config then
    health.warn('setup() was not called', { "call require('switchboard').setup()" })
  end

  local cmd = plugin.resolve_cmd(config)
  if not cmd or vim.fn.executable(cmd[1]) ~= 1 then
    health.error(
      'the switchboard binary was not found' .. (cmd and (': ' .. cmd[1]) or ' on $PATH'),
      { 'install it (cargo install --path server) or pass setup({ cmd = { "/path/to/switchboard" } })' }
    )
  else
    local ok, result = pcall(function()
      return vim.system({ cmd[1], '--version' }, { text = true }):wait(5000)
    end)
    if ok and result.code == 0 then
      health.ok(('binary: %s (%s)'):format(cmd[1], vim.trim(result.stdout)))
    else
      health.warn(('binary %s did not answer --version'):format(cmd[1]))
    end
  end

  local version = tostring(vim.version())
  if vim.lsp.inline_completion then
    health.ok(('Neovim %s: ghost text (vim.lsp.inline_completion)'):format(version))
  elseif vim.fn.has('nvim-0.10') == 1 then
    health.ok(('Neovim %s: completion items (nvim-cmp, blink.cmp, or vim.lsp.completion on 0.11)'):format(version))
  else
    health.error(('Neovim %s is too old: 0.10 or newer is needed'):format(version))
  end

  -- :checkhealth runs in its own buffer, so report every client and the buffers it serves.
  local clients = vim.lsp.get_clients({ name = 'switchboard' })
  if #clients == 0 then
    health.info('no switchboard client is running (open a file)')
  end
  for _, client in ipairs(clients) do
    local buffers = vim.tbl_keys(client.attached_buffers or {})
    table.sort(buffers)
    if #buffers > 0 then
      health.ok(('client %d attached to %d buffer(s)'):format(client.id, #buffers))
      local commands = require('switchboard.commands')
      for _, line in ipairs(commands.status_lines(buffers[1])) do
        health.info(line)
      end
      -- Green only while some provider can answer: say which fail, and what the server said.
      local status = commands.server_status(client, buffers[1]) or {}
      if status.completion_chain and #status.completion_chain == 0 then
        health.warn('no completion provider is in use', { 'configure one, or run `switchboard doctor`' })
      end
      local working, failing = 0, {}
      for _, provider in ipairs(status.providers or {}) do
        if provider.circuit ~= 'closed' or ((provider.successes or 0) == 0 and (provider.requests or 0) > 0) then
          failing[#failing + 1] = provider.name .. ' (' .. tostring(provider.circuit) .. ')'
        else
          working = working + 1
        end
      end
      if #failing > 0 then
        local advice = { 'run `switchboard doctor` in a terminal for what to fix' }
        local messages = status.messages or {}
        if #messages > 0 then
          table.insert(advice, 1, 'last message: ' .. messages[#messages])
        end
        local report = working > 0 and health.warn or health.error
        report('failing providers: ' .. table.concat(failing, ', '), advice)
      end
    else
      health.warn(('client %d is running but attached to no buffer'):format(client.id))
    end
  end
end

return M
