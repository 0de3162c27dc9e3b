// Back-in-stock subscriptions of the storefront (docs/domain.md §8, Magento's
// product_alert_stock): an opaque subscriber id waits for (stock, sku) to
// come back in stock. The write script of RecordWriter turns every open
// subscription into one notification job on BACK_IN_STOCK and removes it.
//
//   SubscriptionStore subs(client, KeySchema("av"));
//   subs.Subscribe(1, "24-MB01", "customer-42", clock.Now(), deadline,
//                  [](absl::StatusOr<bool> created) { ... });
//
// Storage: the hash Subscriptions(stock, sku), subscriber -> subscribe time
// (unix milliseconds). Each call is one atomic script or command.
//
// Thread safety: safe from any thread; callbacks run on the Redis client's
// loop thread and must not block. The client must outlive the store.
#ifndef AVAILABILITY_CACHE_SUBSCRIPTION_STORE_H_
#define AVAILABILITY_CACHE_SUBSCRIPTION_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cache/key_schema.h"
#include "cache/redis_client.h"

namespace availability::cache {

class SubscriptionStore {
 public:
  struct Options {
    // Open subscriptions per (stock, sku); one more is ResourceExhausted.
    int64_t max_per_sku = 10000;
  };
  // Subscriber ids are 1..kMaxSubscriberBytes bytes.
  static constexpr size_t kMaxSubscriberBytes = 256;

  using Callback = std::function<void(absl::StatusOr<bool>)>;

  SubscriptionStore(RedisClient& client, KeySchema keys);
  SubscriptionStore(RedisClient& client, KeySchema keys, Options options);

  // Opens a subscription of `subscriber` to (stock, sku), stamped `now`.
  // Idempotent: true when created, false when it was already open (its time
  // is kept). Errors: InvalidArgument (empty or too long sku/subscriber,
  // stock < 1), ResourceExhausted (max_per_sku open already), Unavailable,
  // DeadlineExceeded.
  void Subscribe(int32_t stock_id, std::string sku, std::string subscriber,
                 absl::Time now, absl::Time deadline, Callback done);

  // Closes an open subscription: true when removed, false when none was
  // open. Errors as for Subscribe, without ResourceExhausted.
  void Unsubscribe(int32_t stock_id, std::string sku, std::string subscriber,
                   absl::Time deadline, Callback done);

  // Open subscriptions of (stock, sku). Errors: Unavailable,
  // DeadlineExceeded.
  void CountOpen(int32_t stock_id, std::string sku, absl::Time deadline,
                 std::function<void(absl::StatusOr<int64_t>)> done);

 private:
  RedisClient& client_;
  const KeySchema keys_;
  const Options options_;
};

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_SUBSCRIPTION_STORE_H_
