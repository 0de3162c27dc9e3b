#include "cache/job_queue.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cache/record_writer.h"
#include "cache/subscription_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/redis_test.h"
#include "testing/status_matchers.h"

namespace availability::cache {
namespace {

using ::availability::testing::IsOk;
using ::availability::testing::IsOkAndHolds;
using ::availability::testing::RedisTest;
using ::availability::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr absl::Duration kWait = absl::Seconds(20);
constexpr int32_t kStock = 1;
using Jobs = std::vector<NotificationJob>;

// Starts an asynchronous call with a callback and waits (bounded) for it.
template <typename T, typename Start>
absl::StatusOr<T> Await(Start start) {
  auto done = std::make_shared<absl::Notification>();
  auto value = std::make_shared<std::optional<absl::StatusOr<T>>>();
  start([done, value](absl::StatusOr<T> v) {
    value->emplace(std::move(v));
    done->Notify();
  });
  if (!done->WaitForNotificationWithTimeout(kWait)) {
    return absl::DeadlineExceededError("no callback within the test's wait");
  }
  return **value;
}

std::set<std::string> Ids(const Jobs& jobs) {
  std::set<std::string> ids;
  for (const NotificationJob& j : jobs) ids.insert(j.id);
  return ids;
}

class NotificationJobQueueTest : public RedisTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RedisTest::SetUp());
    writer_ = std::make_unique<RecordWriter>(*client_, keys_);
    queue_ = std::make_unique<NotificationJobQueue>(*client_, keys_);
  }

  // `subscribers` wait for `sku` (sold out at `version` - 1: only known
  // SKUs can be subscribed), which then comes into stock at `version`: one
  // job each.
  void QueueJobs(const std::string& sku, int64_t version,
                 const std::vector<std::string>& subscribers) {
    core::Record sold_out;
    sold_out.sku = sku;
    sold_out.stock_id = kStock;
    sold_out.version = version - 1;
    auto known = Await<std::vector<WriteOutcome>>([&](auto cb) {
      writer_->Upsert({sold_out}, "", absl::Now(), Deadline(), cb);
    });
    ASSERT_THAT(known, IsOk());
    ASSERT_EQ((*known)[0].result, WriteResult::kApplied);
    SubscriptionStore subs(*client_, keys_);
    for (const std::string& s : subscribers) {
      ASSERT_THAT(Await<bool>([&](auto cb) {
                    subs.Subscribe(kStock, sku, s, absl::FromUnixMillis(1000),
                                   Deadline(), cb);
                  }),
                  IsOk());
    }
    core::Record r;
    r.sku = sku;
    r.stock_id = kStock;
    r.version = version;
    r.source_qty = core::QtyFromUnits(5);
    auto written = Await<std::vector<WriteOutcome>>([&](auto cb) {
      writer_->Upsert({r}, "", absl::Now(), Deadline(), cb);
    });
    ASSERT_THAT(written, IsOk());
    ASSERT_EQ((*written)[0].notifications_queued,
              static_cast<int>(subscribers.size()));
  }

  absl::StatusOr<Jobs> Claim(const std::string& consumer, int max,
                             absl::Duration lease) {
    return Await<Jobs>([&](auto cb) {
      queue_->Claim(kStock, consumer, max, lease, Deadline(), cb);
    });
  }

  absl::StatusOr<int64_t> Ack(std::vector<std::string> ids) {
    return Await<int64_t>(
        [&](auto cb) { queue_->Ack(kStock, std::move(ids), Deadline(), cb); });
  }

  int64_t StreamLength() {
    auto r = Await<RedisReply>([&](auto cb) {
      client_->Execute({"XLEN", keys_.NotificationJobs(kStock)}, Deadline(),
                       cb);
    });
    EXPECT_THAT(r, IsOk());
    return r.ok() ? r->integer : -1;
  }

  std::unique_ptr<RecordWriter> writer_;
  std::unique_ptr<NotificationJobQueue> queue_;
};

TEST_F(NotificationJobQueueTest, JobsQueuedBeforeTheFirstClaimAreDelivered) {
  QueueJobs("24-MB01", 7, {"customer-1", "customer-2"});
  absl::StatusOr<Jobs> jobs = Claim("mailer-1", 10, absl::Minutes(5));
  ASSERT_THAT(jobs, IsOk());
  ASSERT_THAT(*jobs, SizeIs(2));
  std::set<std::string> subscribers;
  for (const NotificationJob& j : *jobs) {
    EXPECT_EQ(j.sku, "24-MB01");
    EXPECT_EQ(j.stock_id, kStock);
    EXPECT_EQ(j.version, 7);
    EXPECT_EQ(j.subscribed_at, absl::FromUnixMillis(1000));
    EXPECT_GT(j.queued_at, absl::Now() - absl::Minutes(1));
    EXPECT_FALSE(j.redelivered);
    subscribers.insert(j.subscriber);
  }
  EXPECT_EQ(subscribers, (std::set<std::string>{"customer-1", "customer-2"}));
}

TEST_F(NotificationJobQueueTest, AClaimWithinTheLeaseGetsNoneOfAnothersJobs) {
  QueueJobs("24-MB01", 1, {"a", "b", "c"});
  absl::StatusOr<Jobs> first = Claim("mailer-1", 2, absl::Minutes(5));
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(*first, SizeIs(2));
  absl::StatusOr<Jobs> second = Claim("mailer-2", 10, absl::Minutes(5));
  ASSERT_THAT(second, IsOk());
  ASSERT_THAT(*second, SizeIs(1));
  EXPECT_EQ(Ids(*first).count(second->front().id), 0u);
  absl::StatusOr<Jobs> third = Claim("mailer-3", 10, absl::Minutes(5));
  ASSERT_THAT(third, IsOk());
  EXPECT_THAT(*third, IsEmpty());
}

TEST_F(NotificationJobQueueTest, AnExpiredLeaseRedeliversTheJob) {
  QueueJobs("24-MB01", 1, {"a"});
  absl::StatusOr<Jobs> first = Claim("mailer-1", 10, absl::Milliseconds(50));
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(*first, SizeIs(1));
  // mailer-1 dies without acknowledging; once its lease ran out (Redis counts
  // idle time on its own clock), the job goes to the next claim.
  absl::StatusOr<Jobs> again;
  const absl::Time give_up = absl::Now() + kWait;
  do {
    absl::SleepFor(absl::Milliseconds(20));
    again = Claim("mailer-2", 10, absl::Milliseconds(50));
    ASSERT_THAT(again, IsOk());
  } while (again->empty() && absl::Now() < give_up);
  ASSERT_THAT(*again, SizeIs(1));
  EXPECT_EQ(again->front().id, first->front().id);
  EXPECT_TRUE(again->front().redelivered);
  EXPECT_EQ(again->front().subscriber, "a");
  // mailer-2 holds it now, under a fresh lease.
  absl::StatusOr<Jobs> none = Claim("mailer-3", 10, absl::Minutes(5));
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_F(NotificationJobQueueTest, AckRemovesOnlyPendingJobs) {
  QueueJobs("24-MB01", 1, {"a", "b"});
  absl::StatusOr<Jobs> claimed = Claim("mailer-1", 1, absl::Minutes(5));
  ASSERT_THAT(claimed, IsOk());
  ASSERT_THAT(*claimed, SizeIs(1));
  // The other job was never delivered: acknowledging its id (a client's
  // mistake) must not drop it.
  auto all = Await<RedisReply>([&](auto cb) {
    client_->Execute({"XRANGE", keys_.NotificationJobs(kStock), "-", "+"},
                     Deadline(), cb);
  });
  ASSERT_THAT(all, IsOk());
  ASSERT_THAT(all->elements, SizeIs(2));
  const std::string undelivered = all->elements[1].elements[0].str;
  ASSERT_NE(undelivered, claimed->front().id);

  EXPECT_THAT(Ack({claimed->front().id, undelivered, "1-1"}), IsOkAndHolds(1));
  EXPECT_EQ(StreamLength(), 1);
  EXPECT_THAT(Ack({claimed->front().id}), IsOkAndHolds(0));
  absl::StatusOr<Jobs> rest = Claim("mailer-2", 10, absl::Minutes(5));
  ASSERT_THAT(rest, IsOk());
  ASSERT_THAT(*rest, SizeIs(1));
  EXPECT_EQ(rest->front().id, undelivered);
}

TEST_F(NotificationJobQueueTest, AckBeforeAnyClaimAcknowledgesNothing) {
  QueueJobs("24-MB01", 1, {"a"});
  EXPECT_THAT(Ack({"1-1"}), IsOkAndHolds(0));
  EXPECT_EQ(StreamLength(), 1);
}

TEST_F(NotificationJobQueueTest, RefusesBadArguments) {
  EXPECT_THAT(
      Claim("", 1, absl::Seconds(1)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("consumer")));
  EXPECT_THAT(Claim("m", 1001, absl::Seconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("max_jobs: must be 1..1000")));
  EXPECT_THAT(Claim("m", 1, absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lease")));
  EXPECT_THAT(Ack({}), StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("ids: 1..1000")));
}

TEST(ParseNotificationJobTest, NamesWhatIsMalformed) {
  RedisReply entry;
  entry.type = RedisReply::Type::kArray;
  entry.elements.resize(2);
  entry.elements[0].type = RedisReply::Type::kString;
  entry.elements[0].str = "1700000000000-0";
  entry.elements[1].type = RedisReply::Type::kArray;
  for (const char* s : {"sku", "X", "subscriber", "s", "version", "v1"}) {
    RedisReply f;
    f.type = RedisReply::Type::kString;
    f.str = s;
    entry.elements[1].elements.push_back(f);
  }
  EXPECT_THAT(ParseNotificationJob(entry),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("field version is not a number")));
}

}  // namespace
}  // namespace availability::cache
