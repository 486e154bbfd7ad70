-- import: bulk suppressions (smsgwctl import), HSETNX per record in one call instead of one
-- command each. KEYS: suppression hashes. ARGV: for key i, 2i-1 sender, 2i value
-- ("reason\31source\31at\31sealed"). Returns how many were new (the others were kept as stored).
-- Touches many numbers' slots: single Redis (or primary) only, like claim.lua.
local added = 0
for i, k in ipairs(KEYS) do
  added = added + redis.call('HSETNX', k, ARGV[2 * i - 1], ARGV[2 * i])
end
return added
