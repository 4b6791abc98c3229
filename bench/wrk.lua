-- wrk script for bench/load.sh. Configured by environment variables:
--   WRK_MODE   fixed     every request is WRK_METHOD WRK_PATH with the body in WRK_BODY_FILE
--              find      POST /mcp/find_tool, one line of WRK_LINES per request as the query
--              get       GET /tools/{line}, one line of WRK_LINES per request
--              register  POST /tools with a unique, realistic tool per request
--   WRK_OFFSET where to start in WRK_LINES (so successive runs never repeat a query)
--   WRK_TAG    prefix making registered names unique across runs
-- Prints one line `RESULT {...}` with requests, non-2xx count, socket errors, req/s and
-- p50/p95/p99/max latency in microseconds.

local mode = os.getenv("WRK_MODE") or "fixed"
local lines = {}
local counter = 0
local tid = 0
local threads = {}

local function read_file(path)
  local f = assert(io.open(path, "r"))
  local s = f:read("*a")
  f:close()
  return s
end

local function json_string(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  tid = tonumber(rawget(_G, "thread_id")) or 0
  wrk.headers["content-type"] = "application/json"
  if mode == "fixed" then
    wrk.method = os.getenv("WRK_METHOD") or "POST"
    wrk.path = os.getenv("WRK_PATH")
    local body_file = os.getenv("WRK_BODY_FILE")
    if body_file and body_file ~= "" then wrk.body = read_file(body_file) end
  elseif mode == "find" or mode == "get" then
    for l in io.lines(os.getenv("WRK_LINES")) do
      if l ~= "" then lines[#lines + 1] = l end
    end
    -- Threads start far apart; WRK_OFFSET moves every run past the lines used before.
    counter = (tonumber(os.getenv("WRK_OFFSET") or "0") + tid * 1000003) % #lines
  end
end

local function next_line()
  counter = counter + 1
  if counter > #lines then counter = 1 end
  return lines[counter]
end

local tag = os.getenv("WRK_TAG") or "r"

function request()
  if mode == "find" then
    local body = '{"query":' .. json_string(next_line()) .. ',"limit":10}'
    return wrk.format("POST", "/mcp/find_tool", nil, body)
  elseif mode == "get" then
    return wrk.format("GET", "/tools/" .. next_line(), nil, nil)
  elseif mode == "register" then
    counter = counter + 1
    local name = string.format("bench_%s_%d_%d", tag, tid, counter)
    local body = '{"name":"' .. name .. '","description":"Fetch the hourly weather forecast for city '
      .. counter .. ' using OpenMeteo. Returns JSON.","category":"weather","tags":["forecast","bench"],'
      .. '"input_schema":{"type":"object","properties":{"city":{"type":"string"},'
      .. '"days":{"type":"integer"}},"required":["city"]}}'
    return wrk.format("POST", "/tools", nil, body)
  end
  return wrk.request()
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"non2xx":%d,"socket_errors":%d,"seconds":%.3f,"rps":%.1f,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout, secs,
    summary.requests / secs, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
