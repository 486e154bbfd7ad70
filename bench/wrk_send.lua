-- wrk script: POST /v1/messages with a new recipient for every request (bench/e2e-first).
-- Numbers are +1 415 NXX XXXX; the few that libphonenumber refuses (N11 exchanges) show up as
-- non-2xx responses in wrk's summary.
local counter = 0
local thread_id = 0
setup = function(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end
request = function()
  counter = counter + 1
  local n = string.format("+1415%03d%04d", 200 + (counter * 7 + thread_id * 131) % 800, (counter * 13 + thread_id * 977) % 10000)
  local body = '{"to":"' .. n .. '","from":"12345","text":"Your code is ' .. counter .. '"}'
  return wrk.format("POST", "/v1/messages",
    {["Authorization"] = "Bearer dev-key", ["Content-Type"] = "application/json"}, body)
end
