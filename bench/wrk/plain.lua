-- wrk: a plain GET, nothing added.

-- The 95th percentile (p95.lua), when run by make bench.
if os.getenv("BENCH_P95") then dofile(os.getenv("BENCH_P95")) end
