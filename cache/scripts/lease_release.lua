-- Gives a writer lease up at shutdown, so a standby takes over at once
-- instead of after the TTL (cache/leader_lease.h).
--
-- KEYS[1] lease key. ARGV[1] the lease's value ("<owner> <token>").
-- Replies 1 when it was deleted, 0 when it was not (any more) this owner's.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
