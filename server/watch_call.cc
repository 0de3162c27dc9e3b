#include "server/watch_call.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "base/log.h"
#include "grpcpp/alarm.h"
#include "server/grpc_status.h"
#include "server/reactor_lock.h"

namespace availability::server {

void LogCallFailure(const absl::Status& status, absl::string_view method) {
  // Validation errors are the caller's; cache errors are worth a line.
  if (status.code() == absl::StatusCode::kInvalidArgument ||
      status.code() == absl::StatusCode::kNotFound) {
    return;
  }
  base::Log(base::LogLevel::kWarning, "call failed",
            {{"method", std::string(method)}, {"error", status.ToString()}});
}

// The call's state, shared with the registry (weakly), lookups in flight
// and alarms; it outlives the reactor when they finish later: `call_` is
// used only until OnDone.
class WatchCall::State final : public WatchRegistry::Watcher,
                               public std::enable_shared_from_this<State> {
 public:
  State(Options options, AvailabilityLookup& lookup, WatchRegistry& registry,
        const core::Clock& clock, ValidatedQuery query, WatchCall* call)
      : options_(options),
        lookup_(lookup),
        registry_(registry),
        clock_(clock),
        query_(std::move(query)),
        call_(call) {
    for (const ValidatedItem& item : query_.items) skus_.push_back(item.sku);
  }

  void Begin() {
    auto self = shared_from_this();
    lookup_.ResolveStock(
        query_.scope, absl::Now() + options_.read_timeout,
        [self](absl::StatusOr<int32_t> stock) {
          if (!stock.ok()) {
            self->FinishWith(ToGrpcStatus(stock.status()));
            return;
          }
          {
            ReactorLock lock(&self->mu_);
            if (self->finishing()) return;
            self->stock_id_ = *stock;
            self->query_.scope = ValidatedScope{*stock, ""};
            self->phase_ = Phase::kFirstRead;
          }
          // Registered before the first read: no change can fall between.
          self->registry_.Add(*stock, self->skus_, self);
          // The first answers' day is the one of this instant: the next
          // midnight is counted from it, even if the zone is known later.
          const absl::Time first_read = self->clock_.Now();
          self->OnAllChanged();
          self->ScheduleMidnight(first_read);
        });
  }

  void OnChanged(const std::string& sku) override {
    ReactorLock lock(&mu_);
    if (finishing()) return;
    dirty_.insert(sku);
    MaybeRead();
  }

  void OnAllChanged() override {
    ReactorLock lock(&mu_);
    if (finishing()) return;
    for (const std::string& sku : skus_) dirty_.insert(sku);
    MaybeRead();
  }

  void WriteDone(bool ok) {
    ReactorLock lock(&mu_);
    writing_ = false;
    if (!ok && !finishing()) {
      phase_ = Phase::kFinishing;
      final_status_ = grpc::Status(grpc::StatusCode::CANCELLED,
                                   "watch: the stream was closed");
    }
    Pump();
  }

  void FinishWith(grpc::Status status) {
    ReactorLock lock(&mu_);
    if (finishing()) return;
    phase_ = Phase::kFinishing;
    final_status_ = std::move(status);
    Pump();
  }

  void Done() {
    int32_t stock_id;
    {
      ReactorLock lock(&mu_);
      call_ = nullptr;
      phase_ = Phase::kFinished;
      stock_id = stock_id_;
      if (midnight_ != nullptr) midnight_->Cancel();
      if (retry_ != nullptr) retry_->Cancel();
    }
    // A resolved stock is a registered one (stock ids are >= 1).
    if (stock_id != 0) registry_.Remove(stock_id, skus_, this);
  }

 private:
  enum class Phase {
    kResolving,  // the scope's stock is not known yet; not registered
    kFirstRead,  // registered; no answers yet (a failure ends the call)
    kStreaming,  // the first answers are in; failed re-reads are retried
    kFinishing,  // Finish waits for the write in flight
    kFinished,   // Finish called (or OnDone ran)
  };

  bool finishing() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return phase_ >= Phase::kFinishing;
  }

  // Starts a re-read of the dirty SKUs unless one is in flight (its end
  // starts the next). The lookup may answer inline (near-cache hits): it
  // runs after mu_ is released.
  void MaybeRead() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reading_ || dirty_.empty() || phase_ == Phase::kResolving) return;
    reading_ = true;
    ValidatedQuery query;
    query.scope = query_.scope;
    query.max_alternatives = query_.max_alternatives;
    // Request order, so the first answers come in the order asked for.
    std::vector<std::string> asked;
    for (const ValidatedItem& item : query_.items) {
      if (dirty_.contains(item.sku)) {
        query.items.push_back({item.sku, {}});
        asked.push_back(item.sku);
      }
    }
    dirty_.clear();
    mu_.Defer([self = shared_from_this(), query = std::move(query),
               asked = std::move(asked)]() mutable {
      self->lookup_.Run(
          std::move(query), absl::Now() + self->options_.read_timeout,
          [self, asked = std::move(asked)](
              absl::StatusOr<AvailabilityLookup::Answers> answers) mutable {
            self->ReadDone(std::move(asked), std::move(answers));
          });
    });
  }

  void ReadDone(std::vector<std::string> asked,
                absl::StatusOr<AvailabilityLookup::Answers> answers) {
    ReactorLock lock(&mu_);
    reading_ = false;
    if (finishing()) return;
    if (!answers.ok() && phase_ == Phase::kFirstRead) {
      // No first answers: the call fails with the cache's error.
      phase_ = Phase::kFinishing;
      final_status_ = ToGrpcStatus(answers.status());
      Pump();
    } else if (!answers.ok()) {
      LogCallFailure(answers.status(), "WatchAvailability");
      for (std::string& sku : asked) dirty_.insert(std::move(sku));
      ScheduleRetry();
    } else {
      phase_ = Phase::kStreaming;
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

  // Starts the next write, or finishes, when nothing is in flight; the
  // gRPC call runs after mu_ is released.
  void Pump() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (call_ == nullptr || writing_ || phase_ == Phase::kFinished) return;
    if (phase_ == Phase::kFinishing) {
      phase_ = Phase::kFinished;
      // Finish may run OnDone on another thread at once; nothing of the
      // reactor is touched after it.
      mu_.Defer([call = call_, status = final_status_] {
        call->Finish(status);
      });
      return;
    }
    if (order_.empty()) return;
    writing_ = true;
    const std::string sku = std::move(order_.front());
    order_.pop_front();
    auto it = pending_.find(sku);
    in_flight_.Swap(&it->second);
    pending_.erase(it);
    mu_.Defer([call = call_, message = &in_flight_] {
      call->StartWrite(message);
    });
  }

  void ScheduleRetry() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (retry_armed_) return;
    retry_armed_ = true;
    std::weak_ptr<State> weak = weak_from_this();
    // Re-armed from the alarm's own callback: the old alarm is kept until
    // the next re-arm rather than destroyed while it runs.
    retired_retry_ = std::move(retry_);
    retry_ = std::make_unique<grpc::Alarm>();
    retry_->Set(absl::ToChronoTime(absl::Now() + options_.retry),
                [weak](bool ok) {
                  auto self = weak.lock();
                  if (self == nullptr) return;
                  ReactorLock lock(&self->mu_);
                  self->retry_armed_ = false;
                  if (!ok || self->finishing()) return;
                  self->MaybeRead();
                });
  }

  // Re-reads everything at the store's next local midnight ("now" from the
  // clock, so tests move it), then again every midnight.
  void ScheduleMidnight(absl::Time first_read) {
    auto self = shared_from_this();
    int32_t stock_id;
    {
      ReactorLock lock(&mu_);
      stock_id = stock_id_;
    }
    lookup_.ReadTimeZone(
        stock_id, absl::Now() + options_.read_timeout,
        [self, first_read](absl::StatusOr<absl::TimeZone> zone) {
          ReactorLock lock(&self->mu_);
          if (self->finishing()) return;
          // Unknown zone for now: UTC; a config change re-reads anyway.
          self->zone_ = zone.ok() ? *zone : absl::UTCTimeZone();
          self->next_midnight_ = absl::FromCivil(
              absl::ToCivilDay(first_read, self->zone_) + 1, self->zone_);
          self->ArmMidnight(self->clock_.Now());
        });
  }

  void ArmMidnight(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const absl::Duration wait =
        std::max(next_midnight_ - now, absl::Milliseconds(1));
    std::weak_ptr<State> weak = weak_from_this();
    // As for the retry alarm: the old one is kept until the next re-arm.
    retired_midnight_ = std::move(midnight_);
    midnight_ = std::make_unique<grpc::Alarm>();
    midnight_->Set(absl::ToChronoTime(absl::Now() + wait), [weak](bool ok) {
      auto self = weak.lock();
      if (self == nullptr || !ok) return;
      ReactorLock lock(&self->mu_);
      if (self->finishing()) return;
      const absl::Time clock_now = self->clock_.Now();
      if (clock_now >= self->next_midnight_) {
        for (const std::string& sku : self->skus_) self->dirty_.insert(sku);
        self->next_midnight_ = absl::FromCivil(
            absl::ToCivilDay(clock_now, self->zone_) + 1, self->zone_);
        self->MaybeRead();
      }
      // (A clock behind the timer just waits for the rest.)
      self->ArmMidnight(clock_now);
    });
  }

  const Options options_;
  AvailabilityLookup& lookup_;
  WatchRegistry& registry_;
  const core::Clock& clock_;
  ValidatedQuery query_;  // its scope is written once, under mu_
  std::vector<std::string> skus_;

  ReactorMutex mu_;
  WatchCall* call_ ABSL_GUARDED_BY(mu_);  // null once OnDone ran
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kResolving;
  int32_t stock_id_ ABSL_GUARDED_BY(mu_) = 0;  // set when registered
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;  // a StartWrite in flight
  bool reading_ ABSL_GUARDED_BY(mu_) = false;  // a lookup in flight
  absl::flat_hash_set<std::string> dirty_ ABSL_GUARDED_BY(mu_);
  // The latest answer per SKU not yet written, in first-queued order.
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, v1::ProductAvailability> pending_
      ABSL_GUARDED_BY(mu_);
  // The last answer sent or queued per SKU (serialized), to skip repeats.
  absl::flat_hash_map<std::string, std::string> last_ ABSL_GUARDED_BY(mu_);
  // The message being written; untouched until OnWriteDone.
  v1::ProductAvailability in_flight_;
  std::unique_ptr<grpc::Alarm> midnight_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::Alarm> retired_midnight_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::Alarm> retry_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::Alarm> retired_retry_ ABSL_GUARDED_BY(mu_);
  bool retry_armed_ ABSL_GUARDED_BY(mu_) = false;
  absl::TimeZone zone_ ABSL_GUARDED_BY(mu_);
  absl::Time next_midnight_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
};

WatchCall::WatchCall(Options options, AvailabilityLookup& lookup,
                     WatchRegistry& registry, const core::Clock& clock,
                     ValidatedQuery query)
    : state_(std::make_shared<State>(options, lookup, registry, clock,
                                     std::move(query), this)) {}

void WatchCall::Begin() { state_->Begin(); }

void WatchCall::OnWriteDone(bool ok) { state_->WriteDone(ok); }

void WatchCall::OnCancel() {
  state_->FinishWith(
      grpc::Status(grpc::StatusCode::CANCELLED, "watch: cancelled"));
}

void WatchCall::OnDone() {
  state_->Done();
  delete this;
}

}  // namespace availability::server
