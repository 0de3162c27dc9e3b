#include "cache/subscription_store.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cache/record_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/redis_test.h"
#include "testing/status_matchers.h"

namespace availability::cache {
namespace {

using ::availability::testing::IsOk;
using ::availability::testing::RedisTest;
using ::availability::testing::StatusIs;
using ::availability::testing::Waiter;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr absl::Duration kWait = absl::Seconds(10);

MATCHER_P(IsOkAndHolds, value,
          "is OK and holds " + ::testing::PrintToString(value)) {
  if (!arg.ok()) {
    *result_listener << "which is " << arg.status();
    return false;
  }
  return *arg == value;
}
constexpr int32_t kStock = 1;

const absl::Time kNow = absl::FromUnixSeconds(1772366400);  // 2026-03-01

core::Record Record(int64_t version, int64_t units,
                    std::string sku = "24-MB01") {
  core::Record r;
  r.sku = std::move(sku);
  r.stock_id = kStock;
  r.version = version;
  r.source_qty = core::QtyFromUnits(units);
  return r;
}

class SubscriptionStoreTest : public RedisTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RedisTest::SetUp());
    SubscriptionStore::Options so;
    so.max_per_sku = 3;
    so.max_per_subscriber = 4;
    subs_ = std::make_unique<SubscriptionStore>(*client_, keys_, so);
    writer_ = std::make_unique<RecordWriter>(*client_, keys_);
  }

  // A record (out of stock) for each of `skus`, so they can be subscribed.
  void Known(std::vector<std::string> skus) {
    for (std::string& sku : skus) {
      ASSERT_NO_FATAL_FAILURE(Write(Record(1, 0, std::move(sku))));
    }
  }

  absl::StatusOr<bool> Subscribe(std::string subscriber,
                                 std::string sku = "24-MB01") {
    Waiter<absl::StatusOr<bool>> w(kWait);
    subs_->Subscribe(kStock, std::move(sku), std::move(subscriber), kNow,
                     Deadline(), w.Callback());
    return w.Get();
  }
  absl::StatusOr<bool> Unsubscribe(std::string subscriber) {
    Waiter<absl::StatusOr<bool>> w(kWait);
    subs_->Unsubscribe(kStock, "24-MB01", std::move(subscriber), Deadline(),
                       w.Callback());
    return w.Get();
  }
  int64_t Open() {
    Waiter<absl::StatusOr<int64_t>> w(kWait);
    subs_->CountOpen(kStock, "24-MB01", Deadline(), w.Callback());
    auto n = w.Get();
    EXPECT_THAT(n, IsOk());
    return n.ok() ? *n : -1;
  }
  void Write(core::Record r) {
    Waiter<absl::StatusOr<std::vector<WriteOutcome>>> w(kWait);
    writer_->Upsert({std::move(r)}, "", kNow, Deadline(), w.Callback());
    auto out = w.Get();
    ASSERT_THAT(out, IsOk());
    ASSERT_EQ((*out)[0].result, WriteResult::kApplied);
  }
  // Jobs as "subscriber@subscribed_at v<version>".
  std::vector<std::string> Jobs() {
    Waiter<absl::StatusOr<RedisReply>> w(kWait);
    client_->Execute({"XRANGE", keys_.NotificationJobs(kStock), "-", "+"},
                     Deadline(), w.Callback());
    auto r = w.Get();
    EXPECT_THAT(r, IsOk());
    std::vector<std::string> out;
    if (!r.ok()) return out;
    for (const RedisReply& entry : r->elements) {
      std::map<std::string, std::string> f;
      const auto& kv = entry.elements[1].elements;
      for (size_t i = 0; i + 1 < kv.size(); i += 2)
        f[kv[i].str] = kv[i + 1].str;
      EXPECT_EQ(f["sku"], "24-MB01");
      EXPECT_EQ(f["stock"], "1");
      out.push_back(f["subscriber"] + "@" + f["subscribed_at"] + " v" +
                    f["version"]);
    }
    return out;
  }

  std::unique_ptr<SubscriptionStore> subs_;
  std::unique_ptr<RecordWriter> writer_;
};

TEST_F(SubscriptionStoreTest, SubscribeIsIdempotent) {
  Known({"24-MB01"});
  EXPECT_THAT(Subscribe("alice"), IsOkAndHolds(true));
  EXPECT_THAT(Subscribe("alice"), IsOkAndHolds(false));
  EXPECT_EQ(Open(), 1);
}

TEST_F(SubscriptionStoreTest, UnsubscribeRemovesOnce) {
  Known({"24-MB01"});
  ASSERT_THAT(Subscribe("alice"), IsOk());
  EXPECT_THAT(Unsubscribe("alice"), IsOkAndHolds(true));
  EXPECT_THAT(Unsubscribe("alice"), IsOkAndHolds(false));
  EXPECT_EQ(Open(), 0);
}

TEST_F(SubscriptionStoreTest, BoundedPerSku) {
  Known({"24-MB01", "other"});
  ASSERT_THAT(Subscribe("a"), IsOk());
  ASSERT_THAT(Subscribe("b"), IsOk());
  ASSERT_THAT(Subscribe("c"), IsOk());
  EXPECT_THAT(Subscribe("d"),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("(3, --subscription_max_per_sku)")));
  // Re-subscribing an open one is still fine; other SKUs are unaffected.
  EXPECT_THAT(Subscribe("a"), IsOkAndHolds(false));
  EXPECT_THAT(Subscribe("d", "other"), IsOkAndHolds(true));
}

TEST_F(SubscriptionStoreTest, RejectsBadKeys) {
  EXPECT_THAT(Subscribe(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("subscriber")));
  EXPECT_THAT(Subscribe(std::string(257, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Subscribe("a", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sku")));
}

TEST_F(SubscriptionStoreTest, BackInStockTurnsEachSubscriptionIntoOneJob) {
  Write(Record(1, 0));  // out of stock
  ASSERT_THAT(Subscribe("alice"), IsOk());
  ASSERT_THAT(Subscribe("bob"), IsOk());
  ASSERT_THAT(Subscribe("alice"), IsOk());  // still one for alice
  EXPECT_TRUE(Jobs().empty());

  Write(Record(2, 0));  // still out of stock: no job
  EXPECT_TRUE(Jobs().empty());

  Write(Record(3, 5));  // back in stock
  const std::string at = std::to_string(absl::ToUnixMillis(kNow));
  EXPECT_THAT(Jobs(),
              UnorderedElementsAre("alice@" + at + " v3", "bob@" + at + " v3"));
  EXPECT_EQ(Open(), 0);

  // A second BACK_IN_STOCK does not notify them again.
  Write(Record(4, 0));
  Write(Record(5, 5));
  EXPECT_EQ(Jobs().size(), 2u);

  // A new subscription is notified on the next one only.
  ASSERT_THAT(Subscribe("carol"), IsOk());
  Write(Record(6, 7));  // stays in stock: no transition
  EXPECT_EQ(Jobs().size(), 2u);
  Write(Record(7, 0));
  Write(Record(8, 1));
  EXPECT_EQ(Jobs().size(), 3u);
  EXPECT_EQ(Jobs().back(), "carol@" + at + " v8");
}

TEST_F(SubscriptionStoreTest, UnknownSkuIsRefusedAndNothingIsWritten) {
  Known({"24-MB01"});
  EXPECT_THAT(Subscribe("alice", "no-such-sku"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("sku: \"no-such-sku\" is not known on "
                                 "stock 1")));
  EXPECT_EQ(Command({"EXISTS", keys_.Subscriptions(kStock, "no-such-sku"),
                     keys_.SubscriberIndex(kStock, "alice")})
                .integer,
            0);
  // A record on another stock does not make it known on this one.
  Waiter<absl::StatusOr<bool>> w(kWait);
  subs_->Subscribe(2, "24-MB01", "alice", kNow, Deadline(), w.Callback());
  EXPECT_THAT(w.Get(), StatusIs(absl::StatusCode::kNotFound,
                                HasSubstr("not known on stock 2")));
}

TEST_F(SubscriptionStoreTest, BoundedPerSubscriber) {
  Known({"s1", "s2", "s3", "s4", "s5", "24-MB01"});
  for (const char* sku : {"s1", "s2", "s3", "s4"}) {
    ASSERT_THAT(Subscribe("alice", sku), IsOkAndHolds(true));
  }
  EXPECT_THAT(Subscribe("alice", "s5"),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("(4, --subscription_max_per_subscriber)")));
  EXPECT_THAT(Subscribe("alice", "s1"), IsOkAndHolds(false));  // still open
  EXPECT_THAT(Subscribe("bob", "s5"), IsOkAndHolds(true));     // others: fine
  EXPECT_EQ(Command({"ZCARD", keys_.SubscriberIndex(kStock, "alice")}).integer,
            4);

  // A withdrawn subscription frees its place; so does a notified one.
  Waiter<absl::StatusOr<bool>> w(kWait);
  subs_->Unsubscribe(kStock, "s1", "alice", Deadline(), w.Callback());
  ASSERT_THAT(w.Get(), IsOkAndHolds(true));
  EXPECT_THAT(Subscribe("alice", "s5"), IsOkAndHolds(true));
  EXPECT_THAT(Subscribe("alice", "24-MB01"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  Write(Record(2, 5, "s2"));  // back in stock: alice's s2 becomes a job
  EXPECT_THAT(Subscribe("alice", "24-MB01"), IsOkAndHolds(true));
}

TEST_F(SubscriptionStoreTest, ExpiredSubscriptionsAreGoneAndQueueNoJob) {
  SubscriptionStore::Options so;
  so.expiry = absl::Seconds(1);
  SubscriptionStore short_lived(*client_, keys_, so);
  Known({"24-MB01"});
  Waiter<absl::StatusOr<bool>> w(kWait);
  short_lived.Subscribe(kStock, "24-MB01", "alice", kNow, Deadline(),
                        w.Callback());
  ASSERT_THAT(w.Get(), IsOkAndHolds(true));
  // Both keys expire with the subscription.
  EXPECT_GT(Command({"PTTL", keys_.Subscriptions(kStock, "24-MB01")}).integer,
            0);
  EXPECT_GT(Command({"PTTL", keys_.SubscriberIndex(kStock, "alice")}).integer,
            0);
  // Kept alive by another subscriber's newer one: the key stays, alice's
  // entry is expired and queues no job.
  absl::SleepFor(absl::Milliseconds(600));
  Waiter<absl::StatusOr<bool>> w2(kWait);
  short_lived.Subscribe(kStock, "24-MB01", "bob", kNow, Deadline(),
                        w2.Callback());
  ASSERT_THAT(w2.Get(), IsOkAndHolds(true));
  absl::SleepFor(absl::Milliseconds(500));  // alice's is 1.1 s old
  Write(Record(2, 5));                      // back in stock
  const std::string at = std::to_string(absl::ToUnixMillis(kNow));
  EXPECT_THAT(Jobs(), UnorderedElementsAre("bob@" + at + " v2"));

  // After the expiry, nothing is left in Redis.
  Write(Record(3, 0));
  Waiter<absl::StatusOr<bool>> w3(kWait);
  short_lived.Subscribe(kStock, "24-MB01", "carol", kNow, Deadline(),
                        w3.Callback());
  ASSERT_THAT(w3.Get(), IsOkAndHolds(true));
  absl::SleepFor(absl::Milliseconds(1200));
  EXPECT_EQ(Command({"EXISTS", keys_.Subscriptions(kStock, "24-MB01"),
                     keys_.SubscriberIndex(kStock, "carol")})
                .integer,
            0);
  Write(Record(4, 5));
  EXPECT_EQ(Jobs().size(), 1u);
}

TEST_F(SubscriptionStoreTest, FullSkuMakesRoomOnceItsEntriesExpire) {
  SubscriptionStore::Options so;
  so.max_per_sku = 3;
  so.expiry = absl::Milliseconds(500);
  SubscriptionStore short_lived(*client_, keys_, so);
  Known({"24-MB01"});
  auto subscribe = [&](const std::string& who) {
    Waiter<absl::StatusOr<bool>> w(kWait);
    short_lived.Subscribe(kStock, "24-MB01", who, kNow, Deadline(),
                          w.Callback());
    return w.Get();
  };
  for (const char* who : {"a", "b", "c"}) {
    ASSERT_THAT(subscribe(who), IsOkAndHolds(true));
  }
  EXPECT_THAT(subscribe("d"), StatusIs(absl::StatusCode::kResourceExhausted));
  // Keep the key alive past the others' expiry with one more call's worth
  // of time: the expired entries are dropped and d gets a place.
  Command({"PEXPIRE", keys_.Subscriptions(kStock, "24-MB01"), "10000"});
  absl::SleepFor(absl::Milliseconds(700));
  EXPECT_EQ(Command({"HLEN", keys_.Subscriptions(kStock, "24-MB01")}).integer,
            3);
  EXPECT_THAT(subscribe("d"), IsOkAndHolds(true));
  EXPECT_EQ(Command({"HLEN", keys_.Subscriptions(kStock, "24-MB01")}).integer,
            1);
}

TEST_F(SubscriptionStoreTest, UnsubscribedGetsNoJob) {
  Write(Record(1, 0));
  ASSERT_THAT(Subscribe("alice"), IsOk());
  ASSERT_THAT(Unsubscribe("alice"), IsOk());
  Write(Record(2, 3));
  EXPECT_TRUE(Jobs().empty());
}

}  // namespace
}  // namespace availability::cache
