-- complete: final outcomes of claimed entries, each atomic: forward-only status move (as
-- set_status.lua, with the correlation of `submitted`), the status webhook event into the outbox
-- when the status was applied or already is that status (idempotent on the event id, as
-- outbox.lua 'put'), and the release of the lease when it is still ours (as release.lua 'ack').
-- KEYS: 1 outbox pending zset, then per item 3 keys: lease zset, message hash, event hash.
-- ARGV: 1 item count, 2 correlation key prefix, then per item 14 fields: 1 message id, 2 lease
-- id, 3 status, 4 carrier message id, 5 error, 6 at ms, 7 correlation expiry ms, 8 has event
-- (1|0), 9 event id, 10 kind, 11 target, 12 body, 13 next attempt ms, 14 created ms.
-- Returns per item {found 0|1, applied 0|1, current status, event stored 0|1, released 0|1}.
-- Few inner calls per item (each redis.call costs several µs): one HMGET, one HSET of the
-- status fields, the correlation SET, the event (EXISTS + HSET + ZADD), ZREM + HDEL for the ack.
local rank = {scheduled = 0, queued = 1, submitted = 2}
local function r(s) return rank[s] or 3 end
local n = tonumber(ARGV[1])
local out = {}
for i = 0, n - 1 do
  local lk, mk, ek = KEYS[2 + 3 * i], KEYS[3 + 3 * i], KEYS[4 + 3 * i]
  local a = 2 + 14 * i
  local id, lease, st = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local found, applied, stored, released = 0, 0, 0, 0
  local f = redis.call('HMGET', mk, 'st', 'car', 'lease')
  local cur = f[1]
  if cur then
    found = 1
    if r(st) > r(cur) then
      local cmid, err = ARGV[a + 4], ARGV[a + 5]
      local fields = {'st', st, 'up', ARGV[a + 6]}
      if cmid ~= '' then fields[#fields + 1] = 'cmid'; fields[#fields + 1] = cmid end
      if err ~= '' then fields[#fields + 1] = 'err'; fields[#fields + 1] = err end
      redis.call('HSET', mk, unpack(fields))
      if st == 'submitted' and cmid ~= '' then
        redis.call('SET', ARGV[2] .. '{' .. f[2] .. '}:' .. cmid, id, 'PXAT', ARGV[a + 7])
      end
      applied = 1
      cur = st
    end
    if ARGV[a + 8] == '1' and cur == st then
      if redis.call('EXISTS', ek) == 0 then
        redis.call('HSET', ek, 'id', ARGV[a + 9], 'kind', ARGV[a + 10], 'tgt', ARGV[a + 11], 'body', ARGV[a + 12],
          'att', 0, 'next', ARGV[a + 13], 'cr', ARGV[a + 14], 'err', '', 'lease', '')
        redis.call('ZADD', KEYS[1], ARGV[a + 13], ARGV[a + 9])
      end
      stored = 1
    end
    -- Ours when the hash holds our lease AND the entry is still in the lease set (an expired
    -- lease is moved back to the ready list by claim.lua before the hash gets a new one).
    if f[3] == lease and redis.call('ZREM', lk, id) == 1 then
      redis.call('HDEL', mk, 'lease')
      released = 1
    end
  end
  out[i + 1] = {found, applied, cur or '', stored, released}
end
return out
