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
        const core::Clock& clock, ValidatedQuery query, std::string peer,
        WatchCall* call)
      : options_(options),
        lookup_(lookup),
        registry_(registry),
        clock_(clock),
        query_(std::move(query)),
        peer_(std::move(peer)),
        call_(call) {
    for (const ValidatedItem& item : query_.items) skus_.push_back(item.sku);
  }

  void Begin() {
    if (options_.limits != nullptr) {
      absl::StatusOr<WatchLimits::Ticket> ticket =
          options_.limits->Admit(peer_, static_cast<int64_t>(skus_.size()));
      if (!ticket.ok()) {
        FinishWith(ToGrpcStatus(ticket.status()));
        return;
      }
      ReactorLock lock(&mu_);
      ticket_ = *std::move(ticket);
    }
    auto self = shared_from_this();
    lookup_.ResolveStock(query_.scope, absl::Now() + options_.read_timeout,
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
                           // Registered before the first read: no change can
                           // fall between.
                           self->registry_.Add(*stock, self->skus_, self);
                           // The first answers' day is the one of this instant:
                           // the next midnight is counted from it, even if the
                           // zone is known later.
                           const absl::Time first_read = self->clock_.Now();
                           self->OnAllChanged();
                           self->ScheduleMidnight(first_read);
                         });
  }

  void OnChanged(const std::string& sku) override {
    ReactorLock lock(&mu_);
    if (finishing()) return;
    dirty_.insert(sku);
    // A component's change re-decides its composite parents.
    auto parents = parents_of_.find(sku);
    if (parents != parents_of_.end()) {
      dirty_.insert(parents->second.begin(), parents->second.end());
    }
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
    std::vector<std::string> components;
    WatchLimits::Ticket ticket;  // the stream's place, given back at return
    {
      ReactorLock lock(&mu_);
      ticket = std::move(ticket_);
      call_ = nullptr;
      phase_ = Phase::kFinished;
      stock_id = stock_id_;
      if (midnight_ != nullptr) midnight_->Cancel();
      if (retry_ != nullptr) retry_->Cancel();
      components.assign(registered_components_.begin(),
                        registered_components_.end());
      registered_components_.clear();
    }
    // A resolved stock is a registered one (stock ids are >= 1).
    if (stock_id != 0) {
      registry_.RemoveSkus(stock_id, components, this);
      registry_.Remove(stock_id, skus_, this);
    }
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
      self->lookup_.RunWithComponents(
          std::move(query), absl::Now() + self->options_.read_timeout,
          [self, asked = std::move(asked)](
              absl::StatusOr<AvailabilityLookup::Answers> answers,
              std::vector<std::vector<std::string>> components) mutable {
            self->ReadDone(std::move(asked), std::move(answers),
                           std::move(components));
          });
    });
  }

  // Keeps the registry's view of the composite parents' components
  // (docs/domain.md §10) in step with the latest read: `components[i]` are
  // what asked[i]'s answer was derived from. Newly watched components are
  // registered after mu_ is released and their parents re-read once after
  // that, so that no change between this read and the registration is
  // missed.
  void TrackComponents(const std::vector<std::string>& asked,
                       std::vector<std::vector<std::string>> components)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<std::string> grown;  // parents with components to register
    for (size_t i = 0; i < asked.size() && i < components.size(); ++i) {
      auto it = components_of_.find(asked[i]);
      if (it == components_of_.end() ? components[i].empty()
                                     : it->second == components[i]) {
        continue;
      }
      grown.push_back(asked[i]);
      if (components[i].empty()) {
        components_of_.erase(it);
      } else {
        components_of_[asked[i]] = std::move(components[i]);
      }
    }
    if (grown.empty()) return;
    parents_of_.clear();
    absl::flat_hash_set<std::string> items(skus_.begin(), skus_.end());
    absl::flat_hash_set<std::string> wanted;
    for (const auto& [parent, parts] : components_of_) {
      for (const std::string& part : parts) {
        parents_of_[part].push_back(parent);
        // The watched SKUs themselves are registered already.
        if (!items.contains(part)) wanted.insert(part);
      }
    }
    std::vector<std::string> added;
    std::vector<std::string> removed;
    for (const std::string& sku : wanted) {
      if (!registered_components_.contains(sku)) added.push_back(sku);
    }
    for (const std::string& sku : registered_components_) {
      if (!wanted.contains(sku)) removed.push_back(sku);
    }
    registered_components_ = std::move(wanted);
    if (!added.empty()) dirty_.insert(grown.begin(), grown.end());
    mu_.Defer([self = shared_from_this(), stock_id = stock_id_,
               added = std::move(added), removed = std::move(removed)] {
      self->registry_.AddSkus(stock_id, added, self);
      self->registry_.RemoveSkus(stock_id, removed, self.get());
      bool finished;
      {
        ReactorLock lock(&self->mu_);
        finished = self->phase_ == Phase::kFinished;
      }
      // Done may have run between: it removed what it saw registered.
      if (finished) self->registry_.RemoveSkus(stock_id, added, self.get());
    });
  }

  void ReadDone(std::vector<std::string> asked,
                absl::StatusOr<AvailabilityLookup::Answers> answers,
                std::vector<std::vector<std::string>> components) {
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
      TrackComponents(asked, std::move(components));
      for (v1::ProductAvailability& answer : *answers) {
        std::string bytes;
        answer.SerializePartialToString(&bytes);
        Answer& last = last_[answer.sku()];
        if (last.bytes == bytes) continue;  // unchanged: nothing to send
        last.bytes = std::move(bytes);      // coalesced: the latest answer wins
        if (!last.pending) {
          last.pending = true;
          order_.push_back(answer.sku());
        }
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
      mu_.Defer(
          [call = call_, status = final_status_] { call->Finish(status); });
      return;
    }
    if (order_.empty()) return;
    writing_ = true;
    Answer& next = last_[order_.front()];
    order_.pop_front();
    next.pending = false;
    // (No write in flight: in_flight_ is free.)
    in_flight_.ParsePartialFromString(next.bytes);
    mu_.Defer(
        [call = call_, message = &in_flight_] { call->StartWrite(message); });
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
  const std::string peer_;

  ReactorMutex mu_;
  WatchCall* call_ ABSL_GUARDED_BY(mu_);  // null once OnDone ran
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kResolving;
  WatchLimits::Ticket ticket_ ABSL_GUARDED_BY(mu_);  // until Done
  int32_t stock_id_ ABSL_GUARDED_BY(mu_) = 0;        // set when registered
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;  // a StartWrite in flight
  bool reading_ ABSL_GUARDED_BY(mu_) = false;  // a lookup in flight
  absl::flat_hash_set<std::string> dirty_ ABSL_GUARDED_BY(mu_);
  // Composite parents among the watched SKUs: their components (as of the
  // last read), the parents of each component, and the components
  // registered with the registry (those not watched themselves).
  absl::flat_hash_map<std::string, std::vector<std::string>> components_of_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::vector<std::string>> parents_of_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> registered_components_ ABSL_GUARDED_BY(mu_);
  // The last answer sent or queued per SKU, serialized (to skip repeats,
  // and the one copy of an answer waiting to be written: a stream holds
  // one answer per SKU however many changes its client has not read).
  struct Answer {
    std::string bytes;
    bool pending = false;  // not yet written; its SKU is in order_
  };
  absl::flat_hash_map<std::string, Answer> last_ ABSL_GUARDED_BY(mu_);
  // The SKUs with a pending answer, in first-queued order.
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
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
                     ValidatedQuery query, std::string peer)
    : state_(std::make_shared<State>(options, lookup, registry, clock,
                                     std::move(query), std::move(peer), this)) {
}

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
