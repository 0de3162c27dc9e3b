#include "server/tls.h"

#include <chrono>
#include <memory>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testing/test_certificates.h"

namespace availability::server {
namespace {

using ::availability::testing::TestCertificates;
using ::testing::HasSubstr;
using ::testing::Not;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto certs = TestCertificates::Shared();
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = *certs;
  }

  // Starts a server (no services) with `files`; its port.
  int Serve(const TlsFiles& files) {
    auto creds = ServerCredentialsFromFiles(files);
    EXPECT_TRUE(creds.ok()) << creds.status();
    if (!creds.ok()) return 0;
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", *creds, &port);
    builder.RegisterCallbackGenericService(&generic_);  // a server needs one
    server_ = builder.BuildAndStart();
    EXPECT_NE(server_, nullptr);
    return port;
  }

  // Whether a TLS client trusting the test CA (with `client`'s certificate,
  // if any) completes a handshake.
  bool Connects(int port, const TestCertificates::Pair* client) {
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                       certs_->ClientCredentials(client));
    return channel->WaitForConnected(std::chrono::system_clock::now() +
                                     std::chrono::seconds(3));
  }

  const TestCertificates* certs_ = nullptr;
  grpc::CallbackGenericService generic_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(TlsTest, TlsServerAnswersAClientTrustingTheCa) {
  const int port =
      Serve({certs_->server.cert_file, certs_->server.key_file, "", {}});
  ASSERT_GT(port, 0);
  EXPECT_TRUE(Connects(port, nullptr));
  // A plaintext client cannot talk to it.
  auto plain = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
  EXPECT_FALSE(plain->WaitForConnected(std::chrono::system_clock::now() +
                                       std::chrono::seconds(1)));
}

TEST_F(TlsTest, RequiredClientCertificatesMustBeSignedByTheCa) {
  const int port = Serve({certs_->server.cert_file, certs_->server.key_file,
                          certs_->ca.cert_file, ClientCerts::kRequire});
  ASSERT_GT(port, 0);
  EXPECT_TRUE(Connects(port, &certs_->sync_worker));
  EXPECT_FALSE(Connects(port, nullptr));
  EXPECT_FALSE(Connects(port, &certs_->stranger));
}

TEST_F(TlsTest, OptionalClientCertificatesAreStillVerified) {
  const int port = Serve({certs_->server.cert_file, certs_->server.key_file,
                          certs_->ca.cert_file, ClientCerts::kVerifyIfPresent});
  ASSERT_GT(port, 0);
  EXPECT_TRUE(Connects(port, nullptr));
  EXPECT_TRUE(Connects(port, &certs_->intruder));
  EXPECT_FALSE(Connects(port, &certs_->stranger));
}

TEST_F(TlsTest, ConfigurationErrorsNameTheFileNotTheSecret) {
  struct Case {
    std::string name;
    TlsFiles files;
    absl::StatusCode code;
    std::string message;
  };
  const std::string missing = certs_->dir + "/missing.pem";
  const std::vector<Case> cases = {
      {"cert without key",
       {certs_->server.cert_file, "", "", {}},
       absl::StatusCode::kInvalidArgument,
       "both a certificate file and a key"},
      {"ca without tls",
       {"", "", certs_->ca.cert_file, {}},
       absl::StatusCode::kInvalidArgument,
       "client CA file needs TLS"},
      {"missing key",
       {certs_->server.cert_file, missing, "", {}},
       absl::StatusCode::kNotFound,
       missing},
      {"not pem",
       {certs_->server.cert_file, certs_->dir + "/server.ext", "", {}},
       absl::StatusCode::kInvalidArgument,
       "no PEM block"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto creds = ServerCredentialsFromFiles(c.files);
    EXPECT_EQ(creds.status().code(), c.code);
    EXPECT_THAT(creds.status().message(), HasSubstr(c.message));
    EXPECT_THAT(creds.status().message(), Not(HasSubstr("PRIVATE KEY")));
  }
}

TEST(TlsPlainTest, NoFilesMeansPlaintext) {
  auto creds = ServerCredentialsFromFiles({});
  ASSERT_TRUE(creds.ok());
  EXPECT_NE(*creds, nullptr);
}

}  // namespace
}  // namespace availability::server
