-- GET /api/books/{id} for a random book of the dataset (BENCH_INPUTS/book_ids.txt).
-- Finds common.lua next to this script, whatever the working directory.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local common = require("common")

common.workload({ books = true }, common.get_book)
