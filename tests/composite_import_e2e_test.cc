// End-to-end test of composite products (docs/domain.md §10) on the write
// side: the real `availability import` of a Magento 2.4 product export with
// configurable, bundle and grouped rows
// (client/import/testdata/magento_composite_export.csv), the real
// availability-server with its sync listener, a real redis-server. Each
// parent is then answered as Magento would, and a variant's later change
// reaches its parent's events and its subscribers' notification jobs.

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "availability/v1/inventory_sync.grpc.pb.h"
#include "client/availability_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/server_process.h"
#include "testing/server_test.h"
#include "testing/subprocess.h"

namespace availability {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::availability::v1;

constexpr char kToken[] = "e2e-composite-token-0123456789";
constexpr char kFixture[] =
    AVAILABILITY_TESTDATA_DIR "/magento_composite_export.csv";

class CompositeImportE2ETest : public testing::ServerTest {
 protected:
  void SetUp() override {
    testing::ServerProcess::Options options = WithSync(kToken);
    options.flags.push_back("--allow_anonymous_subscriptions");
    ASSERT_NO_FATAL_FAILURE(StartRedisAndServer(std::move(options)));
    token_file_ = server_->sync_token_file();
    sync_port_ = server_->sync_port();
    av::client::AvailabilityClient::Options client_options;
    client_options.read_timeout = absl::Seconds(5);
    client_ = server_->NewClient(client_options);
    sync_ = server_->NewSyncClient();
    v1::PutSalesChannelsRequest channels;
    (*channels.mutable_channels())["base"] = 1;
    ASSERT_TRUE(sync_->PutSalesChannels(channels).ok());
  }

  // Runs `availability import FILE ARGS...` against the sync listener.
  testing::CommandResult Import(const std::string& file,
                                std::vector<std::string> args = {}) {
    args.insert(args.begin(),
                {AVAILABILITY_CLI_BINARY, "import", file,
                 absl::StrCat("--sync-server=127.0.0.1:", sync_port_),
                 "--token-file=" + token_file_});
    absl::StatusOr<testing::CommandResult> result =
        testing::RunCommand(args, absl::Seconds(120));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : testing::CommandResult{};
  }

  v1::ProductAvailability Get(const std::string& sku,
                              std::optional<double> quantity = {}) {
    v1::GetAvailabilityRequest request;
    request.set_sku(sku);
    request.mutable_scope()->set_sales_channel("base");
    if (quantity) request.set_quantity(*quantity);
    absl::StatusOr<v1::ProductAvailability> answer =
        client_->GetAvailability(request);
    EXPECT_TRUE(answer.ok()) << sku << ": " << answer.status();
    return answer.ok() ? *answer : v1::ProductAvailability();
  }

  // The (type, sku) of every event of stock 1, in order.
  std::vector<std::string> Events() {
    absl::StatusOr<std::string> raw =
        redis_->Cli({"XRANGE", "av:{1}:events", "-", "+"});
    EXPECT_TRUE(raw.ok()) << raw.status();
    std::vector<std::string> lines = absl::StrSplit(raw.ok() ? *raw : "", '\n');
    std::vector<std::string> out;
    std::string type;
    for (size_t i = 0; i + 1 < lines.size(); ++i) {
      if (lines[i] == "type") type = lines[i + 1];
      if (lines[i] == "sku")
        out.push_back(absl::StrCat(type, " ", lines[i + 1]));
    }
    return out;
  }

  std::unique_ptr<av::client::AvailabilityClient> client_;
  std::unique_ptr<av::client::SyncClient> sync_;
  std::string token_file_;
  int sync_port_ = 0;
};

TEST_F(CompositeImportE2ETest, ParentsAnsweredAsMagentoWouldAndKeptCurrent) {
  testing::CommandResult imported = Import(kFixture, {"--replace"});
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  EXPECT_THAT(imported.out, HasSubstr("applied 17, stale 0, rejected 0"));

  // Configurable: in stock while one variant is (MH01-S-Black has 5),
  // out of stock when none is; each variant answered for the swatches.
  v1::ProductAvailability mh01 = Get("MH01");
  EXPECT_EQ(mh01.status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(mh01.components_size(), 2);
  EXPECT_EQ(Get("MH02").status(), v1::STATUS_OUT_OF_STOCK);
  // Bundle: its required options limit it (the ball in gray, 2 bricks of
  // 10); the optional strap, out of stock, does not.
  EXPECT_EQ(Get("24-WG080").status(), v1::STATUS_IN_STOCK);
  // One bundle takes 2 bands, 1 is in stock.
  EXPECT_EQ(Get("24-WG090").status(), v1::STATUS_OUT_OF_STOCK);
  // Grouped: like a configurable; its own is_in_stock = 0 wins.
  EXPECT_EQ(Get("24-WB-SET").status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(Get("24-WB-OFF").status(), v1::STATUS_OUT_OF_STOCK);

  // The parents' own transitions were announced once each, from UNKNOWN.
  std::vector<std::string> events = Events();
  for (const char* expected :
       {"BACK_IN_STOCK MH01", "OUT_OF_STOCK MH02", "BACK_IN_STOCK 24-WG080",
        "OUT_OF_STOCK 24-WG090", "BACK_IN_STOCK 24-WB-SET",
        "OUT_OF_STOCK 24-WB-OFF"}) {
    EXPECT_EQ(std::count(events.begin(), events.end(), expected), 1)
        << expected;
  }

  // A shopper subscribes to the sold-out hoodie; a later export has one of
  // its variants back: the parent comes back in stock and the subscriber
  // gets a notification job.
  v1::BackInStockSubscription subscription;
  subscription.set_sku("MH02");
  subscription.mutable_scope()->set_sales_channel("base");
  subscription.set_subscriber_id("customer-42");
  ASSERT_TRUE(client_->SubscribeBackInStock(subscription).ok());
  std::ifstream fixture(kFixture);
  std::string text((std::istreambuf_iterator<char>(fixture)),
                   std::istreambuf_iterator<char>());
  const std::string before =
      "MH02-S-Red,,Default,simple,Default Category/Gear,base,Teton Pullover "
      "Hoodie-S-Red,32.0000,0.0000,0";
  const size_t at = text.find(before);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, before.size(),
               "MH02-S-Red,,Default,simple,Default Category/Gear,base,Teton "
               "Pullover Hoodie-S-Red,32.0000,3.0000,1");
  const std::string later = redis_->dir() + "/later.csv";
  std::ofstream(later) << text;
  absl::SleepFor(absl::Milliseconds(2));  // a later snapshot version
  testing::CommandResult again = Import(later, {"--replace"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;

  EXPECT_EQ(Get("MH02").status(), v1::STATUS_IN_STOCK);
  events = Events();
  EXPECT_EQ(std::count(events.begin(), events.end(), "BACK_IN_STOCK MH02"), 1);
  // The other parents did not change: no new events for them.
  EXPECT_EQ(std::count(events.begin(), events.end(), "BACK_IN_STOCK MH01"), 1);
  absl::StatusOr<std::string> jobs =
      redis_->Cli({"XRANGE", "av:{1}:jobs", "-", "+"});
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  EXPECT_THAT(*jobs, HasSubstr("sku\nMH02\n"));
  EXPECT_THAT(*jobs, HasSubstr("subscriber\ncustomer-42\n"));
}

}  // namespace
}  // namespace availability
