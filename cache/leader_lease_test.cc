#include "cache/leader_lease.h"

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cache/key_schema.h"
#include "cache/record_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/redis_test.h"
#include "testing/status_matchers.h"

namespace availability::cache {
namespace {

using ::availability::testing::IsOk;
using ::availability::testing::RedisTest;
using ::availability::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(20);

class LeaderLeaseTest : public RedisTest {
 protected:
  LeaderLease::Options LeaseOptions(std::string owner, absl::Duration ttl) {
    LeaderLease::Options o;
    o.lease_key = "t:lease:magento";
    o.token_key = "t:lease:magento:token";
    o.owner = std::move(owner);
    o.ttl = ttl;
    o.safety_margin = ttl / 5;
    o.command_timeout = absl::Seconds(2);
    return o;
  }

  // Upserts one record of stock 1 through a writer fenced by `lease`.
  absl::Status FencedUpsert(LeaderLease& lease, int64_t version) {
    RecordWriter::Options wo;
    wo.fence_key = "t:lease:magento:token";
    wo.fencing_token = [&lease] { return lease.ValidToken(); };
    RecordWriter writer(*client_, KeySchema("t"), wo);
    core::Record r;
    r.sku = "SKU-1";
    r.stock_id = 1;
    r.version = version;
    r.source_qty = core::QtyFromUnits(version);
    absl::Notification done;
    absl::Status status;
    writer.Upsert({r}, "", absl::Now(), absl::Now() + kWait,
                  [&](absl::StatusOr<std::vector<WriteOutcome>> outcomes) {
                    status = outcomes.ok() ? FirstFailure(*outcomes)
                                           : outcomes.status();
                    done.Notify();
                  });
    done.WaitForNotification();
    return status;
  }
};

TEST_F(LeaderLeaseTest, OneHolderAtATimeAndEachAcquisitionANewToken) {
  LeaderLease a(*client_, LeaseOptions("a", absl::Seconds(10)));
  LeaderLease b(*client_, LeaseOptions("b", absl::Seconds(10)));
  ASSERT_THAT(a.TryAcquire(), IsOk());
  EXPECT_TRUE(a.held());
  EXPECT_EQ(a.token(), 1);
  absl::StatusOr<bool> b_got = b.TryAcquire();
  ASSERT_THAT(b_got, IsOk());
  EXPECT_FALSE(*b_got);
  EXPECT_THAT(b.ValidToken(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Command({"GET", "t:lease:magento"}).str, "a 1");
  EXPECT_EQ(*a.Renew(), true);

  ASSERT_THAT(a.Release(), IsOk());
  EXPECT_FALSE(a.held());
  EXPECT_TRUE(Command({"GET", "t:lease:magento"}).is_nil());
  ASSERT_TRUE(*b.TryAcquire());
  EXPECT_EQ(b.token(), 2);
  EXPECT_EQ(*b.ValidToken(), 2);
}

TEST_F(LeaderLeaseTest, ExpiredLeaseGoesToTheNextAndTheOldHolderKnows) {
  LeaderLease a(*client_, LeaseOptions("a", absl::Milliseconds(500)));
  LeaderLease b(*client_, LeaseOptions("b", absl::Milliseconds(500)));
  ASSERT_TRUE(*a.TryAcquire());
  EXPECT_THAT(a.ValidToken(), IsOk());
  // Not renewed: a stops trusting it before Redis drops it (ttl - margin).
  absl::SleepFor(absl::Milliseconds(450));
  EXPECT_THAT(a.ValidToken(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                       HasSubstr("expired")));
  absl::SleepFor(absl::Milliseconds(200));
  ASSERT_TRUE(*b.TryAcquire());
  EXPECT_EQ(b.token(), 2);
  absl::StatusOr<bool> renewed = a.Renew();
  ASSERT_THAT(renewed, IsOk());
  EXPECT_FALSE(*renewed);
  EXPECT_FALSE(a.held());
  // a's release must not delete b's lease.
  ASSERT_THAT(a.Release(), IsOk());
  EXPECT_EQ(Command({"GET", "t:lease:magento"}).str, "b 2");
}

TEST_F(LeaderLeaseTest, WriteScriptRefusesATokenBelowTheCurrentOne) {
  LeaderLease a(*client_, LeaseOptions("a", absl::Seconds(10)));
  ASSERT_TRUE(*a.TryAcquire());
  ASSERT_THAT(FencedUpsert(a, 10), IsOk());
  // Another writer acquired meanwhile (a paused past its TTL would see its
  // lease still valid locally only if the pause fell between its check and
  // the script; the script is the last word).
  Command({"INCR", "t:lease:magento:token"});
  EXPECT_THAT(FencedUpsert(a, 11),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("FENCED writer token 1 is below the current "
                                 "token 2")));
  // Nothing of the refused call was written: version 11 is still new to
  // the cache, so an unfenced writer (the sync API) applies it.
  RecordWriter plain(*client_, KeySchema("t"));
  core::Record r;
  r.sku = "SKU-1";
  r.stock_id = 1;
  r.version = 11;
  absl::Notification done;
  std::optional<WriteResult> code;
  plain.Upsert({r}, "", absl::Now(), absl::Now() + kWait,
               [&](absl::StatusOr<std::vector<WriteOutcome>> outcomes) {
                 if (outcomes.ok()) code = (*outcomes)[0].result;
                 done.Notify();
               });
  done.WaitForNotification();
  EXPECT_EQ(code, WriteResult::kApplied);
  // A writer without a lease sends nothing at all.
  ASSERT_THAT(a.Release(), IsOk());
  EXPECT_THAT(FencedUpsert(a, 12),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("writer lease not held")));
}

}  // namespace
}  // namespace availability::cache
