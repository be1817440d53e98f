-- POSTs for bench/pages.py, each request different.
-- WRK_LINES: a file of "path<TAB>url-encoded body" lines, one request each (a transition on
--   its own prepared request); the threads share them out and start over at the end.
-- WRK_PHOTO, WRK_PATH, WRK_MATTER, WRK_TOKEN: the public form with the photo, built per
--   request around it, from another address (X-Forwarded-For) and another mobile each time.
-- Prints wrk's figures as one JSON line, as bench/wrk_report.lua does.
local threads = tonumber(os.getenv("WRK_THREADS") or "2")
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

local lines, photo, n = nil, nil, 0
local boundary = "BenchBoundary7MA4YWxkTrZu0gW"

function init(args)
  local file = os.getenv("WRK_LINES")
  if file then
    lines = {}
    local index = 0
    for line in io.lines(file) do
      if index % threads == id then
        local tab = line:find("\t", 1, true)
        table.insert(lines, { path = line:sub(1, tab - 1), body = line:sub(tab + 1) })
      end
      index = index + 1
    end
  else
    local f = assert(io.open(os.getenv("WRK_PHOTO"), "rb"))
    photo = f:read("*a")
    f:close()
  end
end

local function field(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name ..
    "\"\r\n\r\n" .. value .. "\r\n"
end

-- The headers of the command line (the cookies) with the request's own: wrk.format takes
-- either, not both.
local function headers(own)
  local all = {}
  for k, v in pairs(wrk.headers) do all[k] = v end
  for k, v in pairs(own) do all[k] = v end
  return all
end

function request()
  n = n + 1
  if lines then
    local line = lines[((n - 1) % #lines) + 1]
    return wrk.format("POST", line.path,
      headers({ ["Content-Type"] = "application/x-www-form-urlencoded" }), line.body)
  end
  local k = id * 1000000 + n
  local body = field("matter", os.getenv("WRK_MATTER")) ..
    field("description", "楼道堆物，影响通行") ..
    field("reporter_phone", string.format("138%08d", k)) ..
    field("csrfmiddlewaretoken", os.getenv("WRK_TOKEN")) ..
    "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"photos\"; " ..
    "filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" .. photo ..
    "\r\n--" .. boundary .. "--\r\n"
  local address = string.format("10.%d.%d.%d", id + 1, math.floor(n / 256) % 256, n % 256)
  return wrk.format("POST", os.getenv("WRK_PATH"), headers({
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
    ["X-Forwarded-For"] = address,
  }), body)
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    'WRK-JSON {"requests": %d, "duration_s": %.3f, "errors": %d, "non_2xx": %d, ' ..
    '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, errors, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
