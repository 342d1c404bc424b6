-- wrk: POST /token, the password grant of the bench's user (bench-token.sh).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=password&username=bench&password=" .. (os.getenv("BENCH_PASSWORD") or "")
