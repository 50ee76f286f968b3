-- POST /bookings with a body the spec accepts (201). Run from the repository root (the body
-- is read from bench/wrk/bodies/). Every request books another slot: scheduled_at becomes
-- 2030-01-01 + BENCH_SLOT_BASE + thread * 10^6 + n seconds, since the sandbox's store answers
-- 409 BOOKING_CONFLICT to a (practitioner, time) already taken.
local template = dofile("bench/wrk/common.lua")("bodies/booking_valid.json")

local base = 1893456000 + tonumber(os.getenv("BENCH_SLOT_BASE") or "0")
local sent = 0
function request()
  sent = sent + 1
  local at = os.date("!%Y-%m-%dT%H:%M:%SZ", base + (index or 0) * 1000000 + sent)
  return wrk.format(nil, nil, nil, (template:gsub("2030%-01%-01T00:00:00Z", at)))
end
