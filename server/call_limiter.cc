#include "server/call_limiter.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "availability/v1/availability.pb.h"
#include "grpcpp/support/interceptor.h"
#include "grpcpp/support/status.h"
#include "server/request_parsing.h"

namespace availability::server {
namespace {

namespace v1 = ::availability::v1;

constexpr absl::string_view kStorefrontPrefix =
    "/availability.v1.Availability/";
constexpr absl::string_view kWatchMethod =
    "/availability.v1.Availability/WatchAvailability";

using ClearRequest = void (*)(void*);

template <typename Request>
void ClearAs(void* message) {
  static_cast<Request*>(message)->Clear();
}

// How to empty the request of each storefront method (gRPC hands the
// interceptor the handler's own request object: the services parse their
// requests themselves, server/request_parsing.h), or null for a method this
// table does not know.
ClearRequest ClearerFor(absl::string_view method) {
  const absl::string_view name = method.substr(kStorefrontPrefix.size());
  if (name == "GetAvailability") {
    return &ClearAs<ParsedRequest<v1::GetAvailabilityRequest>>;
  }
  if (name == "BatchGetAvailability") {
    return &ClearAs<ParsedRequest<v1::BatchGetAvailabilityRequest>>;
  }
  if (name == "SubscribeBackInStock" || name == "UnsubscribeBackInStock") {
    return &ClearAs<ParsedRequest<v1::BackInStockSubscription>>;
  }
  return nullptr;
}

class CallLimitInterceptor final : public grpc::experimental::Interceptor {
 public:
  CallLimitInterceptor(CallLimiter& limiter, ClearRequest clear)
      : slot_(limiter.TryAcquire()), clear_(clear), limiter_(limiter) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (!slot_.has_value()) {
      if (methods->QueryInterceptionHookPoint(
              InterceptionHookPoints::POST_RECV_MESSAGE) &&
          clear_ != nullptr && methods->GetRecvMessage() != nullptr) {
        clear_(methods->GetRecvMessage());
      }
      if (methods->QueryInterceptionHookPoint(
              InterceptionHookPoints::PRE_SEND_STATUS)) {
        methods->ModifySendStatus(limiter_.BusyStatus());
      }
    }
    methods->Proceed();
  }

 private:
  const std::optional<CallLimiter::Slot> slot_;
  const ClearRequest clear_;
  const CallLimiter& limiter_;
};

class CallLimitInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallLimitInterceptorFactory(CallLimiter& limiter)
      : limiter_(limiter) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    const absl::string_view method =
        info->method() == nullptr ? "" : info->method();
    if (!absl::StartsWith(method, kStorefrontPrefix)) return nullptr;
    if (LimitedByHandler(method)) return nullptr;
    // Watch streams have limits of their own (server/watch_limits.h): an
    // open stream must not take a unary call's place.
    if (method == kWatchMethod) return nullptr;
    return new CallLimitInterceptor(limiter_, ClearerFor(method));
  }

 private:
  CallLimiter& limiter_;
};

}  // namespace

bool LimitedByHandler(absl::string_view method) {
  if (!absl::StartsWith(method, kStorefrontPrefix)) return false;
  const absl::string_view name = method.substr(kStorefrontPrefix.size());
  return name == "GetAvailability" || name == "BatchGetAvailability";
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeStorefrontCallLimitInterceptorFactory(CallLimiter& limiter) {
  return std::make_unique<CallLimitInterceptorFactory>(limiter);
}

}  // namespace availability::server
