// Demand signals counted in memory on the storefront's answer path
// (docs/operations.md, "Demand report"): per (stock, SKU), how many
// product-page answers (GetAvailability) and listing items
// (BatchGetAvailability) showed OUT_OF_STOCK, BACKORDERABLE or PREORDER as
// the display status, and the backorder quantity of answers whose status
// for the quantity asked was BACKORDERABLE. A DemandFlusher takes the counts
// every few seconds and adds them to Redis (cache/demand_store.h).
//
//   DemandCounter counter({/*max_entries=*/100000});
//   counter.CountProductPage(answer);      // from the Get callback
//   std::vector<cache::DemandIncrement> due = counter.Take();  // flusher
//
// Bounded: at most `max_entries` distinct (stock, SKU) are held; an answer
// for a SKU beyond that is not counted, only counted as dropped(). An entry
// that counted nothing between two Takes is forgotten, which frees room.
//
// Thread-safe. The Count* calls are cheap enough for the gRPC and Redis
// callback threads: the answer's status decides first (in-stock answers
// return at once); then one of kShards mutexes is held for one hash lookup
// (no allocation for a SKU already held). Take holds each shard's mutex in
// turn for one pass over that shard.
#ifndef AVAILABILITY_SERVER_DEMAND_COUNTER_H_
#define AVAILABILITY_SERVER_DEMAND_COUNTER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "availability/v1/availability.pb.h"
#include "cache/demand_store.h"

namespace availability::server {

class DemandCounter {
 public:
  struct Options {
    // Distinct (stock, SKU) entries held at most, >= 1.
    size_t max_entries = 100000;
  };
  static constexpr size_t kShards = 32;

  explicit DemandCounter(Options options);

  // Counts one GetAvailability answer / every item of a
  // BatchGetAvailability answer (items with an error or STATUS_UNKNOWN
  // count nothing).
  void CountProductPage(const v1::ProductAvailability& answer);
  void CountListing(
      const google::protobuf::RepeatedPtrField<v1::ProductAvailability>&
          answers);

  // Adds `counts` to (stock, sku); what the Count* calls come down to.
  void Add(int32_t stock_id, absl::string_view sku,
           const cache::DemandCounts& counts);

  // Every entry's counts since the last Take (entries with nothing
  // counted left out), and zeroes them; forgets entries that counted
  // nothing since the last Take.
  std::vector<cache::DemandIncrement> Take();

  // Answers not counted because max_entries were held, since start.
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // Entries held now.
  size_t entries() const { return entries_.load(std::memory_order_relaxed); }

 private:
  struct Key {
    int32_t stock_id;
    std::string sku;
  };
  struct KeyView {
    int32_t stock_id;
    absl::string_view sku;
  };
  // Heterogeneous: a lookup by KeyView needs no std::string.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const KeyView& k) const {
      return absl::HashOf(k.stock_id, k.sku);
    }
    size_t operator()(const Key& k) const {
      return (*this)(KeyView{k.stock_id, k.sku});
    }
  };
  struct KeyEq {
    using is_transparent = void;
    static KeyView View(const Key& k) { return {k.stock_id, k.sku}; }
    static KeyView View(const KeyView& k) { return k; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      const KeyView x = View(a);
      const KeyView y = View(b);
      return x.stock_id == y.stock_id && x.sku == y.sku;
    }
  };
  struct alignas(64) Shard {
    absl::Mutex mu;
    absl::flat_hash_map<Key, cache::DemandCounts, KeyHash, KeyEq> counts
        ABSL_GUARDED_BY(mu);
  };

  const size_t max_entries_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<size_t> entries_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_DEMAND_COUNTER_H_
