-- Replaces a hash with the given pairs in one step (readers never see it
-- half-written).
--
-- KEYS[1] the hash (the sales channels hash); ARGV field, value, field,
-- value, ... Replies 1.
redis.call('DEL', KEYS[1])
for i = 1, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
return 1
