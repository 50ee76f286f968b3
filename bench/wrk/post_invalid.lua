-- POST /bookings with a body the spec rejects (422: type, enum, required).
-- Run from the repository root (the body is read from bench/wrk/bodies/).
local file = assert(io.open("bench/wrk/bodies/booking_invalid.json", "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("KK_TOKEN") or "bench")
