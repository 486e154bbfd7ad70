-- set_status: forward-only status move; `submitted` with a carrier id records the correlation.
-- KEYS: 1 message hash. ARGV: 1 status, 2 carrier message id, 3 error, 4 at ms,
-- 5 correlation key prefix, 6 correlation expiry ms, 7 message id.
-- Returns {found 0|1, applied 0|1, current status}.
local rank = {scheduled = 0, queued = 1, submitted = 2}
local cur = redis.call('HGET', KEYS[1], 'st')
if not cur then return {0, 0, ''} end
local function r(s) return rank[s] or 3 end
if r(ARGV[1]) <= r(cur) then return {1, 0, cur} end
redis.call('HSET', KEYS[1], 'st', ARGV[1], 'up', ARGV[4])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'cmid', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'err', ARGV[3]) end
if ARGV[1] == 'submitted' and ARGV[2] ~= '' then
  local car = redis.call('HGET', KEYS[1], 'car')
  local ck = ARGV[5] .. '{' .. car .. '}:' .. ARGV[2]
  redis.call('SET', ck, ARGV[7], 'PXAT', ARGV[6])
end
return {1, 1, ARGV[1]}
