// The read-only sync credential (--sync_read_token_file) through the real
// server binary: refused with PERMISSION_DENIED on every write method of
// availability.v1.InventorySync (enumerated from the service descriptor, so
// a write method added later cannot be forgotten), allowed on each read
// method, and never a substitute for the full token.

#include <fstream>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/inventory_sync.grpc.pb.h"
#include "client/availability_client.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/server_process.h"

namespace availability {
namespace {

namespace v1 = ::availability::v1;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "e2e-full-sync-token-0123456789";
constexpr char kReadToken[] = "e2e-read-only-token-9876543210";

// The methods the read-only token may call; every other method of the
// service must refuse it. This list is the rule under test: a new method is
// a write until it is added here (and to the server's own list).
const std::set<std::string>& ReadMethods() {
  static const auto* methods = new std::set<std::string>{
      "TailEvents", "GetStoreConfig", "ClaimNotificationJobs",
      "AckNotificationJobs", "GetDemandReport"};
  return *methods;
}

class ReadOnlyTokenE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    testing::ServerProcess::Options options;
    options.redis_port = redis_->port();
    options.sync = true;
    options.sync_token = kToken;
    const std::string read_token_file = redis_->dir() + "/sync-read-token";
    std::ofstream(read_token_file) << kReadToken << "\n";
    options.flags = {"--sync_read_token_file=" + read_token_file};
    auto server = testing::ServerProcess::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = av::client::MakeChannel(server_->sync_address());
    full_ = std::make_unique<av::client::SyncClient>(channel_, kToken);
    read_ = std::make_unique<av::client::SyncClient>(channel_, kReadToken);
  }

  // `method` of InventorySync called with an empty request and `token`: one
  // message sent, the status received (any method kind: the refusal comes
  // before any message moves).
  grpc::Status CallEmpty(const std::string& method, const std::string& token) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    absl::Notification done;
    grpc::Status status;
    stub.UnaryCall(
        &context,
        absl::StrCat("/", v1::InventorySync::service_full_name(), "/", method),
        grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
          status = std::move(s);
          done.Notify();
        });
    done.WaitForNotification();  // bounded by the deadline
    return status;
  }

  static const google::protobuf::ServiceDescriptor& Service() {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            v1::InventorySync::service_full_name());
    EXPECT_NE(service, nullptr);
    return *service;
  }

  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<av::client::SyncClient> full_;
  std::unique_ptr<av::client::SyncClient> read_;
};

TEST_F(ReadOnlyTokenE2ETest, RefusedOnEveryWriteMethodOfTheDescriptor) {
  const google::protobuf::ServiceDescriptor& service = Service();
  int writes = 0;
  for (int i = 0; i < service.method_count(); ++i) {
    const std::string method = service.method(i)->name();
    if (ReadMethods().count(method) > 0) continue;
    ++writes;
    const grpc::Status status = CallEmpty(method, kReadToken);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << method << ": " << status.error_message();
    EXPECT_THAT(status.error_message(),
                HasSubstr(absl::StrCat("read-only sync token may not call ",
                                       method, ": it writes")));
    EXPECT_THAT(status.error_message(), Not(HasSubstr(kReadToken)));
  }
  // UpsertRecords, StreamUpsertRecords, DeleteRecords, FinishSnapshot,
  // PutStoreConfig, PutSalesChannels, PutCategoryRanking at least.
  EXPECT_GE(writes, 7);
  // Every read method the rule names exists.
  for (const std::string& method : ReadMethods()) {
    EXPECT_NE(service.FindMethodByName(method), nullptr) << method;
  }
}

TEST_F(ReadOnlyTokenE2ETest, TheFullTokenKeepsEveryRight) {
  const google::protobuf::ServiceDescriptor& service = Service();
  for (int i = 0; i < service.method_count(); ++i) {
    const std::string method = service.method(i)->name();
    // An empty request is mostly invalid; what matters is that the call got
    // past the credentials check.
    const grpc::Status status = CallEmpty(method, kToken);
    EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << method << ": " << status.error_message();
    EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << method << ": " << status.error_message();
  }
  // An unknown token is still nobody.
  EXPECT_EQ(CallEmpty("GetStoreConfig", "not-a-token-of-this-server-at-all")
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ReadOnlyTokenE2ETest, AllowedOnEachReadMethod) {
  // Written with the full token: a store configuration, and a SKU coming
  // back in stock for a subscriber (an event and a notification job).
  v1::PutStoreConfigRequest config;
  config.mutable_config()->set_stock_id(1);
  config.mutable_config()->set_handling_days(3);
  ASSERT_TRUE(full_->PutStoreConfig(config).ok());
  v1::UpsertRecordsRequest upsert;
  v1::InventoryRecord* r = upsert.add_records();
  r->set_sku("24-MB01");
  r->set_stock_id(1);
  r->set_version(1);
  r->set_source_quantity(5);
  absl::StatusOr<v1::UpsertRecordsResponse> written =
      full_->UpsertRecords(upsert);
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_EQ(written->applied(), 1);

  // GetStoreConfig.
  v1::GetStoreConfigRequest get;
  get.set_stock_id(1);
  absl::StatusOr<v1::StoreConfig> got = read_->GetStoreConfig(get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->handling_days(), 3);

  // TailEvents, from the oldest event kept.
  v1::TailEventsRequest tail;
  tail.set_stock_id(1);
  tail.set_after_id("0");
  std::string first_sku;
  absl::Status tailed = read_->TailEvents(tail, absl::Seconds(10),
                                          [&](const v1::InventoryEvent& event) {
                                            first_sku = event.sku();
                                            return false;
                                          });
  ASSERT_TRUE(tailed.ok()) << tailed;
  EXPECT_EQ(first_sku, "24-MB01");

  // ClaimNotificationJobs and AckNotificationJobs (none queued: no
  // subscriber; the calls are what is allowed).
  v1::ClaimNotificationJobsRequest claim;
  claim.set_stock_id(1);
  claim.set_consumer("dashboard");
  claim.set_max_jobs(10);
  claim.mutable_lease()->set_seconds(60);
  absl::StatusOr<v1::ClaimNotificationJobsResponse> claimed =
      read_->ClaimNotificationJobs(claim);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_EQ(claimed->jobs_size(), 0);
  v1::AckNotificationJobsRequest ack;
  ack.set_stock_id(1);
  ack.add_ids("1-0");
  absl::StatusOr<v1::AckNotificationJobsResponse> acked =
      read_->AckNotificationJobs(ack);
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ(acked->acknowledged(), 0);

  // And the write it may not do left the configuration as it was.
  config.mutable_config()->set_handling_days(9);
  absl::Status refused = read_->PutStoreConfig(config);
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied) << refused;
  got = full_->GetStoreConfig(get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->handling_days(), 3);
}

TEST_F(ReadOnlyTokenE2ETest, TheServerNeverLogsEitherToken) {
  v1::GetStoreConfigRequest get;
  get.set_stock_id(1);
  ASSERT_TRUE(read_->GetStoreConfig(get).ok());
  v1::PutSalesChannelsRequest channels;
  (*channels.mutable_channels())["base"] = 1;
  EXPECT_FALSE(read_->PutSalesChannels(channels).ok());
  const std::string log = server_->Stderr();
  EXPECT_THAT(log, Not(HasSubstr(kToken)));
  EXPECT_THAT(log, Not(HasSubstr(kReadToken)));
}

}  // namespace
}  // namespace availability
