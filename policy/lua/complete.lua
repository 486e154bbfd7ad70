-- complete: final outcomes of claimed entries, each atomic: forward-only status move (as
-- set_status.lua, with the correlation of `submitted`), the status webhook event into the outbox
-- when the status was applied or already is that status (idempotent on the event id, as
-- outbox.lua 'put'), and the release of the lease when it is still ours (as release.lua 'ack').
-- KEYS: 1 outbox pending zset, then per item: lease zset, message hash, [event hash: only when
-- the item has an event].
-- ARGV: 1 item count, 2 correlation key prefix, then per item 8 fields: 1 message id, 2 lease
-- id, 3 status, 4 carrier message id, 5 error, 6 at ms, 7 correlation expiry ms, 8 has event
-- (1|0); with an event 6 more: event id, kind, target, body, next attempt ms, created ms.
-- Returns one integer per item: found 1 + applied 2 + event stored 4 + released 8, plus 16 x the
-- current status' code (1 queued, 2 scheduled, 3 submitted, 4 delivered, 5 undeliverable,
-- 6 expired, 7 rejected, 8 failed; 0 none or unknown): one reply value per item instead of five
-- (each value of a script's reply is converted Lua -> Redis, then parsed by the client).
-- The items are applied in order, each exactly as if alone (an item may repeat a message of an
-- earlier one). Leases (claim.lua): 'd<n>' is the claim of delivery n, ours while the hash has
-- no lease of its own and `dlv` (deliveries ended) is n - 1; any other id is ours while the
-- hash's `lease` holds it (admission 'a', the previous claim.lua). Releasing ends the delivery:
-- `dlv` = n, or `lease` set to '' (absent or '' both mean "no lease").
-- Few inner calls (each redis.call costs several µs): per item one HMGET, one HSET
-- (the status fields and, when released, `dlv` or `lease`),
-- the correlation SET and the event (EXISTS + HSET + ZADD); per lease zset of the call one ZREM
-- (the released ones; its count proves they were still leased, see below). Few Lua tables per
-- item too (each costs allocations and garbage collection): the HMGET reply is the message's
-- state, one argument table is reused, the reply is one integer per item.
local KEYS, ARGV = KEYS, ARGV  -- locals: a global lookup per use otherwise
local rank = {scheduled = 0, queued = 1, submitted = 2}
local code = {queued = 16, scheduled = 32, submitted = 48, delivered = 64, undeliverable = 80, expired = 96,
  rejected = 112, failed = 128}
local n = tonumber(ARGV[1])

-- The delivery number after `dlv` deliveries ended, as a string without formatting a number for
-- the usual small counts (tostring costs more than the rest of an item).
local following = {['0'] = '1', ['1'] = '2', ['2'] = '3', ['3'] = '4', ['4'] = '5', ['5'] = '6', ['6'] = '7',
  ['7'] = '8', ['8'] = '9'}
-- Per item, when it holds its lease (pass 1): the value that ends it, '' for a hash lease (`lease`
-- := ''), the delivery number for a claim's lease (`dlv` := it); false when it does not hold it.
local hold = {}

-- Pass 1: read each message once ({st, car, lease[, dlv]}), note the entries that may still be ours.
local state, cand, cand_keys, cand_car = {}, {}, {}, {}
local ki, ai = 2, 3
for i = 1, n do
  local lk, mk = KEYS[ki], KEYS[ki + 1]
  local has_event = ARGV[ai + 7] == '1'
  local lease = ARGV[ai + 1]
  -- A claim's lease ('d<n>') needs the delivery count too; the admission's ('a') does not (a
  -- string comparison of interned strings: cheaper than looking at the first byte).
  local derived = lease ~= 'a'
  local s = state[mk]
  if s == nil then
    if derived then
      s = redis.call('HMGET', mk, 'st', 'car', 'lease', 'dlv')
    else
      s = redis.call('HMGET', mk, 'st', 'car', 'lease')
    end
    if not s[1] then s = false end
    state[mk] = s
  end
  -- Whether the item holds its lease in the message's state before this call (see `hold`). Later
  -- items of the same message see the same state: only the first one that
  -- holds it releases it (c[id] below).
  local value = false
  if s and lease ~= '' then
    local own = s[3]
    if own and own ~= '' then
      if own == lease then value = '' end
    elseif derived then
      -- (the state was read without the count by an earlier item with another kind of lease)
      if s[4] == nil then s[4] = redis.call('HGET', mk, 'dlv') end  -- false when absent
      local d = s[4] or '0'
      local next = following[d] or tostring((tonumber(d) or 0) + 1)
      if lease == 'd' .. next then value = next end
    end
  end
  hold[i] = value
  if value then
    local c = cand[lk]
    if not c then
      c = {}
      cand[lk] = c
      cand_keys[#cand_keys + 1] = lk
      cand_car[lk] = {}
    end
    local id = ARGV[ai]
    if c[id] == nil then
      c[id] = false
      c[#c + 1] = id
      cand_car[lk][#c] = s[2]
    end
  end
  ki, ai = ki + (has_event and 3 or 2), ai + (has_event and 14 or 8)
end

-- Release the candidates: one ZREM per lease zset. A hash holds a lease only while its entry is in
-- the lease zset (claim.lua ends the delivery when it reclaims an expired one; release.lua
-- and this script end it when they release), so every candidate is still leased to its
-- caller, and ZREM's count proves it. Each candidate is released by its first item (c[id] = true
-- until then). A count that falls short means hashes that still hold a lease reclaimed by an
-- earlier version of claim.lua (which did not clear it; those entries went back to the ready
-- list) or an item naming another carrier than its message's: the candidates found in the ready
-- list or whose message has another carrier are not released.
for _, lk in ipairs(cand_keys) do
  local c = cand[lk]
  if redis.call('ZREM', lk, unpack(c)) == #c then
    for j = 1, #c do c[c[j]] = true end
  else
    local ready, cars = string.sub(lk, 1, -6) .. 'ready', cand_car[lk]
    for j = 1, #c do
      local tail = '{' .. cars[j] .. '}:lease'
      if string.sub(lk, -#tail) == tail and not redis.call('LPOS', ready, c[j]) then c[c[j]] = true end
    end
  end
end

-- Pass 2: apply each item in order.
local out = {}
local fields = {}
ki, ai = 2, 3
for i = 1, n do
  local lk, mk = KEYS[ki], KEYS[ki + 1]
  local a = ai
  local has_event = ARGV[a + 7] == '1'
  local id, lease, st = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local found, applied, stored, released = 0, 0, 0, 0
  local s = state[mk]
  local cur = s and s[1]
  if s then
    found = 1
    local nf = 0
    if (rank[st] or 3) > (rank[cur] or 3) then
      local cmid, err = ARGV[a + 3], ARGV[a + 4]
      fields[1], fields[2], fields[3], fields[4] = 'st', st, 'up', ARGV[a + 5]
      nf = 4
      if cmid ~= '' then fields[nf + 1], fields[nf + 2], nf = 'cmid', cmid, nf + 2 end
      if err ~= '' then fields[nf + 1], fields[nf + 2], nf = 'err', err, nf + 2 end
      if st == 'submitted' and cmid ~= '' then
        redis.call('SET', ARGV[2] .. '{' .. s[2] .. '}:' .. cmid, id, 'PXAT', ARGV[a + 6])
      end
      applied = 1
      cur = st
      s[1] = st
    end
    -- Ours when the hash holds our lease AND the entry is still in the lease zset (and no
    -- earlier item of this call released it).
    local c = cand[lk]
    local value = hold[i]
    if value and c and c[id] then
      c[id] = false
      fields[nf + 1], fields[nf + 2], nf = value == '' and 'lease' or 'dlv', value, nf + 2
      released = 1
    end
    if nf > 0 then redis.call('HSET', mk, unpack(fields, 1, nf)) end
    if has_event and cur == st then
      local ek, e = KEYS[ki + 2], a + 8
      if redis.call('EXISTS', ek) == 0 then
        redis.call('HSET', ek, 'id', ARGV[e], 'kind', ARGV[e + 1], 'tgt', ARGV[e + 2], 'body', ARGV[e + 3],
          'att', 0, 'next', ARGV[e + 4], 'cr', ARGV[e + 5], 'err', '', 'lease', '')
        redis.call('ZADD', KEYS[1], ARGV[e + 4], ARGV[e])
      end
      stored = 1
    end
  end
  out[i] = found + 2 * applied + 4 * stored + 8 * released + (cur and code[cur] or 0)
  ki, ai = ki + (has_event and 3 or 2), ai + (has_event and 14 or 8)
end

return out
