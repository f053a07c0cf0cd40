-- Multi-line AI items with Neovim 0.10's own completion (`<C-x><C-o>` with `vim.lsp.omnifunc`;
-- 0.11's `vim.lsp.completion` applies the item's textEdit itself): Vim's completion inserts a word, and a word cannot hold a
-- line break, so each newline of a multi-line item lands in the buffer as a NUL byte (`^@`).
-- After such an item is inserted, this puts the line breaks back: the inserted text is replaced
-- by the item's lines, and the cursor goes to their end. Completion plugins (nvim-cmp,
-- blink.cmp) apply the item's textEdit themselves and need none of this.

local M = {}

--- The LSP item behind a completed Vim item, when it is one of Switchboard's.
---@param completed table vim.v.completed_item
---@return table?
local function ai_item(completed)
  local user_data = type(completed.user_data) == 'table' and completed.user_data or nil
  local item = user_data and vim.tbl_get(user_data, 'nvim', 'lsp', 'completion_item')
  if type(item) == 'table' and type(item.detail) == 'string' and item.detail:match('^AI') then
    return item
  end
end

--- Replaces the word just inserted, where its line breaks became NULs, by its lines.
---@param bufnr integer
function M.restore_line_breaks(bufnr)
  local completed = vim.v.completed_item
  local word = type(completed) == 'table' and completed.word or nil
  if type(word) ~= 'string' or not word:find('\n', 1, true) or not ai_item(completed) then
    return
  end
  local win = vim.api.nvim_get_current_win()
  if vim.api.nvim_win_get_buf(win) ~= bufnr then
    return
  end
  local row, col = unpack(vim.api.nvim_win_get_cursor(win))
  local line = vim.api.nvim_buf_get_lines(bufnr, row - 1, row, false)[1] or ''
  local start = col - #word
  -- Only the text Vim just inserted, exactly (with NULs for its line breaks): else nothing.
  local inserted = word:gsub('\n', '\0')
  if start < 0 or line:sub(start + 1, col) ~= inserted then
    return
  end
  local lines = vim.split(word, '\n', { plain = true })
  vim.api.nvim_buf_set_text(bufnr, row - 1, start, row - 1, col, lines)
  local last_row = row + #lines - 1
  local last_col = #lines == 1 and start + #lines[1] or #lines[#lines]
  vim.api.nvim_win_set_cursor(win, { last_row, last_col })
end

--- Watches completions in `bufnr`.
---@param bufnr integer
function M.attach(bufnr)
  local group = vim.api.nvim_create_augroup('switchboard.multiline.' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd('CompleteDone', {
    group = group,
    buffer = bufnr,
    callback = function()
      M.restore_line_breaks(bufnr)
    end,
  })
end

return M
