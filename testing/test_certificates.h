// Throw-away PKI for TLS tests, made at run time with the openssl command
// line tool (Debian package `openssl`) in a fresh temporary directory:
//
//   ca            self-signed test CA
//   server        CN=localhost, SAN DNS:localhost and IP:127.0.0.1, by ca
//   sync_worker   client certificate CN=sync-worker, by ca
//   intruder      client certificate CN=intruder, by ca
//   stranger      client certificate CN=sync-worker by another CA
//
//   absl::StatusOr<TestCertificates> certs = TestCertificates::Make();
//   ASSERT_TRUE(certs.ok()) << certs.status();
//   flags.push_back("--tls_cert_file=" + certs->server.cert_file);
//
// Keys are P-256, valid two days. For tests only; not thread-safe.
#ifndef AVAILABILITY_TESTING_TEST_CERTIFICATES_H_
#define AVAILABILITY_TESTING_TEST_CERTIFICATES_H_

#include <string>

#include "absl/status/statusor.h"

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

  std::string dir;
  Pair ca;
  Pair server;
  Pair sync_worker;
  Pair intruder;
  Pair stranger;
};

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTING_TEST_CERTIFICATES_H_
