#include "server/demand_counter.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/quantity.h"

namespace availability::server {
namespace {

// True for the display statuses whose answers count as demand.
bool ShowsDemand(v1::Status status) {
  return status == v1::STATUS_OUT_OF_STOCK ||
         status == v1::STATUS_BACKORDERABLE || status == v1::STATUS_PREORDER;
}

// The backorder quantity of an answer that is BACKORDERABLE for the
// quantity asked, in core::Qty units; 0 otherwise.
core::Qty BackorderQty(const v1::ProductAvailability& answer) {
  if (answer.status() != v1::STATUS_BACKORDERABLE || !answer.has_split()) {
    return 0;
  }
  const double units = answer.split().backorder_quantity();
  if (!(units > 0) || units > core::QtyToDouble(core::kMaxQty)) return 0;
  return static_cast<core::Qty>(std::llround(units * core::kQtyScale));
}

// What one answer counts: views on `page` (product page) or the listing.
cache::DemandCounts CountsOf(const v1::ProductAvailability& answer, bool page) {
  cache::DemandCounts c;
  if (ShowsDemand(answer.display_status())) {
    (page ? c.product_page_views : c.listing_views) = 1;
  }
  c.backorder_qty = BackorderQty(answer);
  return c;
}

}  // namespace

DemandCounter::DemandCounter(Options options)
    : max_entries_(std::max<size_t>(1, options.max_entries)),
      shards_(new Shard[kShards]) {}

void DemandCounter::CountProductPage(const v1::ProductAvailability& answer) {
  const cache::DemandCounts c = CountsOf(answer, /*page=*/true);
  if (!c.empty()) Add(answer.stock_id(), answer.sku(), c);
}

void DemandCounter::CountListing(
    const google::protobuf::RepeatedPtrField<v1::ProductAvailability>&
        answers) {
  for (const v1::ProductAvailability& answer : answers) {
    const cache::DemandCounts c = CountsOf(answer, /*page=*/false);
    if (!c.empty()) Add(answer.stock_id(), answer.sku(), c);
  }
}

void DemandCounter::Add(int32_t stock_id, absl::string_view sku,
                        const cache::DemandCounts& counts) {
  const KeyView key{stock_id, sku};
  const size_t hash = KeyHash()(key);
  // High bits pick the shard: the map uses the low ones.
  Shard& shard = shards_[(hash >> 48) % kShards];
  absl::MutexLock lock(&shard.mu);
  auto it = shard.counts.find(key);
  if (it == shard.counts.end()) {
    if (entries_.fetch_add(1, std::memory_order_relaxed) >= max_entries_) {
      entries_.fetch_sub(1, std::memory_order_relaxed);
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    shard.counts.emplace(Key{stock_id, std::string(sku)}, counts);
    return;
  }
  it->second += counts;
}

std::vector<cache::DemandIncrement> DemandCounter::Take() {
  std::vector<cache::DemandIncrement> due;
  for (size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    absl::MutexLock lock(&shard.mu);
    for (auto it = shard.counts.begin(); it != shard.counts.end();) {
      if (it->second.empty()) {
        shard.counts.erase(it++);
        entries_.fetch_sub(1, std::memory_order_relaxed);
        continue;
      }
      due.push_back({it->first.stock_id, it->first.sku, it->second});
      it->second = cache::DemandCounts();
      ++it;
    }
  }
  return due;
}

}  // namespace availability::server
