// The connector following MariaDB's binary log: a change reaches the cache
// through it (the polls are an hour apart, so nothing else could bring it),
// and when the database does not allow it (no replication grants) the
// connector says so once and the polls bring the same changes.
#include <memory>
#include <optional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "sync/magento/magento_sync_test_fixture.h"
#include "testing/status_matchers.h"

namespace availability::sync::magento {
namespace {

using ::availability::testing::IsOk;

class MagentoBinlogTest : public MagentoSyncTest {
 protected:
  void SetUp() override {
    if (db_server_ == nullptr) {
      testing::MariadbServer::Options options;
      options.log_bin = true;
      auto db = testing::MariadbServer::Start(options);
      ASSERT_TRUE(db.ok()) << db.status();
      db_server_ = db->release();
    }
    MagentoSyncTest::SetUp();
  }

  // Starts the connector following the binary log, both polls every
  // `poll` (`following_poll` once the log is followed), and waits for its first
  // reconcile.
  void StartFollowing(uint32_t server_id, absl::Duration poll,
                      absl::Duration following_poll = absl::Seconds(1)) {
    MagentoSync::Options options = FastOptions();
    options.follow_binlog = true;
    options.binlog_server_id = server_id;
    options.poll_interval = poll;
    options.reservation_poll_interval = poll;
    options.following_poll_interval = following_poll;
    StartSync(options);
    ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  }

  bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
    const absl::Time give_up = absl::Now() + timeout;
    while (absl::Now() < give_up) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return done();
  }

  // An update of a source item and a reservation, each awaited in the
  // cache for `within`.
  void ChangeAndExpect(absl::Duration within) {
    ASSERT_THAT(Sql("UPDATE inventory_source_item SET quantity = 55 "
                    "WHERE source_code = 'default' AND sku = 'MB-01'"),
                IsOk());
    EXPECT_TRUE(WaitForRecord(1, "MB-01", within,
                              [](const std::optional<core::Record>& r) {
                                return r.has_value() && r->source_qty == U(55);
                              })
                    .has_value())
        << "source item update";
    ASSERT_THAT(Sql("INSERT INTO inventory_reservation (stock_id, sku, "
                    "quantity) VALUES (1, 'MB-01', -10)"),
                IsOk());
    EXPECT_TRUE(WaitForRecord(1, "MB-01", within,
                              [](const std::optional<core::Record>& r) {
                                return r.has_value() &&
                                       r->reserved_qty == -U(4) - U(10);
                              })
                    .has_value())
        << "reservation";
  }
};

TEST_F(MagentoBinlogTest, ChangesWhileFollowingTheBinlogReachTheCache) {
  ASSERT_THAT(db_server_->Execute("GRANT REPLICATION SLAVE, REPLICATION "
                                  "CLIENT ON *.* TO 'av_reader'@'127.0.0.1'"),
              IsOk());
  // Scans every 25 ms until the log is followed, then hourly: within the
  // test only the binary log can bring the changes.
  StartFollowing(4242, absl::Milliseconds(25), absl::Hours(1));
  ASSERT_TRUE(WaitFor([&] { return sync_->stats().binlog_following; },
                      absl::Seconds(10)));
  absl::SleepFor(absl::Milliseconds(100));  // the last 25 ms scan is done
  const int64_t scans = sync_->stats().source_scans;
  ChangeAndExpect(absl::Seconds(3));
  const MagentoSync::Stats stats = sync_->stats();
  EXPECT_EQ(stats.source_scans, scans) << "scans slowed while following";
  EXPECT_GE(stats.binlog_hints, 2);
  EXPECT_EQ(stats.binlog_fallbacks, 0);
  EXPECT_EQ(LogLines({"following the binary log"}).size(), 1u);
}

TEST_F(MagentoBinlogTest, ChangesWhileTheBinlogIsRefusedArePolled) {
  // The reader has SELECT only: the dump is refused (granted first, so
  // that the REVOKE holds whichever test ran before).
  ASSERT_THAT(db_server_->Execute("GRANT REPLICATION SLAVE, REPLICATION "
                                  "CLIENT ON *.* TO 'av_reader'@'127.0.0.1';"
                                  "REVOKE REPLICATION SLAVE, REPLICATION "
                                  "CLIENT ON *.* FROM 'av_reader'@'127.0.0.1'"),
              IsOk());
  StartFollowing(4243, absl::Milliseconds(50));
  ASSERT_TRUE(WaitFor([&] { return sync_->stats().binlog_fallbacks >= 1; },
                      absl::Seconds(10)));
  ChangeAndExpect(absl::Seconds(2));
  const MagentoSync::Stats stats = sync_->stats();
  EXPECT_FALSE(stats.binlog_following);
  EXPECT_EQ(stats.binlog_hints, 0);
  // Said once, with the reason.
  EXPECT_EQ(LogLines({"binary log not followed", "REPLICATION"}).size(), 1u);
}

}  // namespace
}  // namespace availability::sync::magento
