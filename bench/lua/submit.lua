-- wrk script of bench/submit.py: one POST per request, each with its own Idempotency-Key and phone.
--
-- Environment (read by every thread): BENCH_TAG (the key prefix and title marker of this run),
-- BENCH_SITE, BENCH_CATEGORY (a real site code and category code), BENCH_CODES_FILE (where done()
-- writes the tracking codes acknowledged, one a line). The same script drives the floor view: its
-- answers carry no tracking code, they are only counted.
--
-- A request id is "<thread>-<n>": the key is "<tag>-<thread>-<n>", the phone "13<thread><n as 8 digits>"
-- (so no phone is used twice and the per-phone limit never bites), and the title carries the id so
-- bench/submit.py can rebuild the key and phone of any stored row.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

-- Per thread (globals of the thread's own Lua state, read back in done() through thread:get).
sent = 0
acked = 0
non2xx = 0
statuses = {}
codes = {}

local tag, site, category
local headers = { ["Content-Type"] = "application/json" }
local text = "我们小区东门外的人行道上路灯已经坏了一个多月，晚上出行很不方便，老人和孩子容易摔倒，"
          .. "希望有关部门尽快修好，并检查附近其他路灯。"

function init(args)
   tag = os.getenv("BENCH_TAG") or "bench-submit"
   site = os.getenv("BENCH_SITE") or ""
   category = os.getenv("BENCH_CATEGORY") or ""
end

function request()
   sent = sent + 1
   local id = string.format("%d-%d", tid, sent)
   headers["Idempotency-Key"] = tag .. "-" .. id
   local body = string.format(
      '{"category":"%s","station":"%s","title":"%s %s 路灯不亮","text":"%s","name":"王小二",'
      .. '"phone":"13%d%08d","consent":true}',
      category, site, tag, id, text, tid, sent)
   return wrk.format("POST", nil, headers, body)
end

function response(status, hdrs, body)
   if status >= 200 and status < 300 then
      acked = acked + 1
      local code = string.match(body, '"tracking_code"%s*:%s*"(%w+)"')
      if code then
         codes[#codes + 1] = code
      end
   else
      non2xx = non2xx + 1
      statuses[status] = (statuses[status] or 0) + 1
   end
end

function done(summary, latency, requests)
   local total = { sent = 0, acked = 0, non2xx = 0, codes = 0 }
   local by_status = {}
   local out = os.getenv("BENCH_CODES_FILE")
   local file = out and io.open(out, "w")
   for _, thread in ipairs(threads) do
      total.sent = total.sent + thread:get("sent")
      total.acked = total.acked + thread:get("acked")
      total.non2xx = total.non2xx + thread:get("non2xx")
      for status, count in pairs(thread:get("statuses")) do
         by_status[status] = (by_status[status] or 0) + count
      end
      for _, code in ipairs(thread:get("codes")) do
         total.codes = total.codes + 1
         if file then file:write(code, "\n") end
      end
   end
   if file then file:close() end
   local parts = {}
   for status, count in pairs(by_status) do
      parts[#parts + 1] = string.format('"%d":%d', status, count)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH-RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"sent":%d,"acked":%d,"codes":%d,'
      .. '"non2xx":%d,"statuses":{%s},"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
      summary.requests, summary.duration, summary.bytes, total.sent, total.acked, total.codes,
      total.non2xx, table.concat(parts, ","), e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
