#!lua
-- The write script: applies a batch of versioned record writes on one
-- stock, all or nothing, and appends the transition events and the
-- back-in-stock notification jobs they cause (docs/domain.md §8).
--
-- KEYS[1] events stream, KEYS[2] jobs stream, KEYS[3] summaries hash,
-- KEYS[4] snapshot set (the summaries hash again when there is none),
-- KEYS[5] fencing token counter (the summaries hash again, unread, when not
-- fenced), then per item i (0-based): KEYS[6+2i] record key, KEYS[7+2i]
-- subscriptions key.
-- ARGV[1] events MAXLEN (0 = untrimmed), ARGV[2] jobs MAXLEN, ARGV[3]
-- snapshot TTL in seconds ("" = no snapshot to join), ARGV[4] stock id,
-- ARGV[5] fencing token ("" = not fenced: the sync API, imports); then
-- 9 per item: op (U upsert, D delete, X delete unless in the snapshot set,
-- S summary only), sku, version (8 bytes big-endian), value, status, eta,
-- net, low (0/1), components.
--
-- Composite products (docs/domain.md §10): `components` is the record's
-- component list (each SKU as one length byte then its bytes; "" for a
-- simple product). An applied write keeps the reverse index current: the
-- list in "<tag>comp:<sku>" and the parent in each "<tag>parents:<component>"
-- set, where <tag> is the record key without "r:<sku>" (the stock's hash
-- tag: same slot; cache/key_schema.h names the keys). A U of a composite
-- passes status "" and keeps the stored summary (with the new version): its
-- summary is derived from its components afterwards, by an S item.
-- S (summary only, a composite parent): `value` lists, per component, the
-- part of its summary the derivation depends on, as read with the records
-- it was derived from (pairs of length byte then bytes: the SKU, then
-- "<status>,<eta>,<net>" or "" when it had none); it is stored, and its
-- transitions announced, only when the parent's record still has `version`
-- and every component's summary still has that part, else the item is
-- CHANGED (the write that changed it derives the parent again after
-- itself). A newer write that left a component's summary as it was does
-- not void it: such a write derives nothing. The record itself is not
-- touched.
--
-- Fencing (one writer at a time, cache/leader_lease.h): a call whose token
-- is below the counter's value (a newer writer acquired the lease) is
-- refused whole, error reply "FENCED ...", nothing written. The counter is
-- one global key outside the stock's hash slot: fenced writes need a
-- non-cluster Redis (single instance or Sentinel).
--
-- Replies per item {code, stored version (8 bytes or ""), events appended,
-- notification jobs queued, parents}: code APPLIED, STALE, KEPT, ABSENT or
-- CHANGED; the counts are 0 unless applied. `parents` lists, flat, the
-- composites whose summary must be derived again ({sku, components, ...}):
-- an applied U of a composite itself, and the parents of a record whose
-- summary (status, first ship date or net quantity) changed.
--
-- All or nothing: Redis does not roll a script back, so every way it could
-- fail after its first write is ruled out before it: the type of every key
-- it touches is checked first (an error reply "WRONGTYPE <key> holds a
-- <type>, expected <type>" and nothing written), and the "#!lua" shebang
-- without flags makes Redis 7 refuse the whole script up front with OOM
-- when used memory is over maxmemory, with READONLY on a replica, and with
-- NOREPLICAS under min-replicas-to-write. Requires Redis >= 7.0.
--
-- Named constants (defined by the loader, cache/record_writer.cc, from the
-- C++ enums so both sides agree): APPLIED, STALE, KEPT, ABSENT, CHANGED
-- (item codes); S_UNKNOWN, S_IN_STOCK, S_BACKORDERABLE, S_PREORDER,
-- S_DISCONTINUED (summary statuses, cache::SummaryStatus).
--
-- The loader puts write_prelude.lua before this code: it refuses a fenced
-- call, checks the fixed keys, and defines events_max, jobs_max, snap_ttl,
-- stock, sums, wrong_type, ver, newer, trim_events, now_ms, dec and
-- queue_jobs.
local NFIX = 5
local NPER = 9
local ZERO = string.rep('\0', 8)
local n = (#ARGV - NFIX) / NPER

-- Every key of the items, with the type it must have (the fixed keys are
-- checked by the prelude).
local checks = {}
for i = 0, n - 1 do
  checks[#checks + 1] = {KEYS[NFIX + 2 * i + 1], 'string'}
  checks[#checks + 1] = {KEYS[NFIX + 2 * i + 2], 'hash'}
end
for _, c in ipairs(checks) do
  local err = wrong_type(c[1], c[2])
  if err then return redis.error_reply(err) end
end

-- The composite index (see above): the SKUs of a component list, and the
-- keys of a record's stock tag.
local function sku_list(b)
  local out, pos = {}, 1
  while pos <= #b do
    local len = string.byte(b, pos)
    out[#out + 1] = string.sub(b, pos + 1, pos + len)
    pos = pos + 1 + len
  end
  return out
end
local function tag_of(rkey, sku)
  return string.sub(rkey, 1, #rkey - #sku - 2)
end
-- The index keys an item may read or write, checked like the others (an S
-- item reads only the summaries hash, a fixed key).
local function check_all(list)
  for _, c in ipairs(list) do
    local err = wrong_type(c[1], c[2])
    if err then return err end
  end
  return nil
end
local ichecks = {}
for i = 0, n - 1 do
  local a = NFIX + i * NPER
  if ARGV[a + 1] ~= 'S' then
    local sku = ARGV[a + 2]
    local tag = tag_of(KEYS[NFIX + 2 * i + 1], sku)
    local ckey, pkey = tag .. 'comp:' .. sku, tag .. 'parents:' .. sku
    local err = check_all({{ckey, 'string'}, {pkey, 'set'}})
    if err then return redis.error_reply(err) end
    local lists = {ARGV[a + 9], redis.call('GET', ckey) or ''}
    for _, list in ipairs(lists) do
      for _, c in ipairs(sku_list(list)) do
        ichecks[#ichecks + 1] = {tag .. 'parents:' .. c, 'set'}
      end
    end
    for _, p in ipairs(redis.call('SMEMBERS', pkey)) do
      ichecks[#ichecks + 1] = {tag .. 'comp:' .. p, 'string'}
    end
  end
end
local ierr = check_all(ichecks)
if ierr then return redis.error_reply(ierr) end

-- Replaces the component list of `sku` (parent) with `list`.
local function set_components(tag, sku, list)
  local ckey = tag .. 'comp:' .. sku
  local old = redis.call('GET', ckey) or ''
  if old == list then return end
  for _, c in ipairs(sku_list(old)) do
    redis.call('SREM', tag .. 'parents:' .. c, sku)
  end
  for _, c in ipairs(sku_list(list)) do
    redis.call('SADD', tag .. 'parents:' .. c, sku)
  end
  if list == '' then
    redis.call('DEL', ckey)
  else
    redis.call('SET', ckey, list)
  end
end

-- Whether the component summaries an S item was derived from are current
-- (the "<status>,<eta>,<net>" of each; record_writer.cc's DerivationInputs
-- cuts the same part).
local function derivation_current(checklist)
  local list = sku_list(checklist)
  for k = 1, #list, 2 do
    local sum = redis.call('HGET', sums, list[k])
    local have = ''
    if sum and #sum > 8 then
      have = string.match(string.sub(sum, 9), '^(.*),[^,]*$') or
             string.sub(sum, 9)
    end
    if have ~= list[k + 1] then return false end
  end
  return true
end

-- Events and jobs appended for the current item; whether the call
-- appended any event (the stream is trimmed once, at the end).
local nev, njobs = 0, 0
local any_events = false

local function emit(t, sku, vb, os, ns, eta, net)
  nev = nev + 1
  any_events = true
  redis.call('XADD', KEYS[1], '*', 'type', t, 'sku', sku, 'stock', stock,
             'version', dec(vb), 'old_status', tostring(os),
             'new_status', tostring(ns), 'eta', tostring(eta), 'net', net)
end

local results = {}
for i = 0, n - 1 do
  local a = NFIX + i * NPER
  local op, sku, vb, value = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local nstatus, neta = tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6])
  local nnet, nlow = ARGV[a + 7], ARGV[a + 8]
  local comps = ARGV[a + 9]
  local rkey, skey = KEYS[NFIX + 2 * i + 1], KEYS[NFIX + 2 * i + 2]
  local tag = tag_of(rkey, sku)
  local parents = {}
  nev, njobs = 0, 0

  local cur = redis.call('GET', rkey)
  local sum = redis.call('HGET', sums, sku)
  local stored = nil
  if cur and #cur >= 9 and string.byte(cur, 1) == 1 then
    stored = string.sub(cur, 2, 9)
  elseif sum and #sum >= 8 then
    stored = string.sub(sum, 1, 8)
  end
  local ostatus, oeta, olow, known = S_UNKNOWN, -1, '0', false
  local onet = '0'
  if sum and #sum > 8 then
    local s, e, nt, l = string.match(string.sub(sum, 9),
                                     '^(%-?%d+),(%-?%d+),(%-?%d+),([01])$')
    if s then
      ostatus, oeta, onet, olow = tonumber(s), tonumber(e), nt, l
      known = ostatus ~= S_UNKNOWN
    end
  end
  -- A composite's upsert keeps the summary until it is derived (S).
  local derived_later = op == 'U' and ARGV[a + 5] == ''
  if derived_later then
    nstatus, neta, nnet, nlow = ostatus, oeta, onet, olow
  end

  if op == 'U' and snap_ttl ~= '' then
    redis.call('SADD', KEYS[4], sku)
  end

  local apply = true
  if op == 'X' then
    if not cur then
      results[i + 1] = {ABSENT, stored or ''}
      apply = false
    elseif redis.call('SISMEMBER', KEYS[4], sku) == 1 then
      results[i + 1] = {KEPT, stored or ''}
      apply = false
    else
      vb = stored or ZERO
    end
  elseif op == 'S' then
    if not (cur and stored == vb and derivation_current(value)) then
      results[i + 1] = {CHANGED, stored or ''}
      apply = false
    end
  elseif stored and not newer(vb, stored) then
    results[i + 1] = {STALE, stored}
    apply = false
  end

  if apply then
    if op == 'U' then
      redis.call('SET', rkey, value)
      set_components(tag, sku, comps)
      if derived_later then parents = {sku, comps} end
    elseif op ~= 'S' then
      redis.call('DEL', rkey)
      set_components(tag, sku, '')
      nstatus, neta, nnet, nlow = S_UNKNOWN, -1, '0', '0'
    end
    -- Any change of the summary (the net quantity too: a bundle takes a
    -- given number of each selection) reaches the parents.
    if op ~= 'S' and (nstatus ~= ostatus or neta ~= oeta or
                      tostring(nnet) ~= onet) then
      for _, p in ipairs(redis.call('SMEMBERS', tag .. 'parents:' .. sku)) do
        parents[#parents + 1] = p
        parents[#parents + 1] = redis.call('GET', tag .. 'comp:' .. p) or ''
      end
    end
    redis.call('HSET', sums, sku,
               vb .. nstatus .. ',' .. neta .. ',' .. nnet .. ',' .. nlow)
    if nstatus ~= ostatus then
      local t = 'OUT_OF_STOCK'
      if nstatus == S_IN_STOCK then t = 'BACK_IN_STOCK'
      elseif nstatus == S_BACKORDERABLE then t = 'BACKORDER_STARTED'
      elseif nstatus == S_PREORDER then t = 'ETA_CHANGED'
      elseif nstatus == S_DISCONTINUED then t = 'DISCONTINUED' end
      emit(t, sku, vb, ostatus, nstatus, neta, nnet)
      if nstatus == S_IN_STOCK then
        njobs = njobs + queue_jobs(skey, sku, vb)
      end
    elseif neta ~= oeta then
      emit('ETA_CHANGED', sku, vb, ostatus, nstatus, neta, nnet)
    end
    if known and nlow == '1' and olow == '0' then
      emit('LOW_STOCK', sku, vb, ostatus, nstatus, neta, nnet)
    end
    results[i + 1] = {APPLIED, vb}
  end
  results[i + 1][3], results[i + 1][4] = nev, njobs
  results[i + 1][5] = parents
end
if any_events then trim_events() end
if snap_ttl ~= '' then
  redis.call('EXPIRE', KEYS[4], snap_ttl)
end
return results
