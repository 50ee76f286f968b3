-- GET with `Prefer: dynamic=true`, a new page every request (offset = BENCH_SLOT_BASE/10^4 +
-- thread * 10^5 + n): kk answers a repeated request from its cache (the same request must
-- get the same bytes), so this measures generation itself. Prism runs with -d.
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("KK_TOKEN") or "bench")
wrk.headers["Prefer"] = "dynamic=true"

local threads = 0
function setup(thread)
  thread:set("index", threads)
  threads = threads + 1
end

local first = math.floor(tonumber(os.getenv("BENCH_SLOT_BASE") or "0") / 10000)
local sent = 0
function request()
  sent = sent + 1
  local offset = first + (index or 0) * 100000 + sent
  return wrk.format("GET", (wrk.path:gsub("{n}", tostring(offset))))
end
