// availability-sync's operations view: the Prometheus page of /metrics and
// the /readyz decision, from the connector's counters (MagentoSync::Stats)
// and the writer lease (cache/leader_lease.h).
//
//   ConnectorMetrics metrics(clock, /*ready_max_tail_lag=*/absl::Seconds(30));
//   metrics.SetConnector(&sync);   // this process leads; before sync.Run
//   ...                            // GET /metrics: metrics.RenderText()
//   metrics.SetConnector(nullptr); // before `sync` is destroyed
//
// Series (all prefixed availability_sync_): leader, lease_token,
// lease_acquisitions_total, reconciles_total, reconcile_failures_total,
// last_reconcile_{start,end}_timestamp_seconds, last_reconcile_success,
// records_written_total, rows_skipped_total{reason}, reservation_tail_id,
// reservation_tail_lag_seconds, db_errors_total, redis_errors_total,
// binlog_following, binlog_fallbacks_total.
// Counters add up over every leader term of the process.
//
// Ready: this process leads, its connector finished a reconcile, and the
// reservation tail is at most `ready_max_tail_lag` behind. A standby is
// never ready (so a Service sends nothing to it and a rollout waits).
//
// Thread safety: every method from any thread; SetConnector(nullptr) must
// return before the connector it replaces is destroyed.
#ifndef AVAILABILITY_SYNC_CONNECTOR_METRICS_H_
#define AVAILABILITY_SYNC_CONNECTOR_METRICS_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/metrics.h"
#include "core/clock.h"
#include "sync/magento/magento_sync.h"

namespace availability::sync {

class ConnectorMetrics {
 public:
  ConnectorMetrics(const core::Clock& clock, absl::Duration ready_max_tail_lag);
  ConnectorMetrics(const ConnectorMetrics&) = delete;
  ConnectorMetrics& operator=(const ConnectorMetrics&) = delete;

  // The connector of the leader term now running, or null (standby). The
  // counters of the one replaced join the totals.
  void SetConnector(const magento::MagentoSync* sync);
  // The lease: held or not, with its fencing token; each acquisition
  // counts once.
  void SetLease(bool leader, int64_t token);

  // The /metrics page.
  std::string RenderText();
  // The /readyz answer.
  bool Ready() const;

 private:
  // Totals of ended terms plus the current connector's counters, and the
  // current one's state.
  magento::MagentoSync::Stats Current() const;
  double TailLagSeconds(const magento::MagentoSync::Stats& s) const;

  const core::Clock& clock_;
  const absl::Duration ready_max_tail_lag_;
  base::MetricsRegistry registry_;
  base::CounterFamily* skipped_ = nullptr;

  mutable absl::Mutex mu_;
  const magento::MagentoSync* sync_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::Time term_started_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Counters and last states of the ended terms.
  magento::MagentoSync::Stats ended_ ABSL_GUARDED_BY(mu_);
  bool leader_ ABSL_GUARDED_BY(mu_) = false;
  int64_t token_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t acquisitions_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace availability::sync

#endif  // AVAILABILITY_SYNC_CONNECTOR_METRICS_H_
