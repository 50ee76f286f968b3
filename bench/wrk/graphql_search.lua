-- POST /graphql: the reference's SearchPractitioners query of bench/wrk/bodies/graphql_search.json.
local file = assert(io.open("bench/wrk/bodies/graphql_search.json", "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("KK_TOKEN") or "bench")
