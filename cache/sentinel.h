// Redis Sentinel discovery: finds the current primary (or a healthy replica)
// of a named master by asking a list of sentinels, in order, with short
// timeouts. Plugged into RedisClient through RedisOptions::resolve_endpoint,
// so a client reconnects to the new primary after a failover.
//
//   SentinelOptions sentinel;
//   sentinel.sentinels = *ParseRedisEndpoints("s0:26379,s1:26379");
//   sentinel.master_name = "mymaster";
//   options.resolve_endpoint = SentinelResolver(sentinel).Resolver(
//       SentinelResolver::Role::kPrimary);
//
// Thread safety: a SentinelResolver is immutable; its methods may be called
// from any thread concurrently. They BLOCK (synchronous hiredis, at most
// `timeout` per sentinel for connect and again per query): call them only on
// a Redis client's loop thread at connect time or on a thread of one's own,
// never on a gRPC thread.
#ifndef AVAILABILITY_CACHE_SENTINEL_H_
#define AVAILABILITY_CACHE_SENTINEL_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cache/redis_client.h"

namespace availability::cache {

struct SentinelOptions {
  // Asked in this order; the first that answers decides.
  std::vector<RedisEndpoint> sentinels;
  // The master's name in the sentinels' configuration ("mymaster").
  std::string master_name;
  // The sentinels' own password (requirepass in sentinel.conf); empty: no
  // AUTH. Never logged nor put in an error message.
  std::string password;
  // Bound of connecting to one sentinel, and of one query to it.
  absl::Duration timeout = absl::Milliseconds(300);
};

// "host:port,host:port" (spaces around entries allowed; IPv6 as
// "[::1]:26379"). InvalidArgument naming the bad entry; empty input too.
absl::StatusOr<std::vector<RedisEndpoint>> ParseRedisEndpoints(
    absl::string_view list);

class SentinelResolver {
 public:
  enum class Role { kPrimary, kReplica };

  explicit SentinelResolver(SentinelOptions options);

  // InvalidArgument when no sentinel or no master name is given.
  static absl::Status Validate(const SentinelOptions& options);

  // The primary, from `SENTINEL get-master-addr-by-name`. Unavailable when
  // no sentinel answers (the message names each one's failure), NotFound
  // when the sentinels do not know the master name.
  absl::StatusOr<RedisEndpoint> Primary() const;

  // The replicas that are up (`SENTINEL replicas`: flags without
  // s_down/o_down/disconnected), in the sentinel's order: those with
  // master-link-status ok, or when none is, those that serve stale data.
  // Errors as for Primary.
  absl::StatusOr<std::vector<RedisEndpoint>> Replicas() const;

  // kPrimary: Primary(). kReplica: a healthy replica, chosen by `seed`
  // among them (so several clients spread), else the primary (reads keep
  // working while no replica is).
  absl::StatusOr<RedisEndpoint> Resolve(Role role, size_t seed = 0) const;

  // A function for RedisOptions::resolve_endpoint (holds a copy of the
  // options).
  std::function<absl::StatusOr<RedisEndpoint>()> Resolver(
      Role role, size_t seed = 0) const;

 private:
  const SentinelOptions options_;
};

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_SENTINEL_H_
