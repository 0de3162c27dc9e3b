#include "cache/near_cache.h"

#include <iterator>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace availability::cache {
namespace {

// Heap bytes of a string beyond its inline part (short-string optimisation
// keeps up to 15 bytes in the object itself with libstdc++).
size_t StringHeap(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

// An estimate of the memory an entry holds: the list node, the map slot and
// the decoded value with what it points to.
size_t EntryBytes(absl::string_view sku, const core::Record* record,
                  const core::StoreConfig* config) {
  constexpr size_t kNodeAndSlot = 96 + 48;  // list node + map slot + control
  size_t bytes = kNodeAndSlot + (sku.size() > 15 ? sku.size() + 1 : 0);
  if (record != nullptr) {
    bytes += sizeof(core::Record) + 32;  // + shared_ptr control block
    bytes += StringHeap(record->sku) + StringHeap(record->successor_sku);
    bytes += record->inbound.capacity() * sizeof(core::Receipt);
    bytes += record->alternatives.capacity() * sizeof(core::AlternativeLink);
    for (const core::AlternativeLink& link : record->alternatives) {
      bytes += StringHeap(link.sku);
    }
    bytes += record->category_ids.capacity() * sizeof(int64_t);
  }
  if (config != nullptr) {
    bytes += sizeof(core::StoreConfig) + 32 +
             StringHeap(config->time_zone_name) +
             config->calendar.holidays.capacity() * sizeof(absl::CivilDay);
  }
  return bytes;
}

}  // namespace

NearCache::NearCache(NearCacheOptions options, KeySchema keys,
                     const core::Clock& clock)
    : options_(options),
      keys_(std::move(keys)),
      clock_(clock),
      shard_max_entries_(std::max<size_t>(1, options.max_entries / kShards)),
      shard_max_bytes_(std::max<size_t>(1, options.max_bytes / kShards)) {}

size_t NearCache::HashOf(const KeyView& key) {
  return absl::Hash<KeyView>{}(key);
}

bool NearCache::GetRecord(int32_t stock_id, absl::string_view sku,
                          RecordPtr* out) {
  return Get(KeyView{stock_id, false, sku}, /*stale=*/false, out, nullptr);
}

bool NearCache::GetConfig(int32_t stock_id, ConfigPtr* out) {
  return Get(KeyView{stock_id, true, {}}, /*stale=*/false, nullptr, out);
}

bool NearCache::GetStaleRecord(int32_t stock_id, absl::string_view sku,
                               RecordPtr* out) {
  return Get(KeyView{stock_id, false, sku}, /*stale=*/true, out, nullptr);
}

bool NearCache::GetStaleConfig(int32_t stock_id, ConfigPtr* out) {
  return Get(KeyView{stock_id, true, {}}, /*stale=*/true, nullptr, out);
}

bool NearCache::Get(const KeyView& key, bool stale, RecordPtr* record,
                    ConfigPtr* config) {
  if (!stale && !tracking()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const uint64_t epoch = epoch_.load(std::memory_order_acquire);
  const absl::Time now = clock_.Now();
  Shard& shard = shards_[HashOf(key) % kShards];
  {
    absl::ReaderMutexLock lock(&shard.mu);
    auto it = shard.map.find(key);
    if (it != shard.map.end()) {
      const Entry& entry = *it->second;
      const absl::Duration age = now - entry.stored;
      const bool usable = stale
                              ? age <= options_.max_stale
                              : entry.epoch == epoch && age <= options_.max_age;
      if (usable) {
        if (!entry.referenced.load(std::memory_order_relaxed)) {
          entry.referenced.store(true, std::memory_order_relaxed);
        }
        if (record != nullptr) *record = entry.record;
        if (config != nullptr) *config = entry.config;
        (stale ? stale_hits_ : hits_).fetch_add(1, std::memory_order_relaxed);
        return true;
      }
    }
  }
  if (!stale) misses_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void NearCache::PutRecord(int32_t stock_id, absl::string_view sku,
                          RecordPtr record, uint64_t ticket) {
  Put(KeyView{stock_id, false, sku}, std::move(record), nullptr, ticket);
}

void NearCache::PutConfig(int32_t stock_id, ConfigPtr config, uint64_t ticket) {
  Put(KeyView{stock_id, true, {}}, nullptr, std::move(config), ticket);
}

void NearCache::Put(const KeyView& key, RecordPtr record, ConfigPtr config,
                    uint64_t ticket) {
  // Order matters against Flush (barrier first, then epoch): an entry that
  // gets the new epoch was checked against the new barrier.
  const uint64_t epoch = epoch_.load(std::memory_order_seq_cst);
  if (!tracking() || barrier_.load(std::memory_order_seq_cst) > ticket) {
    puts_dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const size_t hash = HashOf(key);
  Shard& shard = shards_[hash % kShards];
  const size_t stripe = (hash % kStripes) / kShards;
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&shard.mu);
  if (shard.stripe_seq[stripe] > ticket) {
    puts_dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto it = shard.map.find(key);
  if (it != shard.map.end()) {
    shard.bytes -= it->second->bytes;
    shard.lru.erase(it->second);
    shard.map.erase(it);
  }
  Entry& stored =
      shard.lru.emplace_front(key.stock_id, key.is_config, std::string(key.sku),
                              std::move(record), std::move(config), now, epoch);
  stored.bytes =
      EntryBytes(stored.sku, stored.record.get(), stored.config.get());
  shard.bytes += stored.bytes;
  shard.map.emplace(KeyView{stored.stock_id, stored.is_config, stored.sku},
                    shard.lru.begin());
  EvictOver(shard);
}

void NearCache::EvictOver(Shard& shard) {
  while (!shard.lru.empty() && (shard.map.size() > shard_max_entries_ ||
                                shard.bytes > shard_max_bytes_)) {
    Entry& victim = shard.lru.back();
    if (victim.referenced.load(std::memory_order_relaxed)) {
      // Used since it was last looked at: a second chance at the front.
      // Each entry is passed over at most once per scan, so this ends.
      victim.referenced.store(false, std::memory_order_relaxed);
      shard.lru.splice(shard.lru.begin(), shard.lru,
                       std::prev(shard.lru.end()));
      continue;
    }
    shard.map.erase(KeyView{victim.stock_id, victim.is_config, victim.sku});
    shard.bytes -= victim.bytes;
    shard.lru.pop_back();
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
}

void NearCache::InvalidateRecord(int32_t stock_id, absl::string_view sku) {
  Invalidate(KeyView{stock_id, false, sku});
}

void NearCache::InvalidateConfig(int32_t stock_id) {
  Invalidate(KeyView{stock_id, true, {}});
}

void NearCache::Invalidate(const KeyView& key) {
  const size_t hash = HashOf(key);
  Shard& shard = shards_[hash % kShards];
  const size_t stripe = (hash % kStripes) / kShards;
  invalidations_.fetch_add(1, std::memory_order_relaxed);
  absl::MutexLock lock(&shard.mu);
  // Taken under the shard lock, so a Put of this stripe sees it or ran
  // entirely before it (and is then erased below).
  shard.stripe_seq[stripe] =
      sequence_.fetch_add(1, std::memory_order_seq_cst) + 1;
  auto it = shard.map.find(key);
  if (it == shard.map.end()) return;
  shard.bytes -= it->second->bytes;
  Lru::iterator node = it->second;
  shard.map.erase(it);
  shard.lru.erase(node);
}

bool NearCache::ParseKey(const KeySchema& keys, absl::string_view key,
                         int32_t* stock_id, std::string* sku, bool* is_config) {
  const auto split = keys.SplitStockKey(key);
  if (!split.has_value()) return false;
  absl::string_view rest = split->second;
  if (rest == "config") {
    *stock_id = split->first;
    sku->clear();
    *is_config = true;
    return true;
  }
  if (!absl::ConsumePrefix(&rest, "r:")) return false;
  *stock_id = split->first;
  sku->assign(rest.data(), rest.size());
  *is_config = false;
  return true;
}

bool NearCache::InvalidateKey(absl::string_view key) {
  int32_t stock_id;
  std::string sku;
  bool is_config;
  if (!ParseKey(keys_, key, &stock_id, &sku, &is_config)) return false;
  if (is_config) {
    InvalidateConfig(stock_id);
  } else {
    InvalidateRecord(stock_id, sku);
  }
  return true;
}

void NearCache::Flush() {
  barrier_.store(sequence_.fetch_add(1, std::memory_order_seq_cst) + 1,
                 std::memory_order_seq_cst);
  epoch_.fetch_add(1, std::memory_order_seq_cst);
  flushes_.fetch_add(1, std::memory_order_relaxed);
}

void NearCache::SetTracking(bool on) {
  if (!on) {
    tracking_.store(false, std::memory_order_seq_cst);
    Flush();
    return;
  }
  barrier_.store(sequence_.fetch_add(1, std::memory_order_seq_cst) + 1,
                 std::memory_order_seq_cst);
  tracking_.store(true, std::memory_order_seq_cst);
}

NearCacheStats NearCache::stats() const {
  NearCacheStats s;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.stale_hits = stale_hits_.load(std::memory_order_relaxed);
  s.invalidations = invalidations_.load(std::memory_order_relaxed);
  s.flushes = flushes_.load(std::memory_order_relaxed);
  s.evictions = evictions_.load(std::memory_order_relaxed);
  s.puts_dropped = puts_dropped_.load(std::memory_order_relaxed);
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    s.entries += shard.map.size();
    s.bytes += shard.bytes;
  }
  return s;
}

}  // namespace availability::cache
