-- wrk: POST with a wrong token (a failed login, counted by auth's budget).
wrk.method = "POST"
wrk.headers["Authorization"] = "wrong-token"

-- The 95th percentile (p95.lua), when run by make bench.
if os.getenv("BENCH_P95") then dofile(os.getenv("BENCH_P95")) end
