-- admit: decide (suppression -> consent -> caps -> quiet hours), reserve the cap slot and enqueue,
-- atomically, for each of N requests in order (the store coalesces concurrent admissions into one
-- call; each request is decided on its own and sees the reservations of the earlier ones).
-- Built for throughput (docs/stores.md, "Admission script"): what several requests share comes
-- once per call as a profile; every number the script writes or sends to Redis arrives as a
-- ready string (it never turns a Lua number into a string); one RPUSH per queue per call.
--
-- ARGV[1] = N, ARGV[2] = the suppression senders hash (sender -> id bytes), ARGV[3] = how the
-- message hash is written ('r' RESTORE of a payload built by the client | 'h' HSET of its
-- fields), ARGV[4] = P, then P profiles: sender, scope (global|sender), consent ('0' none | '1'
--   any sender | 's' this sender), category, outcome ('queued' | 'scheduled' | 'leased' queued
--   and leased to the caller at once, lease id 'a' | 'r' refused by quiet hours), idempotency ('0'|'1'), carrier, cap keys count C, then per cap key: mode ('s'
--   string | 'z' zset), expiry ms (its longest window; '0' = nothing recorded), rules count R,
--   then R pairs (window ms, max).
-- KEYS[1..P] = the queue of each profile (ready list when queued, scheduled zset when scheduled,
-- lease zset when leased).
-- Then each request takes, in order:
--   ARGV [its profile number, when P > 1], now (13 digits), [send_at ms, when scheduled; the
--     lease's expiry ms, when leased],
--     the message record ('r': the RESTORE payload of its hash, '' when refused by quiet hours;
--     'h': the packed immutable fields, length-prefixed: id, sealed e164, text, campaign, client
--     ref, segments, encoding, created ms, valid until ms, api key), message id, the number's
--     suffix in its suppression bucket (binary), ['h': number key], [idempotency: expiry (unix
--     ms), request hash], [per zset-mode cap key: the oldest admission time kept, then per rule
--     the oldest admission time that counts (13 digits each)];
--   KEYS suppression bucket, [consents hash], its C cap keys, message hash, [idempotency hash].
-- A cap key in mode 's' is a string of 13-digit admission times, ascending; in mode 'z' a zset
-- of message ids scored by admission time. The client picks the mode from the largest max of the
-- key's rules; a key found in the other representation is converted (exact, no double count).
-- Returns one entry per request: 0 accepted | 1 opted out | 2 no consent | {3, cap number, rule
-- number, free at ms} capped: the reached rule that holds the number back longest and the unix
-- ms from which it allows the next message (0: never, a max of 0) | 4 quiet hours | 5 RESTORE
-- refused, the key exists | 6 RESTORE refused otherwise (5, 6: nothing of the request was
-- written; the client sends it again with 'h') | {hash, message id} duplicate of an earlier
-- idempotent request. Out of memory (or a read-only server) fails the whole call.
-- Locals: each use of a global costs a lookup in the globals table.
local KEYS, ARGV, redis, type, tonumber = KEYS, ARGV, redis, type, tonumber
local W = 13
local senders = ARGV[2]
local sender_ids = {}

-- Profiles.
local profiles = {}
local restore = ARGV[3] == 'r'
local np = tonumber(ARGV[4])
local ai = 5
for p = 1, np do
  local caps = {}
  -- sender, scope, consent, category, outcome, idempotency, caps, queue, zset arguments, carrier
  local prof = {ARGV[ai], ARGV[ai + 1], ARGV[ai + 2], ARGV[ai + 3], ARGV[ai + 4], ARGV[ai + 5] == '1', caps, KEYS[p], 0,
    ARGV[ai + 6]}
  local zargs = 0
  ai = ai + 8
  for c = 1, tonumber(ARGV[ai - 1]) do
    -- mode, expiry, longest window, rules {window, max}, smallest max
    local rules = {}
    local cap = {ARGV[ai], ARGV[ai + 1], tonumber(ARGV[ai + 1]), rules, math.huge}
    ai = ai + 3
    for r = 1, tonumber(ARGV[ai - 1]) do
      rules[r] = {tonumber(ARGV[ai]), tonumber(ARGV[ai + 1])}
      cap[5] = math.min(cap[5], rules[r][2])
      ai = ai + 2
    end
    if cap[1] == 'z' then zargs = zargs + 1 + #rules end
    caps[c] = cap
  end
  prof[9] = zargs
  -- One string cap key that can record an admission (max >= 1, an expiry) of a profile that is
  -- not refused by quiet hours: its read is `SET … NX GET`, which records the admission at once
  -- when the key is new (see below).
  prof[11] = #caps == 1 and caps[1][1] == 's' and caps[1][5] > 0 and caps[1][2] ~= '0' and prof[5] ~= 'r'
  prof[12] = prof[4] .. '\31'  -- the consent fields of the category start with it
  profiles[tostring(p)] = prof
end
local ki = np + 1
local single = np == 1 and profiles['1']  -- one profile: requests do not name it

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

local function consented(key, mode, cat, sender)
  if mode == 's' then
    local c = redis.call('HMGET', key, cat, cat .. sender)
    return (c[1] or c[2]) and true or false
  end
  -- Any sender: a consent for every sender (field `category␟`, the usual one) answers with one
  -- HEXISTS; only without it are the fields searched for one of another sender.
  if redis.call('HEXISTS', key, cat) == 1 then return true end
  for _, f in ipairs(redis.call('HKEYS', key)) do
    if string.sub(f, 1, #cat) == cat then return true end
  end
  return false
end

-- The admission time at position i (1-based) of a string cap key, as a number.
local function at(v, i)
  return tonumber(string.sub(v, i * W - W + 1, i * W))
end

-- Mode 's': the key's admission times. A zset (left by a rule set with a larger
-- max) is read the same way; the SET that records the admission replaces it.
local function cap_string(key)
  local v = redis.pcall('GET', key)
  if type(v) == 'string' then return v end
  if not v then return '' end
  local r = redis.call('ZRANGEBYSCORE', key, '-inf', '+inf', 'WITHSCORES')
  local parts = {}
  for i = 2, #r, 2 do parts[#parts + 1] = string.rep('0', W - #r[i]) .. r[i] end
  return table.concat(parts)
end

-- Mode 'z': admissions at or after `from`. A string (left by a rule set with smaller maxima)
-- becomes a zset first (members '\0' .. i stand for the admissions whose ids it did not keep).
local function zset_count(key, from, expiry)
  local c = redis.pcall('ZCOUNT', key, from, '+inf')
  if type(c) == 'number' then return c end
  local v = redis.call('GET', key)
  redis.call('DEL', key)
  if #v > 0 then
    local args = {}
    for i = 1, #v / W do
      args[#args + 1] = string.sub(v, i * W - W + 1, i * W)
      args[#args + 1] = '\0' .. i
    end
    redis.call('ZADD', key, unpack(args))
    redis.call('PEXPIRE', key, expiry)
  end
  return redis.call('ZCOUNT', key, from, '+inf')
end

-- A refusal by caps names the reached rule that holds the number back longest: `capped` (the
-- earlier reached rule, nil for none) or this one ({3, cap number, rule number, free at ms}).
local function longer(capped, c, r, free)
  if not capped or (capped[4] ~= 0 and (free == 0 or free > capped[4])) then return {3, c, r, free} end
  return capped
end

local values = {}  -- the new value of each string cap key of the request being decided
local ready, ready_n = {}, {}  -- queue key -> {id, ...}
local sched, sched_n = {}, {}  -- scheduled zset key -> {send_at, id, ...}
local lease_queues = {}  -- the lease zsets among them
local out = {}
for i = 1, tonumber(ARGV[1]) do
  local prof = single
  if not prof then
    prof = profiles[ARGV[ai]]
    ai = ai + 1
  end
  local now = ARGV[ai]
  local send_at = now
  if prof[5] == 'scheduled' or prof[5] == 'leased' then
    send_at = ARGV[ai + 1]
    ai = ai + 1
  end
  local record, id, suffix = ARGV[ai + 1], ARGV[ai + 2], ARGV[ai + 3]
  local nk
  if restore then
    ai = ai + 4
  else
    nk = ARGV[ai + 4]
    ai = ai + 5
  end
  local sender, scope, consent, outcome, caps = prof[1], prof[2], prof[3], prof[5], prof[7]
  local idem_exp, idem_hash
  if prof[6] then
    idem_exp, idem_hash = ARGV[ai], ARGV[ai + 1]
    ai = ai + 2
  end
  local zai = ai
  ai = ai + prof[9]
  local bucket = KEYS[ki]
  ki = ki + 1
  local con_key
  if consent ~= '0' then
    con_key = KEYS[ki]
    ki = ki + 1
  end
  local cap_ki = ki
  ki = ki + #caps
  local msg_key = KEYS[ki]
  ki = ki + 1
  local idem_key
  if idem_exp then
    idem_key = KEYS[ki]
    ki = ki + 1
  end

  local result
  if idem_key then
    local h = redis.call('HMGET', idem_key, 'hash', 'mid')
    if h[1] then result = {h[1], h[2] or ''} end
  end
  if result then
  elseif suppressed(bucket, suffix, sender, scope) then
    result = 1
  elseif con_key and not consented(con_key, consent, prof[12], sender) then
    result = 2
  end
  -- Caps: every rule of every cap key; the new value of each string key is kept for the write.
  -- A refusal still reads every rule: it names the reached rule that holds the number back
  -- longest (cap number, rule number, the ms from which it allows the next message; 0: never).
  local recorded, capped
  if not result and #caps > 0 then
    for c = 1, #caps do
      local cap, key = caps[c], KEYS[cap_ki + c - 1]
      local rules = cap[4]
      if cap[1] == 's' then
        local v
        if prof[11] then
          -- A new key (nil: no admission within the window) is written by this very command, with
          -- the value and expiry the SET below would give it: one command instead of GET + SET.
          -- An existing string is only read (NX); a zset answers WRONGTYPE and is read as below.
          v = redis.pcall('SET', key, now, 'PX', cap[2], 'NX', 'GET')
          if v == false then
            recorded = true
            v = nil
          elseif type(v) ~= 'string' then
            v = cap_string(key)
          end
        else
          v = cap_string(key)
        end
        if recorded then
          values[c] = now
        elseif v == '' then
          -- No admission yet (or all expired): capped only by a rule with max 0.
          if cap[5] == 0 then
            for r = 1, #rules do
              if rules[r][2] == 0 then capped, result = longer(capped, c, r, 0), 3 break end
            end
          end
          values[c] = now
        else
          local n = #v / W
          local t = tonumber(now)
          for r = 1, #rules do
            -- Count the admissions within the rule's window, newest first, up to its max; when
            -- reached, the max-th newest leaves the window at its time + the window.
            local from, max = t - rules[r][1] + 1, rules[r][2]
            local seen, j = 0, n
            while seen < max and j > 0 and at(v, j) >= from do seen, j = seen + 1, j - 1 end
            if seen >= max then
              capped, result = longer(capped, c, r, max == 0 and 0 or at(v, j + 1) + rules[r][1]), 3
            end
          end
          if not result then
            -- Keep the admissions from the longest window on; insert now in order.
            local oldest, keep, pos = t - cap[3] + 1, 0, n
            while keep < n and at(v, keep + 1) < oldest do keep = keep + 1 end
            while pos > keep and at(v, pos) > t do pos = pos - 1 end
            if keep == 0 and pos == n then
              values[c] = v .. now
            else
              values[c] = string.sub(v, keep * W + 1, pos * W) .. now .. string.sub(v, pos * W + 1)
            end
          end
        end
      else
        for r = 1, #rules do
          local max = rules[r][2]
          if zset_count(key, ARGV[zai + r], cap[2]) >= max then
            local free = 0
            if max > 0 then
              local s = redis.call('ZREVRANGEBYSCORE', key, '+inf', ARGV[zai + r], 'WITHSCORES', 'LIMIT', max - 1, 1)
              free = tonumber(s[2]) + rules[r][1]
            end
            capped, result = longer(capped, c, r, free), 3
          end
        end
        values[c] = ARGV[zai]
        zai = zai + 1 + #rules
      end
    end
  end
  if not result and outcome == 'r' then result = 4 end
  if not result and restore then
    -- The message hash in one command; nothing is written for this request when it fails.
    local r = redis.pcall('RESTORE', msg_key, '0', record)
    if type(r) == 'table' and r.err then
      -- Out of memory or a read-only replica: HSET would fail the same way; fail the call as before.
      if string.find(r.err, '^OOM') or string.find(r.err, '^READONLY') then return redis.error_reply(r.err) end
      result = string.find(r.err, 'BUSYKEY', 1, true) and 5 or 6
      -- The cap key this request created is removed: nothing of the request stays written.
      if recorded then redis.call('DEL', KEYS[cap_ki]) end
    end
  end
  if not result then
    for c = 1, #caps do
      local cap, key = caps[c], KEYS[cap_ki + c - 1]
      if cap[2] ~= '0' and not recorded then
        if cap[1] == 's' then
          redis.call('SET', key, values[c], 'PX', cap[2])
        else
          redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. values[c])
          redis.call('ZADD', key, now, id)
          redis.call('PEXPIRE', key, cap[2])
        end
      end
    end
    if not restore then
      local fields = {'d', record, 'nk', nk, 'car', prof[10], 'snd', sender, 'cat', prof[4], 'scope', scope,
        'st', outcome, 'up', now, 'sa', send_at, 'ns', suffix}
      if outcome == 'leased' then
        -- As a claim leaves it: queued, leased, delivered once.
        fields[14], fields[18] = 'queued', now
        for _, v in ipairs({'lease', 'a', 'dlv', '1'}) do fields[#fields + 1] = v end
      end
      redis.call('HSET', msg_key, unpack(fields))
    end
    local queue = prof[8]
    if outcome == 'scheduled' or outcome == 'leased' then
      local s = sched[queue]
      if not s then
        s = {}
        sched[queue] = s
        sched_n[#sched_n + 1] = queue
        if outcome == 'leased' then lease_queues[queue] = true end
      end
      s[#s + 1] = send_at
      s[#s + 1] = id
    else
      local q = ready[queue]
      if not q then
        q = {}
        ready[queue] = q
        ready_n[#ready_n + 1] = queue
      end
      q[#q + 1] = id
    end
    if idem_key then
      redis.call('HSET', idem_key, 'hash', idem_hash, 'mid', id, 'resp', '', 'cr', now, 'exp', idem_exp)
      redis.call('PEXPIREAT', idem_key, idem_exp)
    end
    result = 0
  end
  out[i] = result == 3 and capped or result
end
-- Enqueue in admission order (nothing above reads the queues).
for _, key in ipairs(ready_n) do redis.call('RPUSH', key, unpack(ready[key])) end
-- A lease zset also gets claim.lua's +inf member (it keeps the zset a skiplist + dict, where adding
-- and removing a lease is O(log n) instead of a walk along a listpack: docs/stores.md, "Queue").
for _, key in ipairs(sched_n) do
  local s = sched[key]
  if lease_queues[key] then
    s[#s + 1] = '+inf'
    s[#s + 1] = '\0smsgw lease zset: keeps it a skiplist' .. string.rep('.', 46)
  end
  redis.call('ZADD', key, unpack(s))
end
return out
