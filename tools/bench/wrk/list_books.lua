-- GET /api/books?pageSize=20&currentPage=N, N a random page of the dataset.
-- Finds common.lua next to this script, whatever the working directory.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local common = require("common")

common.workload({ books = true }, common.list_books)
