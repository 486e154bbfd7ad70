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
-- Returns {{lease, suppressed 0|1, HGETALL...}, ...}: the hash as it is after the claim.
-- Few inner calls (each redis.call costs several µs): per call one LPOP of up to N ids, one ZADD
-- of all leases and one INCRBY of the lease counter; per entry one HGETALL (everything the
-- caller and the re-check need), the suppression lookup and one HSET (lease, delivery count and,
-- for a due scheduled entry, its status).
local now = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 1000)
if #expired > 0 then
  -- Back to the head of the list in their lease order: LPUSH of the reversed list.
  local rev = {}
  for i = #expired, 1, -1 do rev[#rev + 1] = expired[i] end
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
local leased = {}  -- ZADD arguments: lease_until, id, ...
local function flush_leases()
  if #leased > 0 then redis.call('ZADD', KEYS[3], unpack(leased)) end
  leased = {}
end
local next_lease, sender_ids = nil, {}
while #entries < max do
  -- Ids whose hash is gone (purged) are dropped: pop again for the places they took.
  local ids = redis.call('LPOP', KEYS[1], max - #entries)
  if not ids then break end
  for _, id in ipairs(ids) do
    local mk = ARGV[4] .. id .. '}'
    local h = redis.call('HGETALL', mk)
    local at = {}
    for j = 1, #h, 2 do at[h[j]] = j + 1 end
    local nk = at.nk and h[at.nk]
    if nk then
      local snd, scope = at.snd and h[at.snd], at.scope and h[at.scope]
      local suffix = at.ns and h[at.ns]
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
      if not next_lease then next_lease = redis.call('INCRBY', KEYS[4], max) - max + 1 end
      local lease = tostring(next_lease)
      next_lease = next_lease + 1
      -- The delivery count as HINCRBY would leave it (a missing or non-numeric value counts as 0).
      local dlv = tostring((at.dlv and tonumber(h[at.dlv]) or 0) + 1)
      local set = {'lease', lease, 'dlv', dlv}
      if at.st and h[at.st] == 'scheduled' and not blocked then
        set[5], set[6], set[7], set[8] = 'st', 'queued', 'up', ARGV[1]
      end
      redis.call('HSET', mk, unpack(set))
      -- The reply shows the hash as written.
      for j = 1, #set, 2 do
        local i = at[set[j]]
        if i then
          h[i] = set[j + 1]
        else
          h[#h + 1] = set[j]
          h[#h + 1] = set[j + 1]
        end
      end
      leased[#leased + 1] = lease_until
      leased[#leased + 1] = id
      if #leased >= 2000 then flush_leases() end
      table.insert(h, 1, blocked and '1' or '0')
      table.insert(h, 1, lease)
      entries[#entries + 1] = h
    end
  end
end
flush_leases()
return entries
