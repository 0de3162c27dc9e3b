// Bounds the storefront calls in flight: beyond `max_calls`, a new call is
// refused at once with RESOURCE_EXHAUSTED instead of queueing, so a burst
// cannot pile up unbounded work behind a slow Redis.
//
//   CallLimiter limiter(200);
//   builder.experimental().SetInterceptorCreators(...,
//       MakeStorefrontCallLimitInterceptorFactory(limiter), ...);
//
// A call holds a CallLimiter::Slot from its start until gRPC destroys the
// call (after the reactor's OnDone). WatchAvailability streams are not
// counted: they have limits of their own (server/watch_limits.h).
//
// The interceptor needs no change to the service: for a call over the
// limit it empties the received request before the handler sees it (the
// storefront handlers refuse an empty request at validation, before any
// Redis command) and replaces the status the handler sends with
// RESOURCE_EXHAUSTED "server busy: ...". Only the Availability methods are
// limited; health, reflection and the sync API never are.
//
// Thread-safe: TryAcquire and the slots' release are lock-free atomics.
#ifndef AVAILABILITY_SERVER_CALL_LIMITER_H_
#define AVAILABILITY_SERVER_CALL_LIMITER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include "grpcpp/support/server_interceptor.h"

namespace availability::server {

class CallLimiter {
 public:
  // A place among the calls in flight; released on destruction. Move-only.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : limiter_(other.limiter_) {
      other.limiter_ = nullptr;
    }
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (limiter_ != nullptr) limiter_->Release();
    }

   private:
    friend class CallLimiter;
    explicit Slot(CallLimiter* limiter) : limiter_(limiter) {}
    CallLimiter* limiter_;
  };

  // `max_calls` <= 0: no limit (calls are still counted).
  explicit CallLimiter(int max_calls) : max_calls_(max_calls) {}
  CallLimiter(const CallLimiter&) = delete;
  CallLimiter& operator=(const CallLimiter&) = delete;

  // A slot, or nullopt (counted in rejected()) when max_calls are in flight.
  std::optional<Slot> TryAcquire();

  int max_calls() const { return max_calls_; }
  int64_t in_flight() const { return in_flight_.load(); }
  uint64_t rejected() const { return rejected_.load(); }

 private:
  void Release() { in_flight_.fetch_sub(1); }

  const int max_calls_;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<uint64_t> rejected_{0};
};

// The interceptor factory that applies `limiter` to the methods of
// availability.v1.Availability. `limiter` must outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeStorefrontCallLimitInterceptorFactory(CallLimiter& limiter);

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_CALL_LIMITER_H_
