-- consent: grant or revoke, with the ledger entry, atomically.
-- KEYS: 1 consents hash, 2 ledger list.
-- ARGV: 1 grant|revoke|import, 2 field "category\31sender", 3 value "source\31evidence\31at\31sealed",
-- 4 ledger entry. Returns 1 when the current state changed (revoke: a consent was removed).
local changed = 1
if ARGV[1] == 'import' then
  -- bulk import: grant only when no consent is active (repeatable), ledger entry only then
  if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 0 then return 0 end
  redis.call('RPUSH', KEYS[2], ARGV[4])
  return 1
end
if ARGV[1] == 'grant' then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
else
  changed = redis.call('HDEL', KEYS[1], ARGV[2])
end
redis.call('RPUSH', KEYS[2], ARGV[4])
return changed
