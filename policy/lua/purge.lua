-- purge: retention and erasure over one SCAN page of message hashes (the client scans
-- P msg:{*} and passes each page's keys).
-- KEYS: message hashes. ARGV: 1 mode (purge|erase), 2 number key (erase),
-- 3 bodies of messages final before this ms (0 = keep), 4 records final before this ms (0 = keep),
-- 5 dry run (1|0).
-- A message is final unless its status is scheduled, queued or submitted; its final time is
-- 'up' (the last status change). Bodies live in the packed field 'd' (length-prefixed: id, sealed
-- e164, text, ...): the text is replaced by an empty string.
-- Returns {records removed (erase: messages removed), bodies removed}.
local mode, dry = ARGV[1], ARGV[5] == '1'
local bodies_before, records_before = tonumber(ARGV[3]), tonumber(ARGV[4])
local live = {scheduled = true, queued = true, submitted = true}
local records, bodies = 0, 0

local function fields(s)
  local out, pos = {}, 1
  while pos <= #s do
    local colon = string.find(s, ':', pos, true)
    if not colon then break end
    local len = tonumber(string.sub(s, pos, colon - 1)) or 0
    out[#out + 1] = string.sub(s, colon + 1, colon + len)
    pos = colon + 1 + len
  end
  return out
end

for _, k in ipairs(KEYS) do
  local f = redis.call('HMGET', k, 'st', 'up', 'nk')
  if f[1] then
    if mode == 'erase' then
      if f[3] == ARGV[2] then
        records = records + 1
        if not dry then redis.call('DEL', k) end
      end
    elseif not live[f[1]] then
      local up = tonumber(f[2]) or 0
      if records_before > 0 and up <= records_before then
        records = records + 1
        if not dry then redis.call('DEL', k) end
      elseif bodies_before > 0 and up <= bodies_before then
        local d = fields(redis.call('HGET', k, 'd') or '')
        if d[3] and d[3] ~= '' then
          bodies = bodies + 1
          if not dry then
            d[3] = ''
            local parts = {}
            for i, v in ipairs(d) do parts[i] = #v .. ':' .. v end
            redis.call('HSET', k, 'd', table.concat(parts))
          end
        end
      end
    end
  end
end
return {records, bodies}
