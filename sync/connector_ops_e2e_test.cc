// availability-sync as an operator runs it, through the real binary against
// a real MariaDB and Redis: one writer at a time under the writer lease
// (take-over when the leader dies, fencing of a paused leader), the
// operations endpoint (/metrics, /healthz, /readyz) and --help.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cache/key_schema.h"
#include "cache/record_codec.h"
#include "cache/redis_client.h"
#include "core/record.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/http_get.h"
#include "testing/mariadb_server.h"
#include "testing/redis_server.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"

namespace availability::sync {
namespace {

using ::availability::testing::HttpGet;
using ::availability::testing::IsOk;
using ::availability::testing::Subprocess;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "ops-reader-pw";
// The lease settings of these tests: a standby takes the lease at most
// kTtl + kRenew after the leader died.
constexpr absl::Duration kTtl = absl::Seconds(2);
constexpr absl::Duration kRenew = absl::Milliseconds(500);

class ConnectorOpsTest : public ::testing::Test {
 protected:
  static void TearDownTestSuite() {
    delete db_server_;
    db_server_ = nullptr;
  }

  void SetUp() override {
    if (db_server_ == nullptr) {
      auto db = testing::MariadbServer::Start();
      ASSERT_TRUE(db.ok()) << db.status();
      db_server_ = db->release();
    }
    static int counter = 0;
    database_ = absl::StrCat("ops_", ++counter);
    ASSERT_THAT(
        db_server_->Execute(absl::StrCat("CREATE DATABASE ", database_)),
        IsOk());
    for (const char* file : {"/schema.sql", "/fixtures.sql"}) {
      ASSERT_THAT(db_server_->ExecuteFile(
                      AV_MAGENTO_SQL_DIR + std::string(file), database_),
                  IsOk());
    }
    // SELECT on the whole schema is enough here (the README's per-table
    // grants are the connector tests' business).
    ASSERT_THAT(
        db_server_->Execute(absl::StrCat(
            "CREATE USER IF NOT EXISTS 'av_ops'@'127.0.0.1' IDENTIFIED BY '",
            kPassword, "'; GRANT SELECT ON ", database_,
            ".* TO 'av_ops'@'127.0.0.1';")),
        IsOk());
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    cache::RedisOptions options;
    options.port = redis_->port();
    auto client = cache::RedisClient::Start(options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    ASSERT_THAT(client_->WaitUntilConnected(absl::Seconds(5)), IsOk());
  }

  // One availability-sync process with its metrics port.
  struct Connector {
    std::unique_ptr<Subprocess> process;
    int port = 0;
  };

  Connector StartConnector() {
    Connector c;
    auto process = Subprocess::Start(
        {AV_SYNC_BINARY, "magento", "--db_host=127.0.0.1",
         absl::StrCat("--db_port=", db_server_->port()),
         absl::StrCat("--db_name=", database_), "--db_user=av_ops",
         absl::StrCat("--redis_port=", redis_->port()),
         "--metrics_listen=127.0.0.1:0", "--poll_interval=100ms",
         absl::StrCat("--lease_ttl=", absl::FormatDuration(kTtl)),
         absl::StrCat("--lease_renew_interval=", absl::FormatDuration(kRenew)),
         "--lease_safety_margin=500ms"},
        {absl::StrCat("AVAILABILITY_DB_PASSWORD=", kPassword)});
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return c;
    c.process = *std::move(process);
    // The port chosen, from the "listening" log line.
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (absl::Now() < give_up && c.port == 0) {
      for (absl::string_view line : absl::StrSplit(c.process->Stderr(), '\n')) {
        if (!absl::StrContains(line, "\"service\":\"metrics\"")) continue;
        const size_t at = line.find("\"port\":\"");
        if (at == absl::string_view::npos) continue;
        absl::string_view rest = line.substr(at + 8);
        if (!absl::SimpleAtoi(rest.substr(0, rest.find('"')), &c.port)) {
          c.port = 0;
        }
      }
      if (c.port == 0) absl::SleepFor(absl::Milliseconds(20));
    }
    EXPECT_GT(c.port, 0) << c.process->Stderr();
    return c;
  }

  static int Status(const Connector& c, const std::string& path) {
    absl::StatusOr<testing::HttpAnswer> a = HttpGet(c.port, path);
    return a.ok() ? a->code : 0;
  }

  // The value of the series `series` (name and labels as printed) on the
  // connector's /metrics; nullopt when absent.
  static std::optional<double> Metric(const Connector& c,
                                      absl::string_view series) {
    absl::StatusOr<testing::HttpAnswer> a = HttpGet(c.port, "/metrics");
    if (!a.ok() || a->code != 200) return std::nullopt;
    for (absl::string_view line : absl::StrSplit(a->body, '\n')) {
      if (!absl::ConsumePrefix(&line, series) ||
          !absl::ConsumePrefix(&line, " ")) {
        continue;
      }
      double value = 0;
      if (absl::SimpleAtod(line, &value)) return value;
    }
    return std::nullopt;
  }

  // Bounded wait until `pred` holds; how long it took.
  template <typename Pred>
  static std::optional<absl::Duration> WaitFor(absl::Duration timeout,
                                               Pred pred) {
    const absl::Time start = absl::Now();
    while (absl::Now() - start < timeout) {
      if (pred()) return absl::Now() - start;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return std::nullopt;
  }

  // MB-01's reserved quantity on stock 1 in the cache (nullopt: none).
  std::optional<core::Qty> ReservedMb01() {
    absl::Notification done;
    absl::StatusOr<cache::RedisReply> reply;
    client_->Execute({"GET", keys_.Record(1, "MB-01")},
                     absl::Now() + absl::Seconds(2),
                     [&](absl::StatusOr<cache::RedisReply> r) {
                       reply = std::move(r);
                       done.Notify();
                     });
    done.WaitForNotification();
    if (!reply.ok() || reply->is_nil()) return std::nullopt;
    absl::StatusOr<core::Record> record =
        cache::DecodeRecord(reply->str, 1, "MB-01");
    if (!record.ok()) return std::nullopt;
    return record->reserved_qty;
  }

  absl::Status Reserve(int units) {
    return db_server_->Execute(
        absl::StrCat("INSERT INTO inventory_reservation (stock_id, sku, "
                     "quantity, metadata) VALUES (1, 'MB-01', ",
                     -units, ", '{\"event_type\":\"order_placed\"}')"),
        database_);
  }

  static testing::MariadbServer* db_server_;
  std::string database_;
  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<cache::RedisClient> client_;
  const cache::KeySchema keys_{"av"};  // --key_prefix default
};

testing::MariadbServer* ConnectorOpsTest::db_server_ = nullptr;

constexpr core::Qty U(int64_t units) { return core::QtyFromUnits(units); }

TEST_F(ConnectorOpsTest, OneOfTwoWritesAndTheStandbyTakesOverWhenItDies) {
  Connector a = StartConnector();
  Connector b = StartConnector();
  ASSERT_GT(a.port, 0);
  ASSERT_GT(b.port, 0);
  ASSERT_TRUE(WaitFor(absl::Seconds(30),
                      [&] {
                        return Status(a, "/readyz") == 200 ||
                               Status(b, "/readyz") == 200;
                      }))
      << a.process->Stderr() << b.process->Stderr();
  const bool a_leads = Status(a, "/readyz") == 200;
  Connector& leader = a_leads ? a : b;
  Connector& standby = a_leads ? b : a;
  // Exactly one writes: the standby holds no lease, is not ready, wrote
  // nothing, and says why.
  EXPECT_EQ(Metric(leader, "availability_sync_leader"), 1);
  EXPECT_GT(*Metric(leader, "availability_sync_records_written_total"), 0);
  EXPECT_EQ(Metric(standby, "availability_sync_leader"), 0);
  EXPECT_EQ(Status(standby, "/readyz"), 503);
  EXPECT_EQ(Status(standby, "/healthz"), 200);
  EXPECT_EQ(Metric(standby, "availability_sync_records_written_total"), 0);
  EXPECT_TRUE(WaitFor(absl::Seconds(5), [&] {
    return absl::StrContains(standby.process->Stderr(),
                             "standby: another replica holds the writer lease");
  })) << standby.process->Stderr();
  ASSERT_EQ(ReservedMb01(), -U(4));

  // The leader dies without releasing; a reservation is committed during
  // the hand-over.
  leader.process->Signal(SIGKILL);
  leader.process->Wait(absl::Seconds(5));
  ASSERT_THAT(Reserve(10), IsOk());
  std::optional<absl::Duration> took = WaitFor(absl::Seconds(20), [&] {
    return Metric(standby, "availability_sync_leader") == 1;
  });
  ASSERT_TRUE(took.has_value()) << standby.process->Stderr();
  std::fprintf(stderr, "leader killed -> standby holds the lease: %s\n",
               absl::FormatDuration(*took).c_str());
  // The stated bound: the lease's TTL plus one renew interval (plus the
  // scrape's granularity).
  EXPECT_LE(*took, kTtl + kRenew + absl::Seconds(1));
  EXPECT_TRUE(WaitFor(absl::Seconds(20), [&] {
    return ReservedMb01() == -U(14);
  })) << standby.process->Stderr();
  EXPECT_TRUE(WaitFor(absl::Seconds(20),
                      [&] { return Status(standby, "/readyz") == 200; }));
  EXPECT_EQ(Metric(standby, "availability_sync_lease_token"), 2);

  standby.process->Signal(SIGTERM);
  EXPECT_EQ(standby.process->Wait(absl::Seconds(10)), 0);
  EXPECT_THAT(standby.process->Stderr(), Not(HasSubstr(kPassword)));
}

TEST_F(ConnectorOpsTest, PausedLeaderIsFencedAfterItsLeaseWasTaken) {
  Connector a = StartConnector();
  ASSERT_GT(a.port, 0);
  ASSERT_TRUE(WaitFor(absl::Seconds(30), [&] {
    return Status(a, "/readyz") == 200;
  })) << a.process->Stderr();
  Connector b = StartConnector();
  ASSERT_GT(b.port, 0);
  const std::optional<double> a_written =
      Metric(a, "availability_sync_records_written_total");
  ASSERT_TRUE(a_written.has_value());

  // Paused past its lease: b takes over and applies a reservation.
  a.process->Signal(SIGSTOP);
  ASSERT_TRUE(WaitFor(absl::Seconds(20), [&] {
    return Status(b, "/readyz") == 200;
  })) << b.process->Stderr();
  ASSERT_THAT(Reserve(10), IsOk());
  ASSERT_TRUE(
      WaitFor(absl::Seconds(20), [&] { return ReservedMb01() == -U(14); }));
  // One more, so that the resumed a has something new to write at once.
  ASSERT_THAT(Reserve(5), IsOk());
  a.process->Signal(SIGCONT);

  ASSERT_TRUE(WaitFor(absl::Seconds(10), [&] {
    return absl::StrContains(a.process->Stderr(),
                             "writer lease lost; writes stopped");
  })) << a.process->Stderr();
  EXPECT_EQ(Metric(a, "availability_sync_leader"), 0);
  EXPECT_EQ(Status(a, "/readyz"), 503);
  // Nothing a tried after resuming was stored: its count of records
  // written did not move, and what it tried was refused.
  EXPECT_EQ(Metric(a, "availability_sync_records_written_total"), a_written);
  const std::string log = a.process->Stderr();
  if (absl::StrContains(log, "sync step failed")) {
    EXPECT_TRUE(absl::StrContains(log, "write refused") ||
                absl::StrContains(log, "FENCED"))
        << log;
  }
  std::fprintf(stderr, "resumed leader tried a write: %s\n",
               absl::StrContains(log, "FENCED")          ? "refused by script"
               : absl::StrContains(log, "write refused") ? "refused locally"
                                                         : "no");
  EXPECT_TRUE(
      WaitFor(absl::Seconds(20), [&] { return ReservedMb01() == -U(19); }));
  EXPECT_EQ(Metric(b, "availability_sync_leader"), 1);
}

TEST_F(ConnectorOpsTest, MetricsShowReconcileAndReservationTail) {
  // One SKU of 64 characters but 65 bytes: skipped as sku_too_long.
  ASSERT_THAT(
      db_server_->Execute(
          "INSERT INTO catalog_product_entity (entity_id, sku) VALUES (20, "
          "CONCAT(CONVERT(X'C3A9' USING utf8mb4), REPEAT('L', 63)));"
          "INSERT INTO inventory_source_item (source_code, sku, quantity, "
          "status) VALUES ('default', CONCAT(CONVERT(X'C3A9' USING utf8mb4), "
          "REPEAT('L', 63)), 5, 1)",
          database_),
      IsOk());
  Connector c = StartConnector();
  ASSERT_GT(c.port, 0);
  EXPECT_EQ(Status(c, "/healthz"), 200);
  ASSERT_TRUE(WaitFor(absl::Seconds(30), [&] {
    return Status(c, "/readyz") == 200;
  })) << c.process->Stderr();
  const double start =
      *Metric(c, "availability_sync_last_reconcile_start_timestamp_seconds");
  const double end =
      *Metric(c, "availability_sync_last_reconcile_end_timestamp_seconds");
  const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  EXPECT_GT(start, now - 60);
  EXPECT_GE(end, start);
  EXPECT_LE(end, now + 1);
  EXPECT_GE(Metric(c, "availability_sync_reconciles_total"), 1);
  EXPECT_EQ(Metric(c, "availability_sync_last_reconcile_success"), 1);
  EXPECT_EQ(Metric(c, "availability_sync_reconcile_failures_total"), 0);
  EXPECT_EQ(Metric(c, "availability_sync_db_errors_total"), 0);
  EXPECT_EQ(Metric(c, "availability_sync_redis_errors_total"), 0);
  EXPECT_EQ(Metric(c, "availability_sync_leader"), 1);
  EXPECT_EQ(Metric(c, "availability_sync_lease_acquisitions_total"), 1);
  // Skipped rows by reason: every reason has its series.
  EXPECT_GE(
      Metric(c,
             "availability_sync_rows_skipped_total{reason=\"sku_too_long\"}"),
      1);
  EXPECT_EQ(
      Metric(c, "availability_sync_rows_skipped_total{reason=\"bad_number\"}"),
      0);

  // The tail follows the reservations; its lag stays within a few polls.
  const double tail = *Metric(c, "availability_sync_reservation_tail_id");
  ASSERT_THAT(Reserve(1), IsOk());
  EXPECT_TRUE(WaitFor(absl::Seconds(10), [&] {
    return Metric(c, "availability_sync_reservation_tail_id") == tail + 1;
  }));
  const std::optional<double> lag =
      Metric(c, "availability_sync_reservation_tail_lag_seconds");
  ASSERT_TRUE(lag.has_value());
  EXPECT_GE(*lag, 0);
  EXPECT_LT(*lag, 5);
  EXPECT_GT(*Metric(c, "availability_sync_records_written_total"), 0);

  // The page passes Prometheus' own lint (promtool from scripts/setup).
  absl::StatusOr<testing::HttpAnswer> page = HttpGet(c.port, "/metrics");
  ASSERT_TRUE(page.ok()) << page.status();
  const std::string file = absl::StrCat(
      ::testing::TempDir(), "/connector_metrics_", getpid(), ".txt");
  {
    std::ofstream out(file);
    out << page->body;
  }
  absl::StatusOr<testing::CommandResult> lint = testing::RunCommand(
      {"/bin/sh", "-c", absl::StrCat("promtool check metrics < ", file)},
      absl::Seconds(30));
  ASSERT_TRUE(lint.ok()) << lint.status();
  EXPECT_EQ(lint->exit_code, 0) << lint->out << lint->err << page->body;

  // The database gone: the lag grows and errors are counted.
  db_server_->Kill();
  EXPECT_TRUE(WaitFor(absl::Seconds(20), [&] {
    const std::optional<double> l =
        Metric(c, "availability_sync_reservation_tail_lag_seconds");
    const std::optional<double> e =
        Metric(c, "availability_sync_db_errors_total");
    return l.has_value() && *l > 1 && e.has_value() && *e > 0;
  }));
  ASSERT_THAT(db_server_->Restart(), IsOk());
  c.process->Signal(SIGTERM);
  EXPECT_EQ(c.process->Wait(absl::Seconds(10)), 0);
}

TEST(ConnectorHelpTest, FlagsWithoutBuildPaths) {
  absl::StatusOr<testing::CommandResult> help =
      testing::RunCommand({AV_SYNC_BINARY, "--help"}, absl::Seconds(10));
  ASSERT_TRUE(help.ok()) << help.status();
  const std::string text = help->out + help->err;
  EXPECT_THAT(text, HasSubstr("Flags from sync/main.cc"));
  EXPECT_THAT(text, HasSubstr("--lease_ttl"));
  EXPECT_THAT(text, HasSubstr("--metrics_listen"));
  EXPECT_THAT(text, HasSubstr("--redis_host"));
  EXPECT_THAT(text, Not(HasSubstr(AV_SOURCE_DIR)));
}

}  // namespace
}  // namespace availability::sync
