-- Replaces a list with the given elements in one step (readers never see
-- it half-written); RPUSHes in slices of 500 to stay under Lua's unpack
-- limit.
--
-- KEYS[1] the list (a category ranking); ARGV the SKUs in order. Replies 1.
redis.call('DEL', KEYS[1])
local i = 1
while i <= #ARGV do
  local j = math.min(i + 499, #ARGV)
  redis.call('RPUSH', KEYS[1], unpack(ARGV, i, j))
  i = j + 1
end
return 1
