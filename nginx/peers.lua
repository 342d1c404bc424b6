-- peers: which replicas of auth and info the gateway sends requests to, when
-- they are found by DNS (RESOLVER: compose, the swarm).  nginx/render.sh
-- loads it into Debian's nginx Lua module (libnginx-mod-http-lua) only then.
--
-- Every nginx worker asks the DNS server for each service's name once a
-- second (a timer; the answer is the whole set of replicas, as Docker's
-- embedded DNS gives it for compose's --scale and the swarm's dnsrr) and
-- picks each request's replica round robin from the last answer.  The
-- upstream block keeps connections (keepalive), pooled per address, so a
-- request reuses a connection to the replica it was given.
--
-- Why not re-render the configuration and reload nginx when the set
-- changes (the usual watcher): a reload makes the old workers close their
-- idle client connections, and a client that was sending on one loses that
-- request (wrk -c32 on GET /info: 69 read errors over 10 reloads in 10 s).
-- Here nothing reloads, so a scale change or a rolling update is only a
-- new set of addresses (docs/architecture.md).
local balancer = require("ngx.balancer")
local resolver = require("nginx.dns.resolver")

local M = {}

-- How often each worker asks, in seconds: how long a new replica waits
-- for its first request, and how long a removed one is still picked
-- (a failed connect then moves the request on to the next replica).
local INTERVAL = 1
-- One DNS query's deadline (ms) and tries, well inside INTERVAL.
local DNS_TIMEOUT_MS = 250
local DNS_TRIES = 2

local nameserver
-- name -> { host = "auth", port = 9000, addrs = { "10.0.0.3", ... },
--          next = 1 (round robin), fails = 0 (lookups failed in a row),
--          down = { ["10.0.0.3"] = time it may be tried again },
--          dead = { ["10.0.0.3"] = true: the last probe failed } }
local services = {}

local function same(a, b)
	if #a ~= #b then
		return false
	end
	for i = 1, #a do
		if a[i] ~= b[i] then
			return false
		end
	end
	return true
end

-- Lookups in a row that may fail before the set is dropped.  Docker's DNS
-- answers the names it knows at once; a name it does not know (a stopped
-- service) it forwards, which may time out rather than say NXDOMAIN.  A
-- set kept past that would send every request into a connect timeout to
-- an address that is gone; an empty set answers 502 at once.
local FAILS_MAX = 3

-- Makes addrs (sorted here) s's set, logging a change.
local function set_addrs(s, addrs)
	table.sort(addrs)
	if same(addrs, s.addrs) then
		return
	end
	ngx.log(ngx.WARN, "peers: ", s.host, " now has ", #addrs,
	    " address(es): ", table.concat(addrs, " "))
	local down, dead = {}, {}
	for _, a in ipairs(addrs) do
		down[a], dead[a] = s.down[a], s.dead[a]
	end
	s.addrs, s.down, s.dead = addrs, down, dead
end

-- getent, from init_by_lua (the master, before any request; cosockets
-- cannot run there): the first set, so that no request finds it empty.
local function seed(s)
	local p = io.popen("getent ahostsv4 " .. s.host .. " 2>/dev/null")
	local addrs, seen = {}, {}
	if p == nil then
		return
	end
	for line in p:lines() do
		local a = line:match("^(%d+%.%d+%.%d+%.%d+)%s")
		if a and not seen[a] then
			seen[a] = true
			addrs[#addrs + 1] = a
		end
	end
	p:close()
	set_addrs(s, addrs)
end

-- s's addresses from the DNS server: a list (empty for NXDOMAIN: no
-- replica at all), or nil and why the lookup failed.
local function query(s)
	local r, err = resolver:new({
		nameservers = { nameserver },
		retrans = DNS_TRIES,
		timeout = DNS_TIMEOUT_MS,
	})
	if not r then
		return nil, err
	end
	local answers, qerr = r:query(s.host, { qtype = r.TYPE_A })
	if not answers then
		return nil, qerr
	end
	local addrs = {}
	if answers.errcode == 3 then
		return addrs
	elseif answers.errcode then
		return nil, answers.errstr
	end
	for _, a in ipairs(answers) do
		if a.type == r.TYPE_A then
			addrs[#addrs + 1] = a.address
		end
	end
	return addrs
end

-- One lookup of s.  A failure keeps the last set (a DNS hiccup must not
-- take a service away) up to FAILS_MAX in a row, and is logged once per
-- episode, not once a second per worker.
local function lookup(s)
	local addrs, err = query(s)
	if addrs then
		if s.fails > 0 then
			ngx.log(ngx.WARN, "peers: ", s.host, ": resolved again")
			s.fails = 0
		end
		set_addrs(s, addrs)
		return
	end
	s.fails = s.fails + 1
	if s.fails == 1 then
		ngx.log(ngx.WARN, "peers: ", s.host, ": ", err, ": keeping the last set")
	elseif s.fails == FAILS_MAX and #s.addrs > 0 then
		ngx.log(ngx.WARN, "peers: ", s.host, ": ", FAILS_MAX,
		    " lookups failed: no address until it resolves again")
		set_addrs(s, {})
	end
end

-- Each second every address is also asked for a TCP connection (closed at
-- once; svc drops a connection that brings no request).  One that does not
-- take it within PROBE_TIMEOUT_MS is not picked until it does: a node cut
-- off the network is still in the DNS for ~10 s (the swarm's own failure
-- detection), and a kept connection into it would hold each request for
-- the whole fastcgi_read_timeout.
local PROBE_TIMEOUT_MS = 250

local function probe(s, addr)
	local sock = ngx.socket.tcp()
	sock:settimeout(PROBE_TIMEOUT_MS)
	local ok, err = sock:connect(addr, s.port)
	if ok then
		sock:close()
	end
	if not ok and not s.dead[addr] then
		ngx.log(ngx.WARN, "peers: ", s.host, " ", addr, ":", s.port, ": ", err,
		    ": not picked until it takes connections")
	elseif ok and s.dead[addr] then
		ngx.log(ngx.WARN, "peers: ", s.host, " ", addr, ":", s.port,
		    ": takes connections again")
	end
	s.dead[addr] = not ok or nil
end

local function refresh(premature)
	if premature then
		return
	end
	local threads = {}
	for _, s in pairs(services) do
		lookup(s)
		for _, a in ipairs(s.addrs) do
			threads[#threads + 1] = ngx.thread.spawn(probe, s, a)
		end
	end
	for _, t in ipairs(threads) do
		ngx.thread.wait(t)
	end
end

-- init_by_lua: ns is the DNS server's address, list maps an upstream's name
-- to "host:port" (the AUTH_UPSTREAM and INFO_UPSTREAM values).
function M.init(ns, list)
	nameserver = ns
	for name, hostport in pairs(list) do
		local host, port = hostport:match("^([%w.-]+):(%d+)$")
		assert(host, "peers: " .. name .. ": expected host:port, got " .. hostport)
		services[name] = {
			host = host, port = tonumber(port), addrs = {}, next = 1,
			fails = 0, down = {}, dead = {},
		}
		seed(services[name])
	end
end

-- init_worker_by_lua: each worker keeps its own set fresh.
function M.start()
	local ok, err = ngx.timer.every(INTERVAL, refresh)
	if not ok then
		ngx.log(ngx.ERR, "peers: cannot start the timer: ", err)
	end
end

-- An address this worker failed to connect to (or to use) is skipped for
-- this long (s): a replica that is gone but still in the last answer
-- costs one request one connect timeout, not every request until the
-- next lookup.
local DOWN_SECS = 2 * INTERVAL

-- The index of the next address of s from i on (round robin) that is
-- neither marked down nor dead, or i itself when every one is.
local function usable(s, i)
	local n, now = #s.addrs, ngx.now()
	for k = 0, n - 1 do
		local j = (i - 1 + k) % n + 1
		local a = s.addrs[j]
		local until_ = s.down[a]
		if not s.dead[a] and (until_ == nil or until_ <= now) then
			return j
		end
	end
	return i
end

-- The template's fastcgi_connect_timeout (s): the last try's.  A try with
-- another address after it has the probe's PROBE_TIMEOUT_MS instead: a
-- replica that is gone but still in the set (removed by a scale-down
-- before the next lookup; its address answers nothing) then costs a
-- request 250 ms, not 1 s, and two such replicas in a row no longer add
-- up to a client's 2 s timeout.  A live replica's kernel takes a
-- connection in well under a millisecond, its process busy or not.
local CONNECT_LAST_S = 1

-- balancer_by_lua: the replica for this try of the request.  The first try
-- takes the next usable address round robin and allows one more try per
-- other address; a retry (nginx's fastcgi_next_upstream: a refused, timed
-- out or reset connection) marks the last address down and takes the next.
function M.pick(name)
	local s = services[name]
	local n = #s.addrs
	if n == 0 then
		return ngx.exit(502)
	end
	local ctx = ngx.ctx
	local i
	if ctx.peer_last == nil then
		i = usable(s, s.next)
		s.next = i % n + 1
		ctx.peer_tries = 1
		if n > 1 then
			balancer.set_more_tries(n - 1)
			balancer.set_timeouts(PROBE_TIMEOUT_MS / 1000)
		end
	else
		s.down[ctx.peer_last] = ngx.now() + DOWN_SECS
		i = usable(s, ctx.peer_index % n + 1)
		ctx.peer_tries = ctx.peer_tries + 1
		if ctx.peer_tries >= n then
			balancer.set_timeouts(CONNECT_LAST_S)
		end
	end
	ctx.peer_index = i
	ctx.peer_last = s.addrs[i]
	local ok, err = balancer.set_current_peer(s.addrs[i], s.port)
	if not ok then
		ngx.log(ngx.ERR, "peers: ", name, ": ", err)
		return ngx.exit(502)
	end
end

return M
