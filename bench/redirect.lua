-- wrk script for bench/run.sh: GET /r/{key} rotating over the link keys in
-- the file given as the first script argument, with real browser user
-- agents; redirects are not followed (wrk never follows them).
--
-- It counts, over all threads, the requests sent and the 302s received, and
-- prints one machine-readable line at the end:
--   BENCH sent=… got302=… other=… requests=… …
-- sent - got302 - other is what was still in flight when wrk stopped (wrk
-- closes its connections at the deadline without reading those answers).

local agents = {
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
}

local threads = {}

function setup(thread)
	thread:set("tid", #threads)
	table.insert(threads, thread)
end

function init(args)
	keys = {}
	for line in io.lines(args[1]) do
		if #line > 0 then
			keys[#keys + 1] = line
		end
	end
	i = (tid or 0) * 7919
	sent, got302, other = 0, 0, 0
	reqs = {}
	for k = 1, #keys do
		reqs[k] = {}
		for a = 1, #agents do
			reqs[k][a] = wrk.format("GET", "/r/" .. keys[k], {
				["User-Agent"] = agents[a],
				["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
				["Accept-Language"] = "en-US,en;q=0.9",
			})
		end
	end
end

function request()
	i = i + 1
	sent = sent + 1
	return reqs[(i % #keys) + 1][(i % #agents) + 1]
end

function response(status, headers, body)
	if status == 302 then
		got302 = got302 + 1
	else
		other = other + 1
	end
end

function done(summary, latency, requests)
	local s, g, o = 0, 0, 0
	for _, t in ipairs(threads) do
		s = s + t:get("sent")
		g = g + t:get("got302")
		o = o + t:get("other")
	end
	local e = summary.errors
	io.write(string.format(
		"BENCH sent=%d got302=%d other=%d requests=%d duration_us=%d connect_err=%d read_err=%d write_err=%d status_err=%d timeout_err=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
		s, g, o, summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
		latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
