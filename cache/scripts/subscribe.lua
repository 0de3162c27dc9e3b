-- Opens a back-in-stock subscription unless it is open or the SKU's
-- subscriptions are full.
--
-- KEYS[1] the subscriptions hash of (stock, SKU); ARGV[1] subscriber,
-- ARGV[2] time, ARGV[3] max subscriptions per SKU.
-- Replies CREATED, ALREADY_OPEN or FULL (constants defined by the loader,
-- cache/subscription_store.cc).
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return ALREADY_OPEN end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return FULL end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return CREATED
