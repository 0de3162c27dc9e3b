// Follows MariaDB's binary log for the two tables whose changes must reach
// the cache fast: inventory_source_item (the ids of the rows changed) and
// inventory_reservation (that something was written), through libmariadb's
// replication API (mariadb_rpl.h). It only hints: MagentoSync re-reads
// what a hint names with its usual queries, and its polls and reconciles
// stay the safety net for anything a hint misses.
//
//   BinlogFollower follower(db_options, "magento", "", 4242, wake);
//   follower.Start();          // a thread: connects, follows, reconnects
//   BinlogFollower::Hints h = follower.Take();
//   follower.Stop();
//
// The database must allow it (else the follower reports the reason in
// status() and retries every `retry_interval`; the connector polls
// meanwhile): log_bin ON, binlog_format=ROW, binlog_row_image=FULL, and the
// reader granted REPLICATION SLAVE and REPLICATION CLIENT (BINLOG MONITOR)
// besides SELECT. `server_id` must differ from every server and replica of
// the replication topology.
//
// Thread safety: Start, Stop, Take, status from any thread; `wake` is called
// on the follower's thread.
#ifndef AVAILABILITY_SYNC_MAGENTO_BINLOG_FOLLOWER_H_
#define AVAILABILITY_SYNC_MAGENTO_BINLOG_FOLLOWER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "sync/magento/db_connection.h"

namespace availability::sync::magento {

class BinlogFollower {
 public:
  struct Hints {
    // inventory_reservation got rows.
    bool reservations = false;
    // source_item_id of rows of inventory_source_item inserted, updated
    // (before and after) or deleted.
    std::vector<int64_t> source_item_ids;
    // A change of inventory_source_item whose ids could not be read: the
    // scan has to find it.
    bool source_items_unknown = false;
    bool empty() const {
      return !reservations && source_item_ids.empty() && !source_items_unknown;
    }
  };

  BinlogFollower(DbOptions db_options, std::string table_prefix,
                 uint32_t server_id, std::function<void()> wake,
                 absl::Duration retry_interval = absl::Seconds(30));
  ~BinlogFollower();
  BinlogFollower(const BinlogFollower&) = delete;
  BinlogFollower& operator=(const BinlogFollower&) = delete;

  void Start();
  void Stop();

  // What was seen since the last call.
  Hints Take();
  // OK while following; else why not (FailedPrecondition: the database does
  // not allow it; Unavailable: connection lost, retrying).
  absl::Status status() const;
  // Times following started (1 on a healthy run; more: reconnects).
  int64_t starts() const;

 private:
  void Loop();
  absl::Status FollowOnce();
  void SetStatus(absl::Status s);

  const DbOptions db_options_;
  const std::string table_prefix_;
  const uint32_t server_id_;
  const std::function<void()> wake_;
  const absl::Duration retry_interval_;
  absl::Notification stop_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  Hints hints_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_) =
      absl::UnavailableError("not started");
  int64_t starts_ ABSL_GUARDED_BY(mu_) = 0;
  // The connection in use (to interrupt a blocked read on Stop).
  DbConnection* conn_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace availability::sync::magento

#endif  // AVAILABILITY_SYNC_MAGENTO_BINLOG_FOLLOWER_H_
