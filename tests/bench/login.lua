-- wrk script: POST /api/v1/auth/login with BENCH_LOGIN_BODY; counts the
-- replies by status, since a 503 from a full password queue is no login.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BENCH_LOGIN_BODY")

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init() ok = 0; unavailable = 0; other = 0 end
function response(status)
  if status == 200 then ok = ok + 1
  elseif status == 503 then unavailable = unavailable + 1
  else other = other + 1 end
end
function done()
  local o, u, x = 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok"); u = u + t:get("unavailable"); x = x + t:get("other")
  end
  io.write(string.format("status200 %d\nstatus503 %d\nstatus_other %d\n", o, u, x))
end
