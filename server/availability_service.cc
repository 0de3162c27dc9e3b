#include "server/availability_service.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cache/subscription_store.h"
#include "server/availability_mapping.h"
#include "server/grpc_status.h"
#include "server/request_validation.h"
#include "server/watch_call.h"

namespace availability::server {

AvailabilityService::AvailabilityService(
    Options options, AvailabilityLookup& lookup,
    cache::SubscriptionStore* subscriptions, const core::Clock& clock,
    WatchRegistry* watches)
    : ParsedRequestService(v1::Availability::service_full_name()),
      get_messages_(/*arena_block_bytes=*/4096),
      batch_messages_(/*arena_block_bytes=*/64 << 10),
      options_(options),
      get_method_(options.metrics == nullptr
                      ? nullptr
                      : &options.metrics->FindMethod(
                            "/availability.v1.Availability/GetAvailability")),
      batch_method_(
          options.metrics == nullptr
              ? nullptr
              : &options.metrics->FindMethod(
                    "/availability.v1.Availability/BatchGetAvailability")),
      lookup_(lookup),
      subscriptions_(subscriptions),
      clock_(clock),
      watches_(watches),
      subscriber_auth_(options.subscriber_auth),
      finish_handoff_(
          options.finish_handoff_linger > absl::ZeroDuration()
              ? std::make_unique<FinishHandoff>(options.finish_handoff_linger)
              : nullptr) {
  if (finish_handoff_ != nullptr) {
    // A Get's or Batch's messages are released once its completion has run.
    get_messages_.SetReleaseHook([this] { finish_handoff_->CallDone(); });
    batch_messages_.SetReleaseHook([this] { finish_handoff_->CallDone(); });
  }
  ServeUnary("GetAvailability", this, &AvailabilityService::GetAvailability,
             &get_messages_);
  ServeUnary("BatchGetAvailability", this,
             &AvailabilityService::BatchGetAvailability, &batch_messages_);
  ServeServerStreaming("WatchAvailability", this,
                       &AvailabilityService::WatchAvailability);
  ServeUnary("SubscribeBackInStock", this,
             &AvailabilityService::SubscribeBackInStock);
  ServeUnary("UnsubscribeBackInStock", this,
             &AvailabilityService::UnsubscribeBackInStock);
}

bool AvailabilityService::BeginCall(grpc::ServerUnaryReactor* reactor,
                                    const ServerMetrics::Method* method,
                                    UnaryCall* call) const {
  call->reactor = reactor;
  call->method = method;
  if (method != nullptr) call->start = std::chrono::steady_clock::now();
  if (options_.call_limiter == nullptr) return true;
  std::optional<CallLimiter::Slot> taken = options_.call_limiter->TryAcquire();
  if (!taken.has_value()) {
    FinishCall(*call, options_.call_limiter->BusyStatus(), nullptr);
    return false;
  }
  call->slot = std::move(*taken).Detach();
  return true;
}

void AvailabilityService::FinishCall(const UnaryCall& call, grpc::Status status,
                                     const void* response) const {
  if (finish_handoff_ == nullptr) {
    FinishNow(call, std::move(status), response);
    return;
  }
  finish_handoff_->Run(
      [this, call, status = std::move(status), response]() mutable {
        FinishNow(call, std::move(status), response);
      });
}

void AvailabilityService::FinishNow(const UnaryCall& call, grpc::Status status,
                                    const void* response) const {
  if (call.slot != nullptr) call.slot->Release();
  if (call.method != nullptr) {
    if (status.ok()) options_.metrics->ObserveResponse(*call.method, response);
    options_.metrics->ObserveCall(
        *call.method, /*unary=*/true,
        absl::FromChrono(std::chrono::steady_clock::now() - call.start),
        status.error_code());
  }
  if (finish_handoff_ != nullptr) finish_handoff_->CallFinishing();
  call.reactor->Finish(std::move(status));
}

absl::Time AvailabilityService::CacheDeadline(
    const grpc::CallbackServerContext& context) const {
  const absl::Time now = clock_.Now();
  absl::Time deadline = now + options_.max_call_time;
  const auto client_deadline = context.deadline();
  if (client_deadline != std::chrono::system_clock::time_point::max()) {
    deadline = std::min(deadline, absl::FromChrono(client_deadline));
  }
  return deadline - options_.reply_margin;
}

grpc::ServerUnaryReactor* AvailabilityService::GetAvailability(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::GetAvailabilityRequest>* parsed,
    v1::ProductAvailability* response) {
  std::optional<FinishHandoff::ScopedGrpcThread> on_grpc_thread;
  if (finish_handoff_ != nullptr) on_grpc_thread.emplace(*finish_handoff_);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  UnaryCall call;
  if (!BeginCall(reactor, get_method_, &call)) return reactor;
  if (absl::Status s = parsed->status(); !s.ok()) {
    FinishCall(call, ToGrpcStatus(s), nullptr);
    return reactor;
  }
  const v1::GetAvailabilityRequest* request = &parsed->message();
  absl::StatusOr<ValidatedQuery> query = ValidateGet(*request);
  if (!query.ok()) {
    FinishCall(call, ToGrpcStatus(query.status()), nullptr);
    return reactor;
  }
  // The answer is written straight into the response.
  lookup_.RunInto(
      *std::move(query), CacheDeadline(*context), /*out_list=*/nullptr,
      response,
      [this, call, response, demand = options_.demand](absl::Status status) {
        if (!status.ok()) {
          LogCallFailure(status, "GetAvailability");
          FinishCall(call, ToGrpcStatus(status), nullptr);
          return;
        }
        if (response->has_error()) {  // e.g. a broken record: DATA_LOSS
          FinishCall(call, ToGrpcStatus(ItemErrorFromApi(response->error())),
                     nullptr);
          return;
        }
        if (response->status() == v1::STATUS_UNKNOWN) {
          FinishCall(call,
                     grpc::Status(grpc::StatusCode::NOT_FOUND,
                                  "sku: not found on stock " +
                                      std::to_string(response->stock_id())),
                     nullptr);
          return;
        }
        if (demand != nullptr) demand->CountProductPage(*response);
        FinishCall(call, grpc::Status::OK, response);
      });
  return reactor;
}

namespace {

constexpr size_t kMaxWatchSkus = 1000;

// A stream finished before it started (validation errors).
class FinishedWriteReactor final
    : public grpc::ServerWriteReactor<v1::ProductAvailability> {
 public:
  void OnDone() override { delete this; }
};

// Validates a watch request with the Get rules per SKU, plus the count and
// distinctness; errors name the field ("skus[3]: ...").
absl::StatusOr<ValidatedQuery> ValidateWatch(
    const v1::WatchAvailabilityRequest& request) {
  if (request.skus_size() == 0) {
    return absl::InvalidArgumentError("skus: at least one SKU is required");
  }
  if (static_cast<size_t>(request.skus_size()) > kMaxWatchSkus) {
    return absl::InvalidArgumentError(
        absl::StrCat("skus: at most ", kMaxWatchSkus, " SKUs per call"));
  }
  ValidatedQuery query;
  absl::flat_hash_set<absl::string_view> seen;
  for (int i = 0; i < request.skus_size(); ++i) {
    v1::GetAvailabilityRequest get;
    get.set_sku(request.skus(i));
    *get.mutable_scope() = request.scope();
    get.set_max_alternatives(request.max_alternatives());
    absl::StatusOr<ValidatedQuery> one = ValidateGet(get);
    if (!one.ok()) {
      std::string message(one.status().message());
      if (absl::StartsWith(message, "sku:")) {
        message = absl::StrCat("skus[", i, "]:", message.substr(4));
      }
      return absl::Status(one.status().code(), message);
    }
    if (!seen.insert(request.skus(i)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("skus[", i, "]: duplicate of an earlier SKU"));
    }
    if (i == 0) {
      query.scope = one->scope;
      query.max_alternatives = one->max_alternatives;
    }
    query.items.push_back(std::move(one->items.front()));
  }
  return query;
}

}  // namespace

grpc::ServerWriteReactor<v1::ProductAvailability>*
AvailabilityService::WatchAvailability(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::WatchAvailabilityRequest>* parsed) {
  if (watches_ == nullptr) {
    auto* reactor = new FinishedWriteReactor;
    reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                 "WatchAvailability: not enabled"));
    return reactor;
  }
  if (absl::Status s = parsed->status(); !s.ok()) {
    auto* reactor = new FinishedWriteReactor;
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  absl::StatusOr<ValidatedQuery> query = ValidateWatch(parsed->message());
  if (!query.ok()) {
    auto* reactor = new FinishedWriteReactor;
    reactor->Finish(ToGrpcStatus(query.status()));
    return reactor;
  }
  auto* call = new WatchCall(
      WatchCall::Options{options_.watch_read_timeout, options_.watch_retry,
                         options_.watch_limits},
      lookup_, *watches_, clock_, *std::move(query), context->peer());
  call->Begin();
  return call;
}

namespace {

using ItemErrors = RequestProblems::ElementErrorMap;

// ValidateBatch for a request whose `bad` items (by index, ascending) are
// answered on their own: their SKUs (emptied by the parse) stand in as a
// valid placeholder while the rest of each item and the request are checked
// with the batch's rules and indices, and they are left out of the query.
absl::StatusOr<ValidatedQuery> ValidateBatchExcept(
    const v1::BatchGetAvailabilityRequest& request, const ItemErrors& bad) {
  if (bad.empty()) return ValidateBatch(request);
  v1::BatchGetAvailabilityRequest checked = request;
  for (const auto& [index, message] : bad) {
    checked.mutable_items(index)->set_sku("-");
  }
  absl::StatusOr<ValidatedQuery> query = ValidateBatch(checked);
  if (!query.ok()) return query;
  for (auto e = bad.rbegin(); e != bad.rend(); ++e) {
    query->items.erase(query->items.begin() + e->first);
  }
  return query;
}

// Puts an answer with `error` for each of `errors` at its index among
// `items` (the answers of the other items, in request order).
void InsertItemErrors(
    const ItemErrors& errors,
    google::protobuf::RepeatedPtrField<v1::ProductAvailability>* items) {
  if (errors.empty()) return;
  google::protobuf::RepeatedPtrField<v1::ProductAvailability> merged;
  merged.Reserve(items->size() + static_cast<int>(errors.size()));
  int next = 0;
  auto error = errors.begin();
  while (next < items->size() || error != errors.end()) {
    if (error != errors.end() && error->first == merged.size()) {
      v1::ItemError* e = merged.Add()->mutable_error();
      e->set_code(static_cast<int32_t>(absl::StatusCode::kInvalidArgument));
      e->set_message(error->second);
      ++error;
    } else if (next < items->size()) {
      merged.Add()->Swap(items->Mutable(next++));
    } else {
      break;  // an index past the answers: cannot happen
    }
  }
  items->Swap(&merged);
}

}  // namespace

grpc::ServerUnaryReactor* AvailabilityService::BatchGetAvailability(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::BatchGetAvailabilityRequest>* parsed,
    v1::BatchGetAvailabilityResponse* response) {
  std::optional<FinishHandoff::ScopedGrpcThread> on_grpc_thread;
  if (finish_handoff_ != nullptr) on_grpc_thread.emplace(*finish_handoff_);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  UnaryCall call;
  if (!BeginCall(reactor, batch_method_, &call)) return reactor;
  if (absl::Status s = parsed->StatusOutside("items"); !s.ok()) {
    FinishCall(call, ToGrpcStatus(s), nullptr);
    return reactor;
  }
  ItemErrors item_errors = parsed->ElementErrors("items");
  absl::StatusOr<ValidatedQuery> query =
      ValidateBatchExcept(parsed->message(), item_errors);
  if (!query.ok()) {
    FinishCall(call, ToGrpcStatus(query.status()), nullptr);
    return reactor;
  }
  if (query->items.empty()) {  // every item was bad
    InsertItemErrors(item_errors, response->mutable_items());
    FinishCall(call, grpc::Status::OK, response);
    return reactor;
  }
  // The answers are written straight into the response's items.
  lookup_.RunInto(*std::move(query), CacheDeadline(*context),
                  response->mutable_items(),
                  /*out_single=*/nullptr,
                  [this, call, response, item_errors = std::move(item_errors),
                   demand = options_.demand](absl::Status status) {
                    if (!status.ok()) {
                      LogCallFailure(status, "BatchGetAvailability");
                      FinishCall(call, ToGrpcStatus(status), nullptr);
                      return;
                    }
                    if (demand != nullptr) {
                      demand->CountListing(response->items());
                    }
                    InsertItemErrors(item_errors, response->mutable_items());
                    FinishCall(call, grpc::Status::OK, response);
                  });
  return reactor;
}

void AvailabilityService::ChangeSubscription(
    grpc::CallbackServerContext* context,
    const v1::BackInStockSubscription& request, bool subscribe,
    std::function<void(bool)> on_done, grpc::ServerUnaryReactor* reactor) {
  if (subscriptions_ == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                 "back-in-stock subscriptions: not enabled"));
    return;
  }
  absl::StatusOr<ValidatedQuery> query = ValidateSubscription(request);
  if (!query.ok()) {
    reactor->Finish(ToGrpcStatus(query.status()));
    return;
  }
  if (absl::Status s = subscriber_auth_.Check(request.subscriber_id(),
                                              request.subscriber_proof());
      !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return;
  }
  const absl::Time deadline = CacheDeadline(*context);
  lookup_.ResolveStock(
      query->scope, deadline,
      [this, subscribe, deadline, reactor, on_done = std::move(on_done),
       sku = query->items[0].sku,
       subscriber = request.subscriber_id()](absl::StatusOr<int32_t> stock) {
        if (!stock.ok()) {
          reactor->Finish(ToGrpcStatus(stock.status()));
          return;
        }
        auto finish = [reactor, on_done](absl::StatusOr<bool> changed) {
          if (!changed.ok()) {
            // A cap reached is the caller's (a flood would flood the log).
            if (!absl::IsResourceExhausted(changed.status())) {
              LogCallFailure(changed.status(), "BackInStockSubscription");
            }
            reactor->Finish(ToGrpcStatus(changed.status()));
            return;
          }
          on_done(*changed);
          reactor->Finish(grpc::Status::OK);
        };
        if (subscribe) {
          subscriptions_->Subscribe(*stock, sku, subscriber, clock_.Now(),
                                    deadline, std::move(finish));
        } else {
          subscriptions_->Unsubscribe(*stock, sku, subscriber, deadline,
                                      std::move(finish));
        }
      });
}

grpc::ServerUnaryReactor* AvailabilityService::SubscribeBackInStock(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::BackInStockSubscription>* parsed,
    v1::SubscribeBackInStockResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status s = parsed->status(); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  ChangeSubscription(
      context, parsed->message(), /*subscribe=*/true,
      [response](bool created) { response->set_created(created); }, reactor);
  return reactor;
}

grpc::ServerUnaryReactor* AvailabilityService::UnsubscribeBackInStock(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::BackInStockSubscription>* parsed,
    v1::UnsubscribeBackInStockResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status s = parsed->status(); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  ChangeSubscription(
      context, parsed->message(), /*subscribe=*/false,
      [response](bool removed) { response->set_removed(removed); }, reactor);
  return reactor;
}

}  // namespace availability::server
