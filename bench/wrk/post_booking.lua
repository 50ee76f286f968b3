-- POST /bookings, a new hour-long slot each request (the real handlers refuse any booking
-- overlapping another of the practitioner: 409 BOOKING_CONFLICT). scheduled_at is
-- 2030-01-01 + (BENCH_SLOT_BASE / 100 + thread * 50000 + n) hours (see bench/load.py slot()),
-- so no two requests overlap. The bookings go round the seeded practitioners that take
-- video calls (bench/wrk/bodies/booking_practitioners.txt, each with one of its services), so
-- the scenario measures the write path's throughput rather than one practitioner's lock:
-- every request is a valid booking (201), with the same body shape as the mock's POST valid.
local template = dofile("bench/wrk/common.lua")("bodies/booking_valid.json")
local targets = {}
for line in io.lines("bench/wrk/bodies/booking_practitioners.txt") do
  local practitioner, service = line:match("^(%S+)%s+(%S+)$")
  if practitioner and line:sub(1, 1) ~= "#" then
    targets[#targets + 1] = { practitioner, service }
  end
end
assert(#targets > 0, "no practitioners in bench/wrk/bodies/booking_practitioners.txt")

local first = math.floor(tonumber(os.getenv("BENCH_SLOT_BASE") or "0") / 100)
local sent = 0
function request()
  sent = sent + 1
  local hour = first + (index or 0) * 50000 + sent
  local at = os.date("!%Y-%m-%dT%H:%M:%SZ", 1893456000 + 3600 * hour)
  local target = targets[hour % #targets + 1]
  local body = template:gsub("2030%-01%-01T00:00:00Z", at)
  body = body:gsub('"prac_123"', '"' .. target[1] .. '"')
  body = body:gsub('"service_123"', '"' .. target[2] .. '"')
  return wrk.format(nil, nil, nil, body)
end
