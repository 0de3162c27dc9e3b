-- What the two write scripts (write_records.lua and upsert_simple.lua)
-- share, placed by the loader (cache/record_writer.cc) after a script's
-- "#!lua" line and named constants and before its own code: Redis scripts
-- cannot include one another.
--
-- KEYS[1..5] and ARGV[1..5] as write_records.lua describes them (events
-- stream, jobs stream, summaries hash, snapshot set, fencing counter;
-- events MAXLEN, jobs MAXLEN, snapshot TTL, stock id, fencing token). It
-- refuses a call whose fencing token is below the counter (FENCED, nothing
-- written) and checks the type of the fixed keys; each script checks the
-- keys of its items after it.
local events_max = tonumber(ARGV[1])
local jobs_max = tonumber(ARGV[2])
local snap_ttl = ARGV[3]
local stock = ARGV[4]
local sums = KEYS[3]

-- The error text when `key` holds another type than `want` (nil when it
-- holds that type or nothing).
local function wrong_type(key, want)
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= want then
    return 'WRONGTYPE ' .. key .. ' holds a ' .. t .. ', expected a ' ..
           want .. '; nothing of stock ' .. stock .. ' was written'
  end
  return nil
end

local fence_token = ARGV[5]
if fence_token ~= '' then
  local current = tonumber(redis.call('GET', KEYS[5]) or '0')
  if tonumber(fence_token) < current then
    return redis.error_reply('FENCED writer token ' .. fence_token ..
                             ' is below the current token ' .. current ..
                             ' (another writer holds the lease); nothing ' ..
                             'of stock ' .. stock .. ' was written')
  end
end

do
  local fixed = {{KEYS[1], 'stream'}, {KEYS[2], 'stream'}, {sums, 'hash'}}
  if KEYS[4] ~= sums then fixed[#fixed + 1] = {KEYS[4], 'set'} end
  for _, c in ipairs(fixed) do
    local err = wrong_type(c[1], c[2])
    if err then return redis.error_reply(err) end
  end
end

-- Versions are 8 bytes big-endian, compared as two 32-bit halves (Lua's
-- numbers are doubles).
local function ver(b)
  return struct.unpack('>i4I4', b)
end
local function newer(a, b)
  local ah, al = ver(a)
  local bh, bl = ver(b)
  return ah > bh or (ah == bh and al > bl)
end

-- The events stream's bound (0: none), applied once per call that
-- appended events: the scripts' XADDs do not trim.
local function trim_events()
  if events_max > 0 then
    redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', events_max)
  end
end

-- Redis's clock in unix ms, read once (subscription expiry).
local now_cached = nil
local function now_ms()
  if not now_cached then
    local t = redis.call('TIME')
    now_cached = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return now_cached
end

-- Exact decimal of an 8-byte big-endian non-negative integer.
local function dec(b)
  local bytes = {string.byte(b, 1, 8)}
  if bytes[1] >= 128 then return '-1' end
  local digits = {}
  while true do
    local r, nz = 0, false
    for k = 1, 8 do
      local c = r * 256 + bytes[k]
      bytes[k] = math.floor(c / 10)
      r = c % 10
      if bytes[k] ~= 0 then nz = true end
    end
    table.insert(digits, 1, tostring(r))
    if not nz then break end
  end
  return table.concat(digits)
end

-- A SKU came back in stock: each open back-in-stock subscription in `skey`
-- becomes one notification job on the jobs stream (trimmed to its bound as
-- it is added), and every subscription goes. `vd` is the write's version in
-- decimal (nil: worked out from the 8 bytes `vb`, only when there is a
-- subscription). Returns the number of jobs queued.
local function queue_jobs(skey, sku, vb, vd)
  local subs = redis.call('HGETALL', skey)
  if #subs == 0 then return 0 end
  vd = vd or dec(vb)
  local queued = 0
  for j = 1, #subs, 2 do
    -- "<subscribed ms>,<expires ms>" (cache/subscription_store.h; without
    -- the expiry: open); expired ones queue nothing.
    local at, exp = string.match(subs[j + 1], '^([^,]*),(%d+)$')
    if not at then at = subs[j + 1] end
    if not exp or tonumber(exp) > now_ms() then
      local fields = {'sku', sku, 'stock', stock, 'subscriber', subs[j],
                      'subscribed_at', at, 'version', vd}
      if jobs_max > 0 then
        redis.call('XADD', KEYS[2], 'MAXLEN', '~', jobs_max, '*',
                   unpack(fields))
      else
        redis.call('XADD', KEYS[2], '*', unpack(fields))
      end
      queued = queued + 1
    end
  end
  redis.call('DEL', skey)
  return queued
end
