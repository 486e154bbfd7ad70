-- claim: reclaim expired leases, promote due scheduled entries, hand out up to N entries with a
-- lease; entries whose number is suppressed now (send-time re-check) are leased too but flagged
-- and left as they are: the caller completes them (complete.lua) as rejected with their event.
-- KEYS: 1 ready list, 2 scheduled zset, 3 lease zset (score = lease expiry), 4 lease counter.
-- ARGV: 1 now ms, 2 max, 3 lease ms, 4 message key prefix, 5 suppression bucket prefix (the first
-- 4 hex digits of the number key are appended), 6 suppression senders hash, 7 lease expiry ms
-- (now + lease ms, as a string).
-- Message hashes and suppression buckets are derived from the entries (single instance only; a
-- Cluster deployment needs them in the queue's slot, see docs/stores.md). The message hash holds
-- the number's bucket suffix ('ns', written by admit.lua).
-- Returns {first lease id, then per entry: message id, suppressed 0|1}: the entries' lease ids
-- are consecutive from the first. The client reads each leased message hash itself (one HGETALL
-- per entry, pipelined after this call): a field read inside the script costs its conversion
-- twice (Redis to Lua, then Lua to Redis for the script's reply), and the long `d` most of all.
-- Few inner calls (each redis.call costs several µs): per call one LPOP of up to N ids, one ZADD
-- of all leases and one INCRBY of the lease counter; per entry one HMGET (the fields of the
-- re-check and the delivery count), the suppression lookup and one HSET (lease, delivery count
-- and, for a due scheduled entry, its status).
local KEYS, ARGV = KEYS, ARGV  -- locals: a global lookup per use otherwise
local now = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 1000)
if #expired > 0 then
  -- Back to the head of the list in their lease order: LPUSH of the reversed list. Each hash
  -- loses its lease (HDEL: a purged hash is not recreated), so that a hash holds a lease only
  -- while its entry is in the lease zset (complete.lua relies on it).
  local rev = {}
  for i = #expired, 1, -1 do
    rev[#rev + 1] = expired[i]
    redis.call('HDEL', ARGV[4] .. expired[i] .. '}', 'lease')
  end
  redis.call('LPUSH', KEYS[1], unpack(rev))
  redis.call('ZREM', KEYS[3], unpack(expired))
end
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
if #due > 0 then
  redis.call('RPUSH', KEYS[1], unpack(due))
  redis.call('ZREM', KEYS[2], unpack(due))
end
local entries = {}
local lease_until = ARGV[7]
-- ZADD arguments (lease_until, id, ...). The first ZADD of a call that leases anything also
-- writes this member (score +inf: it never expires and is no message id): at 84 bytes it is longer
-- than zset-max-listpack-value (64 by default), so the lease zset stays a skiplist + dict, where
-- ZADD, ZMSCORE and ZREM of a lease cost O(log n) / O(1) instead of a walk along the whole
-- listpack (which a batch of 64 leases paid 64 times). Readers count it out (stats.lua).
local leased = {'+inf', '\0smsgw lease zset: keeps it a skiplist' .. string.rep('.', 46)}
local sentinel_args = 2
local function flush_leases()
  if #leased > sentinel_args then redis.call('ZADD', KEYS[3], unpack(leased)) end
  leased, sentinel_args = {}, 0
end
local next_lease, sender_ids = nil, {}
local count = 0
while count < max do
  -- Ids whose hash is gone (purged) are dropped: pop again for the places they took.
  local ids = redis.call('LPOP', KEYS[1], max - count)
  if not ids then break end
  for _, id in ipairs(ids) do
    local mk = ARGV[4] .. id .. '}'
    local f = redis.call('HMGET', mk, 'nk', 'snd', 'scope', 'st', 'dlv', 'ns')
    local nk = f[1]
    if nk then
      local snd, scope = f[2], f[3]
      local suffix = f[6]
      if not suffix then
        suffix = string.gsub(string.sub(nk, 5), '%x%x', function(x) return string.char(tonumber(x, 16)) end)
      end
      local bucket = ARGV[5] .. string.sub(nk, 1, 4)
      local blocked = redis.call('HEXISTS', bucket, suffix) == 1
      if not blocked and scope == 'global' then
        local pat = string.gsub(suffix, '[%*%?%[%]\\]', '\\%0') .. '*'
        local cursor = '0'
        repeat
          local r = redis.call('HSCAN', bucket, cursor, 'MATCH', pat, 'COUNT', 1000)
          if #r[2] > 0 then blocked = true end
          cursor = r[1]
        until blocked or cursor == '0'
      elseif not blocked and snd and snd ~= '' then
        local sid = sender_ids[snd]
        if sid == nil then
          sid = redis.call('HGET', ARGV[6], snd)
          sender_ids[snd] = sid
        end
        blocked = sid and redis.call('HEXISTS', bucket, suffix .. sid) == 1
      end
      if not next_lease then
        next_lease = redis.call('INCRBY', KEYS[4], max) - max + 1
        entries[1] = next_lease
      end
      local lease = tostring(next_lease)
      next_lease = next_lease + 1
      -- The delivery count as HINCRBY would leave it (a missing or non-numeric value counts as 0).
      local dlv = tostring((tonumber(f[5]) or 0) + 1)
      if f[4] == 'scheduled' and not blocked then
        redis.call('HSET', mk, 'lease', lease, 'dlv', dlv, 'st', 'queued', 'up', ARGV[1])
      else
        redis.call('HSET', mk, 'lease', lease, 'dlv', dlv)
      end
      leased[#leased + 1] = lease_until
      leased[#leased + 1] = id
      if #leased >= 2000 then flush_leases() end
      entries[#entries + 1] = id
      entries[#entries + 1] = blocked and 1 or 0
      count = count + 1
    end
  end
end
flush_leases()
return entries
