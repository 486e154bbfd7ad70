-- import: bulk suppressions (smsgwctl import) into the number buckets, many records of a bucket
-- per command instead of one command per record (docs/stores.md, "Suppressions").
-- KEYS: the buckets of this call, each followed in ARGV by its records (a bucket may appear
-- twice). ARGV: 1 senders hash, 2 ids hash, 3 sender of every record of the call ('' = global),
-- 4 record count of each bucket (2 bytes big-endian per key, binary: no number conversions),
-- then per record: suffix (30 bytes, binary), packed value.
-- The caller sends no field twice in one call. An existing field is kept as stored (the first
-- record wins, as HSETNX). Per bucket: one HSET when the bucket is new, HMGET + HSET of the
-- missing ones when it is small, HSETNX per record when it is large or for a single record.
-- Returns how many were new.
-- Touches many buckets: single Redis (or primary) only, like claim.lua.
local senders, ids, sender, counts = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local id = ''
if sender ~= '' then
  id = redis.call('HGET', senders, sender)
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
end
local added, a = 0, 5
for b = 1, #KEYS do
  local hi, lo = string.byte(counts, 2 * b - 1, 2 * b)
  local n = hi * 256 + lo
  local key = KEYS[b]
  local len = 0
  if n > 1 then len = redis.call('HLEN', key) end
  if n == 1 or len > 64 then
    -- One record, or a large bucket (a listpack is searched entry by entry, so an HMGET that
    -- misses costs as much as the write): HSETNX each.
    for j = 1, n do
      added = added + redis.call('HSETNX', key, ARGV[a + 2 * j - 2] .. id, ARGV[a + 2 * j - 1])
    end
  elseif len == 0 then
    -- A new bucket: every record is new (no field twice in a call), one HSET; global records
    -- go as they came (no table built).
    if id == '' then
      redis.call('HSET', key, unpack(ARGV, a, a + 2 * n - 1))
    else
      local args = {}
      for j = 1, n do
        args[2 * j - 1] = ARGV[a + 2 * j - 2] .. id
        args[2 * j] = ARGV[a + 2 * j - 1]
      end
      redis.call('HSET', key, unpack(args))
    end
    added = added + n
  else
    -- A small bucket: which exist (one HMGET), then the others in one HSET.
    local fields = {}
    for j = 1, n do fields[j] = ARGV[a + 2 * j - 2] .. id end
    local got = redis.call('HMGET', key, unpack(fields))
    local args, m = {}, 0
    for j = 1, n do
      if not got[j] then
        args[m + 1] = fields[j]
        args[m + 2] = ARGV[a + 2 * j - 1]
        m = m + 2
        added = added + 1
      end
    end
    if m > 0 then redis.call('HSET', key, unpack(args)) end
  end
  a = a + 2 * n
end
return added
