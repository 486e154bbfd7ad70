-- suppression: one number's suppressions, stored in its bucket (docs/stores.md, "Suppressions").
-- KEYS: 1 bucket hash (P sup:<first 4 hex digits of the number key>), 2 senders hash
-- (sender -> id bytes), 3 ids hash (id bytes -> sender), 4 put: the feed stream (P feed:sup).
-- ARGV: 1 mode, 2 suffix (the other 30 bytes of the HMAC, binary), 3 sender ('' = global),
-- 4 put: the packed value / check: scope (global|sender), 5 put: the number key (hex), 6 put:
-- the record's at_ms.
-- A field is the suffix alone (global) or the suffix followed by the sender's id bytes.
-- put -> 1 stored, 0 an existing one kept; del -> 1 removed, 0 none; check -> 1 blocked, 0 not;
-- read -> {sender, value, ...} of every suppression of the number.
local bucket, senders, ids = KEYS[1], KEYS[2], KEYS[3]
local mode, suffix, sender = ARGV[1], ARGV[2], ARGV[3]

local function sender_id(create)
  if sender == '' then return '' end
  local id = redis.call('HGET', senders, sender)
  if id or not create then return id end
  local n = redis.call('HLEN', ids) + 1
  id = ''
  while n > 0 do
    id = string.char(n % 256) .. id
    n = math.floor(n / 256)
  end
  redis.call('HSET', senders, sender, id)
  redis.call('HSET', ids, id, sender)
  return id
end

-- Every field of the number (HSCAN MATCH on the suffix, glob characters escaped).
local function fields()
  local pat = string.gsub(suffix, '[%*%?%[%]\\]', '\\%0') .. '*'
  local out, seen, cursor = {}, {}, '0'
  repeat
    local r = redis.call('HSCAN', bucket, cursor, 'MATCH', pat, 'COUNT', 1000)
    cursor = r[1]
    for i = 1, #r[2], 2 do
      local f = r[2][i]
      if not seen[f] then
        seen[f] = true
        out[#out + 1] = f
        out[#out + 1] = r[2][i + 1]
      end
    end
  until cursor == '0'
  return out
end

if mode == 'put' then
  local stored = redis.call('HSETNX', bucket, suffix .. sender_id(true), ARGV[4])
  -- A new one goes to the feed (KEYS[4], a stream) that every instance polls.
  if stored == 1 and KEYS[4] then
    redis.call('XADD', KEYS[4], 'MAXLEN', '~', 10000, '*', 'k', ARGV[5], 's', sender, 't', ARGV[6])
  end
  return stored
elseif mode == 'del' then
  local id = sender_id(false)
  if not id then return 0 end
  return redis.call('HDEL', bucket, suffix .. id)
elseif mode == 'check' then
  if redis.call('HEXISTS', bucket, suffix) == 1 then return 1 end
  if ARGV[4] == 'global' then
    if #fields() > 0 then return 1 end
    return 0
  end
  local id = sender_id(false)
  if id and redis.call('HEXISTS', bucket, suffix .. id) == 1 then return 1 end
  return 0
end
-- read
local f = fields()
local out = {}
for i = 1, #f, 2 do
  local tail = string.sub(f[i], #suffix + 1)
  local name = ''
  if tail ~= '' then name = redis.call('HGET', ids, tail) or ('?' .. tail) end
  out[#out + 1] = name
  out[#out + 1] = f[i + 1]
end
return out
