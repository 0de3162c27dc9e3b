#!lua
-- Opens a back-in-stock subscription (cache/subscription_store.h) unless
-- it is open already, the SKU has no record on the stock, the SKU's
-- subscriptions are full or the subscriber's are.
--
-- KEYS[1] the subscriptions hash of (stock, SKU): subscriber ->
-- "<subscribed ms>,<expires ms>"; KEYS[2] the record key of (stock, SKU);
-- KEYS[3] the subscriber's index on the stock: sorted set SKU -> expires ms.
-- ARGV[1] subscriber, ARGV[2] subscribe time (unix ms, stored for the
-- job; expiry runs on Redis's clock, TIME), ARGV[3] max subscriptions per
-- SKU, ARGV[4] max open subscriptions per subscriber, ARGV[5] expiry (ms),
-- ARGV[6] SKU, ARGV[7] the prefix of the stock's subscriptions hashes
-- (KEYS[1] without the SKU: same hash tag, same cluster slot).
-- Replies CREATED, ALREADY_OPEN, SKU_FULL, SUBSCRIBER_FULL or UNKNOWN_SKU
-- (constants defined by the loader, cache/subscription_store.cc).
--
-- Expired entries go on access: the index by score, a SKU's hash when it
-- is full (a random sample of SAMPLE entries per call, only then); both
-- keys expire whole one expiry after their newest subscription. Values without ",<expires>" (written
-- before subscriptions expired) count as open.
if redis.call('EXISTS', KEYS[2]) == 0 then return UNKNOWN_SKU end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local subscriber = ARGV[1]
local max_sku, max_subscriber = tonumber(ARGV[3]), tonumber(ARGV[4])
local ttl, sku, sub_prefix = tonumber(ARGV[5]), ARGV[6], ARGV[7]

local function expired(value)
  local e = string.match(value, ',(%d+)$')
  return e ~= nil and tonumber(e) <= now
end

local current = redis.call('HGET', KEYS[1], subscriber)
if current then
  if not expired(current) then return ALREADY_OPEN end
  redis.call('HDEL', KEYS[1], subscriber)
end

if redis.call('HLEN', KEYS[1]) >= max_sku then
  -- Full: drop the expired among a random sample, so a caller hammering a
  -- full SKU costs O(SAMPLE), not O(max per SKU), per call. (The key
  -- expires whole once its newest entry has.)
  local some = redis.call('HRANDFIELD', KEYS[1], SAMPLE, 'WITHVALUES')
  for j = 1, #some, 2 do
    if expired(some[j + 1]) then redis.call('HDEL', KEYS[1], some[j]) end
  end
  if redis.call('HLEN', KEYS[1]) >= max_sku then return SKU_FULL end
end

redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[3]) >= max_subscriber then
  -- Entries whose subscription is gone (notified or withdrawn) drop out.
  for _, s in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
    local v = redis.call('HGET', sub_prefix .. s, subscriber)
    if not v or expired(v) then redis.call('ZREM', KEYS[3], s) end
  end
  if redis.call('ZCARD', KEYS[3]) >= max_subscriber then
    return SUBSCRIBER_FULL
  end
end

local expires = now + ttl
redis.call('HSET', KEYS[1], subscriber, ARGV[2] .. ',' .. expires)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[3], expires, sku)
redis.call('PEXPIRE', KEYS[3], ttl)
return CREATED
