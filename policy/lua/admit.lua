-- admit: decide (suppression -> consent -> caps -> quiet hours), reserve the cap slot and enqueue,
-- atomically, for each of N requests in order (the store coalesces concurrent admissions into one
-- call; each request is decided on its own and sees the reservations of the earlier ones).
-- ARGV[1] = N, ARGV[2] = the suppression senders hash (sender -> id bytes).
-- Request i uses KEYS[8(i-1)+1 .. 8i] and ARGV[2+18(i-1)+1 .. 2+18i]:
-- KEYS: 1 suppression bucket of the number (docs/stores.md, "Suppressions"), 2 consents hash, 3 category cap zset, 4 campaign cap zset,
-- 5 message hash, 6 ready list, 7 scheduled zset, 8 idempotency hash.
-- ARGV: 1 sender, 2 scope (global|sender), 3 consent required (1|0), 4 consent per sender (1|0),
-- 5 category, 6 caps "window_ms,max,per_campaign;...", 7 quiet (a|d|r), 8 defer until ms,
-- 9 now ms, 10 idempotency (1|0), 11 request hash, 12 idempotency expiry ms, 13 requested send_at,
-- 14 the immutable message fields packed by the client (length-prefixed: id, sealed e164, text,
-- campaign, client ref, segments, encoding, created ms, valid until ms), 15 message id,
-- 16 number key, 17 carrier, 18 the number's suffix in its suppression bucket (binary).
-- Returns one entry per request: {'dup', hash, message id} | {'refused', reason} |
-- {'ok', status, send_at}.
local senders = ARGV[2]

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
  local id = redis.call('HGET', senders, sender)
  return id and redis.call('HEXISTS', bucket, suffix .. id) == 1
end

local function admit(K, A)
  local now = tonumber(A[9])
  if A[10] == '1' then
    local h = redis.call('HMGET', K[8], 'hash', 'mid')
    if h[1] then return {'dup', h[1], h[2] or ''} end
  end
  local sender = A[1]
  if suppressed(K[1], A[18], sender, A[2]) then return {'refused', 'recipient_opted_out'} end
  if A[3] == '1' then
    local cat = A[5] .. '\31'
    local ok = false
    if A[4] == '1' then
      local c = redis.call('HMGET', K[2], cat, cat .. sender)
      ok = (c[1] or c[2]) and true or false
    else
      for _, f in ipairs(redis.call('HKEYS', K[2])) do
        if string.sub(f, 1, #cat) == cat then ok = true break end
      end
    end
    if not ok then return {'refused', 'no_consent'} end
  end
  local longest_cat, longest_camp = 0, 0
  for w, mx, pc in string.gmatch(A[6], '(%d+),(%d+),(%d)') do
    w = tonumber(w)
    local key = K[3]
    if pc == '1' then
      key = K[4]
      if w > longest_camp then longest_camp = w end
    elseif w > longest_cat then
      longest_cat = w
    end
    if redis.call('ZCOUNT', key, '(' .. (now - w), '+inf') >= tonumber(mx) then
      return {'refused', 'frequency_capped'}
    end
  end
  if A[7] == 'r' then return {'refused', 'quiet_hours'} end
  local send_at = now
  local requested = tonumber(A[13])
  if requested > send_at then send_at = requested end
  if A[7] == 'd' and tonumber(A[8]) > send_at then send_at = tonumber(A[8]) end
  local id = A[15]
  if longest_cat > 0 then
    redis.call('ZREMRANGEBYSCORE', K[3], '-inf', now - longest_cat)
    redis.call('ZADD', K[3], now, id)
    redis.call('PEXPIRE', K[3], longest_cat)
  end
  if longest_camp > 0 then
    redis.call('ZREMRANGEBYSCORE', K[4], '-inf', now - longest_camp)
    redis.call('ZADD', K[4], now, id)
    redis.call('PEXPIRE', K[4], longest_camp)
  end
  local status = 'queued'
  if send_at > now then status = 'scheduled' end
  redis.call('HSET', K[5], 'd', A[14], 'nk', A[16], 'car', A[17], 'snd', sender, 'cat', A[5],
    'scope', A[2], 'st', status, 'up', A[9], 'sa', send_at, 'ns', A[18])
  if status == 'scheduled' then
    redis.call('ZADD', K[7], send_at, id)
  else
    redis.call('RPUSH', K[6], id)
  end
  if A[10] == '1' then
    redis.call('HSET', K[8], 'hash', A[11], 'mid', id, 'resp', '', 'cr', A[9], 'exp', A[12])
    redis.call('PEXPIREAT', K[8], A[12])
  end
  return {'ok', status, send_at}
end

local n = tonumber(ARGV[1])
local out = {}
for i = 0, n - 1 do
  local K, A = {}, {}
  for j = 1, 8 do K[j] = KEYS[8 * i + j] end
  for j = 1, 18 do A[j] = ARGV[2 + 18 * i + j] end
  out[i + 1] = admit(K, A)
end
return out
