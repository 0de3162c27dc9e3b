// A writer lease in Redis: one holder at a time among processes that would
// otherwise all write the same data (two availability-sync replicas).
//
//   LeaderLease lease(redis, {.lease_key = ..., .token_key = ...,
//                             .owner = LeaderLease::RandomOwnerId()});
//   if (*lease.TryAcquire()) { ...write with lease.ValidToken()...;
//                               every 3 s: if (!*lease.Renew()) stop; }
//
// The lease is `SET lease_key "<owner> <token>" NX PX ttl`; each acquisition
// INCRs `token_key` (never expires), the fencing token. The write script
// (cache/scripts/write_records.lua) refuses a call whose token is below the
// counter, so a holder paused past its TTL cannot write after a successor
// acquired. The holder itself stops before the lease can have expired:
// ValidToken() fails once `ttl - safety_margin` has passed (steady clock)
// since the last successful acquire or renew was sent.
//
// Errors: Unavailable / DeadlineExceeded when Redis does not answer
// (bounded by command_timeout); Internal for an unexpected reply.
// Thread safety: TryAcquire, Renew and Release from one thread;
// ValidToken, held and token from any thread.
#ifndef AVAILABILITY_CACHE_LEADER_LEASE_H_
#define AVAILABILITY_CACHE_LEADER_LEASE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cache/redis_client.h"
#include "cache/redis_script.h"

namespace availability::cache {

class LeaderLease {
 public:
  struct Options {
    std::string lease_key;
    std::string token_key;
    // Unique per process (RandomOwnerId()).
    std::string owner;
    absl::Duration ttl = absl::Seconds(10);
    // How long before the TTL runs out (counted from the sending of the
    // last successful acquire/renew) the holder stops trusting its lease.
    absl::Duration safety_margin = absl::Seconds(2);
    // Deadline of each Redis call; below ttl - safety_margin.
    absl::Duration command_timeout = absl::Seconds(2);
  };

  // 128 random bits in hex.
  static std::string RandomOwnerId();

  // `client` must outlive the lease.
  LeaderLease(RedisClient& client, Options options);
  LeaderLease(const LeaderLease&) = delete;
  LeaderLease& operator=(const LeaderLease&) = delete;

  // True when the lease was free and is now this process's (token() is
  // the new fencing token); false when anyone holds it.
  absl::StatusOr<bool> TryAcquire();
  // True when the lease is still this process's and its TTL was set
  // again; false when it was lost (held() is false from then on).
  absl::StatusOr<bool> Renew();
  // Deletes the lease if still this process's; held() is false after.
  absl::Status Release();

  // The fencing token while the lease is held and not locally expired;
  // FailedPrecondition ("writer lease not held" / "... expired") otherwise.
  absl::StatusOr<int64_t> ValidToken() const;
  bool held() const { return held_.load(); }
  int64_t token() const { return token_.load(); }

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  // Runs `script` once with `keys` and `args`; the integer reply.
  absl::StatusOr<int64_t> RunScript(const RedisScript& script,
                                    std::vector<std::string> keys,
                                    std::vector<std::string> args);
  void MarkValidFrom(SteadyTime sent);

  RedisClient& client_;
  const Options options_;
  const RedisScript acquire_;
  const RedisScript renew_;
  const RedisScript release_;
  std::string value_;  // "<owner> <token>", the holder thread's only
  std::atomic<bool> held_{false};
  std::atomic<int64_t> token_{0};
  // steady_clock ticks until which writes are trusted.
  std::atomic<int64_t> valid_until_{0};
};

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_LEADER_LEASE_H_
