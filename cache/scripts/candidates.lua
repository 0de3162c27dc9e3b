-- Reads a batch's records and the candidates for alternatives in one round
-- trip. Read-only (EVALSHA_RO; works on replicas).
--
-- KEYS: `n` record keys, then the category ranking keys. ARGV: n,
-- per_category, record key prefix of the stock.
-- Replies {MGET of the n keys, then per category a flat list sku1, value1,
-- sku2, value2, ... of its ranked SKUs that have a record}. The record keys
-- of ranked SKUs are built here, not passed in KEYS: they share the stock's
-- hash tag, so they live in the same cluster slot.
local n = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local prefix = ARGV[3]
local result = {}
if n > 0 then
  result[1] = redis.call('MGET', unpack(KEYS, 1, n))
else
  result[1] = {}
end
for i = n + 1, #KEYS do
  local found = {}
  if per > 0 then
    local skus = redis.call('LRANGE', KEYS[i], 0, per - 1)
    if #skus > 0 then
      local keys = {}
      for j = 1, #skus do keys[j] = prefix .. skus[j] end
      local values = redis.call('MGET', unpack(keys))
      for j = 1, #skus do
        if values[j] then
          found[#found + 1] = skus[j]
          found[#found + 1] = values[j]
        end
      end
    end
  end
  result[#result + 1] = found
end
return result
