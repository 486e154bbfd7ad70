-- claim: reclaim expired leases, promote due scheduled entries, hand out up to N entries with a
-- lease; entries whose number is suppressed now (send-time re-check) are leased too but flagged
-- and left as they are: the caller completes them (complete.lua) as rejected with their event.
-- KEYS: 1 ready list, 2 scheduled zset, 3 lease zset (score = lease expiry).
-- ARGV: 1 now ms, 2 max, 3 lease ms, 4 message key prefix, 5 suppression bucket prefix (the first
-- 4 hex digits of the number key are appended), 6 suppression senders hash, 7 lease expiry ms
-- (now + lease ms, as a string).
-- Message hashes and suppression buckets are derived from the entries (single instance only; a
-- Cluster deployment needs them in the queue's slot, see docs/stores.md). The message hash holds
-- the number's bucket suffix ('ns', written by admit.lua).
-- Returns per entry: the message id, then 4 x its delivery count + 2 x lost (1: the previous
-- delivery's lease expired without being released: this is a resend after a crash or a stall)
-- + suppressed (0|1). The client
-- reads each leased message hash itself (one HGETALL per entry, pipelined after this call): a
-- field read inside the script costs its conversion twice (Redis to Lua, then Lua to Redis for
-- the script's reply), and the long `d` most of all.
-- Leases (docs/stores.md, "Queue"): the lease id of a claim is 'd' followed by its delivery
-- count, derived from the hash's `dlv`, which counts the deliveries that have ENDED (reclaimed,
-- released, completed); nothing is written to the hash to lease it. Every end of a delivery
-- increments `dlv` (the reclaim below, release.lua, complete.lua), so an old lease id never
-- matches again. A hash `lease` field (non-empty) is a lease of the other kind: written at
-- admission ('a', direct hand-off) or by the previous version of this script (numbers), where
-- `dlv` already counted that delivery; the reclaim clears it without counting, a claim of an
-- entry that still holds a stale one clears it. The reclaim also marks the hash `lost` = 1; the
-- next claim of the entry reports it and deletes it (writes only on that rare path).
-- Few inner calls (each redis.call costs several µs): per call one LPOP of up to N ids and one
-- ZADD of all leases; per entry one HMGET (the fields of the re-check and the delivery count)
-- and the suppression lookup; an HSET only for a due scheduled entry (its status) or a stale
-- hash lease.
local KEYS, ARGV = KEYS, ARGV  -- locals: a global lookup per use otherwise
local now = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 1000)
if #expired > 0 then
  -- Back to the head of the list in their lease order: LPUSH of the reversed list. Each delivery
  -- ends here: a hash lease (admission, previous version) is cleared, otherwise `dlv` counts it;
  -- a purged hash is not recreated.
  local rev = {}
  for i = #expired, 1, -1 do
    rev[#rev + 1] = expired[i]
    local mk = ARGV[4] .. expired[i] .. '}'
    local h = redis.call('HMGET', mk, 'nk', 'lease')
    if h[2] and h[2] ~= '' then
      redis.call('HDEL', mk, 'lease')
      redis.call('HSET', mk, 'lost', '1')
    elseif h[1] then
      redis.call('HINCRBY', mk, 'dlv', 1)
      redis.call('HSET', mk, 'lost', '1')
    end
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
local sender_ids = {}
local count = 0
while count < max do
  -- Ids whose hash is gone (purged) are dropped: pop again for the places they took.
  local ids = redis.call('LPOP', KEYS[1], max - count)
  if not ids then break end
  for _, id in ipairs(ids) do
    local mk = ARGV[4] .. id .. '}'
    local f = redis.call('HMGET', mk, 'nk', 'snd', 'scope', 'st', 'dlv', 'ns', 'lease', 'lost')
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
      -- This delivery's number: the ended ones + 1 (a missing or non-numeric count is 0).
      local dlv = (tonumber(f[5]) or 0) + 1
      local stale = f[7] and f[7] ~= ''
      if f[4] == 'scheduled' and not blocked then
        if stale then
          redis.call('HSET', mk, 'st', 'queued', 'up', ARGV[1], 'lease', '')
        else
          redis.call('HSET', mk, 'st', 'queued', 'up', ARGV[1])
        end
      elseif stale then
        redis.call('HSET', mk, 'lease', '')
      end
      leased[#leased + 1] = lease_until
      leased[#leased + 1] = id
      if #leased >= 2000 then flush_leases() end
      entries[#entries + 1] = id
      local lost = f[8] and true or false
      if lost then redis.call('HDEL', mk, 'lost') end
      entries[#entries + 1] = 4 * dlv + (lost and 2 or 0) + (blocked and 1 or 0)
      count = count + 1
    end
  end
end
flush_leases()
return entries
