-- Extends a writer lease held by the caller (cache/leader_lease.h).
--
-- KEYS[1] lease key. ARGV[1] the lease's value ("<owner> <token>"),
-- ARGV[2] time-to-live in milliseconds.
--
-- Replies 1 when the lease is still this owner's at this token (its TTL is
-- set again), 0 when it expired or another owner holds it (nothing
-- changed).
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
