// End-to-end tests of the read path: the real availability-server binary,
// a real redis-server, and gRPC calls over loopback.

#include <signal.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "core/decision.h"
#include "core/record.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/server_process.h"

namespace availability {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::availability::v1;

constexpr int32_t kStock = 1;

core::Qty Units(int64_t n) { return core::QtyFromUnits(n); }

class ServerE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    ConnectWriter();
    today_ = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
    LoadCatalog();
    StartServer();
  }

  void ConnectWriter() {
    auto writer = testing::SyncRedisClient::Connect(redis_->port());
    ASSERT_TRUE(writer.ok()) << writer.status();
    writer_ = *std::move(writer);
  }

  void StartServer() {
    testing::ServerProcess::Options options;
    options.redis_port = redis_->port();
    options.health_interval = absl::Milliseconds(200);
    auto server = testing::ServerProcess::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = server_->NewStub();
  }

  void LoadCatalog() {
    core::StoreConfig config;
    config.stock_id = kStock;
    config.only_x_left_threshold = Units(5);
    config.handling_days = 1;
    config.alternatives_backorder_days = 14;
    writer_->PutStoreConfig(config);
    writer_->Expect({"HSET", "av:channels", "base", "1"});

    core::Record r;
    r.stock_id = kStock;
    r.version = 7;

    r.sku = "IN-LOW";
    r.source_qty = Units(3);
    r.category_ids = {10};
    writer_->PutRecord(r);

    r = core::Record{};
    r.stock_id = kStock;
    r.version = 3;
    r.sku = "IN-PLENTY";
    r.source_qty = Units(100);
    r.category_ids = {10};
    writer_->PutRecord(r);

    r = core::Record{};
    r.stock_id = kStock;
    r.version = 4;
    r.sku = "BACKORDER";
    r.source_qty = Units(2);
    r.backorders = core::Backorders::kYesNotify;
    r.inbound = {{today_ + 10, Units(5)}, {today_ + 20, Units(10)}};
    writer_->PutRecord(r);

    r = core::Record{};
    r.stock_id = kStock;
    r.version = 5;
    r.sku = "PREORDER";
    r.lifecycle = core::Lifecycle::kPreorder;
    r.release_date = today_ + 30;
    writer_->PutRecord(r);

    r = core::Record{};
    r.stock_id = kStock;
    r.version = 6;
    r.sku = "OUT";
    r.inbound = {{today_ + 5, Units(20)}};
    r.alternatives = {{"IN-PLENTY", core::Relation::kSubstitute},
                      {"BACKORDER", core::Relation::kRelated}};
    r.category_ids = {10};
    writer_->PutRecord(r);
    writer_->Expect({"RPUSH", "av:{1}:cat:10", "OUT", "IN-LOW", "IN-PLENTY"});

    r = core::Record{};
    r.stock_id = kStock;
    r.version = 8;
    r.sku = "GONE";
    r.lifecycle = core::Lifecycle::kDiscontinued;
    r.successor_sku = "IN-PLENTY";
    writer_->PutRecord(r);
  }

  grpc::Status Get(const v1::GetAvailabilityRequest& request,
                   v1::ProductAvailability* response,
                   absl::Duration timeout = absl::Seconds(2)) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    return stub_->GetAvailability(&context, request, response);
  }

  v1::GetAvailabilityRequest Request(const std::string& sku,
                                     uint32_t alternatives = 0) {
    v1::GetAvailabilityRequest request;
    request.set_sku(sku);
    request.mutable_scope()->set_sales_channel("base");
    request.set_max_alternatives(alternatives);
    return request;
  }

  static std::string Date(absl::CivilDay day) {
    return absl::StrCat(day.year(), "-", day.month(), "-", day.day());
  }
  static std::string Date(const v1::Date& d) {
    return absl::StrCat(d.year(), "-", d.month(), "-", d.day());
  }

  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<testing::SyncRedisClient> writer_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::unique_ptr<v1::Availability::Stub> stub_;
  absl::CivilDay today_;
};

TEST_F(ServerE2ETest, InStockWithOnlyXLeft) {
  v1::ProductAvailability answer;
  ASSERT_TRUE(Get(Request("IN-LOW"), &answer).ok());
  EXPECT_EQ(answer.status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(answer.stock_id(), 1);
  ASSERT_TRUE(answer.has_only_x_left());
  EXPECT_EQ(answer.only_x_left(), 3);
  EXPECT_TRUE(answer.orderable());
  EXPECT_EQ(answer.freshness().version(), 7);
  EXPECT_FALSE(answer.freshness().stale());
  EXPECT_EQ(answer.feed().schema_org_availability(),
            "https://schema.org/LimitedAvailability");
  EXPECT_EQ(answer.feed().merchant_availability(), "in_stock");
}

TEST_F(ServerE2ETest, BackorderableWithDatedTranches) {
  v1::GetAvailabilityRequest request = Request("BACKORDER");
  request.set_quantity(10);
  v1::ProductAvailability answer;
  ASSERT_TRUE(Get(request, &answer).ok());
  EXPECT_EQ(answer.status(), v1::STATUS_BACKORDERABLE);
  EXPECT_EQ(answer.split().in_stock_quantity(), 2);
  EXPECT_EQ(answer.split().backorder_quantity(), 8);
  EXPECT_EQ(answer.split().unavailable_quantity(), 0);
  ASSERT_EQ(answer.shipments_size(), 3);
  EXPECT_EQ(Date(answer.shipments(0).ship_date()), Date(today_));
  EXPECT_EQ(answer.shipments(1).quantity(), 5);
  EXPECT_EQ(Date(answer.shipments(1).ship_date()), Date(today_ + 11));
  EXPECT_EQ(answer.shipments(2).quantity(), 3);
  EXPECT_EQ(Date(answer.shipments(2).ship_date()), Date(today_ + 21));
  EXPECT_TRUE(answer.eta_known());
  EXPECT_TRUE(answer.backorder_notice());
  // 2 ship now: the badge and the feeds show the display quantity's status,
  // the quantity box the requested one's.
  EXPECT_EQ(answer.display_status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(answer.feed().merchant_availability(), "in_stock");
}

TEST_F(ServerE2ETest, Preorder) {
  v1::ProductAvailability answer;
  ASSERT_TRUE(Get(Request("PREORDER"), &answer).ok());
  EXPECT_EQ(answer.status(), v1::STATUS_PREORDER);
  EXPECT_EQ(Date(answer.release_date()), Date(today_ + 30));
  EXPECT_EQ(answer.feed().merchant_availability(), "preorder");
  EXPECT_EQ(Date(answer.feed().merchant_availability_date()),
            Date(today_ + 30));
}

TEST_F(ServerE2ETest, OutOfStockWithRestockDateAndAlternatives) {
  v1::ProductAvailability answer;
  ASSERT_TRUE(Get(Request("OUT", 3), &answer).ok());
  EXPECT_EQ(answer.status(), v1::STATUS_OUT_OF_STOCK);
  EXPECT_EQ(Date(answer.restock_date()), Date(today_ + 6));
  EXPECT_FALSE(answer.orderable());
  // All three qualify as in stock (BACKORDER ships its display quantity
  // now), so they come in gathering order: the record's own alternatives,
  // then same-category by popularity, never the product itself.
  ASSERT_EQ(answer.alternatives_size(), 3);
  EXPECT_EQ(answer.alternatives(0).sku(), "IN-PLENTY");
  EXPECT_EQ(answer.alternatives(0).relation(), v1::RELATION_SUBSTITUTE);
  EXPECT_EQ(answer.alternatives(0).availability().status(),
            v1::STATUS_IN_STOCK);
  EXPECT_EQ(answer.alternatives(1).sku(), "BACKORDER");
  EXPECT_EQ(answer.alternatives(1).relation(), v1::RELATION_RELATED);
  EXPECT_EQ(answer.alternatives(2).sku(), "IN-LOW");
  EXPECT_EQ(answer.alternatives(2).relation(), v1::RELATION_SAME_CATEGORY);
  EXPECT_TRUE(answer.alternatives(2).availability().has_only_x_left());
}

TEST_F(ServerE2ETest, DiscontinuedWithSuccessor) {
  v1::ProductAvailability answer;
  ASSERT_TRUE(Get(Request("GONE", 2), &answer).ok());
  EXPECT_EQ(answer.status(), v1::STATUS_DISCONTINUED);
  EXPECT_EQ(answer.successor_sku(), "IN-PLENTY");
  ASSERT_GE(answer.alternatives_size(), 1);
  EXPECT_EQ(answer.alternatives(0).sku(), "IN-PLENTY");
  EXPECT_EQ(answer.alternatives(0).relation(), v1::RELATION_SUCCESSOR);
  EXPECT_EQ(answer.feed().schema_org_availability(),
            "https://schema.org/Discontinued");
}

TEST_F(ServerE2ETest, StockIdScopeWorksLikeTheChannel) {
  v1::GetAvailabilityRequest request = Request("IN-PLENTY");
  request.mutable_scope()->set_stock_id(1);
  v1::ProductAvailability answer;
  ASSERT_TRUE(Get(request, &answer).ok());
  EXPECT_EQ(answer.status(), v1::STATUS_IN_STOCK);
  EXPECT_FALSE(answer.has_only_x_left());
}

TEST_F(ServerE2ETest, UnknownSkuIsNotFound) {
  v1::ProductAvailability answer;
  grpc::Status status = Get(Request("NOPE"), &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("sku"));
}

TEST_F(ServerE2ETest, BatchAnswersEachItemOnItsOwn) {
  v1::BatchGetAvailabilityRequest request;
  request.mutable_scope()->set_sales_channel("base");
  for (const char* sku : {"IN-LOW", "NOPE-1", "OUT", "NOPE-2", "IN-LOW"}) {
    request.add_items()->set_sku(sku);
  }
  v1::BatchGetAvailabilityResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  ASSERT_TRUE(stub_->BatchGetAvailability(&context, request, &response).ok());
  ASSERT_EQ(response.items_size(), 5);
  EXPECT_EQ(response.items(0).status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(response.items(1).status(), v1::STATUS_UNKNOWN);
  EXPECT_EQ(response.items(1).sku(), "NOPE-1");
  EXPECT_EQ(response.items(2).status(), v1::STATUS_OUT_OF_STOCK);
  EXPECT_EQ(response.items(3).status(), v1::STATUS_UNKNOWN);
  EXPECT_EQ(response.items(4).sku(), "IN-LOW");
}

struct InvalidCase {
  std::string name;
  std::function<void(v1::GetAvailabilityRequest&)> mutate;
  std::string message;
};

TEST_F(ServerE2ETest, InvalidRequestsNameTheFieldAndTheRule) {
  const std::vector<InvalidCase> cases = {
      {"empty sku", [](auto& r) { r.set_sku(""); }, "sku: empty"},
      {"long sku", [](auto& r) { r.set_sku(std::string(65, 'x')); },
       "sku: longer than 64 bytes"},
      {"unknown channel",
       [](auto& r) { r.mutable_scope()->set_sales_channel("nowhere"); },
       "scope.sales_channel: unknown channel"},
      {"no scope", [](auto& r) { r.clear_scope(); },
       "scope: sales_channel or stock_id required"},
      {"negative qty", [](auto& r) { r.set_quantity(-1); },
       "quantity: negative"},
      {"nan qty", [](auto& r) { r.set_quantity(std::nan("")); },
       "quantity: not a number"},
      {"inf qty",
       [](auto& r) { r.set_quantity(std::numeric_limits<double>::infinity()); },
       "quantity: infinite"},
      {"decimals", [](auto& r) { r.set_quantity(1.00001); },
       "quantity: more than 4 decimals"},
      {"alternatives", [](auto& r) { r.set_max_alternatives(21); },
       "max_alternatives: more than 20"},
  };
  for (const InvalidCase& c : cases) {
    SCOPED_TRACE(c.name);
    v1::GetAvailabilityRequest request = Request("IN-LOW");
    c.mutate(request);
    v1::ProductAvailability answer;
    grpc::Status status = Get(request, &answer);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr(c.message));
  }
}

TEST_F(ServerE2ETest, InvalidUtf8NeverReachesAnAnswer) {
  // proto3 strings must be UTF-8: gRPC's own parser refuses such a request
  // before the service sees it (the service's check covers runtimes that do
  // not verify). Either way the call fails and the server keeps serving.
  v1::GetAvailabilityRequest request = Request("ab\xff");
  v1::ProductAvailability answer;
  grpc::Status status = Get(request, &answer);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(Get(Request("IN-LOW"), &answer).ok());
}

TEST_F(ServerE2ETest, InvalidBatches) {
  auto call = [&](const v1::BatchGetAvailabilityRequest& request) {
    v1::BatchGetAvailabilityResponse response;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    return stub_->BatchGetAvailability(&context, request, &response);
  };
  v1::BatchGetAvailabilityRequest request;
  request.mutable_scope()->set_stock_id(1);
  grpc::Status empty = call(request);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(empty.error_message(), HasSubstr("items: empty"));
  for (int i = 0; i < 501; ++i) request.add_items()->set_sku("IN-LOW");
  grpc::Status big = call(request);
  EXPECT_EQ(big.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(big.error_message(), HasSubstr("items: more than 500"));
  request.mutable_items()->DeleteSubrange(2, 499);
  request.mutable_items(1)->set_sku(std::string(70, 'y'));
  grpc::Status bad_item = call(request);
  EXPECT_EQ(bad_item.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad_item.error_message(),
              HasSubstr("items[1].sku: longer than 64 bytes"));
}

TEST_F(ServerE2ETest, PausedRedisFailsCallsAtTheirDeadlineAndRecovers) {
  v1::ProductAvailability answer;
  ASSERT_TRUE(Get(Request("IN-LOW"), &answer).ok());
  redis_->Pause();
  const absl::Time start = absl::Now();
  grpc::Status status =
      Get(Request("IN-PLENTY"), &answer, absl::Milliseconds(300));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << status.error_message();
  EXPECT_LT(took, absl::Milliseconds(300) + absl::Milliseconds(200));
  redis_->Resume();
  bool recovered = false;
  for (int i = 0; i < 50 && !recovered; ++i) {
    recovered = Get(Request("IN-PLENTY"), &answer).ok();
  }
  EXPECT_TRUE(recovered);
  EXPECT_EQ(answer.status(), v1::STATUS_IN_STOCK);
}

TEST_F(ServerE2ETest, SurvivesARedisRestart) {
  v1::ProductAvailability answer;
  ASSERT_TRUE(Get(Request("IN-LOW"), &answer).ok());
  ASSERT_TRUE(redis_->Restart().ok());
  // The restarted Redis is empty (no persistence): load again.
  ConnectWriter();
  LoadCatalog();
  bool recovered = false;
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!recovered && absl::Now() < give_up) {
    grpc::Status status = Get(Request("IN-LOW"), &answer);
    recovered = status.ok();
    if (!recovered) {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
          << status.error_message();
      absl::SleepFor(absl::Milliseconds(50));  // reconnect backoff
    }
  }
  EXPECT_TRUE(recovered);
  EXPECT_EQ(answer.status(), v1::STATUS_IN_STOCK);
}

TEST_F(ServerE2ETest, SigtermDrainsInFlightCalls) {
  // Calls held in flight by a paused Redis finish once it resumes, even
  // though SIGTERM arrived meanwhile; the server then exits 0.
  redis_->Pause();
  std::atomic<int> ok{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&] {
      v1::ProductAvailability answer;
      if (Get(Request("IN-PLENTY"), &answer, absl::Seconds(5)).ok()) ++ok;
    });
  }
  absl::SleepFor(absl::Milliseconds(200));  // let the calls reach the server
  server_->Signal(SIGTERM);
  absl::SleepFor(absl::Milliseconds(200));
  redis_->Resume();
  for (auto& t : callers) t.join();
  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(server_->Wait(absl::Seconds(10)), 0) << server_->Stderr();
  EXPECT_THAT(server_->Stderr(), HasSubstr("\"msg\":\"stopped\""));
}

}  // namespace
}  // namespace availability
