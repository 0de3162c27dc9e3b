// End-to-end tests of transport security and secret hygiene: the real
// availability-server binary over TLS and mTLS (certificates made at run
// time with the openssl tool), a real redis-server with a password.

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
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/server_process.h"
#include "testing/subprocess.h"
#include "testing/test_certificates.h"

namespace availability {
namespace {

using ::availability::testing::TestCertificates;
using ::testing::HasSubstr;
using ::testing::Not;
namespace v1 = ::availability::v1;

constexpr char kRedisPassword[] = "redis-Pa55word-e2e-7f3a91";
constexpr char kSyncToken[] = "sync-token-e2e-0123456789abcdef";

class SecurityE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto certs = TestCertificates::Shared();
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = *certs;
    auto redis = testing::RedisServer::Start({"--requirepass", kRedisPassword});
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    password_file_ = WriteSecret("redis-password", kRedisPassword);
    token_file_ = WriteSecret("sync-token", kSyncToken);
  }

  std::string WriteSecret(const std::string& name, const std::string& value) {
    const std::string path = absl::StrCat(certs_->dir, "/", name);
    std::ofstream(path) << value << "\n";
    return path;
  }

  // TLS on both listeners, a free port for each; the harness's channels
  // trust the test CA and present `client`'s certificate, if any.
  testing::ServerProcess::Options TlsOptions(
      std::vector<std::string> extra,
      const TestCertificates::Pair* client = nullptr) {
    testing::ServerProcess::Options options;
    options.redis_port = redis_->port();
    options.sync = true;
    options.health_interval = absl::Milliseconds(200);
    options.tls_cert_file = certs_->server.cert_file;
    options.tls_key_file = certs_->server.key_file;
    options.flags = std::move(extra);
    options.credentials = certs_->ClientCredentials(client);
    return options;
  }

  void StartServer(testing::ServerProcess::Options options) {
    auto server = testing::ServerProcess::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    port_ = server_->port();
    sync_port_ = server_->sync_port();
  }

  std::shared_ptr<grpc::Channel> Channel(int port,
                                         const TestCertificates::Pair* client) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                               certs_->ClientCredentials(client));
  }

  bool WaitUp(const std::shared_ptr<grpc::Channel>& channel) {
    return channel->WaitForConnected(std::chrono::system_clock::now() +
                                     std::chrono::seconds(10));
  }

  // GetStoreConfig on the sync API as `client` with `token` ("" = none).
  grpc::Status SyncCall(const TestCertificates::Pair* client,
                        const std::string& token) {
    auto stub = v1::InventorySync::NewStub(Channel(sync_port_, client));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(3)));
    if (!token.empty()) {
      context.AddMetadata("authorization", "Bearer " + token);
    }
    v1::GetStoreConfigRequest request;
    request.set_stock_id(1);
    v1::StoreConfig config;
    return stub->GetStoreConfig(&context, request, &config);
  }

  grpc::Status StorefrontCall(const TestCertificates::Pair* client) {
    auto stub = v1::Availability::NewStub(Channel(port_, client));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(3)));
    v1::GetAvailabilityRequest request;
    request.set_sku("NOPE");
    request.mutable_scope()->set_stock_id(1);
    v1::ProductAvailability answer;
    return stub->GetAvailability(&context, request, &answer);
  }

  // The distinctive parts of every secret: the Redis password, the token
  // and each base64 line of the server's private key.
  std::vector<std::string> Secrets() const {
    std::vector<std::string> secrets = {kRedisPassword, kSyncToken};
    for (absl::string_view line :
         absl::StrSplit(certs_->server.key_pem, '\n')) {
      if (line.size() > 20 && !absl::StartsWith(line, "-----")) {
        secrets.emplace_back(line);
      }
    }
    return secrets;
  }

  void ExpectNoSecret(const std::string& text, const std::string& where) {
    for (const std::string& secret : Secrets()) {
      EXPECT_THAT(text, Not(HasSubstr(secret))) << "a secret in " << where;
    }
  }

  const TestCertificates* certs_ = nullptr;
  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::string password_file_;
  std::string token_file_;
  int port_ = 0;
  int sync_port_ = 0;
};

TEST_F(SecurityE2ETest, StorefrontMtlsAdmitsOnlyCertificatesOfTheCa) {
  StartServer(TlsOptions(
      {"--redis_password_file=" + password_file_,
       "--tls_client_ca_file=" + certs_->ca.cert_file, "--sync_listen="},
      &certs_->sync_worker));
  ASSERT_TRUE(WaitUp(Channel(port_, &certs_->sync_worker)))
      << server_->Stderr();
  // The call reaches the service (an unknown SKU), over verified mTLS.
  EXPECT_EQ(StorefrontCall(&certs_->sync_worker).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(StorefrontCall(nullptr).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(StorefrontCall(&certs_->stranger).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // Plaintext clients get no answer at all.
  auto plain = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                                   grpc::InsecureChannelCredentials());
  EXPECT_FALSE(plain->WaitForConnected(std::chrono::system_clock::now() +
                                       std::chrono::milliseconds(500)));
}

TEST_F(SecurityE2ETest, SyncAcceptsTheTokenOrAnAllowedIdentity) {
  StartServer(TlsOptions({"--redis_password_file=" + password_file_,
                          "--sync_token_file=" + token_file_,
                          "--sync_tls_client_ca_file=" + certs_->ca.cert_file,
                          "--sync_allowed_client_subjects=CN=sync-worker"}));
  ASSERT_TRUE(WaitUp(Channel(sync_port_, nullptr))) << server_->Stderr();
  struct Case {
    std::string name;
    const TestCertificates::Pair* client;
    std::string token;
    grpc::StatusCode code;
  };
  const std::vector<Case> cases = {
      {"allowed identity, no token", &certs_->sync_worker, "",
       grpc::StatusCode::OK},
      {"token, no certificate", nullptr, kSyncToken, grpc::StatusCode::OK},
      {"other identity, no token", &certs_->intruder, "",
       grpc::StatusCode::UNAUTHENTICATED},
      {"other identity, right token", &certs_->intruder, kSyncToken,
       grpc::StatusCode::OK},
      {"no certificate, wrong token", nullptr, "wrong-token-0123456789",
       grpc::StatusCode::UNAUTHENTICATED},
      {"certificate of another CA", &certs_->stranger, "",
       grpc::StatusCode::UNAVAILABLE},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    grpc::Status status = SyncCall(c.client, c.token);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    ExpectNoSecret(status.error_message(), "an error message");
    if (c.code == grpc::StatusCode::UNAUTHENTICATED) {
      EXPECT_THAT(status.error_message(), HasSubstr("bearer token"));
    }
  }
}

TEST_F(SecurityE2ETest, IdentitiesWithoutAClientCaAreRefusedAtStart) {
  testing::ServerProcess::Options options =
      TlsOptions({"--redis_password_file=" + password_file_,
                  "--sync_allowed_client_subjects=CN=sync-worker"});
  options.ready = testing::ServerProcess::Ready::kStarted;  // it exits
  StartServer(std::move(options));
  ASSERT_EQ(server_->Wait(absl::Seconds(10)), 1);
  EXPECT_THAT(server_->Stderr(), HasSubstr("--sync_allowed_client_subjects"));
}

TEST_F(SecurityE2ETest, SecretsNeverReachLogsErrorsOrHelp) {
  // A wrong Redis password (from the environment) and wrong-token calls.
  const std::string wrong_password = std::string(kRedisPassword) + "-wrong";
  testing::ServerProcess::Options options = TlsOptions({"--log_level=debug"});
  options.health_interval = absl::Milliseconds(100);
  options.env = {"AVAILABILITY_REDIS_PASSWORD=" + wrong_password,
                 absl::StrCat("AVAILABILITY_SYNC_TOKEN=", kSyncToken)};
  options.ready = testing::ServerProcess::Ready::kListening;  // Redis refuses
  StartServer(std::move(options));
  ASSERT_TRUE(WaitUp(Channel(port_, nullptr))) << server_->Stderr();
  grpc::Status storefront = StorefrontCall(nullptr);
  EXPECT_EQ(storefront.error_code(), grpc::StatusCode::UNAVAILABLE)
      << storefront.error_message();
  grpc::Status wrong_token = SyncCall(nullptr, "not-the-token-0123456789");
  EXPECT_EQ(wrong_token.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status right_token = SyncCall(nullptr, kSyncToken);
  EXPECT_NE(right_token.error_code(), grpc::StatusCode::OK);  // Redis refuses
  for (const grpc::Status& s : {storefront, wrong_token, right_token}) {
    ExpectNoSecret(s.error_message(), "an error message");
    EXPECT_THAT(s.error_message(), Not(HasSubstr(wrong_password)));
  }
  absl::SleepFor(absl::Milliseconds(500));  // let reconnects log
  server_->Signal(SIGTERM);
  EXPECT_EQ(server_->Wait(absl::Seconds(10)), 0);
  const std::string log = server_->Stderr();
  ExpectNoSecret(log, "stderr");
  EXPECT_THAT(log, Not(HasSubstr(wrong_password)));
  // Every line is a JSON object with a level.
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    if (!absl::StartsWith(line, "{")) continue;  // gRPC's own lines
    EXPECT_THAT(std::string(line), HasSubstr("\"level\":"));
  }

  auto help = testing::RunCommand(
      {testing::ServerBinary(), "--help"}, absl::Seconds(10),
      {absl::StrCat("AVAILABILITY_REDIS_PASSWORD=", kRedisPassword),
       absl::StrCat("AVAILABILITY_SYNC_TOKEN=", kSyncToken),
       "AVAILABILITY_TLS_KEY_FILE=" + certs_->server.key_file});
  ASSERT_TRUE(help.ok()) << help.status();
  EXPECT_THAT(help->out + help->err, HasSubstr("--tls_cert_file"));
  ExpectNoSecret(help->out + help->err, "--help");
}

}  // namespace
}  // namespace availability
