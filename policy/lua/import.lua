-- import: bulk suppressions (smsgwctl import) into the number buckets, HSETNX per record in one
-- call instead of one command each (docs/stores.md, "Suppressions").
-- KEYS: bucket hash of each record. ARGV: 1 senders hash, 2 ids hash, then for record i:
-- 3i suffix (binary), 3i+1 sender ('' = global), 3i+2 packed value.
-- Returns how many were new (the others were kept as stored).
-- Touches many buckets: single Redis (or primary) only, like claim.lua.
local senders, ids = ARGV[1], ARGV[2]
local known = {}
local function sender_id(sender)
  if sender == '' then return '' end
  local id = known[sender] or redis.call('HGET', senders, sender)
  if not id then
    local n = redis.call('HLEN', ids) + 1
    id = ''
    while n > 0 do
      id = string.char(n % 256) .. id
      n = math.floor(n / 256)
    end
    redis.call('HSET', senders, sender, id)
    redis.call('HSET', ids, id, sender)
  end
  known[sender] = id
  return id
end
local added = 0
for i, k in ipairs(KEYS) do
  added = added + redis.call('HSETNX', k, ARGV[3 * i] .. sender_id(ARGV[3 * i + 1]), ARGV[3 * i + 2])
end
return added
