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
// GetAvailability and BatchGetAvailability, the hot path, limit themselves
// instead (an interceptor costs an object and a hook per step of every
// call): the handler takes a slot with TryAcquire before anything else and
// answers BusyStatus() without one; the slot is held until the handler
// finishes the call. The interceptor leaves the methods of
// LimitedByHandler alone.
//
// Thread-safe: TryAcquire and the slots' release are lock-free atomics.
#ifndef AVAILABILITY_SERVER_CALL_LIMITER_H_
#define AVAILABILITY_SERVER_CALL_LIMITER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"

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

    // Gives up the automatic release, for a slot carried where a move-only
    // object cannot go (a std::function): the caller then calls the
    // returned limiter's Release() exactly once.
    CallLimiter* Detach() && {
      CallLimiter* limiter = limiter_;
      limiter_ = nullptr;
      return limiter;
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
  std::optional<Slot> TryAcquire() {
    const int64_t now = in_flight_.fetch_add(1) + 1;
    if (max_calls_ > 0 && now > max_calls_) {
      in_flight_.fetch_sub(1);
      rejected_.fetch_add(1);
      return std::nullopt;
    }
    return Slot(this);
  }
  // Frees a Detach()ed slot.
  void Release() { in_flight_.fetch_sub(1); }

  int max_calls() const { return max_calls_; }
  // RESOURCE_EXHAUSTED "server busy: ...", the answer to a refused call.
  grpc::Status BusyStatus() const {
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("server busy: ", max_calls_,
                     " calls already in flight; retry with backoff"));
  }
  int64_t in_flight() const { return in_flight_.load(); }
  uint64_t rejected() const { return rejected_.load(); }

 private:
  const int max_calls_;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<uint64_t> rejected_{0};
};

// Whether the handler of `method` ("/pkg.Service/Method") takes its slot
// itself (Get, Batch): the interceptor then does not.
bool LimitedByHandler(absl::string_view method);

// The interceptor factory that applies `limiter` to the methods of
// availability.v1.Availability (but those LimitedByHandler). `limiter` must
// outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeStorefrontCallLimitInterceptorFactory(CallLimiter& limiter);

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_CALL_LIMITER_H_
