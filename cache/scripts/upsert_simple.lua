#!lua
-- The bulk upsert script: write_records.lua's U items for a batch of simple
-- records (no composite among them), with the same results, events, jobs
-- and snapshot set, at a fraction of the Redis time: it reads all records
-- and summaries with one MGET and one HMGET, works out every transition
-- first, and writes with one MSET, one HSET and one SADD; only the events,
-- the notification jobs and the reads they need go per record (the events
-- stream is trimmed once per call, as write_records.lua does). The first
-- import of a snapshot, and every later one, goes through it.
--
-- KEYS and ARGV[1..5] as in write_records.lua (KEYS[1] events stream,
-- KEYS[2] jobs stream, KEYS[3] summaries hash, KEYS[4] snapshot set or the
-- summaries hash, KEYS[5] fencing counter or the summaries hash, then per
-- item KEYS[6+2i] record key, KEYS[7+2i] subscriptions key; ARGV[1] events
-- MAXLEN, ARGV[2] jobs MAXLEN, ARGV[3] snapshot TTL or "", ARGV[4] stock id,
-- ARGV[5] fencing token or ""), then 8 per item: sku, version (8 bytes
-- big-endian), version (decimal), value, status, eta, net, low (as
-- write_records.lua's, in canonical decimal: they are compared as strings).
--
-- Reply, compact (a few objects per call, not five per item): {codes,
-- versions, events, jobs, parents} with `codes` one byte per item ("A"
-- applied, "S" stale), `versions` the stored version of each (8 bytes
-- each), `events` the events each appended (one byte each), `jobs` flat
-- {item (0-based), notification jobs queued, ...} and `parents` flat
-- {item, {sku, components, ...}, ...} for the items that have them (as
-- write_records.lua's per-item replies). Or, before anything is written,
-- the status reply "GENERAL" when a record of the batch was a composite
-- (its component list is stored): then the caller runs write_records.lua,
-- which also keeps the composite index. Errors as write_records.lua's (FENCED,
-- WRONGTYPE naming the key; nothing written).
--
-- All or nothing as write_records.lua: every key it reads or writes has its
-- type checked before the first write, the same keys. In bulk where it can:
-- an EXISTS over the record keys that counts more keys than MGET found
-- strings means one holds another type (then one by one, to name it); the
-- subscriptions and parents keys are checked one by one only when an
-- EXISTS over them finds any.
--
-- Named constants and write_prelude.lua from the loader as in
-- write_records.lua.
--
-- The "-- stage:" comments mark where availability-write-script-stages
-- (bench/write_script_stages.cc) cuts the script to measure what each part
-- costs; they change nothing here.
local NFIX = 5
local NPER = 8
local CHUNK = 1000
local n = (#ARGV - NFIX) / NPER

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
      local m = #out
      for k = 1, #r do out[m + k] = r[k] end
    elseif type(r) == 'number' then
      total = total + r
    end
  end
  return total
end

-- stage: key tables
-- Every record key of the call is on one stock: one tag (the record key
-- without "r:<sku>") for all.
local tag = ''
if n > 0 then
  local rkey = KEYS[NFIX + 1]
  tag = string.sub(rkey, 1, #rkey - #ARGV[NFIX + 1] - 2)
end
local ctag, ptag = tag .. 'comp:', tag .. 'parents:'
local rkeys, skeys, skus, ckeys, pkeys = {}, {}, {}, {}, {}
do
  local k, a = NFIX, NFIX + 1
  for i = 1, n do
    local sku = ARGV[a]
    rkeys[i], skeys[i], skus[i] = KEYS[k + 1], KEYS[k + 2], sku
    ckeys[i] = ctag .. sku
    pkeys[i] = ptag .. sku
    k, a = k + 2, a + NPER
  end
end
-- stage: reads (MGET of the records, type and index checks)
local cur = {}
bulk('MGET', nil, rkeys, cur)
local strings = 0
for i = 1, n do if cur[i] then strings = strings + 1 end end
-- (All strings: nothing else to check, the common case of a re-import.)
if strings < n and bulk('EXISTS', nil, rkeys) ~= strings then
  for i = 1, n do
    local err = wrong_type(rkeys[i], 'string')
    if err then return redis.error_reply(err) end
  end
end
if bulk('EXISTS', nil, ckeys) > 0 then return {ok = 'GENERAL'} end
local subs_exist = bulk('EXISTS', nil, skeys) > 0
if subs_exist then
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
        local ckey = ctag .. p
        err = wrong_type(ckey, 'string')
        if err then return redis.error_reply(err) end
        list[#list + 1] = p
        list[#list + 1] = redis.call('GET', ckey) or ''
      end
      parents_of[i] = list
    end
  end
end
-- stage: summaries (HMGET)
local sumv = {}
bulk('HMGET', sums, skus, sumv)

-- A stored summary's "<status>,<eta>,<net>,<low>", as strings; nil when
-- malformed.
local function parse(tail)
  return string.match(tail, '^(%-?%d+),(%-?%d+),(%-?%d+),([01])$')
end

-- stage: transitions (outcomes and events worked out in Lua)
-- Pass 1, no writes: each item's outcome and transitions, in parallel
-- arrays (no table per item). `sver`/`ssum` hold the version and summary a
-- SKU got from an earlier item of the call, so a SKU twice in a batch
-- behaves as in write_records.lua. Statuses, dates and nets stay strings
-- (compared as such: the C++ writes them in canonical decimal, as the
-- stored summaries are), and a stored summary is parsed only when it
-- differs from the new one.
local UNKNOWN = tostring(S_UNKNOWN)
local IN_STOCK = tostring(S_IN_STOCK)
local TYPE_OF = {[tostring(S_BACKORDERABLE)] = 'BACKORDER_STARTED',
                 [tostring(S_PREORDER)] = 'ETA_CHANGED',
                 [tostring(S_DISCONTINUED)] = 'DISCONTINUED',
                 [IN_STOCK] = 'BACK_IN_STOCK'}
local sver, ssum = {}, {}
local ZERO_EVENTS = string.char(0)
local codes, versions, counts, jobs, parents = {}, {}, {}, {}, {}
local msets, hsets, nw = {}, {}, 0  -- nw: the length of both
local ev1, ev2, ost = {}, {}, {}
local any_events = false
for i = 1, n do
  local a = NFIX + (i - 1) * NPER
  local sku, vb = skus[i], ARGV[a + 2]
  local stored, sum = sver[sku], ssum[sku]
  if not stored then
    local c = cur[i]
    sum = sumv[i]
    if c and #c >= 9 and string.byte(c, 1) == 1 then
      stored = string.sub(c, 2, 9)
    elseif sum and #sum >= 8 then
      stored = string.sub(sum, 1, 8)
    end
  end
  if stored and (stored == vb or not newer(vb, stored)) then
    codes[i], versions[i], counts[i] = 'S', stored, ZERO_EVENTS
  else
    local ns, ne, nnet, nlow = ARGV[a + 5], ARGV[a + 6], ARGV[a + 7],
                               ARGV[a + 8]
    local tail = ns .. ',' .. ne .. ',' .. nnet .. ',' .. nlow
    msets[nw + 1], msets[nw + 2] = rkeys[i], ARGV[a + 4]
    local newsum = vb .. tail
    hsets[nw + 1], hsets[nw + 2] = sku, newsum
    nw = nw + 2
    sver[sku], ssum[sku] = vb, newsum
    codes[i], versions[i], counts[i] = 'A', vb, ZERO_EVENTS
    local otail = ''
    if sum and #sum > 8 then otail = string.sub(sum, 9) end
    if otail ~= tail then
      -- A summary never stored (or unreadable) is UNKNOWN, not known.
      local os, oe, onet, olow = UNKNOWN, '-1', '0', '0'
      local known = false
      if otail ~= '' then
        local s, e, nt, l = parse(otail)
        if s then
          os, oe, onet, olow = s, e, nt, l
          known = s ~= UNKNOWN
        end
      end
      local status_changed = ns ~= os
      local eta_changed = ne ~= oe
      local first
      if status_changed then
        first = TYPE_OF[ns] or 'OUT_OF_STOCK'
      elseif eta_changed then
        first = 'ETA_CHANGED'
      end
      local low = known and nlow == '1' and olow == '0'
      if first then
        ev1[i] = first
        if low then ev2[i] = 'LOW_STOCK' end
      elseif low then
        ev1[i] = 'LOW_STOCK'
      end
      if ev1[i] then
        any_events = true
        ost[i] = os
      end
      if parents_of[i] and (status_changed or eta_changed or nnet ~= onet) then
        parents[#parents + 1] = i - 1
        parents[#parents + 1] = parents_of[i]
      end
    end
  end
end

-- stage: events (an XADD per event) and jobs
-- Pass 2: the writes. Events are added without trimming (the stream is
-- trimmed once, below); jobs by queue_jobs (write_prelude.lua).
local call, evkey = redis.call, KEYS[1]
if any_events then
  for i = 1, n do
    local first = ev1[i]
    if first then
      local a = NFIX + (i - 1) * NPER
      local sku, vd, ns = skus[i], ARGV[a + 3], ARGV[a + 5]
      call('XADD', evkey, '*', 'type', first, 'sku', sku, 'stock', stock,
           'version', vd, 'old_status', ost[i], 'new_status', ns,
           'eta', ARGV[a + 6], 'net', ARGV[a + 7])
      local count = 1
      if ev2[i] then
        call('XADD', evkey, '*', 'type', ev2[i], 'sku', sku, 'stock', stock,
             'version', vd, 'old_status', ost[i], 'new_status', ns,
             'eta', ARGV[a + 6], 'net', ARGV[a + 7])
        count = 2
      end
      counts[i] = string.char(count)
      if subs_exist and ns == IN_STOCK and ost[i] ~= IN_STOCK then
        local queued = queue_jobs(skeys[i], sku, nil, vd)
        if queued > 0 then
          jobs[#jobs + 1] = i - 1
          jobs[#jobs + 1] = queued
        end
      end
    end
  end
end
-- stage: writes (MSET, HSET, SADD) and the reply
if any_events then trim_events() end
if nw > 0 then
  bulk('MSET', nil, msets)
  bulk('HSET', sums, hsets)
end
if snap_ttl ~= '' then
  bulk('SADD', KEYS[4], skus)
  redis.call('EXPIRE', KEYS[4], snap_ttl)
end
return {table.concat(codes), table.concat(versions), table.concat(counts),
        jobs, parents}
