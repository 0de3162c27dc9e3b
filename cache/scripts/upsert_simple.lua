#!lua
-- The bulk upsert script: write_records.lua's U items for a batch of simple
-- records (no composite among them), with the same results, events, jobs
-- and snapshot set, at a fraction of the Redis time: it reads all records
-- and summaries with one MGET and one HMGET, works out every transition
-- first, and writes with one MSET, one HSET and one SADD; only the events,
-- the notification jobs and the reads they need go per record. The first
-- import of a snapshot, and every later one, goes through it.
--
-- KEYS and ARGV[1..5] as in write_records.lua (KEYS[1] events stream,
-- KEYS[2] jobs stream, KEYS[3] summaries hash, KEYS[4] snapshot set or the
-- summaries hash, KEYS[5] fencing counter or the summaries hash, then per
-- item KEYS[6+2i] record key, KEYS[7+2i] subscriptions key; ARGV[1] events
-- MAXLEN, ARGV[2] jobs MAXLEN, ARGV[3] snapshot TTL or "", ARGV[4] stock id,
-- ARGV[5] fencing token or ""), then 5 per item: sku, version (8 bytes
-- big-endian), version (decimal), value, summary ("<status>,<eta>,<net>,
-- <low>", as stored after the version in the summaries hash).
--
-- Replies per item as write_records.lua's {code, stored version, events,
-- jobs, parents} (APPLIED or STALE); or, before anything is written, the
-- status reply "GENERAL" when a record of the batch was a composite (its
-- component list is stored): then the caller runs write_records.lua, which
-- also keeps the composite index. Errors as write_records.lua's (FENCED,
-- WRONGTYPE naming the key; nothing written).
--
-- All or nothing as write_records.lua: every key it reads or writes has its
-- type checked before the first write, the same keys. In bulk where it can:
-- an EXISTS over the record keys that counts more keys than MGET found
-- strings means one holds another type (then one by one, to name it); the
-- subscriptions and parents keys are checked one by one only when an
-- EXISTS over them finds any.
--
-- Named constants from the loader as in write_records.lua.
local NFIX = 5
local NPER = 5
local CHUNK = 1000
local events_max = tonumber(ARGV[1])
local jobs_max = tonumber(ARGV[2])
local snap_ttl = ARGV[3]
local stock = ARGV[4]
local sums = KEYS[3]
local n = (#ARGV - NFIX) / NPER

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

local fixed = {{KEYS[1], 'stream'}, {KEYS[2], 'stream'}, {sums, 'hash'}}
if KEYS[4] ~= sums then fixed[#fixed + 1] = {KEYS[4], 'set'} end
for _, c in ipairs(fixed) do
  local err = wrong_type(c[1], c[2])
  if err then return redis.error_reply(err) end
end

-- `cmd` over `list` in chunks (Lua's stack bounds unpack): the replies
-- appended to `out` (a table), or the integer replies summed.
local function bulk(cmd, first, list, out)
  local total = 0
  for s = 1, #list, CHUNK do
    local e = math.min(s + CHUNK - 1, #list)
    local r
    if first then
      r = redis.call(cmd, first, unpack(list, s, e))
    else
      r = redis.call(cmd, unpack(list, s, e))
    end
    if out then
      for k = 1, #r do out[#out + 1] = r[k] end
    elseif type(r) == 'number' then
      total = total + r
    end
  end
  return total
end

local rkeys, skeys, skus, ckeys, pkeys, tags = {}, {}, {}, {}, {}, {}
for i = 1, n do
  local rkey, sku = KEYS[NFIX + 2 * i - 1], ARGV[NFIX + (i - 1) * NPER + 1]
  local tag = string.sub(rkey, 1, #rkey - #sku - 2)
  rkeys[i], skeys[i], skus[i], tags[i] = rkey, KEYS[NFIX + 2 * i], sku, tag
  ckeys[i] = tag .. 'comp:' .. sku
  pkeys[i] = tag .. 'parents:' .. sku
end
local cur = {}
bulk('MGET', nil, rkeys, cur)
local strings = 0
for i = 1, n do if cur[i] then strings = strings + 1 end end
if bulk('EXISTS', nil, rkeys) ~= strings then
  for i = 1, n do
    local err = wrong_type(rkeys[i], 'string')
    if err then return redis.error_reply(err) end
  end
end
if bulk('EXISTS', nil, ckeys) > 0 then return {ok = 'GENERAL'} end
if bulk('EXISTS', nil, skeys) > 0 then
  for i = 1, n do
    local err = wrong_type(skeys[i], 'hash')
    if err then return redis.error_reply(err) end
  end
end
-- The composites that list each record, with their component lists (read
-- now: simple records change neither).
local parents_of = {}
if bulk('EXISTS', nil, pkeys) > 0 then
  for i = 1, n do
    local err = wrong_type(pkeys[i], 'set')
    if err then return redis.error_reply(err) end
    local members = redis.call('SMEMBERS', pkeys[i])
    if #members > 0 then
      local list = {}
      for _, p in ipairs(members) do
        local ckey = tags[i] .. 'comp:' .. p
        err = wrong_type(ckey, 'string')
        if err then return redis.error_reply(err) end
        list[#list + 1] = p
        list[#list + 1] = redis.call('GET', ckey) or ''
      end
      parents_of[i] = list
    end
  end
end
local sumv = {}
bulk('HMGET', sums, skus, sumv)

local function ver(b)
  return struct.unpack('>i4I4', b)
end
local function newer(a, b)
  local ah, al = ver(a)
  local bh, bl = ver(b)
  return ah > bh or (ah == bh and al > bl)
end
local function parse(tail)
  local s, e, nt, l = string.match(tail, '^(%-?%d+),(%-?%d+),(%-?%d+),([01])$')
  if s then return tonumber(s), tonumber(e), nt, l end
  return nil
end

-- Pass 1, no writes: each item's outcome and transitions. `state` holds
-- the stored version and summary of SKUs an earlier item of the call
-- wrote, so a SKU twice in a batch behaves as in write_records.lua.
local state = {}
local results, plans = {}, {}
local msets, hsets = {}, {}
for i = 1, n do
  local a = NFIX + (i - 1) * NPER
  local sku, vb, value, tail = skus[i], ARGV[a + 2], ARGV[a + 4], ARGV[a + 5]
  local stored, sum
  local st = state[sku]
  if st then
    stored, sum = st[1], st[2]
  else
    local c = cur[i]
    sum = sumv[i]
    if c and #c >= 9 and string.byte(c, 1) == 1 then
      stored = string.sub(c, 2, 9)
    elseif sum and #sum >= 8 then
      stored = string.sub(sum, 1, 8)
    end
  end
  if stored and not newer(vb, stored) then
    results[i] = {STALE, stored, 0, 0}
  else
    local otail = ''
    if sum and #sum > 8 then otail = string.sub(sum, 9) end
    msets[#msets + 1] = rkeys[i]
    msets[#msets + 1] = value
    local newsum = vb .. tail
    hsets[#hsets + 1] = sku
    hsets[#hsets + 1] = newsum
    state[sku] = {vb, newsum}
    results[i] = {APPLIED, vb, 0, 0}
    if otail ~= tail then
      local ostatus, oeta, onet, olow = parse(otail)
      local known = ostatus ~= nil and ostatus ~= S_UNKNOWN
      if not ostatus then
        ostatus, oeta, onet, olow = S_UNKNOWN, -1, '0', '0'
      end
      local nstatus, neta, nnet, nlow = parse(tail)
      local events = {}
      local to_in_stock = false
      if nstatus ~= ostatus then
        local t = 'OUT_OF_STOCK'
        if nstatus == S_IN_STOCK then t = 'BACK_IN_STOCK'; to_in_stock = true
        elseif nstatus == S_BACKORDERABLE then t = 'BACKORDER_STARTED'
        elseif nstatus == S_PREORDER then t = 'ETA_CHANGED'
        elseif nstatus == S_DISCONTINUED then t = 'DISCONTINUED' end
        events[#events + 1] = t
      elseif neta ~= oeta then
        events[#events + 1] = 'ETA_CHANGED'
      end
      if known and nlow == '1' and olow == '0' then
        events[#events + 1] = 'LOW_STOCK'
      end
      plans[i] = {events, ostatus, nstatus, neta, nnet, to_in_stock}
      if parents_of[i] and
         (nstatus ~= ostatus or neta ~= oeta or nnet ~= onet) then
        results[i][5] = parents_of[i]
      end
    end
  end
end

-- Pass 2: the writes.
local function xadd(key, maxlen, fields)
  if maxlen > 0 then
    redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', unpack(fields))
  else
    redis.call('XADD', key, '*', unpack(fields))
  end
end
for i = 1, n do
  local plan = plans[i]
  if plan then
    local a = NFIX + (i - 1) * NPER
    local sku, vd = skus[i], ARGV[a + 3]
    local events, ostatus, nstatus, neta, nnet = plan[1], plan[2], plan[3],
                                                 plan[4], plan[5]
    for _, t in ipairs(events) do
      xadd(KEYS[1], events_max, {'type', t, 'sku', sku, 'stock', stock,
           'version', vd, 'old_status', tostring(ostatus),
           'new_status', tostring(nstatus), 'eta', tostring(neta),
           'net', nnet})
    end
    results[i][3] = #events
    if plan[6] then
      local skey = skeys[i]
      local subs = redis.call('HGETALL', skey)
      if #subs > 0 then
        for j = 1, #subs, 2 do
          xadd(KEYS[2], jobs_max, {'sku', sku, 'stock', stock,
               'subscriber', subs[j], 'subscribed_at', subs[j + 1],
               'version', vd})
        end
        results[i][4] = #subs / 2
        redis.call('DEL', skey)
      end
    end
  end
end
if #msets > 0 then
  bulk('MSET', nil, msets)
  bulk('HSET', sums, hsets)
end
if snap_ttl ~= '' then
  bulk('SADD', KEYS[4], skus)
  redis.call('EXPIRE', KEYS[4], snap_ttl)
end
return results
