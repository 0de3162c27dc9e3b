// Back-in-stock subscriptions of the storefront (docs/domain.md §8, Magento's
// product_alert_stock): an opaque subscriber id waits for (stock, sku) to
// come back in stock. The write script of RecordWriter turns every open
// subscription into one notification job on BACK_IN_STOCK and removes it.
//
//   SubscriptionStore subs(client, KeySchema("av"));
//   subs.Subscribe(1, "24-MB01", "customer-42", clock.Now(), deadline,
//                  [](absl::StatusOr<bool> created) { ... });
//
// Bounded (a hostile client cannot flood Redis): only SKUs that have a
// record on the stock; at most Options::max_per_sku open subscriptions per
// (stock, sku) and Options::max_per_subscriber per (stock, subscriber);
// each expires Options::expiry after it was taken (no job then).
//
// Storage (docs/architecture.md, keys): the hash Subscriptions(stock, sku),
// subscriber -> "<subscribed unix ms>,<expires unix ms>" (HLEN: the SKU's
// subscriber count, expired ones included until trimmed); the sorted set
// SubscriberIndex(stock, subscriber), sku -> expires. Both keys expire
// whole one expiry after their newest subscription; expired entries are
// trimmed on access. Each call is one atomic script.
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
    // Open subscriptions per (stock, subscriber); one more is
    // ResourceExhausted.
    int64_t max_per_subscriber = 100;
    // How long a subscription stays open (then it is gone, no job); >= 1 ms.
    absl::Duration expiry = absl::Hours(24 * 90);
  };
  // Subscriber ids are 1..kMaxSubscriberBytes bytes.
  static constexpr size_t kMaxSubscriberBytes = 256;

  using Callback = std::function<void(absl::StatusOr<bool>)>;

  SubscriptionStore(RedisClient& client, KeySchema keys);
  SubscriptionStore(RedisClient& client, KeySchema keys, Options options);

  // Opens a subscription of `subscriber` to (stock, sku), stamped `now`
  // (the time its job carries; the expiry runs on Redis's clock, TIME).
  // Idempotent: true when created, false when it was already open (its time
  // is kept). Errors: InvalidArgument (empty or too long sku/subscriber,
  // stock < 1), NotFound (no record of sku on the stock),
  // ResourceExhausted (max_per_sku or max_per_subscriber open already),
  // Unavailable, DeadlineExceeded.
  void Subscribe(int32_t stock_id, std::string sku, std::string subscriber,
                 absl::Time now, absl::Time deadline, Callback done);

  // Closes an open subscription: true when removed, false when none was
  // open. Errors as for Subscribe, without NotFound and ResourceExhausted.
  // An expired one is removed too (false).
  void Unsubscribe(int32_t stock_id, std::string sku, std::string subscriber,
                   absl::Time deadline, Callback done);

  // Subscriptions of (stock, sku), expired ones not yet trimmed included
  // (an upper bound). Errors: Unavailable, DeadlineExceeded.
  void CountOpen(int32_t stock_id, std::string sku, absl::Time deadline,
                 std::function<void(absl::StatusOr<int64_t>)> done);

 private:
  RedisClient& client_;
  const KeySchema keys_;
  const Options options_;
};

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_SUBSCRIPTION_STORE_H_
