-- GET with the headers every scenario sends. Run from the repository root:
--   KK_TOKEN=... wrk -t2 -c32 -d10s --latency -s bench/wrk/get.lua URL
-- KK_TOKEN: a JWT for `kk sandbox`; any value for `kk mock` and Prism (Prism only checks
-- that a bearer token is present).
wrk.method = "GET"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("KK_TOKEN") or "bench")
