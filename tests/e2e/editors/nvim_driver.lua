-- nvim_driver.lua: drives a real headless Neovim (0.10+) through Switchboard's Neovim plugin
-- (editors/nvim) against the real `switchboard` binary, for tests/e2e/neovim.rs.
--
--   timeout 60 nvim --headless -n -i NONE -u tests/e2e/editors/nvim_driver.lua
--
-- Environment (all set by the Rust test):
--   SWITCHBOARD_BIN       the server binary (passed to setup({ cmd = ... }))
--   SWITCHBOARD_PLUGIN    editors/nvim, prepended to 'runtimepath'
--   SWITCHBOARD_SETTINGS  JSON server settings (setup({ settings = ... }))
--   SWITCHBOARD_FILE      the file to open
--   SWITCHBOARD_MODE      attach | health | inline | items | omni | tui | action
--                         (tui: Neovim runs with its UI in tmux; the driver only puts the cursor at
--                         the end of SWITCHBOARD_LINE in Insert mode and writes {ready = true}: the
--                         test types through tmux, as a user does, and writes the file with :wq)
--   SWITCHBOARD_KEYS      inline: keys typed from Normal mode (e.g. "Goreturn "), termcodes allowed
--   SWITCHBOARD_LINE      items: 1-based line whose end is the completion position
--   SWITCHBOARD_EXPECT    inline/items: text the accepted suggestion must put into the buffer
--   SWITCHBOARD_CURSOR    action: "line,col" (1-based line, 0-based byte column) for the cursor
--   SWITCHBOARD_DIAGNOSTICS  action: JSON vim.Diagnostic list set in a namespace of its own (as a
--                         linter or another language server would), before anything is asked
--   SWITCHBOARD_LIST      action: if set, first list with the plain vim.lsp.buf.code_action()
--                         (vim.ui.select answers nothing) and record the titles
--   SWITCHBOARD_RANGE_COMMAND  action: if set, an Ex command run first to list (e.g. a Visual
--                         selection then "'<,'>SwitchboardAction"); titles and range recorded
--   SWITCHBOARD_COMMAND   action: the Ex command that runs the action (e.g. "SwitchboardAction")
--   SWITCHBOARD_PICK      action: vim.ui.select picks the item whose text starts with this
--   SWITCHBOARD_OUT       where the JSON result goes
--
-- The result records the client (capabilities, serverInfo), every LSP request Neovim sent
-- (LspRequest autocommand), the steps' details, and `ok`. Exit status 0 iff ok.

vim.g.loaded_python3_provider = 0
vim.o.shortmess = vim.o.shortmess .. 'WAIcF'
vim.o.showmode = false
vim.o.swapfile = false
-- With -u, Neovim turns filetype detection on only after this script: do it now, so the
-- file opened below gets a filetype and the plugin attaches as in a normal session.
vim.cmd('filetype plugin indent on')

local env = vim.env
local mode = env.SWITCHBOARD_MODE or 'attach'
local out_path = assert(env.SWITCHBOARD_OUT, 'SWITCHBOARD_OUT is not set')
local expect = env.SWITCHBOARD_EXPECT or ''
local is011 = vim.fn.has('nvim-0.11') == 1

local result = { nvim = tostring(vim.version()), mode = mode, requests = {}, steps = {}, ok = false }
local bufnr, client_id

local function step(name, ok, detail)
  result.steps[#result.steps + 1] = { name = name, ok = ok and true or false, detail = detail }
  return ok
end

local finished = false
local function finish(err)
  if finished then
    return
  end
  finished = true
  if err then
    result.error = tostring(err)
  end
  local ok = not err and #result.steps > 0
  for _, s in ipairs(result.steps) do
    ok = ok and s.ok
  end
  result.ok = ok
  if bufnr and vim.api.nvim_buf_is_valid(bufnr) then
    result.buffer = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  end
  local f = assert(io.open(out_path, 'w'))
  f:write(vim.json.encode(result))
  f:close()
  local client = client_id and vim.lsp.get_client_by_id(client_id)
  if client then
    if is011 then
      client:stop()
    else
      vim.lsp.stop_client(client_id)
    end
    vim.wait(2000, function()
      return vim.lsp.get_client_by_id(client_id) == nil
    end, 20)
  end
  vim.cmd(ok and 'qall!' or 'cquit 1')
end

-- Hard stop: a test must end well within its budget even if a step hangs.
vim.defer_fn(function()
  if mode == 'tui' and result.ok then
    return vim.cmd('cquit 1')
  end
  finish('driver timeout (25 s)')
end, 25000)

local function keys(str, flags)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(str, true, false, true), flags or 'n', false)
end

-- Calls cond() every 20 ms until it returns a truthy value or timeout_ms passes, then done(value).
local function poll(timeout_ms, cond, done)
  local deadline = vim.uv.now() + timeout_ms
  local timer = assert(vim.uv.new_timer())
  timer:start(
    20,
    20,
    vim.schedule_wrap(function()
      if timer:is_closing() then
        return
      end
      local ok, value = xpcall(cond, debug.traceback)
      if not ok then
        timer:stop()
        timer:close()
        return finish(value)
      end
      if value or vim.uv.now() > deadline then
        timer:stop()
        timer:close()
        local ok2, err = xpcall(done, debug.traceback, value or nil)
        if not ok2 then
          finish(err)
        end
      end
    end)
  )
end

local function buffer_text()
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n')
end

local function write_and_finish()
  vim.cmd('stopinsert')
  keys('<C-\\><C-n>')
  vim.schedule(function()
    local ok, err = pcall(vim.cmd, 'silent write')
    step('write', ok, err)
    finish()
  end)
end

-- When Neovim last sent `textDocument/inlineCompletion` (it waits about 200 ms after a key).
last_inline_request_ms = nil

-- The ghost text: an extmark with virt_text or virt_lines in Neovim's inline-completion namespace.
local function find_ghost()
  local ns = vim.api.nvim_get_namespaces()['nvim.lsp.inline_completion']
  if not ns then
    return nil
  end
  for _, m in ipairs(vim.api.nvim_buf_get_extmarks(bufnr, ns, 0, -1, { details = true })) do
    local d = m[4] or {}
    local text = ''
    for _, chunk in ipairs(d.virt_text or {}) do
      text = text .. chunk[1]
    end
    for _, line in ipairs(d.virt_lines or {}) do
      text = text .. '\n'
      for _, chunk in ipairs(line) do
        text = text .. chunk[1]
      end
    end
    if text ~= '' then
      return { row = m[2], col = m[3], text = text, pos = d.virt_text_pos }
    end
  end
end

-- Neovim 0.12: type in Insert mode, let Neovim ask by itself, accept the ghost text with the
-- plugin's <Tab> mapping (vim.lsp.inline_completion.get()).
local function run_inline()
  local inline = vim.lsp.inline_completion
  if not step('inline_api', inline ~= nil, result.nvim) then
    return finish()
  end
  step('inline_enabled', inline.is_enabled({ bufnr = bufnr }))
  keys(env.SWITCHBOARD_KEYS or 'Go')
  local typed_ms = vim.uv.hrtime() / 1e6
  poll(10000, find_ghost, function(ghost)
    if not step('ghost_text', ghost ~= nil, ghost or { mode = vim.api.nvim_get_mode().mode, text = buffer_text() }) then
      return finish()
    end
    -- Within the poll's 20 ms: from the keys and from Neovim's own (debounced) request.
    local now = vim.uv.hrtime() / 1e6
    result.ghost_ms_after_keys = now - typed_ms
    result.ghost_ms_after_request = last_inline_request_ms and (now - last_inline_request_ms) or vim.NIL
    keys('<Tab>', 'm') -- 'm': through the plugin's buffer-local mapping
    poll(5000, function()
      return expect ~= '' and buffer_text():find(expect, 1, true) ~= nil
    end, function(hit)
      step('accepted', hit, { text = buffer_text(), mode = vim.api.nvim_get_mode().mode })
      write_and_finish()
    end)
  end)
end

-- Neovim 0.10/0.11: ask for completion items at the end of a line, as a completion plugin
-- does, and apply the AI item's textEdit. The server may answer `isIncomplete` with no AI
-- item while the model call is on its way; ask again then, as clients do on the next key.
local function run_items()
  local client = assert(vim.lsp.get_client_by_id(client_id))
  local line = tonumber(env.SWITCHBOARD_LINE or '1')
  local text = vim.api.nvim_buf_get_lines(bufnr, line - 1, line, false)[1]
  -- The position after the last character, where an Insert-mode cursor would be. (A Normal-mode
  -- cursor can't go there: it sits on the last character, mid-identifier.) The fixture line is
  -- ASCII, so its byte length is its length in every position encoding.
  local position = { line = line - 1, character = #text }
  local attempts, item, lists = 0, nil, {}
  local deadline = vim.uv.now() + 10000
  while not item and vim.uv.now() < deadline do
    attempts = attempts + 1
    local params = { textDocument = vim.lsp.util.make_text_document_params(bufnr), position = position }
    params.context = { triggerKind = attempts == 1 and 1 or 3 }
    local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/completion', params, 5000)
    for _, response in pairs(responses or {}) do
      local list = response.result or {}
      lists[#lists + 1] = { isIncomplete = list.isIncomplete, n = #(list.items or list), err = response.err }
      for _, candidate in ipairs(list.items or list) do
        if candidate.detail and candidate.detail:match('^AI') then
          item = candidate
        end
      end
    end
    if not item then
      vim.wait(100)
    end
  end
  if not step('ai_item', item ~= nil, { attempts = attempts, lists = lists, item = item }) then
    return finish()
  end
  local edit = item.textEdit
  step('text_edit', edit and edit.newText and edit.newText:find(expect, 1, true) ~= nil, item)
  if edit then
    vim.lsp.util.apply_text_edits({ edit.range and edit or { range = edit.replace, newText = edit.newText } }, bufnr, client.offset_encoding)
  end
  step('applied', buffer_text():find(expect, 1, true) ~= nil, { text = buffer_text() })
  write_and_finish()
end

-- vim.ui.select as a user answering it: records the items' texts, then picks the first that starts
-- with `pick` (none if `pick` is nil).
local function stub_select(record, pick)
  vim.ui.select = function(items, opts, on_choice)
    local texts, choice = {}, nil
    for _, item in ipairs(items) do
      local text = opts.format_item and opts.format_item(item) or tostring(item)
      texts[#texts + 1] = text
      if not choice and pick and vim.startswith(text, pick) then
        choice = item
      end
    end
    local first = items[1]
    local params = type(first) == 'table' and first.ctx and first.ctx.params
    record[#record + 1] = { prompt = opts.prompt, kind = opts.kind, items = texts, range = params and params.range }
    vim.schedule(function()
      on_choice(choice)
    end)
  end
end

-- An AI code action: diagnostics from another source, optionally the plain code_action() listing,
-- then the plugin's command; waits for the server's edit and the progress's end, writes the file.
local function run_action()
  local cursor = vim.split(env.SWITCHBOARD_CURSOR or '1,0', ',')
  local function place_cursor()
    vim.api.nvim_win_set_cursor(0, { tonumber(cursor[1]), tonumber(cursor[2]) })
  end
  place_cursor()
  if env.SWITCHBOARD_DIAGNOSTICS then
    local ns = vim.api.nvim_create_namespace('driver.other_source')
    vim.diagnostic.set(ns, bufnr, vim.json.decode(env.SWITCHBOARD_DIAGNOSTICS))
  end
  result.progress, result.selects, result.listed = {}, {}, {}
  vim.api.nvim_create_autocmd('LspProgress', {
    callback = function(args)
      local value = args.data and args.data.params and args.data.params.value or {}
      result.progress[#result.progress + 1] = { kind = value.kind, title = value.title, message = value.message }
    end,
  })
  local before = buffer_text()
  local function run_command()
    place_cursor()
    stub_select(result.selects, env.SWITCHBOARD_PICK)
    local ok, err = pcall(vim.cmd, env.SWITCHBOARD_COMMAND or 'SwitchboardAction')
    if not step('command', ok, err) then
      return finish()
    end
    poll(10000, function()
      return buffer_text() ~= before
    end, function(changed)
      step('buffer_changed', changed, { text = buffer_text(), selects = result.selects })
      poll(5000, function()
        local last = result.progress[#result.progress]
        return last and last.kind == 'end'
      end, function(ended)
        step('progress_end', ended, result.progress)
        result.messages = require('switchboard.notify').history
        result.blocking = vim.api.nvim_get_mode().blocking
        write_and_finish()
      end)
    end)
  end
  -- Listings first (vim.ui.select answers nothing): the plain code_action(), then a command on
  -- a range.
  local listings = {}
  if env.SWITCHBOARD_LIST then
    listings[#listings + 1] = { name = 'plain_listing', record = result.listed, run = vim.lsp.buf.code_action }
  end
  if env.SWITCHBOARD_RANGE_COMMAND then
    result.ranged = {}
    listings[#listings + 1] = {
      name = 'range_listing',
      record = result.ranged,
      run = function()
        vim.cmd(env.SWITCHBOARD_RANGE_COMMAND)
      end,
    }
  end
  local function next_listing(i)
    local listing = listings[i]
    if not listing then
      return run_command()
    end
    stub_select(listing.record, nil)
    listing.run()
    poll(5000, function()
      return #listing.record > 0
    end, function(listed)
      if step(listing.name, listed, listing.record) then
        next_listing(i + 1)
      else
        finish()
      end
    end)
  end
  next_listing(1)
end

local function run_health()
  vim.cmd('checkhealth switchboard')
  local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  result.health = lines
  local text = table.concat(lines, '\n')
  step('health_binary', text:find('binary: ', 1, true) ~= nil)
  step('health_attached', text:find('attached to 1 buffer(s)', 1, true) ~= nil)
  step('health_no_error', text:find('ERROR', 1, true) == nil)
  finish()
end

-- Neovim 0.10's own completion: `<C-x><C-o>` through vim.lsp.omnifunc in Insert mode at the end
-- of SWITCHBOARD_LINE, the AI item chosen from the popup menu as a user does; the buffer must
-- then hold its lines, with no NUL bytes.
local function run_omni()
  vim.bo[bufnr].omnifunc = 'v:lua.vim.lsp.omnifunc'
  vim.bo[bufnr].autoindent = false
  local line = tonumber(env.SWITCHBOARD_LINE or '1')
  vim.api.nvim_win_set_cursor(0, { line, 0 })
  keys('A<C-x><C-o>')
  -- With Vim's default 'completeopt', a single match is inserted at once (no menu) and the
  -- completion ends at the next key; with several, the menu opens and the AI item is chosen.
  poll(10000, function()
    if vim.fn.pumvisible() == 1 then
      return { menu = vim.fn.complete_info({ 'items' }).items }
    end
    local line_text = vim.api.nvim_buf_get_lines(bufnr, line - 1, line, false)[1] or ''
    if line_text:find('\0', 1, true) or buffer_text():find(expect, 1, true) then
      return { inserted = true }
    end
  end, function(state)
    if not step('completed', state ~= nil, { mode = vim.api.nvim_get_mode().mode, text = buffer_text() }) then
      return finish()
    end
    if state.menu then
      local index
      for i, candidate in ipairs(state.menu) do
        if (candidate.menu or ''):match('^AI') then
          index = i
        end
      end
      if not step('ai_in_menu', index ~= nil, state.menu) then
        return finish()
      end
      vim.api.nvim_select_popupmenu_item(index - 1, true, true, {})
    else
      keys('<Esc>') -- the user leaves Insert mode, which ends the completion
    end
    poll(3000, function()
      return vim.fn.pumvisible() == 0 and buffer_text():find(expect, 1, true) ~= nil
        and vim.fn.complete_info({ 'mode' }).mode == ''
        and not buffer_text():find('\0', 1, true)
    end, function(hit)
      local text = buffer_text()
      step('accepted', hit, { text = text })
      local nul = false
      for _, l in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
        nul = nul or l:find('\0', 1, true) ~= nil
      end
      step('no_nul', not nul, { text = text })
      write_and_finish()
    end)
  end)
end

local function main()
  -- (assert returns its message too: keep it out of argument lists and table constructors)
  local plugin = assert(env.SWITCHBOARD_PLUGIN, 'SWITCHBOARD_PLUGIN is not set')
  local bin = assert(env.SWITCHBOARD_BIN, 'SWITCHBOARD_BIN is not set')
  vim.opt.runtimepath:prepend(plugin)
  vim.api.nvim_create_autocmd('LspRequest', {
    callback = function(args)
      local request = args.data and args.data.request
      if request and request.type == 'pending' then
        result.requests[#result.requests + 1] = request.method
        if request.method == 'textDocument/inlineCompletion' then
          last_inline_request_ms = vim.uv.hrtime() / 1e6
        end
      end
    end,
  })
  require('switchboard').setup({
    cmd = { bin },
    settings = vim.json.decode(env.SWITCHBOARD_SETTINGS or '{}'),
  })
  local file = assert(env.SWITCHBOARD_FILE, 'SWITCHBOARD_FILE is not set')
  vim.cmd.edit(vim.fn.fnameescape(file))
  bufnr = vim.api.nvim_get_current_buf()
  local client
  local ready = vim.wait(10000, function()
    client = vim.lsp.get_clients({ name = 'switchboard', bufnr = bufnr })[1]
    return client ~= nil and client.initialized == true
  end, 20)
  local caps = client and client.server_capabilities or {}
  result.client = client and {
    name = client.name,
    offset_encoding = client.offset_encoding,
    root_dir = client.root_dir,
    capabilities = vim.tbl_keys(caps),
    inline_completion_provider = caps.inlineCompletionProvider ~= nil,
    completion_provider = caps.completionProvider ~= nil,
    server_info = client.server_info or (client.initialize_result or {}).serverInfo,
    filetype = vim.bo[bufnr].filetype,
  }
  if not step('attached', ready, result.client) then
    return finish()
  end
  client_id = client.id
  if mode == 'inline' then
    run_inline()
  elseif mode == 'omni' then
    run_omni()
  elseif mode == 'items' then
    run_items()
  elseif mode == 'health' then
    run_health()
  elseif mode == 'action' then
    run_action()
  elseif mode == 'tui' then
    local line = tonumber(env.SWITCHBOARD_LINE or '1')
    vim.api.nvim_win_set_cursor(0, { line, 0 })
    vim.cmd('startinsert!')
    step('ready', true)
    result.ok = true
    local f = assert(io.open(out_path, 'w'))
    f:write(vim.json.encode(result))
    f:close()
  else
    finish()
  end
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  finish(err)
end
