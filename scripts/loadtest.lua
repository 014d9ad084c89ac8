-- wrk script for scripts/loadtest.sh: mixed traffic (searches in Persian and English with
-- the three retrievers, and one cited answer in every four requests) and a count of
-- responses by status, summed over wrk's threads.

local queries = {
  "ماده ۶ بند د",
  "تفاهم نامه آموزش",
  "پایش پساب صنعتی",
  "ارزیابی اثرات زیست محیطی",
  "energy performance indicators",
  "environmental aspects and impacts",
  "article 6 clause d",
  "آلودگی هوا در شهرهای صنعتی",
}
local modes = { "hybrid", "hybrid", "semantic", "lexical" }
-- One request in ASK_EVERY is an answer (4 by default; 1: answers only).
local ask_every = tonumber(os.getenv("ASK_EVERY") or "") or 4
local questions = {
  "وظایف سازمان حفاظت محیط زیست در ماده ۶ چیست؟",
  "What does ISO 14001 require for environmental aspects?",
  "تفاهم نامه سازمان حفاظت محیط زیست و سازمان مدیریت صنعتی درباره چیست؟",
  "How is an energy baseline set under ISO 50001?",
  "پایش پساب صنعتی بر عهده کیست؟",
}

local function encode(s)
  return (s:gsub("[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  n = 0
end

function request()
  n = n + 1
  if n % ask_every == 0 then
    local q = questions[((n / ask_every) % #questions) + 1]
    return wrk.format("POST", "/api/ask", { ["Content-Type"] = "application/json" },
      '{"question": "' .. q .. '"}')
  end
  local q = queries[(n % #queries) + 1]
  local m = modes[(n % #modes) + 1]
  return wrk.format("GET", "/api/search?k=10&mode=" .. m .. "&q=" .. encode(q))
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for status, k in pairs(c) do
      total[status] = (total[status] or 0) + k
    end
  end
  local secs = summary.duration / 1e6
  local ok, busy, server = 0, 0, 0
  for status, k in pairs(total) do
    io.write(string.format("status %d: %d\n", status, k))
    if status >= 200 and status < 300 then ok = ok + k end
    if status == 429 then busy = busy + k end
    if status >= 500 then server = server + k end
  end
  io.write(string.format("answered: %.1f req/s (200: %.1f/s, 429: %.1f/s); p50 %.1f ms, p99 %.1f ms; 5xx: %d\n",
    summary.requests / secs, ok / secs, busy / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, server))
  io.write(string.format("RESULT ok=%d busy=%d server_errors=%d socket_errors=%d\n", ok, busy, server,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
