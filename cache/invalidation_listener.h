// Keeps a NearCache coherent with Redis through client-side caching in RESP2
// (hiredis 0.14 has no RESP3):
//
//   - its own connection, on its own libevent loop thread, asks CLIENT ID
//     and SUBSCRIBEs to __redis__:invalidate;
//   - on the data connection (the RedisClient the reads go through) it runs
//     CLIENT TRACKING off + CLIENT TRACKING on REDIRECT <id> BCAST PREFIX
//     "<prefix>:" after every (re)connect of either connection; the near
//     cache is marked tracking only once that is acknowledged;
//   - every invalidated key is dropped from the cache and passed on to
//     `on_keys`; a null invalidation (FLUSHALL/FLUSHDB), a lost invalidation
//     or data connection, or pings unanswered for `ping_timeout` flush the
//     cache (NearCache::SetTracking(false)) and call `on_all`; so does the
//     moment tracking is back (updates may have been missed meanwhile).
//   - pings on the subscribed connection every `ping_interval` also tell
//     whether Redis answers at all (NearCache::SetRedisResponsive), so reads
//     can fail misses fast and serve stale hits while it is hung.
//
//   auto listener = InvalidationListener::Start(options, data_client,
//                                               &near_cache, observer);
//
// Thread safety: Start and the destructor from one owner thread; the
// accessors from any thread. Callbacks (`on_keys`, `on_all`) run on the
// listener's loop thread or on the data client's loop thread, must not block
// and must be thread-safe. The data client and the cache must outlive the
// listener; the destructor blocks until the loop thread has exited.
#ifndef AVAILABILITY_CACHE_INVALIDATION_LISTENER_H_
#define AVAILABILITY_CACHE_INVALIDATION_LISTENER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cache/near_cache.h"
#include "cache/redis_client.h"

namespace availability::cache {

class InvalidationListener {
 public:
  struct Options {
    // Where to subscribe: the same Redis as the data client (user and
    // password too; its resolve_endpoint, if any, is consulted before every
    // connect, and a REDIRECT the data connection's server refuses makes
    // the listener reconnect and re-resolve); `database` is irrelevant.
    RedisOptions redis;
    // The key prefix tracked ("<prefix>:"; empty: every key).
    std::string key_prefix = "av";
    absl::Duration ping_interval = absl::Milliseconds(200);
    // A ping unanswered this long drops the connection (and flushes).
    absl::Duration ping_timeout = absl::Milliseconds(600);
    // Deadline of the CLIENT TRACKING commands on the data connection.
    absl::Duration tracking_timeout = absl::Seconds(1);
  };
  struct Observer {
    // Redis key names just invalidated (after the cache dropped them).
    std::function<void(const std::vector<std::string>& keys)> on_keys;
    // Anything may have changed (flush, or tracking restored).
    std::function<void()> on_all;
  };

  // Starts the loop thread and begins connecting (does not wait). `cache`
  // may be null (only the observer is fed, e.g. with --near_cache=false).
  // Errors: InvalidArgument for unusable options, Internal when the loop
  // cannot be created.
  static absl::StatusOr<std::unique_ptr<InvalidationListener>> Start(
      Options options, RedisClient& data, NearCache* cache, Observer observer);

  virtual ~InvalidationListener() = default;

  // True while invalidations flow (subscribed and tracking acknowledged).
  virtual bool tracking() const = 0;
  // False after pings went unanswered, until the next subscription.
  virtual bool responsive() const = 0;
  // Blocks until tracking or `timeout`: start-up and tests only. Errors:
  // Unavailable.
  virtual absl::Status WaitUntilTracking(absl::Duration timeout) = 0;
  // Counts connections that subscribed so far (tests: a reconnect
  // happened).
  virtual int64_t subscriptions() const = 0;
};

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_INVALIDATION_LISTENER_H_
