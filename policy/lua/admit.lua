-- admit: decide (suppression -> consent -> caps -> quiet hours), reserve the cap slot and enqueue,
-- atomically. KEYS: 1 suppressions hash, 2 consents hash, 3 category cap zset, 4 campaign cap
-- zset, 5 message hash, 6 ready list, 7 scheduled zset, 8 idempotency hash.
-- ARGV: 1 sender, 2 scope (global|sender), 3 consent required (1|0), 4 consent per sender (1|0),
-- 5 category, 6 caps "window_ms,max,per_campaign;...", 7 quiet (a|d|r), 8 defer until ms,
-- 9 now ms, 10 idempotency (1|0), 11 request hash, 12 idempotency expiry ms, 13 requested send_at,
-- 14.. message: id, number key, sealed e164, carrier, text, campaign, client ref, segments,
-- encoding, created ms, valid until ms.
-- Returns {'dup', hash, message id} | {'refused', reason} | {'ok', status, send_at}.
local now = tonumber(ARGV[9])
if ARGV[10] == '1' then
  local h = redis.call('HMGET', KEYS[8], 'hash', 'mid')
  if h[1] then return {'dup', h[1], h[2] or ''} end
end
local sender = ARGV[1]
if ARGV[2] == 'global' then
  if redis.call('HLEN', KEYS[1]) > 0 then return {'refused', 'recipient_opted_out'} end
else
  local s = redis.call('HMGET', KEYS[1], '', sender)
  if s[1] or s[2] then return {'refused', 'recipient_opted_out'} end
end
if ARGV[3] == '1' then
  local cat = ARGV[5] .. '\31'
  local ok = false
  if ARGV[4] == '1' then
    local c = redis.call('HMGET', KEYS[2], cat, cat .. sender)
    ok = (c[1] or c[2]) and true or false
  else
    for _, f in ipairs(redis.call('HKEYS', KEYS[2])) do
      if string.sub(f, 1, #cat) == cat then ok = true break end
    end
  end
  if not ok then return {'refused', 'no_consent'} end
end
local longest_cat, longest_camp = 0, 0
for w, mx, pc in string.gmatch(ARGV[6], '(%d+),(%d+),(%d)') do
  w = tonumber(w)
  local key = KEYS[3]
  if pc == '1' then
    key = KEYS[4]
    if w > longest_camp then longest_camp = w end
  elseif w > longest_cat then
    longest_cat = w
  end
  if redis.call('ZCOUNT', key, '(' .. (now - w), '+inf') >= tonumber(mx) then
    return {'refused', 'frequency_capped'}
  end
end
if ARGV[7] == 'r' then return {'refused', 'quiet_hours'} end
local send_at = now
local requested = tonumber(ARGV[13])
if requested > send_at then send_at = requested end
if ARGV[7] == 'd' and tonumber(ARGV[8]) > send_at then send_at = tonumber(ARGV[8]) end
local id = ARGV[14]
if longest_cat > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - longest_cat)
  redis.call('ZADD', KEYS[3], now, id)
  redis.call('PEXPIRE', KEYS[3], longest_cat)
end
if longest_camp > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - longest_camp)
  redis.call('ZADD', KEYS[4], now, id)
  redis.call('PEXPIRE', KEYS[4], longest_camp)
end
local status = 'queued'
if send_at > now then status = 'scheduled' end
redis.call('HSET', KEYS[5], 'id', id, 'nk', ARGV[15], 'e164', ARGV[16], 'car', ARGV[17], 'snd', sender,
  'txt', ARGV[18], 'cat', ARGV[5], 'camp', ARGV[19], 'ref', ARGV[20], 'seg', ARGV[21], 'enc', ARGV[22],
  'st', status, 'cmid', '', 'err', '', 'cr', ARGV[23], 'up', ARGV[9], 'sa', send_at, 'vu', ARGV[24],
  'att', 0, 'scope', ARGV[2], 'dlv', 0)
if status == 'scheduled' then
  redis.call('ZADD', KEYS[7], send_at, id)
else
  redis.call('RPUSH', KEYS[6], id)
end
if ARGV[10] == '1' then
  redis.call('HSET', KEYS[8], 'hash', ARGV[11], 'mid', id, 'resp', '', 'cr', ARGV[9], 'exp', ARGV[12])
  redis.call('PEXPIREAT', KEYS[8], ARGV[12])
end
return {'ok', status, send_at}
