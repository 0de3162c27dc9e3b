// Typed, asynchronous reads of the availability cache in Redis: records,
// store configuration, sales channels and alternatives' candidates.
//
// Each read is one round trip (one pipeline, or one read-only Lua script for
// candidates: EVALSHA_RO, falling back to EVAL_RO once after NOSCRIPT, and to
// EVALSHA/EVAL on Redis before 7). Callbacks run on the Redis client's loop
// thread and must not block; each is called exactly once. Safe from any
// thread; holds a reference to the client, which must outlive it, and must
// itself outlive its pending ReadCandidates calls (the NOSCRIPT retry).
//
// Errors of every read: Unavailable (not connected, connection lost, or a
// transient Redis state such as LOADING), DeadlineExceeded, Cancelled (client
// stopped), DataLoss (a store configuration or sales channel that does not
// decode), Internal (any other Redis error reply, e.g. WRONGTYPE). A broken
// record (a record key holding bytes that do not decode, or another Redis
// type) fails no read: it is that SKU's own DataLoss, naming the key, and
// the rest of the read is answered.
#ifndef AVAILABILITY_CACHE_RECORD_STORE_H_
#define AVAILABILITY_CACHE_RECORD_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cache/key_schema.h"
#include "cache/redis_client.h"
#include "cache/redis_script.h"
#include "core/record.h"

namespace availability::cache {

// What one product page or listing needs: the store configuration and,
// per SKU asked for (in order), its record, nullopt where the SKU is not on
// the stock, or DataLoss naming the key where the record is broken.
struct StockSnapshot {
  std::shared_ptr<const core::StoreConfig> config;  // never null
  std::vector<absl::StatusOr<std::optional<core::Record>>> records;
};

// A record key whose value is not a record, met among alternatives'
// candidates (and skipped there); `error` is DataLoss naming the key.
struct BrokenRecord {
  std::string key;
  absl::Status error;
};

class RecordStore {
 public:
  RecordStore(RedisClient& client, KeySchema keys);
  RecordStore(const RecordStore&) = delete;
  RecordStore& operator=(const RecordStore&) = delete;

  // Store config (Magento defaults when never set; stock_id filled in) and
  // the records of `skus`, in one round trip (GET + MGET + EXISTS
  // pipelined; MGET answers nil for a key of another type, so EXISTS
  // counting more keys than MGET found sends one more round trip of TYPE
  // for the nil ones; one SKU is GET + GET, where WRONGTYPE sends the TYPE).
  // Name each SKU once: a repeated one is read again.
  // Errors: Unavailable, DeadlineExceeded, DataLoss for an undecodable
  // config; broken records are per-SKU errors in the snapshot. The config
  // is decoded once per stock and per stored value: reads that find the
  // same bytes share the decoded one.
  void ReadStock(int32_t stock_id, std::vector<std::string> skus,
                 absl::Time deadline,
                 std::function<void(absl::StatusOr<StockSnapshot>)> done);

  // The stock of a sales channel; nullopt when the code is not mapped.
  void ResolveSalesChannel(
      std::string code, absl::Time deadline,
      std::function<void(absl::StatusOr<std::optional<int32_t>>)> done);

  // Candidates for alternatives, in one round trip: the records of
  // `skus` (in order, nullopt where absent), then for each of
  // `category_ids` the first `per_category` SKUs of its ranking with their
  // records (absent ones skipped). A broken candidate is skipped like an
  // absent one (a key of another type is not told from an absent one here)
  // and listed in `broken` when its bytes do not decode.
  struct CategoryCandidate {
    int64_t category_id = 0;  // which of `category_ids` ranked it
    std::string sku;
    core::Record record;
  };
  struct Candidates {
    std::vector<std::optional<core::Record>> records;
    std::vector<CategoryCandidate> by_category;  // category order, then rank
    std::vector<BrokenRecord> broken;
  };
  void ReadCandidates(int32_t stock_id, std::vector<std::string> skus,
                      std::vector<int64_t> category_ids, int per_category,
                      absl::Time deadline,
                      std::function<void(absl::StatusOr<Candidates>)> done);

  const KeySchema& keys() const { return keys_; }
  RedisClient& client() { return client_; }

  // The Lua source of the candidates script (tests compare its SHA-1 with
  // Redis' SCRIPT LOAD).
  static absl::string_view CandidatesScriptForTest();

 private:
  // The candidates script (EVALSHA_RO, EVAL_RO on NOSCRIPT) with `args`.
  void RunCandidatesScript(std::vector<std::string> args, absl::Time deadline,
                           RedisClient::Callback done);

  // The last store configuration decoded per stock that has one stored,
  // with the bytes it came from. Held by the reply callbacks too: a reply
  // may outlive the store at shutdown.
  class DecodedConfigs {
   public:
    // The stored config `bytes` of `stock_id` decoded, now unless they are
    // the bytes decoded last time. Errors: DataLoss.
    absl::StatusOr<std::shared_ptr<const core::StoreConfig>> Get(
        int32_t stock_id, absl::string_view bytes);

   private:
    struct Entry {
      std::string bytes;
      std::shared_ptr<const core::StoreConfig> config;
    };
    absl::Mutex mu_;
    absl::flat_hash_map<int32_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  };

  RedisClient& client_;
  KeySchema keys_;
  const std::shared_ptr<DecodedConfigs> configs_ =
      std::make_shared<DecodedConfigs>();
  const RedisScript candidates_script_;
  // False once the server said it has no EVALSHA_RO (Redis < 7).
  std::atomic<bool> read_only_scripts_{true};
};

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_RECORD_STORE_H_
