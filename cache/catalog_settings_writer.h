// The settings the cache keeps beside the records: each stock's store
// configuration, the sales channels (website code -> stock), each stock's
// category rankings, and the stocks a connector manages. RecordWriter
// (cache/record_writer.h) writes the records themselves; these settings have
// no versions and announce no events: each write replaces its value
// atomically (SET, or a small script that deletes and refills a hash or
// list). Keys: cache/key_schema.h.
//
//   CatalogSettingsWriter settings(client, KeySchema("av"));
//   settings.PutStoreConfig(config, absl::Now() + absl::Seconds(2),
//                           [](absl::Status s) { ... });
//   settings.ReadStoreConfig(/*stock_id=*/1, absl::Now() + absl::Seconds(2),
//                            [](absl::StatusOr<core::StoreConfig> c) { ... });
//
// Errors (to the callbacks): the Redis reply's, mapped as in
// cache/redis_reply.h: Unavailable (Redis gone, OOM, LOADING, READONLY,
// ...), DeadlineExceeded, FailedPrecondition (a key of the wrong type),
// Internal (a reply of an unexpected shape); DataLoss for stored data that
// cannot be decoded, as each method says.
//
// Thread safety: safe from any thread. Callbacks run on the Redis client's
// loop thread and must not block. Holds a reference to the client, which
// must outlive it; the writer must outlive every call in flight.
#ifndef AVAILABILITY_CACHE_CATALOG_SETTINGS_WRITER_H_
#define AVAILABILITY_CACHE_CATALOG_SETTINGS_WRITER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cache/key_schema.h"
#include "cache/redis_client.h"
#include "core/record.h"

namespace availability::cache {

class CatalogSettingsWriter {
 public:
  struct Options {
    // Keys per SCAN step in ListCategoryRankings.
    int scan_count = 500;
  };

  template <typename T>
  using Callback = std::function<void(absl::StatusOr<T>)>;
  using StatusCallback = std::function<void(absl::Status)>;

  CatalogSettingsWriter(RedisClient& client, KeySchema keys);
  CatalogSettingsWriter(RedisClient& client, KeySchema keys, Options options);

  CatalogSettingsWriter(const CatalogSettingsWriter&) = delete;
  CatalogSettingsWriter& operator=(const CatalogSettingsWriter&) = delete;

  // The store configuration of a stock, Magento's defaults (with stock_id)
  // when never set. Errors: DataLoss, Unavailable, DeadlineExceeded.
  void ReadStoreConfig(int32_t stock_id, absl::Time deadline,
                       Callback<core::StoreConfig> done);
  // Replaces the store configuration of config.stock_id.
  void PutStoreConfig(const core::StoreConfig& config, absl::Time deadline,
                      StatusCallback done);
  // Sets website codes -> stock ids; `replace`: atomically removes the
  // codes not listed.
  void PutSalesChannels(std::map<std::string, int32_t> channels, bool replace,
                        absl::Time deadline, StatusCallback done);
  // Replaces a category's ranking atomically (empty `skus`: removes it).
  void PutCategoryRanking(int32_t stock_id, int64_t category_id,
                          std::vector<std::string> skus, absl::Time deadline,
                          StatusCallback done);
  // The ids of the categories that have a ranking on the stock, ascending
  // (SCAN in chunks of scan_count; a ranking written meanwhile may be
  // missing). Errors: Unavailable, DeadlineExceeded, Internal.
  void ListCategoryRankings(int32_t stock_id, absl::Time deadline,
                            Callback<std::vector<int64_t>> done);
  // The same for several stocks with one SCAN: every stock of `stocks` is
  // in the answer (with no ids when it has no ranking).
  void ListCategoryRankings(
      std::vector<int32_t> stocks, absl::Time deadline,
      Callback<std::map<int32_t, std::vector<int64_t>>> done);

  // The stocks a connector (`owner`) keeps in the cache, so that it can
  // empty one its source deleted even after a restart: it adds each stock
  // before writing to it and removes one once it emptied it. Read returns
  // them ascending (none: empty). Errors: Unavailable, DeadlineExceeded,
  // Internal; DataLoss when a member is not a stock id.
  void ReadManagedStocks(absl::string_view owner, absl::Time deadline,
                         Callback<std::vector<int32_t>> done);
  void AddManagedStocks(absl::string_view owner, std::vector<int32_t> stocks,
                        absl::Time deadline, StatusCallback done);
  void RemoveManagedStocks(absl::string_view owner, std::vector<int32_t> stocks,
                           absl::Time deadline, StatusCallback done);

  const KeySchema& keys() const { return keys_; }

 private:
  void ChangeManagedStocks(const char* command, absl::string_view owner,
                           std::vector<int32_t> stocks, absl::Time deadline,
                           StatusCallback done);

  RedisClient& client_;
  const KeySchema keys_;
  const Options options_;
};

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_CATALOG_SETTINGS_WRITER_H_
