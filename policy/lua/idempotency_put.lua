-- idempotency_put: insert if absent; complete the response of an existing key with the same hash.
-- KEYS: 1 idempotency hash. ARGV: 1 hash, 2 message id, 3 response, 4 created ms, 5 expires ms.
-- Returns {hash, message id, response, created, expires} as stored.
local cur = redis.call('HMGET', KEYS[1], 'hash', 'mid', 'resp', 'cr', 'exp')
if cur[1] then
  if cur[1] == ARGV[1] and (cur[3] == nil or cur[3] == '') and ARGV[3] ~= '' then
    local mid = cur[2]
    if mid == nil or mid == '' then mid = ARGV[2] end
    redis.call('HSET', KEYS[1], 'resp', ARGV[3], 'mid', mid)
    return {cur[1], mid, ARGV[3], cur[4] or '0', cur[5] or '0'}
  end
  return {cur[1], cur[2] or '', cur[3] or '', cur[4] or '0', cur[5] or '0'}
end
redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'mid', ARGV[2], 'resp', ARGV[3], 'cr', ARGV[4], 'exp', ARGV[5])
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
return {ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]}
