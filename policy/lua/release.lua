-- release: ack, nack or reschedule a leased entry, only while the lease is ours.
-- KEYS: 1 lease zset, 2 scheduled zset, 3 message hash.
-- ARGV: 1 message id, 2 lease id, 3 mode (ack|nack|reschedule), 4 at ms, 5 error.
-- Returns 1, or 0 when the lease was lost (entry reclaimed or unknown).
-- Leases as in complete.lua: 'd<n>' (claim.lua, delivery n) is ours while the hash has no lease
-- of its own and `dlv` is n - 1; another id while the hash's `lease` holds it (admission 'a', the
-- previous claim.lua; absent or '' = none). Releasing ends the delivery (`dlv` = n, or the hash
-- lease removed).
local lease = ARGV[2]
if lease == '' or not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local h = redis.call('HMGET', KEYS[3], 'lease', 'dlv', 'st')
if not h[3] then return 0 end  -- the message is gone (purged)
local field, value
if h[1] and h[1] ~= '' then
  if h[1] ~= lease then return 0 end
elseif string.find(lease, '^d[1-9]%d*$') then
  value = string.sub(lease, 2)
  if tonumber(value) ~= (tonumber(h[2]) or 0) + 1 then return 0 end
  field = 'dlv'
else
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
if field then redis.call('HSET', KEYS[3], field, value) else redis.call('HDEL', KEYS[3], 'lease') end
if ARGV[3] == 'ack' then return 1 end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
if ARGV[3] == 'nack' then
  redis.call('HINCRBY', KEYS[3], 'att', 1)
  if ARGV[5] ~= '' then redis.call('HSET', KEYS[3], 'err', ARGV[5]) end
end
return 1
