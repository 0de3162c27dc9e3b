#include "server/availability_service.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/alarm.h"

#include "absl/time/time.h"
#include "cache/subscription_store.h"
#include "server/availability_mapping.h"
#include "server/grpc_status.h"
#include "base/log.h"
#include "server/request_validation.h"

namespace availability::server {
using ::availability::base::Log;
using ::availability::base::LogLevel;


AvailabilityService::AvailabilityService(
    Options options, AvailabilityLookup& lookup,
    cache::SubscriptionStore* subscriptions, const core::Clock& clock,
    WatchRegistry* watches)
    : ParsedRequestService(v1::Availability::service_full_name()),
      options_(options),
      lookup_(lookup),
      subscriptions_(subscriptions),
      clock_(clock),
      watches_(watches) {
  ServeUnary("GetAvailability", this, &AvailabilityService::GetAvailability);
  ServeUnary("BatchGetAvailability", this,
             &AvailabilityService::BatchGetAvailability);
  ServeServerStreaming("WatchAvailability", this,
                       &AvailabilityService::WatchAvailability);
  ServeUnary("SubscribeBackInStock", this,
             &AvailabilityService::SubscribeBackInStock);
  ServeUnary("UnsubscribeBackInStock", this,
             &AvailabilityService::UnsubscribeBackInStock);
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
    const ParsedRequest<v1::GetAvailabilityRequest>* parsed,
    v1::ProductAvailability* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status s = parsed->status(); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  const v1::GetAvailabilityRequest* request = &parsed->message();
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
                v1::ProductAvailability& answer = *answers->Mutable(0);
                if (answer.has_error()) {  // e.g. a broken record: DATA_LOSS
                  reactor->Finish(
                      ToGrpcStatus(ItemErrorFromApi(answer.error())));
                  return;
                }
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

// One WatchAvailability call. The reactor is owned by gRPC until OnDone;
// the state below is shared with the registry (weakly), lookups in flight
// and alarms, and outlives the reactor when they finish later: `reactor_`
// is used only until Finish has been called.
class AvailabilityService::WatchCall final
    : public grpc::ServerWriteReactor<v1::ProductAvailability> {
 public:
  class State;

  WatchCall(AvailabilityService& service, ValidatedQuery query);
  void Begin();

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  std::shared_ptr<State> state_;
};

class AvailabilityService::WatchCall::State final
    : public WatchRegistry::Watcher,
      public std::enable_shared_from_this<State> {
 public:
  State(AvailabilityService& service, ValidatedQuery query, WatchCall* call)
      : service_(service), query_(std::move(query)), call_(call) {
    for (const ValidatedItem& item : query_.items) skus_.push_back(item.sku);
  }

  // Resolves the scope, registers, reads the initial answers.
  void Begin() {
    auto self = shared_from_this();
    service_.lookup_.ResolveStock(
        query_.scope, absl::Now() + service_.options_.watch_read_timeout,
        [self](absl::StatusOr<int32_t> stock) {
          if (!stock.ok()) {
            self->FinishWith(ToGrpcStatus(stock.status()));
            return;
          }
          {
            absl::MutexLock lock(&self->mu_);
            if (self->finishing_) return;
            self->stock_id_ = *stock;
            self->query_.scope = ValidatedScope{*stock, ""};
            self->registered_ = true;
          }
          // Registered before the first read: no change can fall between.
          self->service_.watches_->Add(*stock, self->skus_, self);
          // The first answers' day is the one of this instant: the next
          // midnight is counted from it, even if the zone is known later.
          const absl::Time first_read = self->service_.clock_.Now();
          self->OnAllChanged();
          self->ScheduleMidnight(first_read);
        });
  }

  void OnChanged(const std::string& sku) override {
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
      dirty_.insert(sku);
      MaybeRead();
    }
    RunDeferred();
  }

  void OnAllChanged() override {
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
      for (const std::string& sku : skus_) dirty_.insert(sku);
      MaybeRead();
    }
    RunDeferred();
  }

  void WriteDone(bool ok) {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok && !finishing_) {
        finishing_ = true;
        final_status_ = grpc::Status(grpc::StatusCode::CANCELLED,
                                     "watch: the stream was closed");
      }
      Pump();
    }
    RunDeferred();
  }

  void Cancel() {
    FinishWith(grpc::Status(grpc::StatusCode::CANCELLED, "watch: cancelled"));
  }

  void Done() {
    bool registered;
    int32_t stock_id;
    {
      absl::MutexLock lock(&mu_);
      call_ = nullptr;
      finishing_ = true;
      registered = registered_;
      stock_id = stock_id_;
      if (midnight_ != nullptr) midnight_->Cancel();
      if (retry_ != nullptr) retry_->Cancel();
    }
    if (registered) service_.watches_->Remove(stock_id, skus_, this);
  }

  void FinishWith(grpc::Status status) {
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
      finishing_ = true;
      final_status_ = std::move(status);
      Pump();
    }
    RunDeferred();
  }

 private:
  // Starts a re-read of the dirty SKUs unless one is in flight (its end
  // starts the next). The lookup may answer inline (near-cache hits): it
  // is called outside mu_.
  void MaybeRead() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reading_ || dirty_.empty() || stock_id_ == 0) return;
    reading_ = true;
    ValidatedQuery query;
    query.scope = query_.scope;
    query.max_alternatives = query_.max_alternatives;
    // Request order, so the first answers come in the order asked for.
    for (const ValidatedItem& item : query_.items) {
      if (dirty_.contains(item.sku)) query.items.push_back({item.sku, {}});
    }
    dirty_.clear();
    // Run after unlocking: handed to the loop below.
    pending_read_ = std::move(query);
    read_scheduled_ = true;
  }

  void RunScheduledRead() ABSL_LOCKS_EXCLUDED(mu_) {
    ValidatedQuery query;
    {
      absl::MutexLock lock(&mu_);
      if (!read_scheduled_) return;
      read_scheduled_ = false;
      query = std::move(pending_read_);
    }
    auto self = shared_from_this();
    std::vector<std::string> asked;
    asked.reserve(query.items.size());
    for (const ValidatedItem& item : query.items) asked.push_back(item.sku);
    service_.lookup_.Run(
        std::move(query),
        absl::Now() + service_.options_.watch_read_timeout,
        [self, asked = std::move(asked)](
            absl::StatusOr<AvailabilityLookup::Answers> answers) mutable {
          self->ReadDone(std::move(asked), std::move(answers));
        });
  }

  void ReadDone(std::vector<std::string> asked,
                absl::StatusOr<AvailabilityLookup::Answers> answers) {
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      if (finishing_) return;
      if (!answers.ok() && !first_read_done_) {
        // No first answers: the call fails with the cache's error.
        finishing_ = true;
        final_status_ = ToGrpcStatus(answers.status());
        Pump();
      } else if (!answers.ok()) {
        LogFailure(answers.status(), "WatchAvailability");
        for (std::string& sku : asked) dirty_.insert(std::move(sku));
        ScheduleRetry();
      } else {
        first_read_done_ = true;
        for (v1::ProductAvailability& answer : *answers) {
          std::string bytes;
          answer.SerializePartialToString(&bytes);
          std::string& last = last_[answer.sku()];
          if (last == bytes) continue;  // unchanged: nothing to send
          last = std::move(bytes);
          auto [it, inserted] = pending_.try_emplace(answer.sku());
          if (inserted) order_.push_back(answer.sku());
          it->second.Swap(&answer);  // coalesced: the latest answer wins
        }
        Pump();
        MaybeRead();
      }
    }
    RunDeferred();
  }

  // Starts the next write, or finishes, when nothing is in flight. Called
  // with mu_ held; the gRPC calls are made after the caller unlocks through
  // the deferred actions below.
  void Pump() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (call_ == nullptr || writing_ || finish_called_) return;
    if (finishing_) {
      finish_called_ = true;
      // Finish may run OnDone on another thread at once; nothing of the
      // reactor is touched after it.
      WatchCall* call = call_;
      grpc::Status status = final_status_;
      deferred_.push_back([call, status] { call->Finish(status); });
      return;
    }
    if (order_.empty()) return;
    writing_ = true;
    const std::string sku = std::move(order_.front());
    order_.pop_front();
    auto it = pending_.find(sku);
    in_flight_.Swap(&it->second);
    pending_.erase(it);
    WatchCall* call = call_;
    const v1::ProductAvailability* message = &in_flight_;
    deferred_.push_back([call, message] { call->StartWrite(message); });
  }

  void ScheduleRetry() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (retry_armed_) return;
    retry_armed_ = true;
    std::weak_ptr<State> weak = weak_from_this();
    retired_retry_ = std::move(retry_);
    retry_ = std::make_unique<grpc::Alarm>();
    retry_->Set(absl::ToChronoTime(absl::Now() +
                                   service_.options_.watch_retry),
                [weak](bool ok) {
                  auto self = weak.lock();
                  if (self == nullptr) return;
                  {
                    absl::MutexLock lock(&self->mu_);
                    self->retry_armed_ = false;
                    if (!ok || self->finishing_) return;
                    self->MaybeRead();
                    if (!self->read_scheduled_) return;
                  }
                  self->RunDeferred();
                });
  }

  // Re-reads everything at the store's next local midnight ("now" from the
  // service's clock, so tests move it), then again every midnight.
  void ScheduleMidnight(absl::Time first_read) {
    auto self = shared_from_this();
    int32_t stock_id;
    {
      absl::MutexLock lock(&mu_);
      stock_id = stock_id_;
    }
    service_.lookup_.ReadTimeZone(
        stock_id, absl::Now() + service_.options_.watch_read_timeout,
        [self, first_read](absl::StatusOr<absl::TimeZone> zone) {
          absl::MutexLock lock(&self->mu_);
          if (self->finishing_) return;
          // Unknown zone for now: UTC; a config change re-reads anyway.
          self->zone_ = zone.ok() ? *zone : absl::UTCTimeZone();
          self->next_midnight_ =
              absl::FromCivil(absl::ToCivilDay(first_read, self->zone_) + 1,
                              self->zone_);
          self->ArmMidnight(self->service_.clock_.Now());
        });
  }

  void ArmMidnight(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const absl::Duration wait =
        std::max(next_midnight_ - now, absl::Milliseconds(1));
    std::weak_ptr<State> weak = weak_from_this();
    // Re-armed from the alarm's own callback: the old alarm is kept until
    // the next re-arm rather than destroyed while it runs.
    retired_midnight_ = std::move(midnight_);
    midnight_ = std::make_unique<grpc::Alarm>();
    midnight_->Set(absl::ToChronoTime(absl::Now() + wait), [weak](bool ok) {
      auto self = weak.lock();
      if (self == nullptr || !ok) return;
      {
        absl::MutexLock lock(&self->mu_);
        if (self->finishing_) return;
        const absl::Time clock_now = self->service_.clock_.Now();
        if (clock_now >= self->next_midnight_) {
          for (const std::string& sku : self->skus_) self->dirty_.insert(sku);
          self->next_midnight_ = absl::FromCivil(
              absl::ToCivilDay(clock_now, self->zone_) + 1, self->zone_);
          self->MaybeRead();
        }
        // (A clock behind the timer just waits for the rest.)
        self->ArmMidnight(clock_now);
      }
      self->RunDeferred();
    });
  }

 public:
  // Runs the gRPC calls and the read decided under mu_, outside it.
  void RunDeferred() ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<std::function<void()>> actions;
    {
      absl::MutexLock lock(&mu_);
      actions.swap(deferred_);
    }
    for (auto& action : actions) action();
    RunScheduledRead();
  }

 private:
  AvailabilityService& service_;
  ValidatedQuery query_;
  std::vector<std::string> skus_;

  absl::Mutex mu_;
  WatchCall* call_ ABSL_GUARDED_BY(mu_);  // null once OnDone ran
  int32_t stock_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool registered_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool read_scheduled_ ABSL_GUARDED_BY(mu_) = false;
  bool first_read_done_ ABSL_GUARDED_BY(mu_) = false;
  ValidatedQuery pending_read_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> dirty_ ABSL_GUARDED_BY(mu_);
  // The latest answer per SKU not yet written, in first-queued order.
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, v1::ProductAvailability> pending_
      ABSL_GUARDED_BY(mu_);
  // The last answer sent or queued per SKU (serialized), to skip repeats.
  absl::flat_hash_map<std::string, std::string> last_ ABSL_GUARDED_BY(mu_);
  // The message being written; untouched until OnWriteDone.
  v1::ProductAvailability in_flight_;
  std::vector<std::function<void()>> deferred_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::Alarm> midnight_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::Alarm> retired_midnight_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::Alarm> retry_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::Alarm> retired_retry_ ABSL_GUARDED_BY(mu_);
  bool retry_armed_ ABSL_GUARDED_BY(mu_) = false;
  absl::TimeZone zone_ ABSL_GUARDED_BY(mu_);
  absl::Time next_midnight_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
};

AvailabilityService::WatchCall::WatchCall(AvailabilityService& service,
                                          ValidatedQuery query)
    : state_(std::make_shared<State>(service, std::move(query), this)) {}

void AvailabilityService::WatchCall::Begin() { state_->Begin(); }

void AvailabilityService::WatchCall::OnWriteDone(bool ok) {
  state_->WriteDone(ok);
  state_->RunDeferred();
}

void AvailabilityService::WatchCall::OnCancel() {
  state_->Cancel();
  state_->RunDeferred();
}

void AvailabilityService::WatchCall::OnDone() {
  state_->Done();
  delete this;
}

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
  auto* call = new WatchCall(*this, *std::move(query));
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
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status s = parsed->StatusOutside("items"); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  ItemErrors item_errors = parsed->ElementErrors("items");
  absl::StatusOr<ValidatedQuery> query =
      ValidateBatchExcept(parsed->message(), item_errors);
  if (!query.ok()) {
    reactor->Finish(ToGrpcStatus(query.status()));
    return reactor;
  }
  if (query->items.empty()) {  // every item was bad
    InsertItemErrors(item_errors, response->mutable_items());
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  lookup_.Run(*std::move(query), CacheDeadline(*context),
              [reactor, response, item_errors = std::move(item_errors)](
                  absl::StatusOr<AvailabilityLookup::Answers> answers) {
                if (!answers.ok()) {
                  LogFailure(answers.status(), "BatchGetAvailability");
                  reactor->Finish(ToGrpcStatus(answers.status()));
                  return;
                }
                response->mutable_items()->Swap(&*answers);
                InsertItemErrors(item_errors, response->mutable_items());
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
