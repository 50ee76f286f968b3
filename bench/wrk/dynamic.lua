-- GET asking for generated data (Prism-compatible Prefer header; Prism itself runs with -d).
wrk.method = "GET"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("KK_TOKEN") or "bench")
wrk.headers["Prefer"] = "dynamic=true"
