-- admit: decide (suppression -> consent -> caps -> quiet hours), reserve the cap slot and enqueue,
-- atomically, for each of N requests in order (the store coalesces concurrent admissions into one
-- call; each request is decided on its own and sees the reservations of the earlier ones).
-- Every number the script writes or compares arrives as a ready string from the client: the
-- script never turns a Lua number into a string (docs/stores.md, "Admission script").
-- ARGV[1] = N, ARGV[2] = the suppression senders hash (sender -> id bytes).
-- Each request then takes, in order (a = its next ARGV, k = its next KEYS):
--   a sender, scope (global|sender), consent ('0' none | '1' any sender | 's' this sender),
--     category, outcome ('queued' | 'scheduled' | 'r' refused by quiet hours), send_at ms,
--     now (13 digits), packed immutable fields (length-prefixed: id, sealed e164, text, campaign,
--     client ref, segments, encoding, created ms, valid until ms, api key), message id,
--     number key, carrier, the number's suffix in its suppression bucket (binary),
--     idempotency expiry (unix ms; '' = no idempotency key), its request hash, cap keys count C;
--   then for each of the C cap keys: mode ('s' string | 'z' zset), expiry ms (the longest
--     window), the oldest admission time still kept (13 digits), rules count R, then R pairs: oldest admission time that counts (13 digits),
--     max (expiry '0': no rule has a positive window, nothing is recorded);
--   k suppression bucket, [consents hash when consent is not '0'], C cap keys, message hash,
--     queue (ready list when queued, scheduled zset when scheduled), [idempotency hash].
-- A cap key in mode 's' is a string of 13-digit admission times, ascending; in mode 'z' a zset
-- of message ids scored by admission time. The client picks the mode from the largest max of the
-- key's rules; a key found in the other representation is converted (exact, no double count).
-- Returns one entry per request: 0 accepted | 1 opted out | 2 no consent | 3 capped |
-- 4 quiet hours | {hash, message id} duplicate of an earlier idempotent request.
local W = 13
local senders = ARGV[2]
local sender_ids = {}
local ready, ready_n = {}, {}  -- queue key -> {id, ...}: one RPUSH per queue at the end
local sched, sched_n = {}, {}  -- scheduled zset key -> {send_at, id, ...}: one ZADD per zset

local function sender_id(sender)
  local id = sender_ids[sender]
  if id == nil then
    id = redis.call('HGET', senders, sender) or false
    sender_ids[sender] = id
  end
  return id
end

-- A field of the bucket is the suffix (global) or the suffix followed by the sender's id bytes.
-- scope global: any suppression of the number; scope sender: the global one or this sender's.
local function suppressed(bucket, suffix, sender, scope)
  if redis.call('HEXISTS', bucket, suffix) == 1 then return true end
  if scope == 'global' then
    local pat = string.gsub(suffix, '[%*%?%[%]\\]', '\\%0') .. '*'
    local cursor = '0'
    repeat
      local r = redis.call('HSCAN', bucket, cursor, 'MATCH', pat, 'COUNT', 1000)
      if #r[2] > 0 then return true end
      cursor = r[1]
    until cursor == '0'
    return false
  end
  if sender == '' then return false end
  local id = sender_id(sender)
  return id and redis.call('HEXISTS', bucket, suffix .. id) == 1
end

local function consented(key, mode, category, sender)
  local cat = category .. '\31'
  if mode == 's' then
    local c = redis.call('HMGET', key, cat, cat .. sender)
    return (c[1] or c[2]) and true or false
  end
  for _, f in ipairs(redis.call('HKEYS', key)) do
    if string.sub(f, 1, #cat) == cat then return true end
  end
  return false
end

-- Left-pads a zset score (an integer in ms) to W digits.
local function pad(s)
  if #s >= W then return s end
  return string.rep('0', W - #s) .. s
end

-- The string representation of a cap key: its admission times (W digits each, ascending) from
-- `oldest` on. A zset left by a rule set with a larger max is read the same way.
local function cap_string(key, oldest)
  local v = redis.pcall('GET', key)
  if type(v) == 'string' then return v end
  if not v then return '' end
  local r = redis.call('ZRANGEBYSCORE', key, oldest, '+inf', 'WITHSCORES')
  local parts = {}
  for i = 2, #r, 2 do parts[#parts + 1] = pad(r[i]) end
  return table.concat(parts)
end

-- The zset representation: a string left by a rule set with smaller maxima becomes a zset
-- (members '\0' .. i stand for the admissions whose ids the string does not keep).
local function string_to_zset(key, expiry)
  local v = redis.call('GET', key)
  redis.call('DEL', key)
  if #v == 0 then return end
  local args = {}
  for i = 0, #v / W - 1 do
    args[#args + 1] = string.sub(v, i * W + 1, i * W + W)
    args[#args + 1] = '\0' .. i
  end
  redis.call('ZADD', key, unpack(args))
  redis.call('PEXPIRE', key, expiry)
end

-- Admissions of a zset cap key at or after `from`.
local function zset_count(key, from, expiry)
  local c = redis.pcall('ZCOUNT', key, from, '+inf')
  if type(c) == 'number' then return c end
  string_to_zset(key, expiry)
  return redis.call('ZCOUNT', key, from, '+inf')
end

-- Checks the rules of every cap key of a request; returns nil when one is reached, else the
-- writes to do if the request is accepted: {key, mode, expiry ms, new value | oldest kept}.
local function check_caps(ki, ai, count, now)
  local writes = {}
  for c = 1, count do
    local key, mode, expiry, oldest, rules = KEYS[ki], ARGV[ai], ARGV[ai + 1], ARGV[ai + 2], tonumber(ARGV[ai + 3])
    ki, ai = ki + 1, ai + 4
    if mode == 's' then
      local v = cap_string(key, oldest)
      local n = #v / W
      -- Rule by rule: count the admissions at or after its bound, newest first.
      for _ = 1, rules do
        local from, max = tonumber(ARGV[ai]), tonumber(ARGV[ai + 1])
        ai = ai + 2
        local seen, i = 0, n
        while seen < max and i > 0 and tonumber(string.sub(v, i * W - W + 1, i * W)) >= from do
          seen, i = seen + 1, i - 1
        end
        if seen >= max then return nil end
      end
      if expiry ~= '0' then
        -- Keep the admissions from `oldest` on and insert `now` in order.
        local keep, o = 0, tonumber(oldest)
        while keep < n and tonumber(string.sub(v, keep * W + 1, keep * W + W)) < o do keep = keep + 1 end
        local at, t = n, tonumber(now)
        while at > keep and tonumber(string.sub(v, at * W - W + 1, at * W)) > t do at = at - 1 end
        writes[#writes + 1] = {key, 's', expiry, string.sub(v, keep * W + 1, at * W) .. now .. string.sub(v, at * W + 1)}
      end
    else
      for _ = 1, rules do
        local from, max = ARGV[ai], tonumber(ARGV[ai + 1])
        ai = ai + 2
        if zset_count(key, from, expiry) >= max then return nil end
      end
      if expiry ~= '0' then writes[#writes + 1] = {key, 'z', expiry, oldest} end
    end
  end
  return writes
end

local n = tonumber(ARGV[1])
local out = {}
local ai, ki = 3, 1
for i = 1, n do
  local sender, scope, consent, category, outcome, send_at, now, packed, id, nk, carrier, suffix, idem_exp,
    idem_hash, caps = ARGV[ai], ARGV[ai + 1], ARGV[ai + 2], ARGV[ai + 3], ARGV[ai + 4], ARGV[ai + 5],
    ARGV[ai + 6], ARGV[ai + 7], ARGV[ai + 8], ARGV[ai + 9], ARGV[ai + 10], ARGV[ai + 11], ARGV[ai + 12],
    ARGV[ai + 13], tonumber(ARGV[ai + 14])
  local cap_ai = ai + 15
  local rules = 0
  for c = 1, caps do
    rules = rules + tonumber(ARGV[cap_ai + 4 * (c - 1) + 2 * rules + 3])
  end
  ai = cap_ai + 4 * caps + 2 * rules
  local bucket = KEYS[ki]
  ki = ki + 1
  local con_key
  if consent ~= '0' then
    con_key = KEYS[ki]
    ki = ki + 1
  end
  local cap_ki = ki
  ki = ki + caps
  local msg_key, queue_key = KEYS[ki], KEYS[ki + 1]
  ki = ki + 2
  local idem_key
  if idem_exp ~= '' then
    idem_key = KEYS[ki]
    ki = ki + 1
  end

  local result, writes
  if idem_key then
    local h = redis.call('HMGET', idem_key, 'hash', 'mid')
    if h[1] then result = {h[1], h[2] or ''} end
  end
  if result then
  elseif suppressed(bucket, suffix, sender, scope) then
    result = 1
  elseif con_key and not consented(con_key, consent, category, sender) then
    result = 2
  else
    writes = check_caps(cap_ki, cap_ai, caps, now)
    if not writes then
      result = 3
    elseif outcome == 'r' then
      result = 4
    end
  end
  if not result then
    for _, w in ipairs(writes) do
      if w[2] == 's' then
        redis.call('SET', w[1], w[4], 'PX', w[3])
      else
        redis.call('ZREMRANGEBYSCORE', w[1], '-inf', '(' .. w[4])
        redis.call('ZADD', w[1], now, id)
        redis.call('PEXPIRE', w[1], w[3])
      end
    end
    redis.call('HSET', msg_key, 'd', packed, 'nk', nk, 'car', carrier, 'snd', sender, 'cat', category,
      'scope', scope, 'st', outcome, 'up', now, 'sa', send_at, 'ns', suffix)
    if outcome == 'scheduled' then
      local s = sched[queue_key]
      if not s then
        s = {}
        sched[queue_key] = s
        sched_n[#sched_n + 1] = queue_key
      end
      s[#s + 1] = send_at
      s[#s + 1] = id
    else
      local q = ready[queue_key]
      if not q then
        q = {}
        ready[queue_key] = q
        ready_n[#ready_n + 1] = queue_key
      end
      q[#q + 1] = id
    end
    if idem_key then
      redis.call('HSET', idem_key, 'hash', idem_hash, 'mid', id, 'resp', '', 'cr', now, 'exp', idem_exp)
      redis.call('PEXPIREAT', idem_key, idem_exp)
    end
    result = 0
  end
  out[i] = result
end
-- Enqueue in admission order (nothing above reads the queues).
for _, key in ipairs(ready_n) do redis.call('RPUSH', key, unpack(ready[key])) end
for _, key in ipairs(sched_n) do redis.call('ZADD', key, unpack(sched[key])) end
return out
