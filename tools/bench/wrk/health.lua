-- GET /health: a fixed request, so wrk sends it without calling Lua per request.
-- Finds common.lua next to this script, whatever the working directory.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local common = require("common")

common.workload({})

wrk.method = "GET"
wrk.path = "/health"
