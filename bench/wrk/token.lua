-- wrk: POST /token, the password grant of the bench's user (bench-token.sh).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=password&username=bench&password=" .. (os.getenv("BENCH_PASSWORD") or "")

-- The 95th percentile (p95.lua), when run by make bench.
if os.getenv("BENCH_P95") then dofile(os.getenv("BENCH_P95")) end
