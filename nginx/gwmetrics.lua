-- gwmetrics: the gateway's own metrics in Prometheus' text format, served
-- at /metrics/gateway (nginx/gateway.conf.template).
--
-- Why not prometheus-nginx-exporter beside nginx: it reads stub_status,
-- which knows connections and one request total, nothing per route or
-- status, and its 0.11 (Debian 12) names two counters without "_total",
-- which promtool's lint refuses.  Here every request the gateway answers
-- is counted in its log phase (after the answer is sent) into a shared
-- dictionary, by listener (public, or internal: info's calls to auth),
-- route (a fixed set, from the template's map: an unknown path is
-- "other", so no label grows without bound) and status, with its
-- duration in a histogram per route; the connection gauges are nginx's
-- own stub_status variables.  No second process, nothing to supervise.
-- Each worker counts in its own tables and adds them to the dictionary
-- once a second (below): with a shared-dictionary update per request the
-- log phase cost POST /login/ ~15 % of its rate at the gateway.
local M = {}

local dict = ngx.shared.gateway_metrics
-- Upper bounds (seconds) of the duration histogram's buckets, from nginx's
-- $request_time resolution (1 ms) up.
local BUCKETS = { 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5 }

-- This worker's counts since its last flush, in plain Lua tables (no lock,
-- no string built per request): [listener][route][status] and, per
-- [listener][route], { n, sum, bucket counts }.  A timer adds them to the
-- shared dictionary once a second, and /metrics/gateway flushes its own
-- worker's first: another worker's last second may be missing from an
-- answer, never counted twice.
local counts, hist = {}, {}
local FLUSH_S = 1
-- The flush timer, started by this worker's first request (the template's
-- init_worker_by_lua is peers.lua's when there is one).
local started = false

local function flush()
	for l, routes in pairs(counts) do
		for r, statuses in pairs(routes) do
			for st, n in pairs(statuses) do
				dict:incr("r\t" .. l .. "\t" .. r .. "\t" .. st, n, 0)
			end
		end
	end
	for l, routes in pairs(hist) do
		for r, h in pairs(routes) do
			local k = l .. "\t" .. r
			dict:incr("n\t" .. k, h.n, 0)
			dict:incr("s\t" .. k, h.sum, 0)
			for i = 1, #BUCKETS do
				if h[i] > 0 then
					dict:incr("b\t" .. k .. "\t" .. i, h[i], 0)
				end
			end
		end
	end
	counts, hist = {}, {}
end

-- The timer's callback; at a worker's exit (premature) it flushes too.
local function tick()
	flush()
end

-- t[k], made an empty table when absent.
local function child(t, k)
	local c = t[k]
	if c == nil then
		c = {}
		t[k] = c
	end
	return c
end

-- The histogram bucket of t seconds: the first upper bound it fits under,
-- or #BUCKETS + 1 (+Inf only).
local function bucket(t)
	for i = 1, #BUCKETS do
		if t <= BUCKETS[i] then
			return i
		end
	end
	return #BUCKETS + 1
end

-- Each a call through LuaJIT's FFI, compiled with the function below.
local var, now, start_time = ngx.var, ngx.now, ngx.req.start_time

-- log_by_lua: one request answered.  Measured with callgrind on nginx
-- (instructions per request): what costs here is each ngx.var read, so
-- there are two, and the duration is ngx.now() less the request's start
-- (the same millisecond clock as $request_time, without formatting it).
function M.log()
	if not started then
		started = true
		ngx.timer.every(FLUSH_S, tick)
	end
	local listener, route = var.gateway_listener, var.gw_route
	local byr = child(child(counts, listener), route)
	local st = ngx.status
	byr[st] = (byr[st] or 0) + 1
	local hl = child(hist, listener)
	local h = hl[route]
	if h == nil then
		h = { n = 0, sum = 0 }
		for k = 1, #BUCKETS + 1 do
			h[k] = 0
		end
		hl[route] = h
	end
	local t = now() - start_time()
	h.n = h.n + 1
	h.sum = h.sum + t
	local b = bucket(t)
	h[b] = h[b] + 1
end

local function split(key)
	local parts = {}
	for p in string.gmatch(key, "[^\t]+") do
		parts[#parts + 1] = p
	end
	return parts
end

-- content_by_lua: the text format, families in a fixed order.
function M.render()
	flush()
	local out = {}
	local function add(s)
		out[#out + 1] = s
	end
	add("# HELP gateway_connections Client connections by state (nginx's stub_status).\n")
	add("# TYPE gateway_connections gauge\n")
	for _, st in ipairs({ "active", "reading", "writing", "waiting" }) do
		add(string.format('gateway_connections{state="%s"} %s\n', st,
			ngx.var["connections_" .. st] or "0"))
	end
	local keys = dict:get_keys(0)
	table.sort(keys)
	add("# HELP gateway_requests_total Requests the gateway answered, by listener, route and status.\n")
	add("# TYPE gateway_requests_total counter\n")
	for _, key in ipairs(keys) do
		local p = split(key)
		if p[1] == "r" then
			add(string.format('gateway_requests_total{listener="%s",route="%s",status="%s"} %d\n',
				p[2], p[3], p[4], dict:get(key) or 0))
		end
	end
	add("# HELP gateway_request_duration_seconds From the request's first byte to the answer's last, by listener and route.\n")
	add("# TYPE gateway_request_duration_seconds histogram\n")
	for _, key in ipairs(keys) do
		local p = split(key)
		if p[1] == "n" then
			local k = p[2] .. "\t" .. p[3]
			local labels = string.format('listener="%s",route="%s"', p[2], p[3])
			local cum = 0
			for i = 1, #BUCKETS do
				cum = cum + (dict:get("b\t" .. k .. "\t" .. i) or 0)
				add(string.format('gateway_request_duration_seconds_bucket{%s,le="%s"} %d\n',
					labels, tostring(BUCKETS[i]), cum))
			end
			local n = dict:get(key) or 0
			add(string.format('gateway_request_duration_seconds_bucket{%s,le="+Inf"} %d\n', labels, n))
			add(string.format("gateway_request_duration_seconds_sum{%s} %.6f\n", labels,
				dict:get("s\t" .. k) or 0))
			add(string.format("gateway_request_duration_seconds_count{%s} %d\n", labels, n))
		end
	end
	ngx.header["Content-Type"] = "text/plain; version=0.0.4"
	ngx.header["Cache-Control"] = "no-store"
	ngx.print(table.concat(out))
end

return M
