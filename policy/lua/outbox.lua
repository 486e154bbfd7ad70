-- outbox: webhook outbox writes. KEYS: 1 pending zset (score = next attempt or lease expiry),
-- 2 dead zset (score = when it died), 3 event hash. ARGV[1] = mode, ARGV[2] = event id.
-- put: 3 kind, 4 target, 5 body, 6 next attempt ms, 7 created ms -> 1 (0 if it already exists)
-- ack: 3 lease -> 1 (0 = lease lost)
-- retry: 3 lease, 4 next attempt ms, 5 error, 6 dead (1|0) -> 1 (0 = lease lost)
-- replay: 3 now ms -> 1 (0 = not a dead letter)
local mode, id = ARGV[1], ARGV[2]
if mode == 'put' then
  if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
  redis.call('HSET', KEYS[3], 'id', id, 'kind', ARGV[3], 'tgt', ARGV[4], 'body', ARGV[5], 'att', 0,
    'next', ARGV[6], 'cr', ARGV[7], 'err', '', 'lease', '')
  redis.call('ZADD', KEYS[1], ARGV[6], id)
  return 1
end
if mode == 'replay' then
  if not redis.call('ZSCORE', KEYS[2], id) then return 0 end
  redis.call('ZREM', KEYS[2], id)
  redis.call('HSET', KEYS[3], 'att', 0, 'next', ARGV[3], 'lease', '')
  redis.call('ZADD', KEYS[1], ARGV[3], id)
  return 1
end
if not redis.call('ZSCORE', KEYS[1], id) or redis.call('HGET', KEYS[3], 'lease') ~= ARGV[3] then return 0 end
if mode == 'ack' then
  redis.call('ZREM', KEYS[1], id)
  redis.call('DEL', KEYS[3])
  return 1
end
redis.call('HINCRBY', KEYS[3], 'att', 1)
redis.call('HSET', KEYS[3], 'err', ARGV[5], 'lease', '', 'next', ARGV[4])
if ARGV[6] == '1' then
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZADD', KEYS[2], ARGV[4], id)
else
  redis.call('ZADD', KEYS[1], ARGV[4], id)
end
return 1
