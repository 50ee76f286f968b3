-- POST /graphql: the SearchPractitioners query of bench/wrk/bodies/graphql_search_fresh.json
-- with a variable the query does not declare (`nonce`, ignored by GraphQL execution) new in
-- every request: the same document (parse and validation cached) executed every time, never
-- a kept answer. nonce = 2030-01-01 + (BENCH_SLOT_BASE + thread * 10^6 + n) seconds.
local template = dofile("bench/wrk/common.lua")("bodies/graphql_search_fresh.json")

local first = tonumber(os.getenv("BENCH_SLOT_BASE") or "0")
local sent = 0
function request()
  sent = sent + 1
  local at = os.date("!%Y-%m-%dT%H:%M:%SZ", 1893456000 + first + (index or 0) * 1000000 + sent)
  return wrk.format(nil, nil, nil, (template:gsub("2030%-01%-01T00:00:00Z", at)))
end
