// Redis key names. Every per-stock key carries the stock in a hash tag,
// "<prefix>:{<stock>}:...", so that all keys of one stock share a Redis
// Cluster slot: a batch read is one MGET and a versioned write can update a
// record, its events and its subscriptions in one atomic script.
//
//   KeySchema keys("av");
//   keys.Record(1, "24-MB01")   // "av:{1}:r:24-MB01"
//
// Layout: "<prefix>:{<stock>}:" then "r:<sku>", "config", "cat:<id>",
// "events", "jobs", "sub:<sku>", "subscriber:<id>", "demand:<yyyymmdd>",
// "snap:<id>",
// "parents:<sku>", "comp:<sku>";
// "<prefix>:channels" and
// "<prefix>:stocks:<owner>" are global.
// SKUs are used verbatim (any bytes, ':' and '{' included): they follow the
// hash tag, so they never change the slot. An empty prefix drops the leading
// "<prefix>:"; braces in the prefix are removed.
//
// Immutable after construction; safe from any thread.
#ifndef AVAILABILITY_CACHE_KEY_SCHEMA_H_
#define AVAILABILITY_CACHE_KEY_SCHEMA_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace availability::cache {

class KeySchema {
 public:
  explicit KeySchema(std::string prefix = "av");

  const std::string& prefix() const { return prefix_; }

  // Encoded core::Record of (stock, sku): string.
  std::string Record(int32_t stock_id, absl::string_view sku) const;
  // Prefix of every record key of a stock (for SCAN and tracking).
  std::string RecordPrefix(int32_t stock_id) const;
  // What every per-stock key starts with ("av:{"), before the stock id.
  const std::string& StockKeyStart() const { return stock_key_start_; }
  // A per-stock key split into its stock and what follows "}:" ("r:<sku>",
  // "cat:<id>", ...); nullopt for a key not of this schema's form.
  std::optional<std::pair<int32_t, absl::string_view>> SplitStockKey(
      absl::string_view key) const;
  // The stock of a record key (Record(stock, sku)); nullopt for any other
  // key.
  std::optional<int32_t> RecordKeyStock(absl::string_view key) const;
  // Encoded core::StoreConfig of a stock: string.
  std::string StoreConfig(int32_t stock_id) const;
  // Sales channel (website code) -> stock id: hash. Not per stock.
  std::string SalesChannels() const;
  // Popularity ranking of a category: list of SKUs, most popular first.
  std::string CategoryRanking(int32_t stock_id, int64_t category_id) const;
  // Prefix of every category ranking key of a stock (for SCAN).
  std::string CategoryRankingPrefix(int32_t stock_id) const;
  // Transition events of a stock: stream.
  std::string Events(int32_t stock_id) const;
  // Back-in-stock notification jobs of a stock: stream.
  std::string NotificationJobs(int32_t stock_id) const;
  // Open back-in-stock subscriptions of (stock, sku): hash subscriber ->
  // "<subscribed unix ms>,<expires unix ms>" (cache/subscription_store.h).
  std::string Subscriptions(int32_t stock_id, absl::string_view sku) const;
  // A subscriber's subscriptions on a stock: sorted set sku -> expires
  // (unix ms).
  std::string SubscriberIndex(int32_t stock_id,
                              absl::string_view subscriber) const;
  // Demand counted on one UTC day (cache/demand_store.h), `day` as
  // "yyyymmdd": hash "<kind>:<sku>" -> count.
  std::string DemandBucket(int32_t stock_id, absl::string_view day) const;
  // SKUs upserted under a snapshot id: set.
  std::string Snapshot(int32_t stock_id, absl::string_view snapshot_id) const;
  // Last announced summary (and tombstone) per SKU, kept by the write
  // script (cache/record_writer.h): hash sku -> summary.
  std::string Summaries(int32_t stock_id) const;
  // Composite products (docs/domain.md §10), kept by the write script
  // (cache/scripts/write_records.lua derives these two from Record(), so
  // their layout must stay "<tag>parents:" / "<tag>comp:" + sku):
  // the composites on the stock that list `component` (a variant, an
  // associated product or a bundle selection): set of parent SKUs.
  std::string Parents(int32_t stock_id, absl::string_view component) const;
  // The component list of a composite `parent` as last written: string,
  // each SKU as one length byte then its bytes.
  std::string ComponentList(int32_t stock_id, absl::string_view parent) const;
  // Stock ids a connector (`owner`, e.g. "magento") keeps in the cache: set.
  // Not per stock.
  std::string ManagedStocks(absl::string_view owner) const;

 private:
  std::string StockTag(int32_t stock_id) const;
  std::string prefix_;
  std::string stock_key_start_;
};

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_KEY_SCHEMA_H_
