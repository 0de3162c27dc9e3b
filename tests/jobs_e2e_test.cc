// Back-in-stock notification jobs through the real binaries: subscriptions
// taken on the storefront listener, a record brought back in stock through
// the sync API, jobs claimed and acknowledged with `availability jobs`.
// Delivery is at least once: a consumer that never acknowledges (killed
// mid-lease) loses nothing, and a job is delivered twice only after its
// lease ran out.

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.pb.h"
#include "availability/v1/inventory_sync.pb.h"
#include "client/availability_client.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/server_process.h"
#include "testing/server_test.h"
#include "testing/subprocess.h"

namespace availability {
namespace {

namespace v1 = ::availability::v1;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kToken[] = "e2e-jobs-token-0123456789";
constexpr int kSubscribers = 20;

class JobsE2ETest : public testing::ServerTest {
 protected:
  void SetUp() override {
    testing::ServerProcess::Options options = WithSync(kToken);
    options.flags.push_back("--allow_anonymous_subscriptions");
    ASSERT_NO_FATAL_FAILURE(StartRedisAndServer(std::move(options)));
    token_file_ = server_->sync_token_file();
    sync_port_ = server_->sync_port();
    storefront_ = server_->NewClient();
    sync_ = server_->NewSyncClient();
  }

  // kSubscribers shoppers wait for `sku` (sold out at version 1); then it
  // comes back in stock at version 2: one job each.
  void QueueJobs(const std::string& sku) {
    v1::UpsertRecordsRequest sold_out;
    v1::InventoryRecord* out = sold_out.add_records();
    out->set_sku(sku);
    out->set_stock_id(1);
    out->set_version(1);
    out->set_source_quantity(0);
    ASSERT_TRUE(sync_->UpsertRecords(sold_out).ok());
    for (int i = 0; i < kSubscribers; ++i) {
      v1::BackInStockSubscription sub;
      sub.set_sku(sku);
      sub.mutable_scope()->set_stock_id(1);
      sub.set_subscriber_id(absl::StrCat("customer-", i));
      absl::StatusOr<bool> created = storefront_->SubscribeBackInStock(sub);
      ASSERT_TRUE(created.ok()) << created.status();
      ASSERT_TRUE(*created);
    }
    v1::UpsertRecordsRequest upsert;
    v1::InventoryRecord* r = upsert.add_records();
    r->set_sku(sku);
    r->set_stock_id(1);
    r->set_version(2);
    r->set_source_quantity(10);
    absl::StatusOr<v1::UpsertRecordsResponse> written =
        sync_->UpsertRecords(upsert);
    ASSERT_TRUE(written.ok()) << written.status();
    ASSERT_EQ(written->notifications_queued(), kSubscribers);
  }

  // `availability jobs --json` with the given flags: the jobs it printed.
  std::vector<v1::NotificationJob> Jobs(std::vector<std::string> flags) {
    std::vector<std::string> argv = {
        AVAILABILITY_CLI_BINARY, "jobs", "--json",
        absl::StrCat("--sync-server=127.0.0.1:", sync_port_),
        "--token-file=" + token_file_};
    argv.insert(argv.end(), flags.begin(), flags.end());
    absl::StatusOr<testing::CommandResult> run =
        testing::RunCommand(argv, absl::Seconds(60));
    EXPECT_TRUE(run.ok()) << run.status();
    if (!run.ok()) return {};
    EXPECT_EQ(run->exit_code, 0) << run->err;
    std::vector<v1::NotificationJob> jobs;
    for (absl::string_view line :
         absl::StrSplit(run->out, '\n', absl::SkipEmpty())) {
      v1::NotificationJob job;
      EXPECT_TRUE(
          google::protobuf::util::JsonStringToMessage(std::string(line), &job)
              .ok())
          << line;
      jobs.push_back(job);
    }
    return jobs;
  }

  std::unique_ptr<av::client::AvailabilityClient> storefront_;
  std::unique_ptr<av::client::SyncClient> sync_;
  std::string token_file_;
  int sync_port_ = 0;
};

std::set<std::string> Ids(const std::vector<v1::NotificationJob>& jobs) {
  std::set<std::string> ids;
  for (const v1::NotificationJob& j : jobs) ids.insert(j.id());
  return ids;
}

TEST_F(JobsE2ETest, EveryJobIsAcknowledgedOnceAConsumerDiesMidLease) {
  QueueJobs("24-MB01");

  // Consumer A claims 8 jobs under a 1 s lease and dies before acknowledging.
  const std::vector<v1::NotificationJob> a =
      Jobs({"--consumer=mailer-a", "--max=8", "--lease=1s", "--no-ack"});
  ASSERT_THAT(a, SizeIs(8));
  for (const v1::NotificationJob& job : a) {
    EXPECT_EQ(job.sku(), "24-MB01");
    EXPECT_EQ(job.stock_id(), 1);
    EXPECT_EQ(job.event_type(), v1::InventoryEvent::TYPE_BACK_IN_STOCK);
    EXPECT_EQ(job.event_version(), 2);
    EXPECT_GT(job.queued_time().seconds(), 0);
    EXPECT_FALSE(job.redelivered());
  }

  // Consumer B, within A's lease (B's own lease of 60 s decides what it may
  // take over): the other 12, none of A's; it acknowledges them.
  const std::vector<v1::NotificationJob> b =
      Jobs({"--consumer=mailer-b", "--max=1000", "--lease=60s"});
  ASSERT_THAT(b, SizeIs(kSubscribers - 8));
  for (const v1::NotificationJob& job : b) {
    EXPECT_EQ(Ids(a).count(job.id()), 0u) << "duplicate within the lease";
    EXPECT_FALSE(job.redelivered());
  }
  EXPECT_THAT(Jobs({"--consumer=mailer-b", "--lease=60s"}), IsEmpty());

  // A's lease runs out: B, claiming with the same 1 s lease, gets A's jobs
  // again (flagged redelivered) and acknowledges them. Redis measures the
  // idle time on its own clock, so poll (bounded) rather than guess.
  std::vector<v1::NotificationJob> redelivered;
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (redelivered.size() < a.size() && absl::Now() < give_up) {
    for (const v1::NotificationJob& job :
         Jobs({"--consumer=mailer-b", "--max=1000", "--lease=1s"})) {
      redelivered.push_back(job);
    }
    if (redelivered.size() < a.size()) absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_THAT(redelivered, SizeIs(a.size()));
  EXPECT_EQ(Ids(redelivered), Ids(a));
  for (const v1::NotificationJob& job : redelivered) {
    EXPECT_TRUE(job.redelivered());
  }

  // Every subscriber's job was delivered and acknowledged; none is left,
  // even for a claim that takes over anything pending (1 ms lease).
  std::set<std::string> subscribers;
  for (const v1::NotificationJob& job : b) {
    subscribers.insert(job.subscriber_id());
  }
  for (const v1::NotificationJob& job : redelivered) {
    subscribers.insert(job.subscriber_id());
  }
  EXPECT_THAT(subscribers, SizeIs(kSubscribers));
  EXPECT_THAT(Jobs({"--consumer=mailer-c", "--max=1000", "--lease=1ms"}),
              IsEmpty());
}

TEST_F(JobsE2ETest, BadClaimsNameTheFieldAndTheRule) {
  absl::StatusOr<testing::CommandResult> run = testing::RunCommand(
      {AVAILABILITY_CLI_BINARY, "jobs", "--consumer=no spaces",
       absl::StrCat("--sync-server=127.0.0.1:", sync_port_),
       "--token-file=" + token_file_},
      absl::Seconds(60));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 3) << run->err;  // INVALID_ARGUMENT
  EXPECT_THAT(run->err, ::testing::HasSubstr("consumer: only [A-Za-z0-9_.-]"));

  v1::AckNotificationJobsRequest ack;
  ack.set_stock_id(1);
  ack.add_ids("not-an-id");
  absl::StatusOr<v1::AckNotificationJobsResponse> acked =
      sync_->AckNotificationJobs(ack);
  EXPECT_EQ(acked.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(acked.status().message(), ::testing::HasSubstr("ids[0]"));
}

}  // namespace
}  // namespace availability
