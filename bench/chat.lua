-- wrk script for bench/run: every request is the same POST of a fixed chat-completion body.
-- Environment: BENCH_PATH (request path), BENCH_BODY (the JSON body), BENCH_HEADERS (extra
-- "name: value" lines separated by newlines). The request is formatted once per thread, so the
-- load generator spends its time on I/O, not on Lua.
-- At the end it prints one line "BENCH_RESULT {json}" with the exact latency percentiles (µs),
-- request count, duration and error counts, so bench/run does not parse wrk's rounded text.

local request_bytes

function init(args)
  local headers = { ["Content-Type"] = "application/json" }
  for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
    local name, value = string.match(line, "^([^:]+):%s*(.*)$")
    if name then headers[name] = value end
  end
  request_bytes = wrk.format("POST", os.getenv("BENCH_PATH") or "/v1/chat/completions", headers,
                             os.getenv("BENCH_BODY") or "")
end

function request()
  return request_bytes
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.2f,"errors":{"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
