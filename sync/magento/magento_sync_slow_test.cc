// The Magento connector's slow tests (label slow): a reservation held by a
// transaction open for a minute, committed after later reservations were
// already tailed, still reaches the cache within a poll of its commit.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "sync/magento/db_connection.h"
#include "sync/magento/magento_sync_test_fixture.h"
#include "testing/status_matchers.h"

namespace availability::sync::magento {
namespace {

using ::availability::testing::IsOk;

TEST_F(MagentoSyncTest,
       ReservationCommittedAfterAMinuteOpenTransactionArrives) {
  MagentoSync::Options options = FastOptions();
  options.poll_interval = absl::Milliseconds(200);  // the production default
  StartSync(options);  // gap horizon: the default (10 minutes)
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));

  // Magento's order placement: a transaction that inserts the reservation
  // (its id is taken at INSERT) and commits later.
  DbOptions root;
  root.socket = db_server_->socket();
  root.user = "root";
  root.database = database_;
  absl::StatusOr<std::unique_ptr<DbConnection>> slow =
      DbConnection::Connect(root);
  ASSERT_TRUE(slow.ok()) << slow.status();
  ASSERT_THAT((*slow)->Execute("START TRANSACTION"), IsOk());
  ASSERT_THAT((*slow)->Execute("INSERT INTO inventory_reservation (stock_id, "
                               "sku, quantity) VALUES (2, 'MB-02', -2)"),
              IsOk());
  // A later order commits at once: the tail moves past the open id.
  ASSERT_THAT(Sql("INSERT INTO inventory_reservation (stock_id, sku, "
                  "quantity) VALUES (1, 'MB-01', -1)"),
              IsOk());
  ASSERT_TRUE(WaitForRecord(1, "MB-01", absl::Seconds(2),
                            [](const std::optional<core::Record>& r) {
                              return r.has_value() && r->reserved_qty == -U(5);
                            })
                  .has_value());
  // Open for a minute (twice the old 30 s horizon).
  absl::SleepFor(absl::Seconds(60));
  ASSERT_EQ(ReadRecord(2, "MB-02")->reserved_qty, 0);
  ASSERT_THAT((*slow)->Execute("COMMIT"), IsOk());
  std::optional<absl::Duration> took = WaitForRecord(
      2, "MB-02", absl::Seconds(1), [](const std::optional<core::Record>& r) {
        return r.has_value() && r->reserved_qty == -U(2);
      });
  ASSERT_TRUE(took.has_value()) << "not within 1 s of the commit";
  std::fprintf(stderr, "reservation committed after 60 s -> cache: %s\n",
               absl::FormatDuration(*took).c_str());
}

}  // namespace
}  // namespace availability::sync::magento
