-- wrk: POST with the demo token (wrk -H cannot change the method).
wrk.method = "POST"
wrk.headers["Authorization"] = "merixstudio"

-- The 95th percentile (p95.lua), when run by make bench.
if os.getenv("BENCH_P95") then dofile(os.getenv("BENCH_P95")) end
