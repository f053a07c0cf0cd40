-- Messages from the server (`window/showMessage`), shown without ever blocking typing.
--
-- Neovim's own handler passes them to vim.notify, whose built-in version echoes them: a message
-- wider than the command line opens the "Press ENTER" prompt, and in Insert mode the next key
-- the user types goes to that prompt instead of the buffer. Here:
--
-- * with a notification plugin (nvim-notify, noice, fidget, mini.notify replace vim.notify),
--   the message goes to it: those show it in a window and never prompt;
-- * else it is echoed as one line cut to the space the command line has (`v:echospace`), the
--   latest message replacing any that arrived in the same moment;
-- * every message is kept whole: `:SwitchboardMessages` lists them.
--
-- The progress of an AI action (`$/progress`) goes the same way, each update replacing the
-- last; a notification plugin gets only its start and its end.
local M = {}

--- The messages so far, oldest first: { time = 'HH:MM:SS', level = integer, text = string }.
---@type { time: string, level: integer, text: string }[]
M.history = {}

local MAX_HISTORY = 100

-- LSP MessageType -> vim.log.levels; type 4 (Log) is kept but not shown.
local LEVELS = { vim.log.levels.ERROR, vim.log.levels.WARN, vim.log.levels.INFO, vim.log.levels.DEBUG }
local HIGHLIGHTS = { [vim.log.levels.ERROR] = 'ErrorMsg', [vim.log.levels.WARN] = 'WarningMsg' }

--- Whether vim.notify is still Neovim's own (which echoes, and so can prompt): its source is
--- the runtime's vim/_editor.lua (0.10), or "?" where the runtime is precompiled (0.12). A
--- notification plugin's function comes from the plugin's own file.
local function builtin_notify()
  local info = debug.getinfo(vim.notify, 'S')
  local source = info and info.source or '?'
  return source == '?' or source == '=?' or source:find('vim/_editor.lua', 1, true) ~= nil
end

--- `text` cut to `width` display cells, with an ellipsis when cut.
---@param text string
---@param width integer
---@return string
function M.fit(text, width)
  if vim.fn.strdisplaywidth(text) <= width then
    return text
  end
  local kept = ''
  for _, char in ipairs(vim.fn.split(text, '\\zs')) do
    if vim.fn.strdisplaywidth(kept .. char) > width - 1 then
      break
    end
    kept = kept .. char
  end
  return kept .. '…'
end

local pending = nil

local function flush()
  local message = pending
  pending = nil
  if not message then
    return
  end
  if not builtin_notify() then
    vim.notify(message.text, message.level, { title = 'Switchboard' })
    return
  end
  -- One screen line, or the prompt opens. Not added to :messages (that would be the cut text):
  -- :SwitchboardMessages has the whole of it.
  local width = math.max(vim.v.echospace - 1, 20)
  vim.api.nvim_echo({ { M.fit(message.text, width), HIGHLIGHTS[message.level] } }, false, {})
end

---@param text string?
---@return string
local function one_line_of(text)
  return vim.trim((text or ''):gsub('%s*\n%s*', ' '))
end

---@param level integer
---@param text string
local function remember(level, text)
  table.insert(M.history, { time = os.date('%H:%M:%S'), level = level, text = text })
  if #M.history > MAX_HISTORY then
    table.remove(M.history, 1)
  end
end

--- Shows `text` at the next tick, replacing what is waiting to be shown.
---@param level integer
---@param text string
local function queue(level, text)
  local scheduled = pending ~= nil
  pending = { text = text, level = level }
  if not scheduled then
    vim.schedule(flush)
  end
end

--- Shows one server message.
---@param text string
---@param lsp_type integer? LSP MessageType (1 error .. 4 log)
function M.show(text, lsp_type)
  local level = LEVELS[lsp_type or 3] or vim.log.levels.INFO
  local one_line = one_line_of(text)
  remember(level, one_line)
  if level == vim.log.levels.DEBUG or one_line == '' then
    return
  end
  queue(level, one_line)
end

--- Shows one step of an action's progress (`$/progress` value): "title: message". The end is
--- kept in the history; an end that failed is not shown, as the server's error message follows.
---@param title string?
---@param message string?
---@param kind string? 'begin' | 'report' | 'end'
function M.progress(title, message, kind)
  local text = one_line_of(message)
  if text == '' then
    text = kind == 'end' and 'done' or '…'
  end
  text = one_line_of(title or 'Switchboard') .. ': ' .. text
  if kind == 'end' then
    remember(vim.log.levels.INFO, text)
    if vim.startswith(one_line_of(message), 'failed') then
      return
    end
  elseif kind ~= 'begin' and not builtin_notify() then
    -- A notification plugin would stack every report as a new notification.
    return
  end
  queue(vim.log.levels.INFO, text)
end

--- The `window/showMessage` handler for the switchboard client.
function M.handler(_, result)
  if result then
    M.show(result.message, result.type)
  end
  return vim.NIL
end

--- The messages, whole, for :SwitchboardMessages.
---@return string[]
function M.lines()
  if #M.history == 0 then
    return { 'switchboard: no messages yet' }
  end
  local lines = {}
  for _, message in ipairs(M.history) do
    lines[#lines + 1] = ('%s %s'):format(message.time, message.text)
  end
  return lines
end

return M
