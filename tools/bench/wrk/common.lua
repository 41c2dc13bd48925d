-- Shared by the benchmark's wrk scripts: inputs, request builders, per-status counts and the
-- JSON summary that tools/bench/run.py reads (it never parses wrk's text output).
--
-- Environment:
--   BENCH_INPUTS       directory of the dataset's inputs (book_ids.txt, author_ids.txt, tag_names.txt, tokens.txt)
--   BENCH_SUMMARY      where done() writes the JSON summary (default: wrk-summary.json)
--   BENCH_RUN          a number from 0 to 999, different for every wrk run against one database:
--                      it goes into the titles and ISBNs of created books, which must never repeat
--   BENCH_ISBN_PREFIX  three digits no book of the dataset starts its ISBN with (default 977)
--   BENCH_PAGE_SIZE    page size of the list requests (default 20)
--   BENCH_PASSWORD     every user's password (login)
--   BENCH_CSRF         a csrftoken cookie value Folio issued, sent as cookie and header (login)

local common = {}

local inputs = os.getenv("BENCH_INPUTS") or "."
local page_size = tonumber(os.getenv("BENCH_PAGE_SIZE") or "20")
local run_number = tonumber(os.getenv("BENCH_RUN") or "0") % 1000
local isbn_prefix = os.getenv("BENCH_ISBN_PREFIX") or "977"

local function read_lines(name)
  local values = {}
  local file = io.open(inputs .. "/" .. name, "r")
  if file == nil then
    error("cannot read " .. inputs .. "/" .. name .. " (set BENCH_INPUTS)")
  end
  for line in file:lines() do
    if line ~= "" then
      values[#values + 1] = line
    end
  end
  file:close()
  if #values == 0 then
    error(inputs .. "/" .. name .. " is empty")
  end
  return values
end

local function pick(values)
  return values[math.random(#values)]
end

-- The ISBN-13 check digit: weights 1 and 3 alternate over the first twelve digits.
function common.isbn13(first12)
  local total = 0
  for position = 1, 12 do
    local digit = tonumber(first12:sub(position, position))
    total = total + digit * ((position % 2 == 1) and 1 or 3)
  end
  return first12 .. tostring((10 - total % 10) % 10)
end

-- Thread set-up, in wrk's main Lua state: number the threads and keep them for done().
local threads = {}

function common.setup(thread)
  thread:set("thread_number", #threads)
  threads[#threads + 1] = thread
end

-- Thread start, in the thread's own Lua state.
local book_ids, author_ids, tag_names, tokens, pages, emails
local created = 0
local logins = 0
statuses = {}
non_2xx = 0

function common.init(needs)
  math.randomseed(os.time() * 1000 + (thread_number or 0) * 7919 + run_number)
  if needs.books then
    book_ids = read_lines("book_ids.txt")
    pages = math.max(1, math.floor(#book_ids / page_size))
  end
  if needs.create then
    author_ids = read_lines("author_ids.txt")
    tag_names = read_lines("tag_names.txt")
    tokens = read_lines("tokens.txt")
  end
  if needs.login then
    emails = read_lines("emails.txt")
  end
end

function common.get_book()
  return wrk.format("GET", "/api/books/" .. pick(book_ids))
end

function common.list_books()
  return wrk.format("GET", "/api/books?pageSize=" .. page_size .. "&currentPage=" .. math.random(pages))
end

local function three_tags()
  local chosen, seen = {}, {}
  while #chosen < 3 and #chosen < #tag_names do
    local name = pick(tag_names)
    if not seen[name] then
      seen[name] = true
      chosen[#chosen + 1] = name
    end
  end
  return chosen
end

local function json_string(value)
  return '"' .. value:gsub('[%c"\\]', function(char)
    return string.format("\\u%04x", char:byte())
  end) .. '"'
end

-- A new book every call: the title and ISBN carry the run, the thread and a counter.
function common.create_book()
  created = created + 1
  local serial = string.format("%03d%d%05d", run_number, (thread_number or 0) % 10, created % 100000)
  local tags = {}
  for _, name in ipairs(three_tags()) do
    tags[#tags + 1] = json_string(name)
  end
  local body = string.format(
    '{"title":"Benchmark Volume %s","authorId":"%s","isbn":"%s","publishedYear":%d,"tags":[%s]}',
    serial, pick(author_ids), common.isbn13(isbn_prefix .. serial), math.random(1900, 2024), table.concat(tags, ",")
  )
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. pick(tokens),
  }
  return wrk.format("POST", "/api/books", headers, body)
end

-- A sign-in as a fresh browser sends it: the CSRF cookie and header, no session cookie. Every one
-- comes from its own client address (Folio trusts X-Forwarded-For from the benchmark's proxy address),
-- so the per-client limit on /api/auth is never met; the per-email limit counts only failures.
function common.login()
  logins = logins + 1
  local csrf = os.getenv("BENCH_CSRF") or ""
  local serial = logins + 65536 * (thread_number or 0)
  local body = string.format(
    '{"email":%s,"password":%s}', json_string(emails[(logins - 1) % #emails + 1]), json_string(os.getenv("BENCH_PASSWORD") or "")
  )
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-CSRFToken"] = csrf,
    ["Cookie"] = "csrftoken=" .. csrf,
    ["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(serial / 65536) % 256, math.floor(serial / 256) % 256, serial % 256),
  }
  return wrk.format("POST", "/api/auth/login", headers, body)
end

-- Makes the calling script a workload: wrk's callbacks, reading the inputs `needs` names, and
-- `request` (builds each request) unless the script sets a fixed one in `wrk` itself.
function common.workload(needs, request)
  setup = common.setup
  done = common.done
  response = common.response
  init = function(args)
    common.init(needs)
  end
  _G.request = request
end

function common.response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
end

local function json_object(map)
  local parts = {}
  for key, value in pairs(map) do
    parts[#parts + 1] = string.format('"%s":%d', tostring(key), value)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function common.done(summary, latency, requests)
  local by_status, wrong = {}, 0
  for _, thread in ipairs(threads) do
    wrong = wrong + (thread:get("non_2xx") or 0)
    for status, count in pairs(thread:get("statuses") or {}) do
      by_status[status] = (by_status[status] or 0) + count
    end
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  local document = string.format(
    '{"requests":%d,"duration_s":%.6f,"bytes":%d,"rps":%.3f,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d,"non_2xx":%d},'
      .. '"statuses":%s,'
      .. '"latency_ms":{"min":%.3f,"mean":%.3f,"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f}}\n',
    summary.requests, seconds, summary.bytes, summary.requests / seconds,
    errors.connect, errors.read, errors.write, errors.timeout, errors.status, wrong,
    json_object(by_status),
    latency.min / 1e3, latency.mean / 1e3, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3
  )
  local path = os.getenv("BENCH_SUMMARY") or "wrk-summary.json"
  local file = assert(io.open(path, "w"))
  file:write(document)
  file:close()
end

return common
