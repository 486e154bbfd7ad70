-- complete: final outcomes of claimed entries, each atomic: forward-only status move (as
-- set_status.lua, with the correlation of `submitted`), the status webhook event into the outbox
-- when the status was applied or already is that status (idempotent on the event id, as
-- outbox.lua 'put'), and the release of the lease when it is still ours (as release.lua 'ack').
-- KEYS: 1 outbox pending zset, then per item: lease zset, message hash, [event hash: only when
-- the item has an event].
-- ARGV: 1 item count, 2 correlation key prefix, then per item 8 fields: 1 message id, 2 lease
-- id, 3 status, 4 carrier message id, 5 error, 6 at ms, 7 correlation expiry ms, 8 has event
-- (1|0); with an event 6 more: event id, kind, target, body, next attempt ms, created ms.
-- Returns per item {found 0|1, applied 0|1, current status, event stored 0|1, released 0|1}.
-- The items are applied in order, each exactly as if alone (an item may repeat a message of an
-- earlier one). Few inner calls (each redis.call costs several µs): per item one HMGET, one HSET
-- (the status fields and, when released, `lease` set to '' — absent or '' both mean "no lease"),
-- the correlation SET and the event (EXISTS + HSET + ZADD); per lease zset of the call one ZMSCORE
-- (which entries are still leased) and one ZREM (the released ones).
local rank = {scheduled = 0, queued = 1, submitted = 2}
local function r(s) return rank[s] or 3 end
local n = tonumber(ARGV[1])

-- Pass 1: read each message once, note the entries that may still be ours.
local items, state, cand, cand_keys = {}, {}, {}, {}
local ki, ai = 2, 3
for i = 1, n do
  local it = {lk = KEYS[ki], mk = KEYS[ki + 1], a = ai}
  ki, ai = ki + 2, ai + 8
  if ARGV[it.a + 7] == '1' then
    it.ek, it.ev = KEYS[ki], ai
    ki, ai = ki + 1, ai + 6
  end
  items[i] = it
  local s = state[it.mk]
  if s == nil then
    local f = redis.call('HMGET', it.mk, 'st', 'car', 'lease')
    s = f[1] and {st = f[1], car = f[2], lease = f[3]} or false
    state[it.mk] = s
  end
  local lease = ARGV[it.a + 1]
  if s and lease ~= '' and s.lease == lease then
    local c = cand[it.lk]
    if not c then
      c = {ids = {}, seen = {}}
      cand[it.lk] = c
      cand_keys[#cand_keys + 1] = it.lk
    end
    local id = ARGV[it.a]
    if not c.seen[id] then
      c.seen[id] = true
      c.ids[#c.ids + 1] = id
    end
  end
end

-- Which candidates are still in their lease zset (an expired lease is moved back to the ready
-- list by claim.lua before the hash gets a new one): one ZMSCORE per lease zset.
for _, lk in ipairs(cand_keys) do
  local c = cand[lk]
  local scores = redis.call('ZMSCORE', lk, unpack(c.ids))
  c.leased, c.released = {}, {}
  for j, id in ipairs(c.ids) do
    if scores[j] then c.leased[id] = true end
  end
end

-- Pass 2: apply each item in order.
local out = {}
for i = 1, n do
  local it = items[i]
  local a = it.a
  local id, lease, st = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local found, applied, stored, released = 0, 0, 0, 0
  local s = state[it.mk]
  local cur = s and s.st
  if s then
    found = 1
    local fields = {}
    if r(st) > r(cur) then
      local cmid, err = ARGV[a + 3], ARGV[a + 4]
      fields[1], fields[2], fields[3], fields[4] = 'st', st, 'up', ARGV[a + 5]
      if cmid ~= '' then fields[#fields + 1] = 'cmid'; fields[#fields + 1] = cmid end
      if err ~= '' then fields[#fields + 1] = 'err'; fields[#fields + 1] = err end
      if st == 'submitted' and cmid ~= '' then
        redis.call('SET', ARGV[2] .. '{' .. s.car .. '}:' .. cmid, id, 'PXAT', ARGV[a + 6])
      end
      applied = 1
      cur = st
      s.st = st
    end
    -- Ours when the hash holds our lease AND the entry is still in the lease zset (and no
    -- earlier item of this call released it).
    local c = cand[it.lk]
    if lease ~= '' and s.lease == lease and c and c.leased[id] then
      c.leased[id] = nil
      c.released[#c.released + 1] = id
      s.lease = ''
      fields[#fields + 1] = 'lease'
      fields[#fields + 1] = ''
      released = 1
    end
    if #fields > 0 then redis.call('HSET', it.mk, unpack(fields)) end
    if it.ek and cur == st then
      local e = it.ev
      if redis.call('EXISTS', it.ek) == 0 then
        redis.call('HSET', it.ek, 'id', ARGV[e], 'kind', ARGV[e + 1], 'tgt', ARGV[e + 2], 'body', ARGV[e + 3],
          'att', 0, 'next', ARGV[e + 4], 'cr', ARGV[e + 5], 'err', '', 'lease', '')
        redis.call('ZADD', KEYS[1], ARGV[e + 4], ARGV[e])
      end
      stored = 1
    end
  end
  out[i] = {found, applied, cur or '', stored, released}
end

for _, lk in ipairs(cand_keys) do
  local ids = cand[lk].released
  if #ids > 0 then redis.call('ZREM', lk, unpack(ids)) end
end
return out
