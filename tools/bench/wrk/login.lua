-- POST /api/auth/login for the dataset's users in turn, each from its own client address (see common.login).
-- Finds common.lua next to this script, whatever the working directory.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local common = require("common")

common.workload({ login = true }, common.login)
