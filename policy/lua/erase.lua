-- erase: right to erasure for one number's own keys; message records are erased by purge.lua.
-- KEYS: 1 suppressions hash, 2 consents hash, 3 consent ledger list.
-- ARGV: 1 the "erased" suppression value (reason, source, at, no sealed e164).
-- Returns {consents, ledger entries, suppressions replaced}.
local consents = redis.call('HLEN', KEYS[2])
local ledger = redis.call('LLEN', KEYS[3])
local sups = redis.call('HLEN', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], '', ARGV[1])
return {consents, ledger, sups}
