-- claim: reclaim expired leases, promote due scheduled entries, hand out up to N entries with a
-- lease; entries whose number is suppressed now (send-time re-check) are leased too but flagged
-- and left as they are: the caller completes them (complete.lua) as rejected with their event.
-- KEYS: 1 ready list, 2 scheduled zset, 3 lease zset (score = lease expiry), 4 lease counter.
-- ARGV: 1 now ms, 2 max, 3 lease ms, 4 message key prefix, 5 suppression bucket prefix (the first
-- 4 hex digits of the number key are appended), 6 suppression senders hash.
-- Message hashes and suppression buckets are derived from the entries (single instance only; a
-- Cluster deployment needs them in the queue's slot, see docs/stores.md). The message hash holds
-- the number's bucket suffix ('ns', written by admit.lua).
-- Returns {{lease, suppressed 0|1, HGETALL...}, ...}.
local now = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 1000)
for i = #expired, 1, -1 do redis.call('LPUSH', KEYS[1], expired[i]) end
if #expired > 0 then redis.call('ZREM', KEYS[3], unpack(expired)) end
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
for _, id in ipairs(due) do redis.call('RPUSH', KEYS[1], id) end
if #due > 0 then redis.call('ZREM', KEYS[2], unpack(due)) end
local entries = {}
local lease_until = now + tonumber(ARGV[3])
-- Fewer inner calls: lease ids come from one INCRBY per claim, sender ids are looked up once.
local next_lease, sender_ids = nil, {}
while #entries < max do
  local id = redis.call('LPOP', KEYS[1])
  if not id then break end
  local mk = ARGV[4] .. id .. '}'
  local f = redis.call('HMGET', mk, 'snd', 'scope', 'st', 'nk', 'ns')
  if f[4] then
    local nk, suffix = f[4], f[5]
    if not suffix then
      suffix = string.gsub(string.sub(nk, 5), '%x%x', function(h) return string.char(tonumber(h, 16)) end)
    end
    local bucket = ARGV[5] .. string.sub(nk, 1, 4)
    local blocked = redis.call('HEXISTS', bucket, suffix) == 1
    if not blocked and f[2] == 'global' then
      local pat = string.gsub(suffix, '[%*%?%[%]\\]', '\\%0') .. '*'
      local cursor = '0'
      repeat
        local r = redis.call('HSCAN', bucket, cursor, 'MATCH', pat, 'COUNT', 1000)
        if #r[2] > 0 then blocked = true end
        cursor = r[1]
      until blocked or cursor == '0'
    elseif not blocked and f[1] and f[1] ~= '' then
      local sid = sender_ids[f[1]]
      if sid == nil then
        sid = redis.call('HGET', ARGV[6], f[1])
        sender_ids[f[1]] = sid
      end
      blocked = sid and redis.call('HEXISTS', bucket, suffix .. sid) == 1
    end
    if not next_lease then next_lease = redis.call('INCRBY', KEYS[4], max) - max + 1 end
    local lease = tostring(next_lease)
    next_lease = next_lease + 1
    redis.call('HINCRBY', mk, 'dlv', 1)
    if f[3] == 'scheduled' and not blocked then
      redis.call('HSET', mk, 'lease', lease, 'st', 'queued', 'up', ARGV[1])
    else
      redis.call('HSET', mk, 'lease', lease)
    end
    redis.call('ZADD', KEYS[3], lease_until, id)
    local e = redis.call('HGETALL', mk)
    table.insert(e, 1, blocked and '1' or '0')
    table.insert(e, 1, lease)
    table.insert(entries, e)
  end
end
return entries
