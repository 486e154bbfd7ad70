-- erase: right to erasure for one number's own keys; message records are erased by purge.lua.
-- KEYS: 1 suppression bucket, 2 consents hash, 3 consent ledger list.
-- ARGV: 1 the number's suffix in the bucket (binary), 2 the "erased" suppression value (reason,
-- source, at, no sealed e164).
-- Every suppression of the number (all senders) is replaced by one global `erased` suppression.
-- Returns {consents, ledger entries, suppressions replaced}.
local bucket, suffix = KEYS[1], ARGV[1]
local consents = redis.call('HLEN', KEYS[2])
local ledger = redis.call('LLEN', KEYS[3])
local pat = string.gsub(suffix, '[%*%?%[%]\\]', '\\%0') .. '*'
local found, cursor = {}, '0'
repeat
  local r = redis.call('HSCAN', bucket, cursor, 'MATCH', pat, 'COUNT', 1000)
  cursor = r[1]
  for i = 1, #r[2], 2 do found[r[2][i]] = true end
until cursor == '0'
local sups = 0
for f in pairs(found) do
  sups = sups + redis.call('HDEL', bucket, f)
end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('HSET', bucket, suffix, ARGV[2])
return {consents, ledger, sups}
