-- Appended to every wrk script: one machine-readable line with the figures bench/run.py reads.
-- It also counts the requests each thread sent (wrk's own count is of responses received), so
-- bench/run.py can tell what /metrics counted from what was still in flight when wrk stopped.
local threads = {}
local script_setup = setup
setup = function(thread)
  table.insert(threads, thread)
  if script_setup then script_setup(thread) end
end

local script_request = request
request = function()
  sent = (sent or 0) + 1
  if script_request then return script_request() end
  return wrk.request()
end

done = function(summary, latency, requests)
  local e = summary.errors
  local total_sent = 0
  for _, thread in ipairs(threads) do total_sent = total_sent + (thread:get("sent") or 0) end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "sent": %d, "duration_us": %d, "p50_ms": %.3f, "p90_ms": %.3f,'
    .. ' "p99_ms": %.3f, "max_ms": %.3f, "non2xx3xx": %d, "connect_errors": %d,'
    .. ' "read_errors": %d, "write_errors": %d, "timeouts": %d}\n',
    summary.requests, total_sent, summary.duration, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
