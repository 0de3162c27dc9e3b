// Demand signals in Redis (docs/operations.md, "Demand report"): per stock
// and UTC day one hash, KeySchema::DemandBucket(stock, "yyyymmdd"), with
// three counters per SKU: "p:<sku>" product-page views, "l:<sku>" listing
// views and "q:<sku>" the backorder quantity asked for (core::Qty units,
// 1/10000). Server replicas add into the same buckets with HINCRBY, so their
// counts add up; every write also sets the bucket's EXPIRE (35 days by
// default), so old days go by themselves.
//
//   DemandStore demand(client, KeySchema("av"), {});
//   demand.Add(day, {{1, "24-MB01", {/*page views*/ 3, 0, 0}}}, deadline,
//              [](absl::Status s) { ... });
//   demand.Read(1, first_day, last_day, deadline, [](auto sums) { ... });
//
// Callbacks run on the Redis client's loop thread and must not block. Safe
// from any thread; the client must outlive the store.
#ifndef AVAILABILITY_CACHE_DEMAND_STORE_H_
#define AVAILABILITY_CACHE_DEMAND_STORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "cache/key_schema.h"
#include "cache/redis_client.h"
#include "core/quantity.h"

namespace availability::cache {

// What was asked about one SKU on one stock.
struct DemandCounts {
  int64_t product_page_views = 0;
  int64_t listing_views = 0;
  core::Qty backorder_qty = 0;

  bool empty() const {
    return product_page_views == 0 && listing_views == 0 && backorder_qty == 0;
  }
  DemandCounts& operator+=(const DemandCounts& o) {
    product_page_views += o.product_page_views;
    listing_views += o.listing_views;
    backorder_qty += o.backorder_qty;
    return *this;
  }
  bool operator==(const DemandCounts& o) const {
    return product_page_views == o.product_page_views &&
           listing_views == o.listing_views && backorder_qty == o.backorder_qty;
  }
};

// Counts to add for (stock, sku).
struct DemandIncrement {
  int32_t stock_id = 0;
  std::string sku;
  DemandCounts counts;
};

// SKU -> counts summed over a window.
using DemandSums = absl::flat_hash_map<std::string, DemandCounts>;

// The command that counts the open back-in-stock subscriptions of
// (stock, sku) (cache/subscription_store.h), answered by an integer. The
// one place to change when the subscription storage changes.
std::vector<std::string> OpenSubscriptionsCommand(const KeySchema& keys,
                                                  int32_t stock_id,
                                                  absl::string_view sku);

class DemandStore {
 public:
  struct Options {
    // EXPIRE of a day's bucket, set again by every write to it.
    absl::Duration bucket_ttl = absl::Hours(24 * 35);
    // Commands per pipeline (a flush of many SKUs is several round trips).
    size_t max_pipeline = 1000;
  };

  DemandStore(RedisClient& client, KeySchema keys, Options options);

  // "yyyymmdd".
  static std::string DayName(absl::CivilDay day);

  // Adds `increments` (several SKUs and stocks) to the buckets of `day`:
  // HINCRBY per non-zero counter, EXPIRE per bucket, pipelined. `done` runs
  // once, OK or the first error (Unavailable, DeadlineExceeded, Internal
  // for an error reply); after an error some increments may have been
  // applied and others not.
  void Add(absl::CivilDay day, const std::vector<DemandIncrement>& increments,
           absl::Time deadline, std::function<void(absl::Status)> done);

  // The counts of `stock_id` summed over the days first..last (inclusive),
  // per SKU; one pipeline of HGETALL. Errors: Unavailable,
  // DeadlineExceeded, Internal (error reply or a counter that is not an
  // integer).
  void Read(int32_t stock_id, absl::CivilDay first, absl::CivilDay last,
            absl::Time deadline,
            std::function<void(absl::StatusOr<DemandSums>)> done);

  // Open back-in-stock subscriptions of each of `skus` (in order), one
  // pipeline. Errors as for Read.
  void CountSubscribers(
      int32_t stock_id, const std::vector<std::string>& skus,
      absl::Time deadline,
      std::function<void(absl::StatusOr<std::vector<int64_t>>)> done);

  const KeySchema& keys() const { return keys_; }

 private:
  RedisClient& client_;
  const KeySchema keys_;
  const Options options_;
};

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_DEMAND_STORE_H_
