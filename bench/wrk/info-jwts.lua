-- wrk: GET with the access tokens of the file BENCH_JWTS, one after the
-- other, each thread from its own place: more tokens than info's cache of
-- verified tokens has slots, so nearly every request is a signature check.
local toks = {}
for line in io.lines(os.getenv("BENCH_JWTS")) do
	toks[#toks + 1] = "Bearer " .. line
end
local i = math.random(#toks)

request = function()
	i = i % #toks + 1
	return wrk.format("GET", nil, { Authorization = toks[i] })
end

-- The 95th percentile (p95.lua), when run by make bench.
if os.getenv("BENCH_P95") then dofile(os.getenv("BENCH_P95")) end
