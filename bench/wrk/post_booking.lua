-- POST /bookings, a new hour-long slot each request (the real handlers refuse any booking
-- overlapping another of the practitioner: 409 BOOKING_CONFLICT). scheduled_at is
-- 2030-01-01 + (BENCH_SLOT_BASE / 100 + thread * 50000 + n) hours (see bench/load.py slot()).
local file = assert(io.open("bench/wrk/bodies/booking_valid.json", "rb"))
local template = file:read("*a")
file:close()
wrk.method = "POST"
wrk.body = template
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("KK_TOKEN") or "bench")

local threads = 0
function setup(thread)
  thread:set("index", threads)
  threads = threads + 1
end

local first = math.floor(tonumber(os.getenv("BENCH_SLOT_BASE") or "0") / 100)
local sent = 0
function request()
  sent = sent + 1
  local at = os.date("!%Y-%m-%dT%H:%M:%SZ", 1893456000 + 3600 * (first + (index or 0) * 50000 + sent))
  return wrk.format(nil, nil, nil, (template:gsub("2030%-01%-01T00:00:00Z", at)))
end
