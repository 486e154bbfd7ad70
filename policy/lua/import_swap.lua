-- import_swap: replaces a suppression bucket with the client's merged copy (smsgwctl import into
-- an existing bucket: docs/stores.md, "Suppressions"), only if the bucket is still exactly what
-- the client read, so that a suppression written in between is never lost.
-- KEYS[1]: the bucket. ARGV[1]: its DUMP as the client read it. ARGV[2]: the merged bucket as a
-- RESTORE payload (every stored field with its stored value, then the new ones).
-- Returns 1 when replaced, 0 when the bucket changed in between (the caller then uses import.lua).
if redis.call('DUMP', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('RESTORE', KEYS[1], 0, ARGV[2], 'REPLACE')
return 1
