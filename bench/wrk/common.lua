-- What bench/wrk's POST scripts share, loaded with dofile (wrk runs from the repository root,
-- bench/load.py's cwd): `local template = dofile("bench/wrk/common.lua")("bodies/x.json")`
-- reads the body template, sets method, body and headers (the bearer from KK_TOKEN), and
-- numbers the threads: `index` is 0, 1, ... in each thread's request().
local threads = 0
function setup(thread)
  thread:set("index", threads)
  threads = threads + 1
end

return function(body)
  local file = assert(io.open("bench/wrk/" .. body, "rb"))
  local template = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.body = template
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. (os.getenv("KK_TOKEN") or "bench")
  return template
end
