-- wrk script for bench/intake.py: every request posts a distinct invoice (its own number and
-- Idempotency-Key; the rest of the body is the same), so each one is a new acceptance.
-- Arguments: API key, run tag, and the files holding the body before and after the number.
-- Prints one RESULT line: 202s, other responses, seconds, p50 and p99 in ms.

local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

local function slurp(path)
  local file = assert(io.open(path, "rb"))
  local content = file:read("*a")
  file:close()
  return content
end

function init(args)
  key, tag = args[1], args[2]
  before, after = slurp(args[3]), slurp(args[4])
  sent, accepted, other = 0, 0, 0
end

function request()
  sent = sent + 1
  local number = string.format("%s-%d-%07d", tag, index, sent)
  return wrk.format("POST", "/v1/invoices", {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = number,
  }, before .. number .. after)
end

function response(status, headers, body)
  if status == 202 then
    accepted = accepted + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local total_accepted, total_other = 0, 0
  for _, thread in ipairs(threads) do
    total_accepted = total_accepted + thread:get("accepted")
    total_other = total_other + thread:get("other")
  end
  io.write(string.format("RESULT %d %d %.3f %.3f %.3f\n", total_accepted, total_other,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
