-- POST /api/books with a bearer token: a new title and ISBN every time, an existing author, 3 of the dataset's tags.
-- Finds common.lua next to this script, whatever the working directory.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local common = require("common")

common.workload({ create = true }, common.create_book)
