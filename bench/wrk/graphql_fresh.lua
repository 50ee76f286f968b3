-- POST /graphql: the SearchPractitioners query of bench/wrk/bodies/graphql_search_fresh.json
-- with a variable the query does not declare (`nonce`, ignored by GraphQL execution) new in
-- every request: the same document (parse and validation cached) executed every time, never
-- a kept answer. nonce = 2030-01-01 + (BENCH_SLOT_BASE + thread * 10^6 + n) seconds.
local file = assert(io.open("bench/wrk/bodies/graphql_search_fresh.json", "rb"))
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

local first = tonumber(os.getenv("BENCH_SLOT_BASE") or "0")
local sent = 0
function request()
  sent = sent + 1
  local at = os.date("!%Y-%m-%dT%H:%M:%SZ", 1893456000 + first + (index or 0) * 1000000 + sent)
  return wrk.format(nil, nil, nil, (template:gsub("2030%-01%-01T00:00:00Z", at)))
end
