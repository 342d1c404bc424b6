-- wrk: GET with the access token in BENCH_JWT: after the first request
-- info answers from its cache of verified tokens (vcache).
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_JWT") or "")

-- The 95th percentile (p95.lua), when run by make bench.
if os.getenv("BENCH_P95") then dofile(os.getenv("BENCH_P95")) end
