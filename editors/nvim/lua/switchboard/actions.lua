-- AI code actions: what the plugin adds to Neovim's code-action menu, `:SwitchboardAction`, and
-- the actions' progress.
--
-- * Neovim sends a server, in `context.diagnostics`, only that server's own diagnostics, so
--   "AI: Fix" would never be offered for what pyright, rust-analyzer or a linter reports. The
--   client's requests for code actions are widened here (`on_init` wraps the client's RPC
--   `request`) with every diagnostic at the range, from every source: the plain
--   vim.lsp.buf.code_action() and `gra` get them too. `actions.all_diagnostics = false` turns
--   that off; `:SwitchboardAction` always sends them.
-- * `:SwitchboardAction [name]` asks Switchboard alone (no waiting on other servers) for the
--   actions at the cursor or the range, and lists them in vim.ui.select; with a name (an action
--   id or the start of a title: `document`, `fix`, `cancel`) it runs the one that matches.
-- * An action runs in the server, which reports with `$/progress`: shown here on one line that
--   each update replaces (notify.lua), never with the "Press ENTER" prompt.
local M = {}

local NAME = 'switchboard'
local has_011 = vim.fn.has('nvim-0.11') == 1

--- Action ids `:SwitchboardAction` completes (the server's built-ins, and "cancel").
M.builtin_ids = { 'fix', 'comment', 'document', 'improve', 'tests', 'explain', 'cancel' }

---@return table
local function options()
  local plugin = package.loaded['switchboard']
  local config = plugin and plugin.config or require('switchboard.config').defaults
  return config.actions or {}
end

---@param client vim.lsp.Client
---@param method string
---@param params table
---@param handler fun(err: lsp.ResponseError?, result: any, ctx: table)
---@param bufnr integer
local function request(client, method, params, handler, bufnr)
  if has_011 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

---@param diagnostics vim.Diagnostic[]
---@return lsp.Diagnostic[]
local function to_lsp(diagnostics)
  if vim.lsp.diagnostic.from then -- 0.11+
    return vim.lsp.diagnostic.from(diagnostics)
  end
  -- 0.10 keeps its converter private: the same conversion.
  return vim.tbl_map(function(diagnostic)
    local user_data = diagnostic.user_data or {}
    if user_data.lsp then
      return user_data.lsp
    end
    return {
      range = {
        start = { line = diagnostic.lnum, character = diagnostic.col },
        ['end'] = {
          line = diagnostic.end_lnum or diagnostic.lnum,
          character = diagnostic.end_col or diagnostic.col,
        },
      },
      severity = diagnostic.severity, -- the same numbers in both: 1 error .. 4 hint
      message = diagnostic.message,
      source = diagnostic.source,
      code = diagnostic.code,
    }
  end, diagnostics)
end

--- Every diagnostic of the buffer, from every source, that touches lines `first`..`last`
--- (0-based, inclusive), as LSP diagnostics: errors first, then by position (the server offers a
--- fix for the first few).
---@param bufnr integer
---@param first integer
---@param last integer
---@return lsp.Diagnostic[]
function M.diagnostics(bufnr, first, last)
  local found = {}
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    local ends = diagnostic.end_lnum or diagnostic.lnum
    if diagnostic.lnum <= last and ends >= first then
      found[#found + 1] = diagnostic
    end
  end
  table.sort(found, function(a, b)
    if (a.severity or 4) ~= (b.severity or 4) then
      return (a.severity or 4) < (b.severity or 4)
    end
    if a.lnum ~= b.lnum then
      return a.lnum < b.lnum
    end
    return (a.col or 0) < (b.col or 0)
  end)
  return to_lsp(found)
end

---@param diagnostic lsp.Diagnostic
---@return string
local function key(diagnostic)
  local range = diagnostic.range or {}
  local start, finish = range.start or {}, range['end'] or {}
  return table.concat({
    tostring(start.line),
    tostring(start.character),
    tostring(finish.line),
    tostring(finish.character),
    tostring(diagnostic.source),
    tostring(diagnostic.message),
  }, '\0')
end

--- `params` of a textDocument/codeAction request with the diagnostics of every source at its
--- range added to those Neovim put there (its own client's), without duplicates.
---@param params lsp.CodeActionParams
---@return lsp.CodeActionParams
function M.widen(params)
  local uri = params.textDocument and params.textDocument.uri
  local range = params.range
  if type(uri) ~= 'string' or type(range) ~= 'table' then
    return params
  end
  local bufnr = vim.uri_to_bufnr(uri)
  if not vim.api.nvim_buf_is_loaded(bufnr) then
    return params
  end
  local first, last = range.start.line, range['end'].line
  if last > first and range['end'].character == 0 then
    last = last - 1
  end
  local context = vim.tbl_extend('force', {}, params.context or {})
  local merged, seen = {}, {}
  local given = type(context.diagnostics) == 'table' and context.diagnostics or {}
  for _, list in ipairs({ given, M.diagnostics(bufnr, first, last) }) do
    for _, diagnostic in ipairs(list) do
      local k = key(diagnostic)
      if not seen[k] then
        seen[k] = true
        merged[#merged + 1] = diagnostic
      end
    end
  end
  context.diagnostics = merged
  return vim.tbl_extend('force', {}, params, { context = context })
end

--- The client's `on_init`: widens its code-action requests (see the top of this file) and
--- shows action progress.
---@param client vim.lsp.Client
function M.on_init(client)
  M.watch_progress()
  local rpc = client.rpc
  if type(rpc) ~= 'table' or type(rpc.request) ~= 'function' or rpc.switchboard_widened then
    return
  end
  local send = rpc.request
  rpc.switchboard_widened = true
  rpc.request = function(method, params, ...)
    if method == 'textDocument/codeAction' and type(params) == 'table' and options().all_diagnostics ~= false then
      local ok, widened = pcall(M.widen, params)
      if ok then
        params = widened
      end
    end
    return send(method, params, ...)
  end
end

--- Shows the progress of the server's actions (LspProgress, 0.10+) on one line.
function M.watch_progress()
  local group = vim.api.nvim_create_augroup('switchboard.progress', { clear = true })
  vim.api.nvim_create_autocmd('LspProgress', {
    group = group,
    callback = function(args)
      local data = args.data or {}
      local value = data.params and data.params.value
      if type(value) ~= 'table' or options().progress == false then
        return
      end
      local client = vim.lsp.get_client_by_id(data.client_id)
      if client and client.name == NAME then
        require('switchboard.notify').progress(value.title, value.message, value.kind)
      end
    end,
  })
end

--- The handler for the answer to `workspace/executeCommand`: a refusal (the code changed since
--- the listing, a file Switchboard must not send) is shown without the "Press ENTER" prompt.
function M.command_handler(err)
  if err then
    require('switchboard.notify').show(err.message, 1)
  end
end

---@param action lsp.CodeAction|lsp.Command
---@return lsp.Command?
local function command_of(action)
  if type(action.command) == 'table' then
    return action.command
  elseif type(action.command) == 'string' then
    return action --[[@as lsp.Command]]
  end
end

--- Whether `action` is the one `name` asks for: its id, or the start of its title with or
--- without "AI: " (case-insensitive). 'exact' when the id is `name` itself.
---@param action lsp.CodeAction|lsp.Command
---@param name string lower case
---@return boolean|'exact'
local function matches(action, name)
  local command = command_of(action)
  local argument = command and command.arguments and command.arguments[1]
  if type(argument) ~= 'table' and type(action.data) == 'table' then
    -- Listed for `codeAction/resolve` (`actions.run = "resolve"`): the same arguments, in `data`.
    argument = action.data.switchboard
  end
  local id = type(argument) == 'table' and type(argument.action) == 'string' and argument.action:lower() or nil
  if id == name then
    return 'exact'
  end
  local title = (action.title or ''):lower()
  return (id ~= nil and vim.startswith(id, name))
    or vim.startswith(title, name)
    or vim.startswith((title:gsub('^ai: ', '')), name)
end

---@param client vim.lsp.Client
---@param bufnr integer
---@param action lsp.CodeAction|lsp.Command
local run
function run(client, bufnr, action)
  if not action.edit and not command_of(action) and action.data ~= nil then
    -- The edit is computed by `codeAction/resolve`; Neovim waits for it without blocking.
    request(client, 'codeAction/resolve', action, function(err, resolved)
      if err then
        M.command_handler(err)
      elseif resolved and (resolved.edit or command_of(resolved)) then
        run(client, bufnr, resolved)
      end
    end, bufnr)
    return
  end
  if action.edit then
    vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  end
  local command = command_of(action)
  if command then
    local params = { command = command.command, arguments = command.arguments }
    request(client, 'workspace/executeCommand', params, M.command_handler, bufnr)
  end
end

--- The range `:SwitchboardAction` works on: the cursor, the lines of its range, or the
--- characters of a charwise Visual selection; and its first and last line (0-based).
---@param bufnr integer
---@param command table the user command's arguments
---@param encoding string
---@return lsp.CodeActionParams, integer, integer
local function range_params(bufnr, command, encoding)
  local util = vim.lsp.util
  if command.range == 0 then
    local params = util.make_range_params(0, encoding)
    local line = params.range.start.line
    return params, line, line
  end
  local first, last = command.line1, command.line2
  local from, to = vim.api.nvim_buf_get_mark(bufnr, '<'), vim.api.nvim_buf_get_mark(bufnr, '>')
  if command.range == 2 and vim.fn.visualmode() == 'v' and from[1] == first and to[1] == last then
    return util.make_given_range_params(from, to, bufnr, encoding), first - 1, last - 1
  end
  local text = vim.api.nvim_buf_get_lines(bufnr, last - 1, last, false)[1] or ''
  local params = {
    textDocument = util.make_text_document_params(bufnr),
    range = {
      start = { line = first - 1, character = 0 },
      ['end'] = { line = last - 1, character = util.character_offset(bufnr, last - 1, #text, encoding) },
    },
  }
  return params, first - 1, last - 1
end

--- `:[range]SwitchboardAction [name]`: Switchboard's actions at the cursor or the range, with
--- the diagnostics of every source there; lists them in vim.ui.select, or runs the one `name`
--- picks (several that match are listed).
---@param bufnr integer
---@param command table the user command's arguments (nvim_create_user_command)
function M.command(bufnr, command)
  local notify = require('switchboard.notify')
  local client = vim.lsp.get_clients({ name = NAME, bufnr = bufnr })[1]
  if not client then
    return notify.show('switchboard: not attached to this buffer', 2)
  end
  local params, first, last = range_params(bufnr, command, client.offset_encoding)
  params.context = {
    triggerKind = vim.lsp.protocol.CodeActionTriggerKind.Invoked,
    diagnostics = M.diagnostics(bufnr, first, last),
  }
  local name = vim.trim(command.args or ''):lower()
  request(client, 'textDocument/codeAction', params, function(err, result, ctx)
    if err then
      return notify.show('switchboard: ' .. tostring(err.message), 1)
    end
    local found, exact = {}, {}
    for _, action in ipairs(result or {}) do
      local hit = name == '' or matches(action, name)
      if hit then
        found[#found + 1] = action
      end
      if hit == 'exact' then
        exact[#exact + 1] = action
      end
    end
    found = #exact > 0 and exact or found
    if #found == 0 then
      local what = name == '' and 'no Switchboard actions here'
        or ('no Switchboard action "%s" here (:SwitchboardAction lists them)'):format(name)
      return notify.show(what, 3)
    end
    if name ~= '' and #found == 1 then
      return run(client, bufnr, found[1])
    end
    -- Items shaped as vim.lsp.buf.code_action() shapes them, for vim.ui.select plugins that
    -- treat `kind = 'codeaction'` specially.
    local items = {}
    for _, action in ipairs(found) do
      items[#items + 1] = { action = action, ctx = ctx or { client_id = client.id, bufnr = bufnr } }
    end
    vim.ui.select(items, {
      prompt = 'Switchboard:',
      kind = 'codeaction',
      format_item = function(item)
        return (item.action.title:gsub('\r?\n', ' '))
      end,
    }, function(choice)
      if choice then
        run(client, bufnr, choice.action)
      end
    end)
  end, bufnr)
end

--- Completion for `:SwitchboardAction`'s argument: built-in and custom action ids.
---@param lead string
---@return string[]
function M.complete(lead)
  local ids = vim.deepcopy(M.builtin_ids)
  local plugin = package.loaded['switchboard']
  local settings = plugin and plugin.config and plugin.config.settings or {}
  for _, custom in ipairs(vim.tbl_get(settings, 'actions', 'custom') or {}) do
    if type(custom) == 'table' and type(custom.id) == 'string' then
      ids[#ids + 1] = custom.id
    end
  end
  return vim.tbl_filter(function(id)
    return vim.startswith(id, lead or '')
  end, ids)
end

return M
