#include "server/inventory_sync_service.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "availability/v1/availability.pb.h"
#include "cache/record_codec.h"
#include "core/decision.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/sync_mapping.h"
#include "testing/fake_clock.h"
#include "testing/in_process_server.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/status_matchers.h"

namespace availability::server {
namespace {

namespace v1 = ::availability::v1;
using ::availability::testing::IsOk;
using ::availability::testing::RedisServer;
using ::availability::testing::StatusIs;
using ::availability::testing::SyncRedisClient;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kWait = absl::Seconds(20);
constexpr char kToken[] = "sync-token-0123456789abcdef";

v1::InventoryRecord ApiRecord(const std::string& sku, int64_t version,
                              double qty, int32_t stock = 1) {
  v1::InventoryRecord r;
  r.set_sku(sku);
  r.set_stock_id(stock);
  r.set_version(version);
  r.set_source_quantity(qty);
  return r;
}

class InventorySyncServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = RedisServer::Start();
    ASSERT_THAT(server, IsOk());
    redis_ = *std::move(server);
    auto client = SyncRedisClient::Connect(redis_->port(), kWait);
    ASSERT_THAT(client, IsOk());
    sync_client_ = *std::move(client);
    client_ = &sync_client_->client();
    cache::RecordWriter::Options wo;
    wo.events_max_len = 0;
    writer_ = std::make_unique<cache::RecordWriter>(*client_, keys_, wo);
    settings_ = std::make_unique<cache::CatalogSettingsWriter>(*client_, keys_);

    InventorySyncService::Options so;
    so.token = kToken;
    so.tail_poll_interval = absl::Milliseconds(20);
    ASSERT_THAT(InventorySyncService::ValidateOptions(so), IsOk());
    service_ = std::make_unique<InventorySyncService>(so, *writer_, *settings_,
                                                      *client_, clock_);
    auto grpc_server =
        ::availability::testing::InProcessServer::Start({service_.get()});
    ASSERT_THAT(grpc_server, IsOk());
    server_ = *std::move(grpc_server);
    stub_ = v1::InventorySync::NewStub(server_->Channel());
  }

  void TearDown() override {
    if (server_) server_->Stop(kWait);
  }

  // A context with a deadline and, unless empty, the given authorization.
  std::unique_ptr<grpc::ClientContext> Context(
      const std::string& authorization = absl::StrCat("Bearer ", kToken)) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + kWait));
    if (!authorization.empty()) {
      ctx->AddMetadata("authorization", authorization);
    }
    return ctx;
  }

  cache::RedisReply Command(std::vector<std::string> argv) {
    const absl::StatusOr<cache::RedisReply> reply =
        ::availability::testing::RunSync(*client_, std::move(argv), kWait);
    EXPECT_THAT(reply, IsOk());
    return reply.ok() ? *reply : cache::RedisReply();
  }

  int64_t KeyCount() { return Command({"DBSIZE"}).integer; }

  std::optional<core::Record> Stored(const std::string& sku,
                                     int32_t stock = 1) {
    cache::RedisReply r = Command({"GET", keys_.Record(stock, sku)});
    if (r.is_nil()) return std::nullopt;
    auto rec = cache::DecodeRecord(r.str, stock, sku);
    EXPECT_THAT(rec, IsOk());
    return rec.ok() ? std::optional<core::Record>(*rec) : std::nullopt;
  }

  std::vector<cache::TransitionEvent> Events(int32_t stock = 1) {
    cache::RedisReply r = Command({"XRANGE", keys_.Events(stock), "-", "+"});
    std::vector<cache::TransitionEvent> out;
    for (const auto& entry : r.elements) {
      auto e = cache::ParseTransitionEvent(entry);
      EXPECT_THAT(e, IsOk());
      if (e.ok()) out.push_back(*e);
    }
    return out;
  }

  grpc::Status Upsert(const v1::UpsertRecordsRequest& req,
                      v1::UpsertRecordsResponse* resp) {
    auto ctx = Context();
    return stub_->UpsertRecords(ctx.get(), req, resp);
  }

  // March 1st 2026, noon UTC; never moves.
  ::availability::testing::FakeClock clock_{absl::FromCivil(
      absl::CivilSecond(2026, 3, 1, 12, 0, 0), absl::UTCTimeZone())};
  cache::KeySchema keys_{"av"};
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<SyncRedisClient> sync_client_;
  cache::RedisClient* client_ = nullptr;
  std::unique_ptr<cache::RecordWriter> writer_;
  std::unique_ptr<cache::CatalogSettingsWriter> settings_;
  std::unique_ptr<InventorySyncService> service_;
  std::unique_ptr<::availability::testing::InProcessServer> server_;
  std::unique_ptr<v1::InventorySync::Stub> stub_;
};

TEST(InventorySyncServiceOptionsTest, RefusesToStartWithoutAToken) {
  InventorySyncService::Options o;
  EXPECT_THAT(InventorySyncService::ValidateOptions(o),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("token is not set")));
  o.token = "short-secret";
  EXPECT_THAT(InventorySyncService::ValidateOptions(o),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       Not(HasSubstr("short-secret"))));
  o.token = "the-secret-word with-32-bytes-ok";
  EXPECT_THAT(InventorySyncService::ValidateOptions(o),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       Not(HasSubstr("secret-word"))));
  o.token = kToken;
  EXPECT_THAT(InventorySyncService::ValidateOptions(o), IsOk());
}

TEST(InventorySyncServiceOptionsTest, ChecksTheReadOnlyToken) {
  InventorySyncService::Options o;
  o.token = kToken;
  o.read_token = "short-read";
  EXPECT_THAT(InventorySyncService::ValidateOptions(o),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("read-only token is too short"),
                             Not(HasSubstr("short-read")))));
  o.read_token = "read only token with spaces";
  EXPECT_THAT(InventorySyncService::ValidateOptions(o),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("read-only token holds whitespace")));
  o.read_token = kToken;
  EXPECT_THAT(InventorySyncService::ValidateOptions(o),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("equals the full token")));
  o.read_token = "read-only-token-0123456789";
  EXPECT_THAT(InventorySyncService::ValidateOptions(o), IsOk());
}

TEST(ConstantTimeEqualsTest, ComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abd", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("ab", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abcd", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "abc"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("abc\0", 4), "abc"));
}

TEST_F(InventorySyncServiceTest, WrongOrMissingTokenIsUnauthenticated) {
  v1::UpsertRecordsRequest req;
  *req.add_records() = ApiRecord("A", 1, 5);
  v1::DeleteRecordsRequest del;
  auto* key = del.add_keys();
  key->set_sku("A");
  key->set_stock_id(1);
  key->set_version(9);
  v1::PutStoreConfigRequest config;
  config.mutable_config()->set_stock_id(1);
  const int64_t keys_before = KeyCount();
  for (const std::string& auth :
       {std::string(""), std::string("Bearer wrong-token-0123456789abc"),
        absl::StrCat("Basic ", kToken), absl::StrCat("Bearer ", kToken, "x"),
        std::string("Bearer ")}) {
    SCOPED_TRACE(auth);
    v1::UpsertRecordsResponse resp;
    auto ctx = Context(auth);
    EXPECT_EQ(stub_->UpsertRecords(ctx.get(), req, &resp).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    v1::DeleteRecordsResponse dresp;
    ctx = Context(auth);
    EXPECT_EQ(stub_->DeleteRecords(ctx.get(), del, &dresp).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    v1::PutStoreConfigResponse cresp;
    ctx = Context(auth);
    EXPECT_EQ(stub_->PutStoreConfig(ctx.get(), config, &cresp).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    ctx = Context(auth);
    auto writer = stub_->StreamUpsertRecords(ctx.get(), &resp);
    writer->Write(req);
    writer->WritesDone();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
    ctx = Context(auth);
    v1::TailEventsRequest tail;
    tail.set_stock_id(1);
    auto reader = stub_->TailEvents(ctx.get(), tail);
    v1::InventoryEvent event;
    EXPECT_FALSE(reader->Read(&event));
    grpc::Status s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_THAT(s.error_message(), Not(HasSubstr(kToken)));
  }
  EXPECT_EQ(KeyCount(), keys_before);
  EXPECT_FALSE(Stored("A").has_value());
}

TEST_F(InventorySyncServiceTest, BadRecordsAreRejectedOneByOne) {
  v1::UpsertRecordsRequest req;
  *req.add_records() = ApiRecord("A", 1, 5);
  *req.add_records() = ApiRecord("B", 0, 5);  // version
  *req.add_records() = ApiRecord("C", 1, 5);
  v1::InventoryRecord bad_date = ApiRecord("D", 1, 0);
  for (int i = 0; i < 3; ++i) {
    auto* r = bad_date.add_inbound();
    r->mutable_date()->set_year(2026);
    r->mutable_date()->set_month(3);
    r->mutable_date()->set_day(i == 2 ? 32 : 5);
    r->set_quantity(1);
  }
  *req.add_records() = bad_date;
  v1::InventoryRecord min_qty = ApiRecord("E", 1, 0);
  min_qty.set_min_qty(-1);
  min_qty.set_backorders(v1::BACKORDERS_NO);
  *req.add_records() = min_qty;

  v1::UpsertRecordsResponse resp;
  ASSERT_TRUE(Upsert(req, &resp).ok());
  ASSERT_EQ(resp.outcomes_size(), 5);
  EXPECT_EQ(resp.applied(), 2);
  EXPECT_EQ(resp.rejected(), 3);
  EXPECT_EQ(resp.stale(), 0);
  EXPECT_EQ(resp.outcomes(0).result(), v1::RecordOutcome::RESULT_APPLIED);
  EXPECT_EQ(resp.outcomes(1).result(), v1::RecordOutcome::RESULT_REJECTED);
  EXPECT_EQ(resp.outcomes(1).error(), "records[1].version: must be >= 1");
  EXPECT_EQ(resp.outcomes(1).sku(), "B");
  EXPECT_EQ(resp.outcomes(2).result(), v1::RecordOutcome::RESULT_APPLIED);
  EXPECT_EQ(resp.outcomes(3).error(),
            "records[3].inbound[2].date: not a valid date");
  EXPECT_EQ(resp.outcomes(4).error(),
            "records[4].min_qty: negative requires backorders");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(resp.outcomes(i).index(), i);
  EXPECT_TRUE(Stored("A").has_value());
  EXPECT_FALSE(Stored("B").has_value());
  EXPECT_TRUE(Stored("C").has_value());
  EXPECT_FALSE(Stored("D").has_value());
}

TEST_F(InventorySyncServiceTest, BatchLimits) {
  v1::UpsertRecordsRequest req;
  v1::UpsertRecordsResponse resp;
  grpc::Status s = Upsert(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "records: 1..1000 per request, got 0");
  for (int i = 0; i < 1001; ++i) {
    *req.add_records() = ApiRecord(absl::StrCat("s", i), 1, 1);
  }
  s = Upsert(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "records: 1..1000 per request, got 1001 (split the batch)");
  req.mutable_records()->RemoveLast();
  req.set_snapshot_id("bad id");
  s = Upsert(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("snapshot_id"));
  req.clear_snapshot_id();
  ASSERT_TRUE(Upsert(req, &resp).ok());
  EXPECT_EQ(resp.applied(), 1000);
}

TEST_F(InventorySyncServiceTest, StaleWritesReportTheStoredVersion) {
  v1::UpsertRecordsRequest req;
  *req.add_records() = ApiRecord("A", 7, 5);
  v1::UpsertRecordsResponse resp;
  ASSERT_TRUE(Upsert(req, &resp).ok());
  EXPECT_EQ(resp.events_appended(), 1);  // appeared in stock
  const size_t events = Events().size();
  *req.mutable_records(0) = ApiRecord("A", 6, 0);
  *req.add_records() = ApiRecord("A", 7, 0);
  ASSERT_TRUE(Upsert(req, &resp).ok());
  EXPECT_EQ(resp.stale(), 2);
  EXPECT_EQ(resp.events_appended(), 0);
  EXPECT_EQ(resp.outcomes(0).result(), v1::RecordOutcome::RESULT_STALE);
  EXPECT_EQ(resp.outcomes(0).stored_version(), 7);
  EXPECT_EQ(Stored("A")->source_qty, core::QtyFromUnits(5));
  EXPECT_EQ(Events().size(), events);
}

TEST_F(InventorySyncServiceTest, UpsertCountsEventsAndNotificationsQueued) {
  Command({"HSET", keys_.Subscriptions(1, "A"), "alice", "1", "bob", "2"});
  v1::UpsertRecordsRequest req;
  *req.add_records() = ApiRecord("A", 1, 5);  // BACK_IN_STOCK, two jobs
  *req.add_records() = ApiRecord("B", 1, 0);  // OUT_OF_STOCK
  v1::UpsertRecordsResponse resp;
  ASSERT_TRUE(Upsert(req, &resp).ok());
  EXPECT_EQ(resp.applied(), 2);
  EXPECT_EQ(resp.events_appended(), 2);
  EXPECT_EQ(resp.notifications_queued(), 2);
  EXPECT_EQ(Events().size(), 2u);
}

// The cache fails on one stock of a delete: its keys are RESULT_FAILED with
// the mapped code, the other stock's are deleted.
TEST_F(InventorySyncServiceTest, DeleteReportsAFailedStockPerKey) {
  v1::UpsertRecordsRequest req;
  *req.add_records() = ApiRecord("A", 1, 5);
  v1::UpsertRecordsResponse resp;
  ASSERT_TRUE(Upsert(req, &resp).ok());
  Command({"SET", keys_.Events(2), "not a stream"});

  v1::DeleteRecordsRequest del;
  for (int32_t stock : {2, 1}) {
    auto* key = del.add_keys();
    key->set_sku("A");
    key->set_stock_id(stock);
    key->set_version(9);
  }
  v1::DeleteRecordsResponse dresp;
  auto ctx = Context();
  ASSERT_TRUE(stub_->DeleteRecords(ctx.get(), del, &dresp).ok());
  EXPECT_EQ(dresp.outcomes(0).result(), v1::RecordOutcome::RESULT_FAILED);
  EXPECT_EQ(dresp.outcomes(0).error(),
            absl::StrCat("FAILED_PRECONDITION: writing stock 2: redis error: "
                         "WRONGTYPE ",
                         keys_.Events(2),
                         " holds a string, expected a stream; nothing of "
                         "stock 2 was written"));
  EXPECT_EQ(dresp.outcomes(1).result(), v1::RecordOutcome::RESULT_APPLIED);
  EXPECT_EQ(dresp.events_appended(), 1);
  EXPECT_FALSE(Stored("A").has_value());
}

TEST_F(InventorySyncServiceTest, DeleteIsVersionedAndTombstoned) {
  v1::UpsertRecordsRequest req;
  *req.add_records() = ApiRecord("A", 3, 5);
  v1::UpsertRecordsResponse resp;
  ASSERT_TRUE(Upsert(req, &resp).ok());

  v1::DeleteRecordsRequest del;
  auto* key = del.add_keys();
  key->set_sku("A");
  key->set_stock_id(1);
  key->set_version(2);
  auto* bad = del.add_keys();
  bad->set_sku("");
  bad->set_stock_id(1);
  bad->set_version(2);
  v1::DeleteRecordsResponse dresp;
  auto ctx = Context();
  ASSERT_TRUE(stub_->DeleteRecords(ctx.get(), del, &dresp).ok());
  EXPECT_EQ(dresp.outcomes(0).result(), v1::RecordOutcome::RESULT_STALE);
  EXPECT_EQ(dresp.outcomes(0).stored_version(), 3);
  EXPECT_EQ(dresp.events_appended(), 0);
  EXPECT_EQ(dresp.outcomes(1).result(), v1::RecordOutcome::RESULT_REJECTED);
  EXPECT_EQ(dresp.outcomes(1).error(), "keys[1].sku: empty");

  del.mutable_keys(0)->set_version(4);
  del.mutable_keys()->RemoveLast();
  ctx = Context();
  ASSERT_TRUE(stub_->DeleteRecords(ctx.get(), del, &dresp).ok());
  EXPECT_EQ(dresp.outcomes(0).result(), v1::RecordOutcome::RESULT_APPLIED);
  EXPECT_EQ(dresp.events_appended(), 1);  // OUT_OF_STOCK
  EXPECT_FALSE(Stored("A").has_value());

  // The old upsert arriving late does not bring it back.
  ASSERT_TRUE(Upsert(req, &resp).ok());
  EXPECT_EQ(resp.outcomes(0).result(), v1::RecordOutcome::RESULT_STALE);
  EXPECT_EQ(resp.outcomes(0).stored_version(), 4);
  EXPECT_FALSE(Stored("A").has_value());
}

TEST_F(InventorySyncServiceTest, StreamUpsertCountsOverTheWholeStream) {
  auto ctx = Context();
  v1::UpsertRecordsResponse resp;
  auto writer = stub_->StreamUpsertRecords(ctx.get(), &resp);
  v1::UpsertRecordsRequest a;
  *a.add_records() = ApiRecord("A", 2, 1);
  *a.add_records() = ApiRecord("B", 1, 1);
  ASSERT_TRUE(writer->Write(a));
  v1::UpsertRecordsRequest b;
  *b.add_records() = ApiRecord("A", 1, 1);  // stale, index 2
  *b.add_records() = ApiRecord("", 1, 1);   // rejected, index 3
  *b.add_records() = ApiRecord("C", 1, 1);
  ASSERT_TRUE(writer->Write(b));
  ASSERT_TRUE(writer->WritesDone());
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(resp.applied(), 3);
  EXPECT_EQ(resp.stale(), 1);
  EXPECT_EQ(resp.rejected(), 1);
  EXPECT_EQ(resp.events_appended(), 3);  // A, B, C appeared in stock
  EXPECT_EQ(resp.notifications_queued(), 0);
  ASSERT_EQ(resp.outcomes_size(), 2);
  EXPECT_EQ(resp.outcomes(0).index(), 3);
  EXPECT_EQ(resp.outcomes(0).error(), "records[3].sku: empty");
  EXPECT_EQ(resp.outcomes(1).index(), 2);
  EXPECT_EQ(resp.outcomes(1).result(), v1::RecordOutcome::RESULT_STALE);
  EXPECT_EQ(resp.outcomes(1).stored_version(), 2);
  EXPECT_TRUE(Stored("C").has_value());
}

TEST_F(InventorySyncServiceTest, StreamUpsertStopsAtABadMessage) {
  auto ctx = Context();
  v1::UpsertRecordsResponse resp;
  auto writer = stub_->StreamUpsertRecords(ctx.get(), &resp);
  v1::UpsertRecordsRequest a;
  *a.add_records() = ApiRecord("A", 1, 1);
  writer->Write(a);
  writer->Write(v1::UpsertRecordsRequest());  // empty
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "message 2: records: 1..1000 per request, got 0; earlier "
            "messages were applied");
  EXPECT_TRUE(Stored("A").has_value());
}

TEST_F(InventorySyncServiceTest, SnapshotReconcilesThroughTheApi) {
  v1::UpsertRecordsRequest req;
  *req.add_records() = ApiRecord("A", 1, 1);
  *req.add_records() = ApiRecord("B", 1, 1);
  v1::UpsertRecordsResponse resp;
  ASSERT_TRUE(Upsert(req, &resp).ok());
  v1::UpsertRecordsRequest snap;
  snap.set_snapshot_id("nightly-1");
  *snap.add_records() = ApiRecord("A", 1, 1);
  ASSERT_TRUE(Upsert(snap, &resp).ok());

  v1::FinishSnapshotRequest finish;
  finish.set_stock_id(1);
  finish.set_snapshot_id("nightly-1");
  v1::FinishSnapshotResponse fresp;
  auto ctx = Context();
  ASSERT_TRUE(stub_->FinishSnapshot(ctx.get(), finish, &fresp).ok());
  EXPECT_EQ(fresp.deleted(), 1);
  EXPECT_EQ(fresp.kept(), 1);
  EXPECT_EQ(fresp.events_appended(), 1);
  EXPECT_TRUE(Stored("A").has_value());
  EXPECT_FALSE(Stored("B").has_value());

  ctx = Context();
  grpc::Status s = stub_->FinishSnapshot(ctx.get(), finish, &fresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("nightly-1"));
}

TEST_F(InventorySyncServiceTest, SnapshotMassDeleteGuardThroughTheApi) {
  v1::UpsertRecordsRequest req;
  *req.add_records() = ApiRecord("A", 1, 1);
  *req.add_records() = ApiRecord("B", 1, 1);
  v1::UpsertRecordsResponse resp;
  ASSERT_TRUE(Upsert(req, &resp).ok());
  v1::UpsertRecordsRequest snap;
  snap.set_snapshot_id("guarded");
  *snap.add_records() = ApiRecord("A", 1, 1);
  ASSERT_TRUE(Upsert(snap, &resp).ok());

  v1::FinishSnapshotRequest finish;
  finish.set_stock_id(1);
  finish.set_snapshot_id("guarded");
  v1::FinishSnapshotResponse fresp;
  finish.set_max_delete_fraction(1.5);
  auto ctx = Context();
  grpc::Status s = stub_->FinishSnapshot(ctx.get(), finish, &fresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(),
              HasSubstr("max_delete_fraction: must be 0..1"));

  finish.set_max_delete_fraction(0.4);
  ctx = Context();
  s = stub_->FinishSnapshot(ctx.get(), finish, &fresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(),
              HasSubstr("would delete 1 of 2 records of stock 1 (50 %), above "
                        "the limit of 40 %"));
  EXPECT_TRUE(Stored("B").has_value());

  finish.set_max_delete_fraction(0.5);
  ctx = Context();
  ASSERT_TRUE(stub_->FinishSnapshot(ctx.get(), finish, &fresp).ok());
  EXPECT_EQ(fresp.deleted(), 1);
  EXPECT_FALSE(Stored("B").has_value());
}

TEST_F(InventorySyncServiceTest, StoreConfigRoundTrips) {
  v1::GetStoreConfigRequest get;
  get.set_stock_id(4);
  v1::StoreConfig got;
  auto ctx = Context();
  ASSERT_TRUE(stub_->GetStoreConfig(ctx.get(), get, &got).ok());
  EXPECT_EQ(got.stock_id(), 4);
  EXPECT_EQ(got.max_sale_qty(), 10000);

  v1::PutStoreConfigRequest put;
  put.mutable_config()->set_stock_id(4);
  put.mutable_config()->set_time_zone("America/New_York");
  put.mutable_config()->set_handling_days(2);
  v1::PutStoreConfigResponse presp;
  ctx = Context();
  ASSERT_TRUE(stub_->PutStoreConfig(ctx.get(), put, &presp).ok());
  ctx = Context();
  ASSERT_TRUE(stub_->GetStoreConfig(ctx.get(), get, &got).ok());
  EXPECT_EQ(got.time_zone(), "America/New_York");
  EXPECT_EQ(got.handling_days(), 2);

  put.mutable_config()->set_time_zone("Nowhere/Land");
  ctx = Context();
  grpc::Status s = stub_->PutStoreConfig(ctx.get(), put, &presp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("config.time_zone"));
}

TEST_F(InventorySyncServiceTest, SalesChannelsAndRankings) {
  v1::PutSalesChannelsRequest channels;
  (*channels.mutable_channels())["base"] = 1;
  v1::PutSalesChannelsResponse cresp;
  auto ctx = Context();
  ASSERT_TRUE(stub_->PutSalesChannels(ctx.get(), channels, &cresp).ok());
  EXPECT_EQ(Command({"HGET", keys_.SalesChannels(), "base"}).str, "1");
  (*channels.mutable_channels())["bad"] = 0;
  ctx = Context();
  grpc::Status s = stub_->PutSalesChannels(ctx.get(), channels, &cresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "channels[\"bad\"]: stock id must be >= 1");

  v1::PutCategoryRankingRequest ranking;
  ranking.set_stock_id(1);
  ranking.set_category_id(5);
  ranking.add_skus("A");
  ranking.add_skus("B");
  v1::PutCategoryRankingResponse rresp;
  ctx = Context();
  ASSERT_TRUE(stub_->PutCategoryRanking(ctx.get(), ranking, &rresp).ok());
  EXPECT_EQ(Command({"LLEN", keys_.CategoryRanking(1, 5)}).integer, 2);
}

TEST_F(InventorySyncServiceTest, TailEventsStreamsPastAndNewEvents) {
  v1::UpsertRecordsRequest req;
  *req.add_records() = ApiRecord("A", 1, 5);
  v1::UpsertRecordsResponse resp;
  ASSERT_TRUE(Upsert(req, &resp).ok());

  auto ctx = Context();
  v1::TailEventsRequest tail;
  tail.set_stock_id(1);
  tail.set_after_id("0");
  auto reader = stub_->TailEvents(ctx.get(), tail);
  v1::InventoryEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.type(), v1::InventoryEvent::TYPE_BACK_IN_STOCK);
  EXPECT_EQ(event.sku(), "A");
  EXPECT_EQ(event.version(), 1);
  EXPECT_EQ(event.old_status(), v1::STATUS_UNKNOWN);
  EXPECT_EQ(event.new_status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(event.net_quantity(), 5);
  EXPECT_FALSE(event.has_first_ship_date());

  // A write after the tail started arrives on the open stream.
  v1::InventoryRecord back = ApiRecord("A", 2, 0);
  back.set_backorders(v1::BACKORDERS_YES);
  auto* receipt = back.add_inbound();
  receipt->mutable_date()->set_year(2026);
  receipt->mutable_date()->set_month(3);
  receipt->mutable_date()->set_day(9);
  receipt->set_quantity(10);
  *req.mutable_records(0) = back;
  ASSERT_TRUE(Upsert(req, &resp).ok());
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.type(), v1::InventoryEvent::TYPE_BACKORDER_STARTED);
  EXPECT_EQ(event.first_ship_date().day(), 9);
  ASSERT_TRUE(reader->Read(&event));  // net fell below notify_stock_qty
  EXPECT_EQ(event.type(), v1::InventoryEvent::TYPE_LOW_STOCK);
  EXPECT_EQ(event.version(), 2);
  const std::string last_id = event.id();

  ctx->TryCancel();
  while (reader->Read(&event)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // "" starts after the newest event: only the next write shows.
  auto ctx2 = Context();
  tail.set_after_id("");
  auto reader2 = stub_->TailEvents(ctx2.get(), tail);
  reader2->WaitForInitialMetadata();  // the start position is fixed
  *req.mutable_records(0) = ApiRecord("A", 3, 0);  // out of stock
  ASSERT_TRUE(Upsert(req, &resp).ok());
  ASSERT_TRUE(reader2->Read(&event));
  EXPECT_NE(event.id(), last_id);
  EXPECT_EQ(event.version(), 3);
  ctx2->TryCancel();
  while (reader2->Read(&event)) {
  }
  reader2->Finish();

  auto ctx3 = Context();
  tail.set_after_id(last_id);
  auto reader3 = stub_->TailEvents(ctx3.get(), tail);
  ASSERT_TRUE(reader3->Read(&event));
  EXPECT_EQ(event.type(), v1::InventoryEvent::TYPE_OUT_OF_STOCK);
  EXPECT_EQ(event.version(), 3);
  ctx3->TryCancel();
  while (reader3->Read(&event)) {
  }
  reader3->Finish();
}

TEST_F(InventorySyncServiceTest, TailEventsRejectsBadAfterId) {
  auto ctx = Context();
  v1::TailEventsRequest tail;
  tail.set_stock_id(1);
  tail.set_after_id("12-x");
  auto reader = stub_->TailEvents(ctx.get(), tail);
  v1::InventoryEvent event;
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(InventorySyncServiceTest, TailEndsWhenTheServerShutsDown) {
  auto ctx = Context();
  v1::TailEventsRequest tail;
  tail.set_stock_id(1);
  auto reader = stub_->TailEvents(ctx.get(), tail);
  server_->server().Shutdown(
      absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  v1::InventoryEvent event;
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_FALSE(reader->Finish().ok());
  server_.reset();
}

// Through gRPC: 4 concurrent clients send shuffled, duplicated versioned
// updates; the result equals in-order application and every SKU's events
// form a chain ending at its final status.
TEST_F(InventorySyncServiceTest, ConcurrentClientsConverge) {
  constexpr int kSkus = 100;
  constexpr int kVersions = 16;
  constexpr int kTotal = 2000;
  auto content = [](int sku, int64_t version) {
    std::mt19937 rng(static_cast<uint32_t>(sku * 977 + version));
    v1::InventoryRecord r =
        ApiRecord(absl::StrCat("sku-", sku), version, rng() % 3);
    if (rng() % 3 == 0) r.set_backorders(v1::BACKORDERS_YES);
    return r;
  };
  std::vector<std::pair<int, int64_t>> updates;
  for (int s = 0; s < kSkus; ++s) {
    for (int v = 1; v <= kVersions; ++v) updates.emplace_back(s, v);
  }
  std::mt19937 rng(7);
  while (static_cast<int>(updates.size()) < kTotal) {
    updates.push_back(updates[rng() % (kSkus * kVersions)]);
  }
  std::shuffle(updates.begin(), updates.end(), rng);

  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      v1::UpsertRecordsRequest req;
      auto flush = [&] {
        v1::UpsertRecordsResponse resp;
        if (!Upsert(req, &resp).ok() || resp.rejected() != 0) ++failures;
        req.clear_records();
      };
      for (size_t i = t; i < updates.size(); i += 4) {
        *req.add_records() = content(updates[i].first, updates[i].second);
        if (req.records_size() == 25) flush();
      }
      if (req.records_size() > 0) flush();
    });
  }
  for (auto& c : clients) c.join();
  ASSERT_EQ(failures.load(), 0);

  core::StoreConfig config;
  config.stock_id = 1;
  const absl::CivilDay today = core::StoreToday(config, clock_.Now());
  std::map<std::string, std::vector<cache::TransitionEvent>> by_sku;
  for (auto& e : Events()) {
    if (e.type != "LOW_STOCK") by_sku[e.sku].push_back(e);
  }
  for (int s = 0; s < kSkus; ++s) {
    auto expected = RecordFromApi(content(s, kVersions));
    ASSERT_THAT(expected, IsOk());
    auto stored = Stored(expected->sku);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(*stored, *expected);
    int status = cache::kSummaryUnknown;
    int64_t eta = -1;
    for (const auto& e : by_sku[expected->sku]) {
      EXPECT_EQ(e.old_status, status) << expected->sku;
      EXPECT_TRUE(e.new_status != status || e.eta_days != eta);
      status = e.new_status;
      eta = e.eta_days;
    }
    EXPECT_EQ(status, cache::SummarizeRecord(*expected, config, today).status);
  }
}

}  // namespace
}  // namespace availability::server
