#include "testing/test_certificates.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "testing/subprocess.h"

namespace availability::testing {
namespace {

const char* OpensslBinary() {
  const char* env = std::getenv("OPENSSL_BINARY");
  return env != nullptr ? env : "/usr/bin/openssl";
}

absl::Status Openssl(std::vector<std::string> args) {
  args.insert(args.begin(), OpensslBinary());
  absl::StatusOr<testing::CommandResult> r =
      testing::RunCommand(args, absl::Seconds(30));
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("openssl ", args[1], " failed: ", r->err));
  }
  return absl::OkStatus();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  return out ? absl::OkStatus()
             : absl::InternalError(absl::StrCat("cannot write ", path));
}

// A key and a certificate for `subject` signed by `ca_name` (or self-signed
// when `ca_name` is empty) with the extensions in `extensions`.
absl::StatusOr<TestCertificates::Pair> Issue(const std::string& dir,
                                             const std::string& name,
                                             const std::string& subject,
                                             const std::string& ca_name,
                                             const std::string& extensions) {
  TestCertificates::Pair pair;
  pair.key_file = absl::StrCat(dir, "/", name, ".key");
  pair.cert_file = absl::StrCat(dir, "/", name, ".crt");
  const std::string ext_file = absl::StrCat(dir, "/", name, ".ext");
  if (absl::Status s = WriteFile(ext_file, extensions); !s.ok()) return s;
  if (ca_name.empty()) {
    absl::Status s =
        Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                 pair.key_file, "-out", pair.cert_file, "-days", "2", "-subj",
                 subject, "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
    if (!s.ok()) return s;
  } else {
    const std::string csr = absl::StrCat(dir, "/", name, ".csr");
    absl::Status s =
        Openssl({"req", "-new", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                 pair.key_file, "-out", csr, "-subj", subject});
    if (!s.ok()) return s;
    s = Openssl({"x509", "-req", "-in", csr, "-CA",
                 absl::StrCat(dir, "/", ca_name, ".crt"), "-CAkey",
                 absl::StrCat(dir, "/", ca_name, ".key"), "-CAcreateserial",
                 "-out", pair.cert_file, "-days", "2", "-extfile", ext_file});
    if (!s.ok()) return s;
  }
  pair.cert_pem = ReadAll(pair.cert_file);
  pair.key_pem = ReadAll(pair.key_file);
  return pair;
}

}  // namespace

absl::StatusOr<TestCertificates> TestCertificates::Make() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string pattern =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/av-certs-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError("cannot make a temporary directory");
  }
  TestCertificates certs;
  certs.dir = pattern;
  const std::string client_ext =
      "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";
  auto issue = [&](const std::string& name, const std::string& subject,
                   const std::string& ca, const std::string& ext,
                   Pair* out) -> absl::Status {
    absl::StatusOr<Pair> pair = Issue(certs.dir, name, subject, ca, ext);
    if (!pair.ok()) return pair.status();
    *out = *std::move(pair);
    return absl::OkStatus();
  };
  Pair other_ca;
  for (absl::Status s : {
           issue("ca", "/CN=availability-test-ca", "", "", &certs.ca),
           issue("server", "/CN=localhost", "ca",
                 "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                 "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
                 &certs.server),
           issue("sync-worker", "/CN=sync-worker", "ca", client_ext,
                 &certs.sync_worker),
           issue("intruder", "/CN=intruder", "ca", client_ext, &certs.intruder),
           issue("other-ca", "/CN=other-ca", "", "", &other_ca),
           issue("stranger", "/CN=sync-worker", "other-ca", client_ext,
                 &certs.stranger),
       }) {
    if (!s.ok()) return s;
  }
  return certs;
}

absl::StatusOr<const TestCertificates*> TestCertificates::Shared() {
  // Made once and never destroyed; the directory is removed at exit.
  static const absl::StatusOr<TestCertificates>* const certs =
      new absl::StatusOr<TestCertificates>(Make());
  static const bool removed_at_exit = [] {
    std::atexit([] {
      if (!certs->ok()) return;
      std::error_code ignored;
      std::filesystem::remove_all((*certs)->dir, ignored);
    });
    return true;
  }();
  (void)removed_at_exit;
  if (!certs->ok()) return certs->status();
  return &**certs;
}

std::shared_ptr<grpc::ChannelCredentials> TestCertificates::ClientCredentials(
    const Pair* client) const {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca.cert_pem;
  if (client != nullptr) {
    options.pem_private_key = client->key_pem;
    options.pem_cert_chain = client->cert_pem;
  }
  return grpc::SslCredentials(options);
}

}  // namespace availability::testing
