-- Drives `zerops-cache lsp` through Neovim's built-in LSP client (0.7+),
-- headless, and writes what the server answered to $ZC_OUT as JSON; the
-- assertions are in tests/e2e/lsp_nvim.rs. Run as
--   nvim --headless -u NONE -i NONE -n -c 'luafile nvim_client.lua'
local out = { steps = {} }

local function finish(err)
  out.error = err
  local f = assert(io.open(os.getenv("ZC_OUT"), "w"))
  f:write(vim.fn.json_encode(out))
  f:close()
  vim.cmd("qa!")
end

local ok, err = pcall(function()
  local file = os.getenv("ZC_FILE")
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  local published = {}
  local id = vim.lsp.start_client({
    name = "zerops-cache",
    cmd = { os.getenv("ZC_BIN"), "lsp", "--stdio" },
    root_dir = vim.fn.fnamemodify(file, ":h"),
    flags = { debounce_text_changes = 0 },
    handlers = {
      ["textDocument/publishDiagnostics"] = function(_, result)
        table.insert(published, result)
      end,
    },
  })
  assert(id, "vim.lsp.start_client failed")
  assert(vim.lsp.buf_attach_client(buf, id), "buf_attach_client failed")
  assert(vim.wait(30000, function() return #published > 0 end, 20), "no diagnostics were published")
  out.diagnostics = published[#published].diagnostics
  table.insert(out.steps, "diagnostics")

  local client = vim.lsp.get_client_by_id(id)
  local uri = vim.uri_from_bufnr(buf)
  local function req(method, params)
    local r, e = client.request_sync(method, params, 20000, buf)
    assert(r, "no answer to " .. method .. ": " .. tostring(e))
    assert(not r.err, method .. ": " .. vim.inspect(r.err))
    table.insert(out.steps, method)
    return r.result
  end
  local function at(line, character)
    return { textDocument = { uri = uri }, position = { line = line, character = character } }
  end

  -- Hover on the `cache` key of line 6 and on its value.
  out.hover_key = req("textDocument/hover", at(5, 8))
  out.hover_value = req("textDocument/hover", at(5, 15))
  -- `extends: base` on line 8 goes to `setup: base` on line 2.
  out.definition = req("textDocument/definition", at(7, 14))
  out.symbols = req("textDocument/documentSymbol", { textDocument = { uri = uri } })
  -- Values of `base` after `nodejs@2` on line 4.
  out.completion_values = req("textDocument/completion", at(3, 20))

  -- The quick fix for the typo, applied the way the editor applies it.
  local typo
  for _, d in ipairs(out.diagnostics) do
    if d.code == "unknown-key" then typo = d end
  end
  assert(typo, "no unknown-key diagnostic")
  local actions = req("textDocument/codeAction", {
    textDocument = { uri = uri },
    range = typo.range,
    context = { diagnostics = { typo } },
  })
  out.actions = actions
  local fix
  for _, a in ipairs(actions) do
    if a.title:find("cahce", 1, true) then fix = a end
  end
  assert(fix, "no code action for the typo")
  local before = #published
  vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding or "utf-16")
  out.fixed_line = vim.api.nvim_buf_get_lines(buf, typo.range.start.line, typo.range.start.line + 1, false)[1]
  assert(vim.wait(30000, function() return #published > before end, 20), "no diagnostics after the fix")
  out.diagnostics_after_fix = published[#published].diagnostics

  -- A new empty line in the first build: the keys not written yet.
  vim.api.nvim_buf_set_lines(buf, 4, 4, false, { "      " })
  out.completion_keys = req("textDocument/completion", at(4, 6))
end)

finish(not ok and tostring(err) or vim.NIL)
