#include "server/availability_service.h"

#include <algorithm>
#include <utility>

#include "absl/time/time.h"
#include "cache/subscription_store.h"
#include "server/grpc_status.h"
#include "server/log.h"
#include "server/request_validation.h"

namespace availability::server {

AvailabilityService::AvailabilityService(
    Options options, AvailabilityLookup& lookup,
    cache::SubscriptionStore* subscriptions, const core::Clock& clock)
    : options_(options),
      lookup_(lookup),
      subscriptions_(subscriptions),
      clock_(clock) {}

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

namespace {

void LogFailure(const absl::Status& status, absl::string_view method) {
  // Validation errors are the caller's; cache errors are worth a line.
  if (status.code() == absl::StatusCode::kInvalidArgument ||
      status.code() == absl::StatusCode::kNotFound) {
    return;
  }
  Log(LogLevel::kWarning, "call failed",
      {{"method", std::string(method)}, {"error", status.ToString()}});
}

}  // namespace

grpc::ServerUnaryReactor* AvailabilityService::GetAvailability(
    grpc::CallbackServerContext* context,
    const v1::GetAvailabilityRequest* request,
    v1::ProductAvailability* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<ValidatedQuery> query = ValidateGet(*request);
  if (!query.ok()) {
    reactor->Finish(ToGrpcStatus(query.status()));
    return reactor;
  }
  lookup_.Run(*std::move(query), CacheDeadline(*context),
              [reactor, response](
                  absl::StatusOr<AvailabilityLookup::Answers> answers) {
                if (!answers.ok()) {
                  LogFailure(answers.status(), "GetAvailability");
                  reactor->Finish(ToGrpcStatus(answers.status()));
                  return;
                }
                v1::ProductAvailability& answer = answers->front();
                if (answer.status() == v1::STATUS_UNKNOWN) {
                  reactor->Finish(grpc::Status(
                      grpc::StatusCode::NOT_FOUND,
                      "sku: not found on stock " +
                          std::to_string(answer.stock_id())));
                  return;
                }
                response->Swap(&answer);
                reactor->Finish(grpc::Status::OK);
              });
  return reactor;
}

grpc::ServerUnaryReactor* AvailabilityService::BatchGetAvailability(
    grpc::CallbackServerContext* context,
    const v1::BatchGetAvailabilityRequest* request,
    v1::BatchGetAvailabilityResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<ValidatedQuery> query = ValidateBatch(*request);
  if (!query.ok()) {
    reactor->Finish(ToGrpcStatus(query.status()));
    return reactor;
  }
  lookup_.Run(*std::move(query), CacheDeadline(*context),
              [reactor, response](
                  absl::StatusOr<AvailabilityLookup::Answers> answers) {
                if (!answers.ok()) {
                  LogFailure(answers.status(), "BatchGetAvailability");
                  reactor->Finish(ToGrpcStatus(answers.status()));
                  return;
                }
                auto* items = response->mutable_items();
                items->Reserve(static_cast<int>(answers->size()));
                for (v1::ProductAvailability& answer : *answers) {
                  items->Add()->Swap(&answer);
                }
                reactor->Finish(grpc::Status::OK);
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
            LogFailure(changed.status(), "BackInStockSubscription");
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
    const v1::BackInStockSubscription* request,
    v1::SubscribeBackInStockResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  ChangeSubscription(
      context, *request, /*subscribe=*/true,
      [response](bool created) { response->set_created(created); }, reactor);
  return reactor;
}

grpc::ServerUnaryReactor* AvailabilityService::UnsubscribeBackInStock(
    grpc::CallbackServerContext* context,
    const v1::BackInStockSubscription* request,
    v1::UnsubscribeBackInStockResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  ChangeSubscription(
      context, *request, /*subscribe=*/false,
      [response](bool removed) { response->set_removed(removed); }, reactor);
  return reactor;
}

}  // namespace availability::server
