-- SPDX-License-Identifier: MIT
-- wrk's script for bench/host_load/run.py. The mode comes from the environment, because wrk decides
-- when it loads the script whether delay() and request() exist (and so whether it calls them):
--
--   JWTMINT_WRK_MODE=plain    wrk's own closed loop: no per-request Lua at all
--   JWTMINT_WRK_MODE=paced    each connection waits JWTMINT_WRK_DELAY_MS (fractional: whole
--                             milliseconds drawn so the mean is right, as wrk takes whole ones)
--                             after each response before it sends the next request
--   JWTMINT_WRK_MODE=counted  each thread sends exactly its share of JWTMINT_WRK_COUNT requests,
--                             stops when all their responses are in, and appends a line to
--                             JWTMINT_WRK_DONE_FILE; run.py then interrupts wrk, which reports
--
-- Every mode ends with one line "JWTMINT_WRK {json}" of the figures run.py reads.

local mode = os.getenv("JWTMINT_WRK_MODE") or "plain"
local threads = {}

function setup(thread)
   table.insert(threads, thread)
   if mode == "counted" then
      -- Threads are set up in order; the first ones take the remainder.
      local total = tonumber(os.getenv("JWTMINT_WRK_COUNT"))
      local n = tonumber(os.getenv("JWTMINT_WRK_THREADS"))
      local i = #threads - 1
      local share = math.floor(total / n)
      if i < total % n then share = share + 1 end
      thread:set("share", share)
   end
end

if mode == "paced" then
   local mean_ms = tonumber(os.getenv("JWTMINT_WRK_DELAY_MS"))
   local whole = math.floor(mean_ms)
   local fraction = mean_ms - whole

   function delay()
      if math.random() < fraction then return whole + 1 end
      return whole
   end
elseif mode == "counted" then
   local done_file = os.getenv("JWTMINT_WRK_DONE_FILE")
   local req = nil
   share = 0       -- set by setup()
   sent = 0        -- request() calls
   granted = 0     -- requests that delay() let through and request() has not yet built
   resent = 0      -- requests built without delay(): wrk resending on a new connection
   received = 0
   bad = 0         -- responses other than 200

   function init(args)
      req = wrk.format()
   end

   -- wrk asks delay() before every request but one: when a connection breaks with a request in
   -- flight, it sends a new request in its place on the new connection without asking (the lost
   -- one is a read error in the summary). So the requests that will be answered number
   -- sent - resent, and no thread sends more of them than its share.
   function delay()
      if sent - resent + granted < share then
         granted = granted + 1
         return 0
      end
      return 86400000
   end

   function request()
      sent = sent + 1
      if granted > 0 then
         granted = granted - 1
      else
         resent = resent + 1
      end
      return req
   end

   function response(status, headers, body)
      received = received + 1
      if status ~= 200 then bad = bad + 1 end
      if received == share then
         local f = io.open(done_file, "a")
         f:write(string.format("%d %d %d %d\n", received, sent, resent, bad))
         f:close()
         wrk.thread:stop()
      end
   end
end

function done(summary, latency, requests)
   local received, sent, resent, bad = 0, 0, 0, 0
   if mode == "counted" then
      for _, t in ipairs(threads) do
         received = received + t:get("received")
         sent = sent + t:get("sent")
         resent = resent + t:get("resent")
         bad = bad + t:get("bad")
      end
   end
   local e = summary.errors
   io.write(string.format(
      'JWTMINT_WRK {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d},' ..
      '"counted":{"received":%d,"sent":%d,"resent":%d,"bad":%d}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9),
      received, sent, resent, bad))
end
