// Resolves sales channels (Magento website codes) to stock ids, keeping the
// map in memory so a request rarely pays a Redis round trip for it.
//
// A known code answers at once from memory; an entry older than `refresh`
// still answers at once and is re-read in the background. An unknown code
// is looked up in Redis (one HGET); "not mapped" is remembered for
// `negative_ttl` so a flood of bad codes does not reach Redis.
//
// Thread-safe. Callbacks run either on the calling thread (memory hit) or on
// the Redis loop thread, and must not block.
#ifndef AVAILABILITY_SERVER_CHANNEL_RESOLVER_H_
#define AVAILABILITY_SERVER_CHANNEL_RESOLVER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cache/record_store.h"
#include "core/clock.h"

namespace availability::server {

class ChannelResolver {
 public:
  struct Options {
    absl::Duration refresh = absl::Seconds(5);
    absl::Duration negative_ttl = absl::Seconds(1);
    size_t max_entries = 10000;
  };
  using Callback = std::function<void(absl::StatusOr<std::optional<int32_t>>)>;

  ChannelResolver(Options options, cache::RecordStore& store,
                  const core::Clock& clock);

  // Calls `done` with the stock id, nullopt when the code is not mapped, or
  // the Redis error (Unavailable, DeadlineExceeded) when it had to ask and
  // could not.
  void Resolve(const std::string& code, absl::Time deadline, Callback done);

 private:
  struct Entry {
    std::optional<int32_t> stock_id;
    absl::Time fetched;
    bool refreshing = false;
  };
  void Fetch(const std::string& code, absl::Time deadline, Callback done);

  const Options options_;
  cache::RecordStore& store_;
  const core::Clock& clock_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_CHANNEL_RESOLVER_H_
