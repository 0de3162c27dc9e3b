// Throw-away PKI for TLS tests, made at run time with the openssl command
// line tool (Debian package `openssl`) in a fresh temporary directory:
//
//   ca            self-signed test CA
//   server        CN=localhost, SAN DNS:localhost and IP:127.0.0.1, by ca
//   sync_worker   client certificate CN=sync-worker, by ca
//   intruder      client certificate CN=intruder, by ca
//   stranger      client certificate CN=sync-worker by another CA
//
//   absl::StatusOr<const TestCertificates*> certs = TestCertificates::Shared();
//   ASSERT_TRUE(certs.ok()) << certs.status();
//   flags.push_back("--tls_cert_file=" + (*certs)->server.cert_file);
//   auto channel = grpc::CreateChannel(
//       address, (*certs)->ClientCredentials(&(*certs)->sync_worker));
//
// Keys are P-256, valid two days. For tests only; not thread-safe.
#ifndef AVAILABILITY_TESTING_TEST_CERTIFICATES_H_
#define AVAILABILITY_TESTING_TEST_CERTIFICATES_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"

namespace availability::testing {

struct TestCertificates {
  struct Pair {
    std::string cert_file;
    std::string key_file;
    // The PEM contents of the two files.
    std::string cert_pem;
    std::string key_pem;
  };

  // Errors: Internal with openssl's stderr when a step fails.
  static absl::StatusOr<TestCertificates> Make();
  // One set per test process, made by the first call (call it from SetUp,
  // not SetUpTestSuite: a fatal failure there reports the suite's tests as
  // SKIPPED) and removed at exit. Errors: as Make(), on every call.
  static absl::StatusOr<const TestCertificates*> Shared();

  // TLS credentials of a client that trusts `ca` and presents `client`'s
  // certificate (none when null).
  std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(
      const Pair* client = nullptr) const;

  std::string dir;
  Pair ca;
  Pair server;
  Pair sync_worker;
  Pair intruder;
  Pair stranger;
};

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTING_TEST_CERTIFICATES_H_
