// End-to-end: composite parents (docs/domain.md §10) answered by the real
// availability-server binary from their variants' records in a real
// redis-server: a batch of parents, a variant's change reaching a parent's
// answer served from the near-cache, and a watcher of the parent woken by
// a variant's change. Records are written straight into Redis (the write
// path has tests of its own).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "cache/key_schema.h"
#include "cache/record_codec.h"
#include "cache/redis_client.h"
#include "core/record.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/server_process.h"
#include "testing/server_test.h"

namespace availability {
namespace {

namespace v1 = ::availability::v1;

constexpr int32_t kStock = 1;

class CompositeReadE2ETest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartRedis());
    core::StoreConfig config;
    config.stock_id = kStock;
    client_->PutStoreConfig(config);
    // Three shirts, sizes S/M/L each; shirt 1 has an M in stock.
    for (int shirt = 0; shirt < 3; ++shirt) {
      std::vector<std::string> sizes;
      for (const char* size : {"S", "M", "L"}) {
        sizes.push_back(absl::StrCat("SHIRT", shirt, "-", size));
        PutUnits(kStock, sizes.back(), 1,
                 shirt == 1 && sizes.size() == 2 ? 4 : 0);
      }
      core::Record parent;
      parent.sku = absl::StrCat("SHIRT", shirt);
      parent.stock_id = kStock;
      parent.version = 1;
      parent.product_type = core::ProductType::kConfigurable;
      parent.components = sizes;
      client_->PutRecord(parent);
    }
    testing::ServerProcess::Options options;
    options.flags = {"--invalidation_ping_interval=50ms"};
    ASSERT_NO_FATAL_FAILURE(StartServer(std::move(options)));
    stub_ = server_->NewStub();
  }

  static bool Eventually(const std::function<bool()>& condition) {
    return testing::Eventually(condition, absl::Seconds(10),
                               absl::Milliseconds(5));
  }

  grpc::Status Get(const std::string& sku, v1::ProductAvailability* answer) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    v1::GetAvailabilityRequest request;
    request.set_sku(sku);
    request.mutable_scope()->set_stock_id(kStock);
    return stub_->GetAvailability(&context, request, answer);
  }

  std::unique_ptr<v1::Availability::Stub> stub_;
};

TEST_F(CompositeReadE2ETest, ABatchOfParentsIsAnsweredFromTheirVariants) {
  v1::BatchGetAvailabilityRequest request;
  request.mutable_scope()->set_stock_id(kStock);
  for (const char* sku : {"SHIRT0", "SHIRT1", "SHIRT2", "SHIRT1-M"}) {
    request.add_items()->set_sku(sku);
  }
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::BatchGetAvailabilityResponse response;
  ASSERT_TRUE(stub_->BatchGetAvailability(&context, request, &response).ok());
  ASSERT_EQ(response.items_size(), 4);
  EXPECT_EQ(response.items(0).status(), v1::STATUS_OUT_OF_STOCK);
  EXPECT_EQ(response.items(1).status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(response.items(1).display_status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(response.items(1).feed().merchant_availability(), "in_stock");
  EXPECT_EQ(response.items(1).product_type(), v1::PRODUCT_TYPE_CONFIGURABLE);
  ASSERT_EQ(response.items(1).components_size(), 3);
  EXPECT_EQ(response.items(1).components(1).sku(), "SHIRT1-M");
  EXPECT_EQ(response.items(1).components(1).status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(response.items(1).components(0).status(), v1::STATUS_OUT_OF_STOCK);
  EXPECT_EQ(response.items(2).status(), v1::STATUS_OUT_OF_STOCK);
  // The variant asked for by its own SKU is a simple product.
  EXPECT_EQ(response.items(3).product_type(), v1::PRODUCT_TYPE_SIMPLE);
  EXPECT_EQ(response.items(3).components_size(), 0);
}

TEST_F(CompositeReadE2ETest, AVariantsChangeReachesItsParentFromMemory) {
  v1::ProductAvailability answer;
  ASSERT_TRUE(Get("SHIRT2", &answer).ok());
  ASSERT_EQ(answer.status(), v1::STATUS_OUT_OF_STOCK);
  ASSERT_TRUE(Get("SHIRT2", &answer).ok());  // near-cache warm now
  PutUnits(kStock, "SHIRT2-L", 2, 1);
  EXPECT_TRUE(Eventually([&] {
    return Get("SHIRT2", &answer).ok() &&
           answer.status() == v1::STATUS_IN_STOCK;
  })) << answer.ShortDebugString();
}

TEST_F(CompositeReadE2ETest, AVariantsChangeWakesTheWatcherOfItsParent) {
  v1::WatchAvailabilityRequest request;
  request.add_skus("SHIRT0");
  request.mutable_scope()->set_stock_id(kStock);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  auto reader = stub_->WatchAvailability(&context, request);
  v1::ProductAvailability answer;
  ASSERT_TRUE(reader->Read(&answer));
  EXPECT_EQ(answer.sku(), "SHIRT0");
  EXPECT_EQ(answer.status(), v1::STATUS_OUT_OF_STOCK);
  PutUnits(kStock, "SHIRT0-S", 2, 3);
  ASSERT_TRUE(reader->Read(&answer));
  EXPECT_EQ(answer.sku(), "SHIRT0");
  EXPECT_EQ(answer.status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(answer.components(0).status(), v1::STATUS_IN_STOCK);
  context.TryCancel();
}

}  // namespace
}  // namespace availability
