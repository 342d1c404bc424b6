-- wrk: POST with the access token in BENCH_JWT (bench-token.sh).
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_JWT") or "")
