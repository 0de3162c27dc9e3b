// A process-local cache of decoded records and store configurations in front
// of Redis, kept coherent by Redis client-side caching (BCAST invalidations,
// see cache/invalidation_listener.h) and bounded in entries and bytes.
//
//   const uint64_t ticket = cache.ReadTicket();   // before sending the read
//   ... read (stock, sku) from Redis ...
//   cache.PutRecord(stock, sku, record_or_null, ticket);
//   NearCache::RecordPtr hit;
//   if (cache.GetRecord(stock, sku, &hit)) { ... hit == nullptr: unknown SKU }
//
// Fresh and stale: an entry answers as fresh while invalidations are flowing
// (SetTracking(true)), it was stored in the current epoch (no flush since),
// and it is younger than max_age. A flush (invalidation connection lost,
// pings unanswered, FLUSHALL/FLUSHDB) starts a new epoch instead of freeing
// memory: older entries never answer as fresh again, but GetStale* may still
// serve them, up to max_stale old, while Redis is unreachable (the caller
// then marks the answer `stale`). They are replaced by reads or evicted.
//
// The race guard: an invalidation may overtake the reply of a read that was
// sent before the write (the reply leaves Redis first, but the reply and the
// invalidation travel on different connections and threads). Every
// invalidation and flush takes the next number of one global sequence and
// stores it on its key's stripe (1024 stripes, hashed like the shards); a
// read takes the current number (ReadTicket) before it is sent, and its
// reply is stored only if neither its stripe nor a flush moved past that
// number. Per stripe rather than per key: no memory of invalidated keys is
// kept, at the cost of now and then not caching a reply whose stripe
// neighbour changed meanwhile (the reply is still answered, just not kept).
//
// Sharded (16 shards, one absl::Mutex each: hits take it shared; eviction
// is CLOCK / second chance per shard); every method is thread-safe and
// non-blocking beyond a shard lock held for a map operation.
#ifndef AVAILABILITY_CACHE_NEAR_CACHE_H_
#define AVAILABILITY_CACHE_NEAR_CACHE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cache/key_schema.h"
#include "core/clock.h"
#include "core/record.h"

namespace availability::cache {

struct NearCacheOptions {
  // Bounds over all shards (each shard gets 1/16th); least recently used
  // entries are evicted first.
  size_t max_entries = 100000;
  size_t max_bytes = size_t{64} << 20;
  // An entry older than this is a miss (re-read from Redis), even without
  // an invalidation: a safety net should one ever be lost.
  absl::Duration max_age = absl::Seconds(30);
  // While Redis is unreachable, entries up to this old (any epoch) may be
  // served as stale.
  absl::Duration max_stale = absl::Minutes(5);
};

// Counters since start (monotonic), plus the current size.
struct NearCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t stale_hits = 0;
  uint64_t invalidations = 0;
  uint64_t flushes = 0;
  uint64_t evictions = 0;
  // Replies not stored because an invalidation or flush overtook them.
  uint64_t puts_dropped = 0;
  size_t entries = 0;
  size_t bytes = 0;
};

class NearCache {
 public:
  // A cached record; null means "not on the stock" (negative entry).
  using RecordPtr = std::shared_ptr<const core::Record>;
  using ConfigPtr = std::shared_ptr<const core::StoreConfig>;

  NearCache(NearCacheOptions options, KeySchema keys, const core::Clock& clock);
  NearCache(const NearCache&) = delete;
  NearCache& operator=(const NearCache&) = delete;

  const NearCacheOptions& options() const { return options_; }

  // Take before sending a read whose reply will be Put.
  uint64_t ReadTicket() const {
    return sequence_.load(std::memory_order_seq_cst);
  }

  // Fresh lookups: true with *out set (null: unknown SKU) on a hit.
  bool GetRecord(int32_t stock_id, absl::string_view sku, RecordPtr* out);
  bool GetConfig(int32_t stock_id, ConfigPtr* out);
  // Lookups for when Redis is unreachable: any epoch, up to max_stale old.
  bool GetStaleRecord(int32_t stock_id, absl::string_view sku, RecordPtr* out);
  bool GetStaleConfig(int32_t stock_id, ConfigPtr* out);

  // Stores a read's result (record null: absent), unless tracking is off or
  // an invalidation of its stripe or a flush happened after `ticket`.
  void PutRecord(int32_t stock_id, absl::string_view sku, RecordPtr record,
                 uint64_t ticket);
  void PutConfig(int32_t stock_id, ConfigPtr config, uint64_t ticket);

  // Drops one entry (and moves its stripe's sequence).
  void InvalidateRecord(int32_t stock_id, absl::string_view sku);
  void InvalidateConfig(int32_t stock_id);
  // Parses a key of the schema ("<prefix>:{<stock>}:r:<sku>" or
  // ":config") and invalidates its entry. Other keys: false, nothing done.
  bool InvalidateKey(absl::string_view key);

  // Starts a new epoch: no entry stored so far answers as fresh again, and
  // replies of reads sent before now are not stored.
  void Flush();

  // Whether invalidations are flowing. Off: flushes, no fresh hits, no
  // puts. On: replies of reads sent before now are not stored (their
  // invalidations may have been missed).
  void SetTracking(bool on);
  bool tracking() const { return tracking_.load(std::memory_order_acquire); }

  // Whether Redis answers (kept by the invalidation listener from its
  // pings). Readers use it to fail misses fast and serve stale hits.
  void SetRedisResponsive(bool responsive) {
    responsive_.store(responsive, std::memory_order_release);
  }
  bool redis_responsive() const {
    return responsive_.load(std::memory_order_acquire);
  }

  NearCacheStats stats() const;

  // Parses a record or config key of `keys`: stock and sku (empty sku:
  // the config key). False for any other key.
  static bool ParseKey(const KeySchema& keys, absl::string_view key,
                       int32_t* stock_id, std::string* sku, bool* is_config);

 private:
  static constexpr size_t kShards = 16;
  static constexpr size_t kStripes = 1024;  // a multiple of kShards

  struct Entry {
    Entry(int32_t stock, bool config_key, std::string key_sku, RecordPtr r,
          ConfigPtr c, absl::Time when, uint64_t at_epoch)
        : stock_id(stock),
          is_config(config_key),
          sku(std::move(key_sku)),
          record(std::move(r)),
          config(std::move(c)),
          stored(when),
          epoch(at_epoch) {}
    const int32_t stock_id;
    const bool is_config;
    const std::string sku;  // empty for a config
    const RecordPtr record;
    const ConfigPtr config;
    const absl::Time stored;
    const uint64_t epoch;
    size_t bytes = 0;
    // Set by hits (under the shared lock), cleared by the eviction scan:
    // a second chance instead of moving the node on every hit.
    mutable std::atomic<bool> referenced{false};
  };
  using Lru = std::list<Entry>;
  struct KeyView {
    int32_t stock_id;
    bool is_config;
    absl::string_view sku;
    bool operator==(const KeyView& o) const {
      return stock_id == o.stock_id && is_config == o.is_config && sku == o.sku;
    }
    template <typename H>
    friend H AbslHashValue(H h, const KeyView& k) {
      return H::combine(std::move(h), k.stock_id, k.is_config, k.sku);
    }
  };
  struct Shard {
    mutable absl::Mutex mu;
    // Keys view into the entries' own sku strings (list nodes never move).
    absl::flat_hash_map<KeyView, Lru::iterator> map ABSL_GUARDED_BY(mu);
    // front: newest or given a second chance; eviction scans from the back
    // (CLOCK: a hit only sets `referenced`, so hits share the lock).
    Lru lru ABSL_GUARDED_BY(mu);
    size_t bytes ABSL_GUARDED_BY(mu) = 0;
    // Sequence number of the last invalidation per stripe of this shard.
    std::array<uint64_t, kStripes / kShards> stripe_seq ABSL_GUARDED_BY(mu){};
  };

  static size_t HashOf(const KeyView& key);
  bool Get(const KeyView& key, bool stale, RecordPtr* record,
           ConfigPtr* config);
  void Put(const KeyView& key, RecordPtr record, ConfigPtr config,
           uint64_t ticket);
  void Invalidate(const KeyView& key);
  void EvictOver(Shard& shard) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);

  const NearCacheOptions options_;
  const KeySchema keys_;
  const core::Clock& clock_;
  const size_t shard_max_entries_;
  const size_t shard_max_bytes_;
  std::array<Shard, kShards> shards_;

  std::atomic<uint64_t> sequence_{1};
  // Replies of reads with a ticket below this are not stored.
  std::atomic<uint64_t> barrier_{0};
  std::atomic<uint64_t> epoch_{1};
  std::atomic<bool> tracking_{false};
  std::atomic<bool> responsive_{true};

  mutable std::atomic<uint64_t> hits_{0};
  mutable std::atomic<uint64_t> misses_{0};
  mutable std::atomic<uint64_t> stale_hits_{0};
  std::atomic<uint64_t> invalidations_{0};
  std::atomic<uint64_t> flushes_{0};
  std::atomic<uint64_t> evictions_{0};
  std::atomic<uint64_t> puts_dropped_{0};
};

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_NEAR_CACHE_H_
