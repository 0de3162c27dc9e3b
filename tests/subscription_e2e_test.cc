// Back-in-stock subscriptions a hostile client cannot flood (issue 13),
// through the real binary on a real Redis: only SKUs the cache holds, caps
// per subscriber and per SKU, an expiry after which a subscription is gone
// and queues no job, and subscriber ids proven by the storefront's HMAC
// (anonymous subscriptions only with --allow_anonymous_subscriptions).

#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "availability/v1/inventory_sync.pb.h"
#include "client/availability_client.h"
#include "core/record.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/subscriber_proof.h"
#include "testing/eventually.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/server_process.h"
#include "testing/server_test.h"

namespace availability {
namespace {

namespace v1 = ::availability::v1;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "e2e-subscriptions-token-0123456789";
constexpr char kSecret[] = "storefront-shared-subscription-secret-42";

class SubscriptionE2ETest : public testing::ServerTest {
 protected:
  // Redis, then the server with a sync listener and `flags`.
  void Start(std::vector<std::string> flags,
             std::vector<std::string> env = {}) {
    testing::ServerProcess::Options options = WithSync(kToken);
    options.flags = std::move(flags);
    options.env = std::move(env);
    ASSERT_NO_FATAL_FAILURE(StartRedisAndServer(std::move(options)));
    stub_ = server_->NewStub();
    sync_ = server_->NewSyncClient();
    auto redis = testing::SyncRedisClient::Connect(redis_->port());
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_client_ = *std::move(redis);
  }

  // Writes records for `skus` on `stock` through the sync API; returns the
  // notification jobs the write queued (-1 and a test failure on error).
  int64_t Upsert(const std::vector<std::string>& skus, int32_t stock,
                 int64_t version, double quantity) {
    v1::UpsertRecordsRequest upsert;
    for (const std::string& sku : skus) {
      v1::InventoryRecord* r = upsert.add_records();
      r->set_sku(sku);
      r->set_stock_id(stock);
      r->set_version(version);
      r->set_source_quantity(quantity);
    }
    absl::StatusOr<v1::UpsertRecordsResponse> written =
        sync_->UpsertRecords(upsert);
    EXPECT_TRUE(written.ok()) << written.status();
    return written.ok() ? written->notifications_queued() : -1;
  }

  // Sold-out records for `skus` (so they can be subscribed).
  void Known(const std::vector<std::string>& skus, int32_t stock = 1,
             int64_t version = 1) {
    ASSERT_GE(Upsert(skus, stock, version, 0), 0);
  }

  // Jobs queued by bringing `sku` on stock 1 back in stock at `version`.
  int64_t BackInStock(const std::string& sku, int64_t version) {
    return Upsert({sku}, 1, version, 5);
  }

  static v1::BackInStockSubscription Subscription(const std::string& sku,
                                                  const std::string& who,
                                                  std::string proof = "",
                                                  int32_t stock = 1) {
    v1::BackInStockSubscription s;
    s.set_sku(sku);
    s.mutable_scope()->set_stock_id(stock);
    s.set_subscriber_id(who);
    s.set_subscriber_proof(std::move(proof));
    return s;
  }

  grpc::Status Subscribe(const v1::BackInStockSubscription& s,
                         bool* created = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::SubscribeBackInStockResponse response;
    grpc::Status status = stub_->SubscribeBackInStock(&context, s, &response);
    if (created != nullptr) *created = response.created();
    return status;
  }

  grpc::Status Unsubscribe(const v1::BackInStockSubscription& s,
                           bool* removed = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::UnsubscribeBackInStockResponse response;
    grpc::Status status = stub_->UnsubscribeBackInStock(&context, s, &response);
    if (removed != nullptr) *removed = response.removed();
    return status;
  }

  int64_t KeysInRedis() { return redis_client_->Expect({"DBSIZE"}).integer; }

  std::unique_ptr<v1::Availability::Stub> stub_;
  std::unique_ptr<av::client::SyncClient> sync_;
  std::unique_ptr<testing::SyncRedisClient> redis_client_;
};

// The finding of issue 13: one anonymous client made 20,000 permanent
// subscription keys in 2.7 s. Now one subscriber stops at the default cap
// (100 per stock), made-up SKUs are refused, and the keys stay bounded.
TEST_F(SubscriptionE2ETest, FloodFromOneSubscriberIsRefusedPastTheCap) {
  ASSERT_NO_FATAL_FAILURE(Start({"--allow_anonymous_subscriptions"}));
  constexpr int kSkus = 120;
  std::vector<std::string> skus;
  for (int i = 0; i < kSkus; ++i) skus.push_back(absl::StrCat("SKU-", i));
  ASSERT_NO_FATAL_FAILURE(Known(skus));
  const int64_t keys_before = KeysInRedis();

  int created = 0, refused = 0;
  for (const std::string& sku : skus) {
    grpc::Status s = Subscribe(Subscription(sku, "mallory"));
    if (s.ok()) {
      ++created;
    } else {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
      EXPECT_THAT(s.error_message(),
                  HasSubstr("(100, --subscription_max_per_subscriber)"));
      ++refused;
    }
  }
  EXPECT_EQ(created, 100);
  EXPECT_EQ(refused, kSkus - 100);
  // 100 subscription hashes and one subscriber index, nothing more.
  EXPECT_EQ(KeysInRedis(), keys_before + 101);

  // Made-up SKUs under made-up subscriber ids: every one refused, no key.
  constexpr int kFlood = 2000;
  const absl::Time start = absl::Now();
  int not_found = 0;
  for (int i = 0; i < kFlood; ++i) {
    grpc::Status s = Subscribe(
        Subscription(absl::StrCat("MADE-UP-", i), absl::StrCat("bot-", i)));
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) ++not_found;
  }
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(not_found, kFlood);
  EXPECT_EQ(KeysInRedis(), keys_before + 101);
  std::cout << kFlood << " subscriptions to made-up SKUs refused in " << took
            << ", keys added: " << KeysInRedis() - keys_before << "\n";

  // Unknown answers name the SKU and the stock; a known SKU is unknown on
  // another stock.
  grpc::Status s = Subscribe(Subscription("NOPE", "alice"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("sku: \"NOPE\" is not known on "
                                           "stock 1"));
  s = Subscribe(Subscription("SKU-1", "alice", "", /*stock=*/7));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("not known on stock 7"));

  // Withdrawing one frees one place.
  bool removed = false;
  ASSERT_TRUE(Unsubscribe(Subscription("SKU-0", "mallory"), &removed).ok());
  EXPECT_TRUE(removed);
  bool made = false;
  ASSERT_TRUE(Subscribe(Subscription("SKU-119", "mallory"), &made).ok());
  EXPECT_TRUE(made);
  EXPECT_EQ(Subscribe(Subscription("SKU-118", "mallory")).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(SubscriptionE2ETest, PerSkuCapRefusesTheNextSubscriber) {
  ASSERT_NO_FATAL_FAILURE(Start(
      {"--allow_anonymous_subscriptions", "--subscription_max_per_sku=3"}));
  ASSERT_NO_FATAL_FAILURE(Known({"HOT", "OTHER"}));
  for (const char* who : {"a", "b", "c"}) {
    ASSERT_TRUE(Subscribe(Subscription("HOT", who)).ok()) << who;
  }
  grpc::Status s = Subscribe(Subscription("HOT", "d"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(),
              HasSubstr("sku \"HOT\" on stock 1 already has the most open "
                        "back-in-stock subscriptions allowed (3, "
                        "--subscription_max_per_sku)"));
  EXPECT_TRUE(Subscribe(Subscription("OTHER", "d")).ok());
  // The per-SKU count is the hash's length (docs/architecture.md, keys).
  EXPECT_EQ(redis_client_->Expect({"HLEN", "av:{1}:sub:HOT"}).integer, 3);
  EXPECT_EQ(BackInStock("HOT", 2), 3);
}

TEST_F(SubscriptionE2ETest, ExpiredSubscriptionIsGoneAndQueuesNoJob) {
  ASSERT_NO_FATAL_FAILURE(
      Start({"--allow_anonymous_subscriptions", "--subscription_expiry=2s"}));
  ASSERT_NO_FATAL_FAILURE(Known({"LATER"}));
  bool created = false;
  ASSERT_TRUE(Subscribe(Subscription("LATER", "alice"), &created).ok());
  ASSERT_TRUE(created);
  EXPECT_EQ(redis_client_->Expect({"EXISTS", "av:{1}:sub:LATER"}).integer, 1);

  // Gone from Redis once expired (both keys), within a bounded wait.
  EXPECT_TRUE(testing::Eventually(
      [&] {
        return redis_client_
                   ->Expect({"EXISTS", "av:{1}:sub:LATER",
                             "av:{1}:subscriber:alice"})
                   .integer == 0;
      },
      absl::Seconds(6), absl::Milliseconds(50)));
  EXPECT_EQ(BackInStock("LATER", 2), 0);

  // A subscription still open is notified.
  ASSERT_NO_FATAL_FAILURE(Known({"LATER"}, 1, 3));
  ASSERT_TRUE(Subscribe(Subscription("LATER", "bob")).ok());
  EXPECT_EQ(BackInStock("LATER", 4), 1);
}

TEST_F(SubscriptionE2ETest, AnonymousSubscriptionsAreOffByDefault) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  ASSERT_NO_FATAL_FAILURE(Known({"A"}));
  grpc::Status s = Subscribe(Subscription("A", "alice"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("subscriber_proof: missing"));
  EXPECT_EQ(Unsubscribe(Subscription("A", "alice")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(redis_client_->Expect({"EXISTS", "av:{1}:sub:A"}).integer, 0);
}

// The secret from a file (--subscription_secret_file); the proof is
// checked on subscribe and unsubscribe, and the secret is never logged.
TEST_F(SubscriptionE2ETest, ProofFromTheSharedSecretIsRequired) {
  auto redis = testing::RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::string secret_file = (*redis)->dir() + "/subscription-secret";
  std::ofstream(secret_file) << kSecret << "\n";
  testing::ServerProcess::Options options = WithSync(kToken);
  options.redis_port = (*redis)->port();
  options.flags = {"--subscription_secret_file=" + secret_file,
                   "--log_level=debug"};
  redis_ = *std::move(redis);
  auto server = testing::ServerProcess::Start(std::move(options));
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  stub_ = server_->NewStub();
  sync_ = server_->NewSyncClient();
  ASSERT_NO_FATAL_FAILURE(Known({"A"}));

  const std::string right = server::SubscriberProof(kSecret, "customer-42");
  grpc::Status s = Subscribe(Subscription("A", "customer-42"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  s = Subscribe(Subscription(
      "A", "customer-42", server::SubscriberProof("guessed", "customer-42")));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("subscriber_proof: does not match"));
  // Another subscriber's proof does not do.
  EXPECT_EQ(Subscribe(Subscription("A", "customer-43", right)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  s = Subscribe(Subscription("A", "customer-42", "not-hex"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(),
              HasSubstr("subscriber_proof: must be 64 lowercase hex digits"));

  bool created = false;
  ASSERT_TRUE(
      Subscribe(Subscription("A", "customer-42", right), &created).ok());
  EXPECT_TRUE(created);
  EXPECT_EQ(Unsubscribe(Subscription("A", "customer-42")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  bool removed = false;
  ASSERT_TRUE(
      Unsubscribe(Subscription("A", "customer-42", right), &removed).ok());
  EXPECT_TRUE(removed);
  EXPECT_THAT(server_->Stderr(), Not(HasSubstr(kSecret)));
}

// The secret from the environment, as the chart passes it.
TEST_F(SubscriptionE2ETest, SecretFromTheEnvironment) {
  ASSERT_NO_FATAL_FAILURE(
      Start({}, {absl::StrCat("AVAILABILITY_SUBSCRIPTION_SECRET=", kSecret)}));
  ASSERT_NO_FATAL_FAILURE(Known({"A"}));
  EXPECT_TRUE(Subscribe(Subscription("A", "c-1",
                                     server::SubscriberProof(kSecret, "c-1")))
                  .ok());
  EXPECT_EQ(Subscribe(Subscription("A", "c-2")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace availability
