// Who watches which (stock, sku): the WatchAvailability calls register
// here, and the invalidation feed (cache/invalidation_listener.h) tells them
// when a watched record or its store's configuration may have changed.
//
//   registry.Add(stock, skus, watcher);            // shared_ptr<Watcher>
//   listener observer: registry.OnKeys(keys) / registry.OnAll()
//   registry.Remove(stock, skus, watcher.get());   // when the call ends
//
// Thread-safe. Watchers are held weakly and called outside the registry's
// lock, on the caller's thread (the listener's or the Redis client's loop):
// they must not block.
#ifndef AVAILABILITY_SERVER_WATCH_REGISTRY_H_
#define AVAILABILITY_SERVER_WATCH_REGISTRY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "cache/key_schema.h"

namespace availability::server {

class WatchRegistry {
 public:
  class Watcher {
   public:
    virtual ~Watcher() = default;
    // The record of a watched SKU may have changed.
    virtual void OnChanged(const std::string& sku) = 0;
    // Anything may have changed (store config, flush, tracking restored).
    virtual void OnAllChanged() = 0;
  };

  explicit WatchRegistry(cache::KeySchema keys) : keys_(std::move(keys)) {}

  void Add(int32_t stock_id, const std::vector<std::string>& skus,
           const std::shared_ptr<Watcher>& watcher);
  void Remove(int32_t stock_id, const std::vector<std::string>& skus,
              const Watcher* watcher);

  // More SKUs for a watcher already Added (a composite parent's components,
  // docs/domain.md §10), and fewer, leaving its stock's registration (config
  // changes, OnAll) alone; Remove drops them all.
  void AddSkus(int32_t stock_id, const std::vector<std::string>& skus,
               const std::shared_ptr<Watcher>& watcher);
  void RemoveSkus(int32_t stock_id, const std::vector<std::string>& skus,
                  const Watcher* watcher);

  // Invalidated Redis key names: record keys reach that SKU's watchers, a
  // config key every watcher of its stock; other keys are ignored.
  void OnKeys(const std::vector<std::string>& keys);
  // Everything may have changed: every watcher.
  void OnAll();

  size_t size() const;

 private:
  using Set = absl::flat_hash_map<const Watcher*, std::weak_ptr<Watcher>>;
  void AddSkusLocked(int32_t stock_id, const std::vector<std::string>& skus,
                     const std::shared_ptr<Watcher>& watcher)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveSkusLocked(int32_t stock_id, const std::vector<std::string>& skus,
                        const Watcher* watcher)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const cache::KeySchema keys_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::pair<int32_t, std::string>, Set> by_sku_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int32_t, Set> by_stock_ ABSL_GUARDED_BY(mu_);
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_WATCH_REGISTRY_H_
