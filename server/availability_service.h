// The storefront gRPC service (availability.v1.Availability) on the callback
// API. Every handler validates, hands the work to AvailabilityLookup (which
// talks to Redis on its own loop thread) and returns; the RPC is finished
// from the lookup's callback. No reaction ever blocks.
//
// Deadlines: a call runs until the earlier of the client's deadline and
// `max_call_time` after it arrived; the cache is given that deadline minus
// `reply_margin`, so the server answers DEADLINE_EXCEEDED or UNAVAILABLE
// before the client gives up.
//
// WatchAvailability: validated here, then run by a WatchCall
// (server/watch_call.h): the current answer of every watched SKU, then a
// new one whenever it changes, driven by the invalidation feed through
// `watches` and by the store's local midnight.
//
// Requests are parsed by the service (server/request_parsing.h): a field
// that is not valid UTF-8 is INVALID_ARGUMENT naming it ("sku: not valid
// UTF-8"); in BatchGetAvailability such an item is answered on its own with
// ProductAvailability.error and the others normally, in request order.
//
// Thread-safe; the lookup, clock and registry must outlive the service.
#ifndef AVAILABILITY_SERVER_AVAILABILITY_SERVICE_H_
#define AVAILABILITY_SERVER_AVAILABILITY_SERVICE_H_

#include <functional>

#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "cache/subscription_store.h"
#include "core/clock.h"
#include "server/availability_lookup.h"
#include "server/request_parsing.h"
#include "server/watch_limits.h"
#include "server/watch_registry.h"

namespace availability::server {

class AvailabilityService final
    : public ParsedRequestService<v1::Availability::Service> {
 public:
  struct Options {
    absl::Duration max_call_time = absl::Seconds(1);
    absl::Duration reply_margin = absl::Milliseconds(2);
    // WatchAvailability: the deadline of each re-read, and how long after
    // a failed one it is tried again.
    absl::Duration watch_read_timeout = absl::Seconds(2);
    absl::Duration watch_retry = absl::Milliseconds(500);
    // WatchAvailability streams per connection and in total (null: none);
    // must outlive every call.
    WatchLimits* watch_limits = nullptr;
  };

  // `subscriptions` may be null: Subscribe/Unsubscribe answer UNIMPLEMENTED.
  // `watches` may be null: WatchAvailability answers UNIMPLEMENTED.
  AvailabilityService(Options options, AvailabilityLookup& lookup,
                      cache::SubscriptionStore* subscriptions,
                      const core::Clock& clock,
                      WatchRegistry* watches = nullptr);

  // The methods' handlers (registered by the constructor).
  grpc::ServerUnaryReactor* GetAvailability(
      grpc::CallbackServerContext* context,
      const ParsedRequest<v1::GetAvailabilityRequest>* parsed,
      v1::ProductAvailability* response);

  grpc::ServerUnaryReactor* BatchGetAvailability(
      grpc::CallbackServerContext* context,
      const ParsedRequest<v1::BatchGetAvailabilityRequest>* parsed,
      v1::BatchGetAvailabilityResponse* response);

  grpc::ServerWriteReactor<v1::ProductAvailability>* WatchAvailability(
      grpc::CallbackServerContext* context,
      const ParsedRequest<v1::WatchAvailabilityRequest>* parsed);

  grpc::ServerUnaryReactor* SubscribeBackInStock(
      grpc::CallbackServerContext* context,
      const ParsedRequest<v1::BackInStockSubscription>* parsed,
      v1::SubscribeBackInStockResponse* response);

  grpc::ServerUnaryReactor* UnsubscribeBackInStock(
      grpc::CallbackServerContext* context,
      const ParsedRequest<v1::BackInStockSubscription>* parsed,
      v1::UnsubscribeBackInStockResponse* response);

 private:
  // The cache deadline for a call that arrived now, or nullopt when the
  // call has no time left.
  absl::Time CacheDeadline(const grpc::CallbackServerContext& context) const;

  // Validates, resolves the stock, and opens or closes the subscription;
  // `on_done` fills the response before the reactor finishes.
  void ChangeSubscription(grpc::CallbackServerContext* context,
                          const v1::BackInStockSubscription& request,
                          bool subscribe, std::function<void(bool)> on_done,
                          grpc::ServerUnaryReactor* reactor);

  const Options options_;
  AvailabilityLookup& lookup_;
  cache::SubscriptionStore* const subscriptions_;
  const core::Clock& clock_;
  WatchRegistry* const watches_;
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_AVAILABILITY_SERVICE_H_
