-- wrk: loaded by each bench script when BENCH_P95 names this file
-- (scripts/bench-lib.sh's run_wrk): the 95th percentile, which wrk's
-- --latency table lacks, as a line "p95 MICROSECONDS".
function done(summary, latency, requests)
	io.write(string.format("p95 %d\n", latency:percentile(95)))
end
