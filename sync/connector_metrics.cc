#include "sync/connector_metrics.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "sync/magento/record_builder.h"

namespace availability::sync {
namespace {

using magento::MagentoSync;

double Seconds(absl::Time t) {
  return t == absl::InfinitePast()
             ? 0
             : absl::ToDoubleSeconds(t - absl::UnixEpoch());
}

}  // namespace

ConnectorMetrics::ConnectorMetrics(const core::Clock& clock,
                                   absl::Duration ready_max_tail_lag)
    : clock_(clock), ready_max_tail_lag_(ready_max_tail_lag) {
  const auto gauge =
      [this](std::string name, std::string help,
             std::function<double(const MagentoSync::Stats&)> read) {
        registry_.AddGauge(
            "availability_sync_" + name, std::move(help),
            [this, read = std::move(read)] { return read(Current()); });
      };
  const auto counter =
      [this](std::string name, std::string help,
             std::function<int64_t(const MagentoSync::Stats&)> read) {
        registry_.AddCounterFunction(
            "availability_sync_" + name, std::move(help),
            [this, read = std::move(read)] {
              return static_cast<uint64_t>(read(Current()));
            });
      };
  registry_.AddGauge("availability_sync_leader",
                     "1 while this process holds the writer lease.", [this] {
                       absl::MutexLock lock(&mu_);
                       return leader_ ? 1.0 : 0.0;
                     });
  registry_.AddGauge("availability_sync_lease_token",
                     "Fencing token of the lease this process last held.",
                     [this] {
                       absl::MutexLock lock(&mu_);
                       return static_cast<double>(token_);
                     });
  registry_.AddCounterFunction("availability_sync_lease_acquisitions_total",
                               "Times this process acquired the writer lease.",
                               [this] {
                                 absl::MutexLock lock(&mu_);
                                 return static_cast<uint64_t>(acquisitions_);
                               });
  counter("reconciles_total", "Full reconciles finished.",
          [](const MagentoSync::Stats& s) { return s.reconciles_completed; });
  counter("reconcile_failures_total",
          "Reconcile steps that failed (each retried with backoff).",
          [](const MagentoSync::Stats& s) { return s.reconcile_failures; });
  gauge("last_reconcile_start_timestamp_seconds",
        "When the last reconcile started (0: none yet).",
        [](const MagentoSync::Stats& s) {
          return Seconds(s.last_reconcile_started);
        });
  gauge("last_reconcile_end_timestamp_seconds",
        "When the last reconcile finished (0: none yet).",
        [](const MagentoSync::Stats& s) {
          return Seconds(s.last_reconcile_finished);
        });
  gauge("last_reconcile_success",
        "1 when the reconcile in progress, or the last one, has had no "
        "failing step; 0 when its last step failed.",
        [](const MagentoSync::Stats& s) {
          return s.last_reconcile_ok ? 1.0 : 0.0;
        });
  counter("records_written_total", "Records written to the cache.",
          [](const MagentoSync::Stats& s) { return s.records_written; });
  skipped_ = &registry_.AddCounterFamily(
      "availability_sync_rows_skipped_total",
      "Records refused (never written), by reason (sync/magento/README.md).",
      {"reason"});
  for (int r = 0; r < magento::kSkipReasonCount; ++r) {
    skipped_->WithLabels({std::string(
        magento::SkipReasonName(static_cast<magento::SkipReason>(r)))});
  }
  gauge("reservation_tail_id",
        "Highest inventory_reservation.reservation_id applied.",
        [](const MagentoSync::Stats& s) {
          return static_cast<double>(s.reservation_tail_id);
        });
  registry_.AddGauge(
      "availability_sync_reservation_tail_lag_seconds",
      "Seconds since the reservation tail last read inventory_reservation "
      "to its end and wrote what it found (0 on a standby).",
      [this] { return TailLagSeconds(Current()); });
  counter("db_errors_total", "Steps failed on the database (retried).",
          [](const MagentoSync::Stats& s) { return s.db_errors; });
  counter("redis_errors_total",
          "Steps failed on a cache write (retried), writes refused for a "
          "lost lease included.",
          [](const MagentoSync::Stats& s) { return s.redis_errors; });
  gauge("binlog_following",
        "1 while the binary log is followed; 0: changes are polled only.",
        [](const MagentoSync::Stats& s) {
          return s.binlog_following ? 1.0 : 0.0;
        });
  counter("binlog_fallbacks_total",
          "Times the binary log was refused or lost and polling carried on "
          "alone.",
          [](const MagentoSync::Stats& s) { return s.binlog_fallbacks; });
}

void ConnectorMetrics::SetConnector(const MagentoSync* sync) {
  absl::MutexLock lock(&mu_);
  if (sync_ != nullptr) {
    const MagentoSync::Stats s = sync_->stats();
    ended_.reconciles_completed += s.reconciles_completed;
    ended_.records_written += s.records_written;
    ended_.reconcile_failures += s.reconcile_failures;
    ended_.db_errors += s.db_errors;
    ended_.redis_errors += s.redis_errors;
    ended_.binlog_fallbacks += s.binlog_fallbacks;
    for (int r = 0; r < magento::kSkipReasonCount; ++r) {
      ended_.skipped[r] += s.skipped[r];
    }
    if (s.last_reconcile_started != absl::InfinitePast()) {
      ended_.last_reconcile_started = s.last_reconcile_started;
      ended_.last_reconcile_ok = s.last_reconcile_ok;
    }
    if (s.last_reconcile_finished != absl::InfinitePast()) {
      ended_.last_reconcile_finished = s.last_reconcile_finished;
    }
    ended_.reservation_tail_id = s.reservation_tail_id;
  }
  sync_ = sync;
  term_started_ = clock_.Now();
}

void ConnectorMetrics::SetLease(bool leader, int64_t token) {
  absl::MutexLock lock(&mu_);
  if (leader && (!leader_ || token != token_)) ++acquisitions_;
  leader_ = leader;
  if (leader) token_ = token;
}

MagentoSync::Stats ConnectorMetrics::Current() const {
  absl::MutexLock lock(&mu_);
  MagentoSync::Stats total = ended_;
  if (sync_ == nullptr) return total;
  const MagentoSync::Stats s = sync_->stats();
  total.reconciles_completed += s.reconciles_completed;
  total.records_written += s.records_written;
  total.reconcile_failures += s.reconcile_failures;
  total.db_errors += s.db_errors;
  total.redis_errors += s.redis_errors;
  total.binlog_fallbacks += s.binlog_fallbacks;
  total.binlog_following = s.binlog_following;
  for (int r = 0; r < magento::kSkipReasonCount; ++r) {
    total.skipped[r] += s.skipped[r];
  }
  if (s.last_reconcile_started != absl::InfinitePast()) {
    total.last_reconcile_started = s.last_reconcile_started;
    total.last_reconcile_ok = s.last_reconcile_ok;
  }
  if (s.last_reconcile_finished != absl::InfinitePast()) {
    total.last_reconcile_finished = s.last_reconcile_finished;
  }
  total.reservation_tail_id = s.reservation_tail_id;
  // Lag counts from the term's start until the tail's first full read.
  total.reservations_current_at = s.reservations_current_at;
  if (total.reservations_current_at == absl::InfinitePast()) {
    total.reservations_current_at = term_started_;
  }
  return total;
}

double ConnectorMetrics::TailLagSeconds(const MagentoSync::Stats& s) const {
  if (s.reservations_current_at == absl::InfinitePast()) return 0;
  return std::max(
      0.0, absl::ToDoubleSeconds(clock_.Now() - s.reservations_current_at));
}

std::string ConnectorMetrics::RenderText() {
  // The per-reason counters follow the connector's (monotonic) totals.
  const MagentoSync::Stats s = Current();
  for (int r = 0; r < magento::kSkipReasonCount; ++r) {
    base::Counter& c = skipped_->WithLabels({std::string(
        magento::SkipReasonName(static_cast<magento::SkipReason>(r)))});
    const uint64_t total = static_cast<uint64_t>(s.skipped[r]);
    if (total > c.value()) c.Increment(total - c.value());
  }
  return registry_.RenderText();
}

bool ConnectorMetrics::Ready() const {
  {
    // This term's own reconcile: a new leader is not ready on an earlier
    // term's.
    absl::MutexLock lock(&mu_);
    if (!leader_ || sync_ == nullptr ||
        sync_->stats().reconciles_completed < 1) {
      return false;
    }
  }
  return absl::Seconds(TailLagSeconds(Current())) <= ready_max_tail_lag_;
}

}  // namespace availability::sync
