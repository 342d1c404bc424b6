-- wrk: GET /info with one of 1000 tokens (tok-1 .. tok-1000) per request,
-- Zipf-distributed (s = 1): tok-1 most often, tok-1000 least, as a real
-- client population is (make bench's decision-cache row).
local n, cdf = 1000, {}
local sum = 0
for k = 1, n do
	sum = sum + 1 / k
	cdf[k] = sum
end
for k = 1, n do
	cdf[k] = cdf[k] / sum
end

local function pick()
	local u, lo, hi = math.random(), 1, n
	while lo < hi do
		local mid = math.floor((lo + hi) / 2)
		if cdf[mid] < u then lo = mid + 1 else hi = mid end
	end
	return lo
end

function setup(thread)
	thread:set("seed", math.random(1, 1000000))
end

function init()
	math.randomseed(seed or os.time())
end

function request()
	return wrk.format("GET", nil, { ["Authorization"] = "tok-" .. pick() })
end

-- The 95th percentile (p95.lua), when run by make bench.
if os.getenv("BENCH_P95") then dofile(os.getenv("BENCH_P95")) end
