-- Takes a writer lease when nobody holds it (cache/leader_lease.h).
--
-- KEYS[1] lease key, KEYS[2] fencing token counter.
-- ARGV[1] owner id, ARGV[2] lease time-to-live in milliseconds.
--
-- Free lease: SET NX PX, the counter INCRed, and the lease's value becomes
-- "<owner> <token>" (so an operator's GET shows both); replies the new
-- token (>= 1). Held by anyone (this owner included: a lease is acquired
-- once and then renewed): replies 0 and changes nothing.
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 0
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return token
