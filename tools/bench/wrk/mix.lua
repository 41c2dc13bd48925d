-- The mix: 60% get one book, 30% list 20 books, 10% create a book with 3 tags.
-- Finds common.lua next to this script, whatever the working directory.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local common = require("common")

local function mixed()
  local draw = math.random()
  if draw < 0.6 then
    return common.get_book()
  elseif draw < 0.9 then
    return common.list_books()
  end
  return common.create_book()
end

common.workload({ books = true, create = true }, mixed)
