-- GETs for bench/pages.py: wrk's figures as one JSON line (as bench/wrk_report.lua prints
-- them), and how many answers were not 200. wrk counts only statuses of 400 and above; a
-- page that redirects (to the sign-in page, say) would pass for an answer.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  not_200 = 0
end

function response(status, headers, body)
  if status ~= 200 then
    not_200 = not_200 + 1
  end
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  local other = 0
  for _, thread in ipairs(threads) do
    other = other + (thread:get("not_200") or 0)
  end
  io.write(string.format(
    'WRK-JSON {"requests": %d, "duration_s": %.3f, "errors": %d, "non_2xx": %d, ' ..
    '"not_200": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, errors, summary.errors.status, other,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
