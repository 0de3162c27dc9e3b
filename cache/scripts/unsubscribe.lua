#!lua
-- Withdraws a back-in-stock subscription (cache/subscription_store.h).
--
-- KEYS[1] the subscriptions hash of (stock, SKU), KEYS[2] the subscriber's
-- index on the stock; ARGV[1] subscriber, ARGV[2] SKU. Replies 1 when an
-- open subscription was removed, else 0 (none, or an expired one (Redis's
-- clock), removed too).
local value = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
if not value then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
local e = string.match(value, ',(%d+)$')
if e == nil then return 1 end
local t = redis.call('TIME')
if tonumber(e) <= tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) then
  return 0
end
return 1
