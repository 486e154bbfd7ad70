-- stats: queue depth of one carrier. KEYS: 1 ready list, 2 scheduled zset, 3 lease zset.
-- ARGV: 1 now ms, 2 message key prefix. Returns {ready, scheduled, leased, oldest ready send_at}.
local now = tonumber(ARGV[1])
local due = redis.call('ZCOUNT', KEYS[2], '-inf', now)
local ready = redis.call('LLEN', KEYS[1]) + due
local sched = redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf')
local oldest = 0
local head = redis.call('LINDEX', KEYS[1], 0)
if head then oldest = tonumber(redis.call('HGET', ARGV[2] .. head .. '}', 'sa') or 0) end
if due > 0 then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  local s = tonumber(first[2])
  if oldest == 0 or s < oldest then oldest = s end
end
-- Leases expire at finite times; the +inf member is claim.lua's skiplist keeper, not a lease.
return {ready, sched, redis.call('ZCOUNT', KEYS[3], '-inf', '(+inf'), oldest}
