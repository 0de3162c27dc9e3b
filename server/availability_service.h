// The storefront gRPC service (availability.v1.Availability) on the callback
// API. Every handler validates, hands the work to AvailabilityLookup (which
// talks to Redis on its own loop thread) and returns; the RPC is finished
// from the lookup's callback (a Get or Batch answered on the Redis loop
// thread by a gRPC thread that is awake anyway, when there is one:
// server/finish_handoff.h). No reaction ever blocks.
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

#include <chrono>
#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "cache/subscription_store.h"
#include "core/clock.h"
#include "server/availability_lookup.h"
#include "server/call_limiter.h"
#include "server/call_metrics.h"
#include "server/demand_counter.h"
#include "server/finish_handoff.h"
#include "server/request_parsing.h"
#include "server/reused_messages.h"
#include "server/subscriber_proof.h"
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
    // Bounds Get and Batch calls in flight (they take their slot in the
    // handler, server/call_limiter.h); null: no limit.
    CallLimiter* call_limiter = nullptr;
    // Get and Batch report their calls here (the metrics interceptor leaves
    // them alone: server/call_metrics.h ObservedByHandler); null: none.
    ServerMetrics* metrics = nullptr;
    // Who may subscribe (server/subscriber_proof.h): the shared secret of
    // the subscriber proofs, and whether subscriptions without one are
    // taken.
    SubscriberAuth::Options subscriber_auth;
    // Counts the answers of Get and Batch as demand signals; null: off.
    // Must outlive the service.
    DemandCounter* demand = nullptr;
    // Get and Batch answered from Redis are finished on a gRPC thread
    // while one has a completion to run anyway (server/finish_handoff.h);
    // a finish nobody takes is run after about two of these. Zero: they
    // are finished on the Redis loop thread.
    absl::Duration finish_handoff_linger = absl::Milliseconds(1);
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
  // A Get or Batch call in progress: what finishing it needs.
  struct UnaryCall {
    grpc::ServerUnaryReactor* reactor = nullptr;
    // A Detach()ed CallLimiter::Slot, or null.
    CallLimiter* slot = nullptr;
    // For the metrics (null: none).
    const ServerMetrics::Method* method = nullptr;
    std::chrono::steady_clock::time_point start;
  };
  // Starts a Get or Batch call of `method`: true with *call set, or false
  // after answering it RESOURCE_EXHAUSTED (no slot free).
  bool BeginCall(grpc::ServerUnaryReactor* reactor,
                 const ServerMetrics::Method* method, UnaryCall* call) const;
  // Frees the call's slot, reports it (and `response`, when OK) to the
  // metrics, and finishes it with `status`: now, or (from the Redis loop
  // thread) through finish_handoff_.
  void FinishCall(const UnaryCall& call, grpc::Status status,
                  const void* response) const;
  void FinishNow(const UnaryCall& call, grpc::Status status,
                 const void* response) const;

  // Validates, resolves the stock, and opens or closes the subscription;
  // `on_done` fills the response before the reactor finishes.
  void ChangeSubscription(grpc::CallbackServerContext* context,
                          const v1::BackInStockSubscription& request,
                          bool subscribe, std::function<void(bool)> on_done,
                          grpc::ServerUnaryReactor* reactor);

  // Get and Batch reuse the request and response objects of finished calls
  // (their answers are written in place: AvailabilityLookup::RunInto), the
  // responses on an arena whose first block holds a whole answer (a Get;
  // a batch of about 50). Declared before the Serve* registrations use them.
  ReusedMessageAllocator<ParsedRequest<v1::GetAvailabilityRequest>,
                         v1::ProductAvailability>
      get_messages_;
  ReusedMessageAllocator<ParsedRequest<v1::BatchGetAvailabilityRequest>,
                         v1::BatchGetAvailabilityResponse>
      batch_messages_;

  const Options options_;
  // The metrics' view of Get and Batch (null without metrics).
  const ServerMetrics::Method* const get_method_;
  const ServerMetrics::Method* const batch_method_;
  AvailabilityLookup& lookup_;
  cache::SubscriptionStore* const subscriptions_;
  const core::Clock& clock_;
  WatchRegistry* const watches_;
  const SubscriberAuth subscriber_auth_;
  // Null when options_.finish_handoff_linger is zero. Last: destroyed
  // first, running what it still holds while the rest is alive.
  const std::unique_ptr<FinishHandoff> finish_handoff_;
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_AVAILABILITY_SERVICE_H_
