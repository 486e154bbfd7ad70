-- outbox_read: claim due webhook events with a lease, or list dead letters.
-- KEYS: 1 pending zset, 2 dead zset, 3 lease counter. ARGV: 1 mode (claim|dead), 2 now ms,
-- 3 max, 4 lease ms, 5 event key prefix (the id and '}' are appended).
-- Returns {HGETALL of each event}.
local out = {}
if ARGV[1] == 'dead' then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, tonumber(ARGV[3]) - 1)) do
    table.insert(out, redis.call('HGETALL', ARGV[5] .. id .. '}'))
  end
  return out
end
local now = tonumber(ARGV[2])
local until_ms = now + tonumber(ARGV[4])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))) do
  local ek = ARGV[5] .. id .. '}'
  local lease = tostring(redis.call('INCR', KEYS[3]))
  redis.call('ZADD', KEYS[1], until_ms, id)
  redis.call('HSET', ek, 'lease', lease, 'next', until_ms)
  table.insert(out, redis.call('HGETALL', ek))
end
return out
