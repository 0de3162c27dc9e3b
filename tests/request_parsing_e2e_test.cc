// End-to-end tests of requests gRPC cannot parse (a string field that is
// not valid UTF-8, bytes that are no message): the real availability-server
// with its storefront and sync listeners, a real redis-server, requests sent
// as raw bytes with grpc::GenericStub.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "availability/v1/inventory_sync.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/server_process.h"
#include "testing/server_test.h"

namespace availability {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
namespace v1 = ::availability::v1;

constexpr char kToken[] = "e2e-parsing-token-0123456789";
constexpr char kStorefront[] = "/availability.v1.Availability/";
constexpr char kSync[] = "/availability.v1.InventorySync/";

// Serializes `message`, then turns each 4-byte marker "BAD0".."BAD9" into 4
// bytes that are not valid UTF-8 (same length: no size prefix moves). A
// client library cannot send these; a buggy or hostile client can.
std::string WithInvalidUtf8(const google::protobuf::Message& message) {
  std::string bytes = message.SerializeAsString();
  for (int i = 0; i < 10; ++i) {
    absl::StrReplaceAll(
        {{absl::StrCat("BAD", i), absl::StrCat("\xff\xfe", i, "\xc0")}},
        &bytes);
  }
  return bytes;
}

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

v1::InventoryRecord Record(const std::string& sku, int64_t version = 1) {
  v1::InventoryRecord r;
  r.set_sku(sku);
  r.set_stock_id(1);
  r.set_version(version);
  r.set_source_quantity(10);
  return r;
}

class RequestParsingE2ETest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartRedisAndServer(WithSync(kToken)));
    channel_ = server_->Channel();
    sync_channel_ = server_->SyncChannel();
    stub_ = v1::Availability::NewStub(channel_);
    sync_stub_ = v1::InventorySync::NewStub(sync_channel_);
    // Known SKUs for the storefront checks, written through the sync API.
    v1::UpsertRecordsRequest load;
    *load.add_records() = Record("KNOWN-A");
    *load.add_records() = Record("KNOWN-C");
    v1::UpsertRecordsResponse loaded;
    grpc::ClientContext context;
    Authorize(context);
    grpc::Status s = sync_stub_->UpsertRecords(&context, load, &loaded);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(loaded.applied(), 2);
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    // protobuf's own complaints never reach the server's log as text lines:
    // they go through its JSON log (at debug for a client's bad string).
    const std::string log = server_->Stderr();
    EXPECT_THAT(log, Not(HasSubstr("libprotobuf")));
  }

  static void Authorize(grpc::ClientContext& context) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  }

  // A unary call with raw request bytes; the response bytes in `response`.
  grpc::Status RawUnary(const std::shared_ptr<grpc::Channel>& channel,
                        const std::string& method, const std::string& request,
                        std::string* response, bool authorize = true) {
    grpc::GenericStub stub(channel);
    grpc::ClientContext context;
    if (authorize) {
      Authorize(context);
    } else {
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    }
    grpc::ByteBuffer in = Buffer(request);
    grpc::ByteBuffer out;
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &in, &out,
                   [&](grpc::Status s) {
                     status = std::move(s);
                     done.Notify();
                   });
    done.WaitForNotification();
    if (response != nullptr) *response = Bytes(out);
    return status;
  }

  grpc::Status Storefront(const std::string& method, const std::string& request,
                          std::string* response = nullptr) {
    return RawUnary(channel_, kStorefront + method, request, response,
                    /*authorize=*/false);
  }
  grpc::Status Sync(const std::string& method, const std::string& request,
                    std::string* response = nullptr) {
    return RawUnary(sync_channel_, kSync + method, request, response);
  }

  // A stream of raw messages to StreamUpsertRecords (each sent once the
  // previous one is on its way; a send the server no longer reads fails
  // quietly), then its status.
  grpc::Status RawStream(const std::vector<std::string>& messages,
                         v1::UpsertRecordsResponse* response) {
    grpc::GenericStub stub(sync_channel_);
    grpc::ClientContext context;
    Authorize(context);
    grpc::CompletionQueue cq;
    auto call = stub.PrepareCall(
        &context, absl::StrCat(kSync, "StreamUpsertRecords"), &cq);
    auto next = [&cq] {
      void* tag;
      bool ok = false;
      EXPECT_TRUE(cq.Next(&tag, &ok));
      return ok;
    };
    call->StartCall(reinterpret_cast<void*>(1));
    next();
    for (const std::string& m : messages) {
      grpc::ByteBuffer buffer = Buffer(m);
      call->Write(buffer, reinterpret_cast<void*>(2));
      if (!next()) break;
    }
    call->WritesDone(reinterpret_cast<void*>(3));
    next();
    grpc::ByteBuffer out;
    call->Read(&out, reinterpret_cast<void*>(4));
    if (next()) response->ParseFromString(Bytes(out));
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(5));
    next();
    cq.Shutdown();
    void* tag;
    bool ok;
    while (cq.Next(&tag, &ok)) {
    }
    return status;
  }

  // NOT_FOUND when the SKU is not stored on stock 1.
  grpc::Status Lookup(const std::string& sku) {
    v1::GetAvailabilityRequest request;
    request.set_sku(sku);
    request.mutable_scope()->set_stock_id(1);
    v1::ProductAvailability answer;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    return stub_->GetAvailability(&context, request, &answer);
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<grpc::Channel> sync_channel_;
  std::unique_ptr<v1::Availability::Stub> stub_;
  std::unique_ptr<v1::InventorySync::Stub> sync_stub_;
};

TEST_F(RequestParsingE2ETest, GetWithInvalidUtf8SkuNamesTheField) {
  v1::GetAvailabilityRequest request;
  request.set_sku("BAD0");
  request.mutable_scope()->set_stock_id(1);
  grpc::Status s = Storefront("GetAvailability", WithInvalidUtf8(request));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "sku: not valid UTF-8");

  // The same request, valid: answered (the raw path serves it normally).
  request.set_sku("KNOWN-A");
  std::string bytes;
  s = Storefront("GetAvailability", request.SerializeAsString(), &bytes);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::ProductAvailability answer;
  ASSERT_TRUE(answer.ParseFromString(bytes));
  EXPECT_EQ(answer.sku(), "KNOWN-A");
  EXPECT_EQ(answer.status(), v1::STATUS_IN_STOCK);
}

TEST_F(RequestParsingE2ETest, BytesThatAreNoMessageAreInvalidArgument) {
  grpc::Status s = Storefront("GetAvailability", "\x0a\x7f not protobuf");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "request: not a valid availability.v1.GetAvailabilityRequest "
            "message");
}

TEST_F(RequestParsingE2ETest, BatchAnswersABadItemOnItsOwn) {
  v1::BatchGetAvailabilityRequest request;
  request.mutable_scope()->set_stock_id(1);
  request.add_items()->set_sku("KNOWN-A");
  request.add_items()->set_sku("BAD0");
  request.add_items()->set_sku("KNOWN-C");
  std::string bytes;
  grpc::Status s =
      Storefront("BatchGetAvailability", WithInvalidUtf8(request), &bytes);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::BatchGetAvailabilityResponse response;
  ASSERT_TRUE(response.ParseFromString(bytes));
  ASSERT_EQ(response.items_size(), 3);
  EXPECT_EQ(response.items(0).sku(), "KNOWN-A");
  EXPECT_EQ(response.items(0).status(), v1::STATUS_IN_STOCK);
  EXPECT_FALSE(response.items(0).has_error());
  EXPECT_EQ(response.items(1).error().code(), 3);
  EXPECT_EQ(response.items(1).error().message(),
            "items[1].sku: not valid UTF-8");
  EXPECT_EQ(response.items(1).sku(), "");
  EXPECT_EQ(response.items(1).status(), v1::STATUS_UNSPECIFIED);
  EXPECT_EQ(response.items(2).sku(), "KNOWN-C");
  EXPECT_EQ(response.items(2).status(), v1::STATUS_IN_STOCK);

  // Every item bad: answered without a lookup, still one answer per item.
  v1::BatchGetAvailabilityRequest only_bad;
  only_bad.mutable_scope()->set_stock_id(1);
  only_bad.add_items()->set_sku("BAD0");
  s = Storefront("BatchGetAvailability", WithInvalidUtf8(only_bad), &bytes);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(response.ParseFromString(bytes));
  ASSERT_EQ(response.items_size(), 1);
  EXPECT_EQ(response.items(0).error().message(),
            "items[0].sku: not valid UTF-8");

  // The batch's other rules still hold, with the request's indices.
  request.mutable_items(2)->set_quantity(-1);
  s = Storefront("BatchGetAvailability", WithInvalidUtf8(request));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "items[2].quantity: negative");

  // A bad scope still fails the whole batch, naming it.
  request.mutable_scope()->set_sales_channel("BAD1");
  s = Storefront("BatchGetAvailability", WithInvalidUtf8(request));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "scope.sales_channel: not valid UTF-8");
}

TEST_F(RequestParsingE2ETest, OtherStorefrontMethodsNameTheField) {
  v1::WatchAvailabilityRequest watch;
  watch.add_skus("KNOWN-A");
  watch.add_skus("BAD0");
  watch.mutable_scope()->set_stock_id(1);
  {
    // A server stream: read until the status.
    grpc::GenericStub stub(channel_);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    grpc::CompletionQueue cq;
    auto call = stub.PrepareCall(
        &context, absl::StrCat(kStorefront, "WatchAvailability"), &cq);
    void* tag;
    bool ok;
    call->StartCall(reinterpret_cast<void*>(1));
    ASSERT_TRUE(cq.Next(&tag, &ok));
    grpc::ByteBuffer in = Buffer(WithInvalidUtf8(watch));
    call->WriteLast(in, grpc::WriteOptions(), reinterpret_cast<void*>(2));
    ASSERT_TRUE(cq.Next(&tag, &ok));
    grpc::ByteBuffer out;
    call->Read(&out, reinterpret_cast<void*>(3));
    ASSERT_TRUE(cq.Next(&tag, &ok));
    EXPECT_FALSE(ok) << "no answer before the error";
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(4));
    ASSERT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(status.error_message(), "skus[1]: not valid UTF-8");
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
  }
  v1::BackInStockSubscription sub;
  sub.set_sku("KNOWN-A");
  sub.mutable_scope()->set_stock_id(1);
  sub.set_subscriber_id("BAD0");
  for (const char* method :
       {"SubscribeBackInStock", "UnsubscribeBackInStock"}) {
    grpc::Status s = Storefront(method, WithInvalidUtf8(sub));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method;
    EXPECT_EQ(s.error_message(), "subscriber_id: not valid UTF-8") << method;
  }
}

TEST_F(RequestParsingE2ETest, UpsertRejectsOnlyTheBadRecord) {
  v1::UpsertRecordsRequest request;
  *request.add_records() = Record("GOOD-0");
  *request.add_records() = Record("HALF-1");
  request.mutable_records(1)->add_alternatives()->set_sku("BAD0");
  request.mutable_records(1)->mutable_alternatives(0)->set_relation(
      v1::RELATION_SUBSTITUTE);
  *request.add_records() = Record("BAD1");
  *request.add_records() = Record("GOOD-3");
  std::string bytes;
  grpc::Status s = Sync("UpsertRecords", WithInvalidUtf8(request), &bytes);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::UpsertRecordsResponse response;
  ASSERT_TRUE(response.ParseFromString(bytes));
  EXPECT_EQ(response.applied(), 2);
  EXPECT_EQ(response.rejected(), 2);
  ASSERT_EQ(response.outcomes_size(), 4);
  EXPECT_EQ(response.outcomes(0).result(), v1::RecordOutcome::RESULT_APPLIED);
  EXPECT_EQ(response.outcomes(1).result(), v1::RecordOutcome::RESULT_REJECTED);
  EXPECT_EQ(response.outcomes(1).sku(), "HALF-1");
  EXPECT_EQ(response.outcomes(1).error(),
            "records[1].alternatives[0].sku: not valid UTF-8");
  EXPECT_EQ(response.outcomes(2).result(), v1::RecordOutcome::RESULT_REJECTED);
  EXPECT_EQ(response.outcomes(2).error(), "records[2].sku: not valid UTF-8");
  EXPECT_EQ(response.outcomes(3).result(), v1::RecordOutcome::RESULT_APPLIED);

  // Read back: the good ones are stored, the rejected one is not.
  EXPECT_TRUE(Lookup("GOOD-0").ok());
  EXPECT_TRUE(Lookup("GOOD-3").ok());
  EXPECT_EQ(Lookup("HALF-1").error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RequestParsingE2ETest, DeleteRejectsOnlyTheBadKey) {
  v1::DeleteRecordsRequest request;
  for (const char* sku : {"KNOWN-A", "BAD0"}) {
    v1::RecordKey* key = request.add_keys();
    key->set_sku(sku);
    key->set_stock_id(1);
    key->set_version(5);
  }
  std::string bytes;
  grpc::Status s = Sync("DeleteRecords", WithInvalidUtf8(request), &bytes);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::DeleteRecordsResponse response;
  ASSERT_TRUE(response.ParseFromString(bytes));
  ASSERT_EQ(response.outcomes_size(), 2);
  EXPECT_EQ(response.outcomes(0).result(), v1::RecordOutcome::RESULT_APPLIED);
  EXPECT_EQ(response.outcomes(1).result(), v1::RecordOutcome::RESULT_REJECTED);
  EXPECT_EQ(response.outcomes(1).error(), "keys[1].sku: not valid UTF-8");
  EXPECT_EQ(Lookup("KNOWN-A").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Lookup("KNOWN-C").ok());
}

TEST_F(RequestParsingE2ETest, StreamFailsAtABadMessageAndWritesNothingAfter) {
  auto message = [](std::vector<std::string> skus) {
    v1::UpsertRecordsRequest m;
    for (const std::string& sku : skus) *m.add_records() = Record(sku);
    return WithInvalidUtf8(m);
  };
  v1::UpsertRecordsResponse response;
  grpc::Status s = RawStream(
      {message({"S1-A", "S1-B"}), message({"S2-A", "BAD0"}), message({"S3-A"})},
      &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(),
              StartsWith("message 2: records[1].sku: not valid UTF-8"));
  // The first message was written; nothing of the bad one or after it.
  EXPECT_TRUE(Lookup("S1-A").ok());
  EXPECT_TRUE(Lookup("S1-B").ok());
  EXPECT_EQ(Lookup("S2-A").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Lookup("S3-A").error_code(), grpc::StatusCode::NOT_FOUND);

  // Bytes that are no message end the stream the same way, never as OK.
  s = RawStream({message({"S4-A"}), "\x0a\x7f not protobuf"}, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(),
              StartsWith("message 2: request: not a valid "
                         "availability.v1.UpsertRecordsRequest message"));
}

TEST_F(RequestParsingE2ETest, OtherSyncMethodsNameTheField) {
  struct Case {
    std::string method;
    std::string bytes;
    std::string error;
  };
  std::vector<Case> cases;
  {
    v1::FinishSnapshotRequest r;
    r.set_stock_id(1);
    r.set_snapshot_id("BAD0");
    cases.push_back(
        {"FinishSnapshot", WithInvalidUtf8(r), "snapshot_id: not valid UTF-8"});
  }
  {
    v1::PutStoreConfigRequest r;
    r.mutable_config()->set_stock_id(1);
    r.mutable_config()->set_time_zone("BAD0");
    cases.push_back({"PutStoreConfig", WithInvalidUtf8(r),
                     "config.time_zone: not valid UTF-8"});
  }
  {
    v1::PutSalesChannelsRequest r;
    (*r.mutable_channels())["BAD0"] = 1;
    cases.push_back({"PutSalesChannels", WithInvalidUtf8(r),
                     "channels[0].key: not valid UTF-8"});
  }
  {
    v1::PutCategoryRankingRequest r;
    r.set_stock_id(1);
    r.set_category_id(10);
    r.add_skus("KNOWN-A");
    r.add_skus("BAD0");
    cases.push_back(
        {"PutCategoryRanking", WithInvalidUtf8(r), "skus[1]: not valid UTF-8"});
  }
  {
    v1::UpsertRecordsRequest r;
    *r.add_records() = Record("FINE");
    r.set_snapshot_id("BAD0");
    cases.push_back(
        {"UpsertRecords", WithInvalidUtf8(r), "snapshot_id: not valid UTF-8"});
  }
  for (const Case& c : cases) {
    grpc::Status s = Sync(c.method, c.bytes);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.method;
    EXPECT_EQ(s.error_message(), c.error) << c.method;
  }
  EXPECT_EQ(Lookup("FINE").error_code(), grpc::StatusCode::NOT_FOUND);

  // Without the token the answer is UNAUTHENTICATED, bad bytes or not.
  grpc::Status s =
      RawUnary(sync_channel_, absl::StrCat(kSync, "FinishSnapshot"),
               cases[0].bytes, nullptr, /*authorize=*/false);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(RequestParsingE2ETest, TailEventsNamesTheField) {
  v1::TailEventsRequest request;
  request.set_stock_id(1);
  request.set_after_id("BAD0");
  grpc::GenericStub stub(sync_channel_);
  grpc::ClientContext context;
  Authorize(context);
  grpc::CompletionQueue cq;
  auto call =
      stub.PrepareCall(&context, absl::StrCat(kSync, "TailEvents"), &cq);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  grpc::ByteBuffer in = Buffer(WithInvalidUtf8(request));
  call->WriteLast(in, grpc::WriteOptions(), reinterpret_cast<void*>(2));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(3));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "after_id: not valid UTF-8");
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

TEST_F(RequestParsingE2ETest, ProtobufMessagesJoinTheJsonLogAtDebug) {
  // Restart the server at debug level: protobuf's complaint about the bad
  // string is then a JSON line of its own.
  server_.reset();
  testing::ServerProcess::Options options;
  options.redis_port = redis_->port();
  options.flags = {"--log_level=debug"};
  auto server = testing::ServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  channel_ = server_->Channel();
  v1::GetAvailabilityRequest request;
  request.set_sku("BAD0");
  request.mutable_scope()->set_stock_id(1);
  grpc::Status s = Storefront("GetAvailability", WithInvalidUtf8(request));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bool found = false;
  for (absl::string_view line :
       absl::StrSplit(server_->Stderr(), '\n', absl::SkipEmpty())) {
    if (absl::StrContains(line, "\"msg\":\"protobuf\"")) {
      found = true;
      EXPECT_THAT(std::string(line), StartsWith("{\"ts\":"));
      EXPECT_THAT(std::string(line), HasSubstr("\"level\":\"debug\""));
      EXPECT_THAT(std::string(line),
                  HasSubstr("availability.v1.GetAvailabilityRequest.sku"));
    }
  }
  EXPECT_TRUE(found) << server_->Stderr();
}

}  // namespace
}  // namespace availability
