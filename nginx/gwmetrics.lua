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
local M = {}

local dict = ngx.shared.gateway_metrics
-- Upper bounds (seconds) of the duration histogram's buckets, from nginx's
-- $request_time resolution (1 ms) up.
local BUCKETS = { 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5 }

-- log_by_lua: one request answered.
function M.log()
	local route = ngx.var.gw_route
	local listener = ngx.var.gateway_listener
	local t = tonumber(ngx.var.request_time) or 0
	local k = listener .. "\t" .. route
	dict:incr("r\t" .. k .. "\t" .. ngx.status, 1, 0)
	for i = 1, #BUCKETS do
		if t <= BUCKETS[i] then
			dict:incr("b\t" .. k .. "\t" .. i, 1, 0)
			break
		end
	end
	dict:incr("n\t" .. k, 1, 0)
	dict:incr("s\t" .. k, t, 0)
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
