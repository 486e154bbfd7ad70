-- release: ack, nack or reschedule a leased entry, only while the lease is ours.
-- KEYS: 1 lease zset, 2 scheduled zset, 3 message hash.
-- ARGV: 1 message id, 2 lease id, 3 mode (ack|nack|reschedule), 4 at ms, 5 error.
-- Returns 1, or 0 when the lease was lost (entry reclaimed or unknown).
-- The hash's `lease` is absent or '' when the entry has none (complete.lua writes '').
if ARGV[2] == '' or not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
if redis.call('HGET', KEYS[3], 'lease') ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[3], 'lease')
if ARGV[3] == 'ack' then return 1 end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
if ARGV[3] == 'nack' then
  redis.call('HINCRBY', KEYS[3], 'att', 1)
  if ARGV[5] ~= '' then redis.call('HSET', KEYS[3], 'err', ARGV[5]) end
end
return 1
