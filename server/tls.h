// Server credentials for a gRPC listener from PEM files: plaintext when no
// certificate is given, TLS with one, and mutual TLS with a client CA.
//
//   TlsFiles files{cert_path, key_path, ca_path, ClientCerts::kRequire};
//   absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
//       ServerCredentialsFromFiles(files);
//   if (!creds.ok()) Die(...);      // the message names the file, no content
//   builder.AddListeningPort(address, *creds, &port);
//
// The files are read once, at start: rotating certificates needs a restart
// (a rolling restart in Kubernetes). Thread-compatible free functions.
#ifndef AVAILABILITY_SERVER_TLS_H_
#define AVAILABILITY_SERVER_TLS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace availability::server {

// What a listener with a client CA asks of its clients.
enum class ClientCerts {
  // Every client must present a certificate the CA signed (mTLS).
  kRequire,
  // A client may present one; when it does, it must verify against the CA
  // (lets the sync listener accept a bearer token or a client identity).
  kVerifyIfPresent,
};

struct TlsFiles {
  // PEM certificate chain and private key; both empty: plaintext.
  std::string cert_file;
  std::string key_file;
  // PEM CA bundle that signs client certificates; empty: no client certs.
  std::string client_ca_file;
  ClientCerts client_certs = ClientCerts::kRequire;
};

// Plaintext credentials when cert_file and key_file are empty, else TLS.
// Errors: InvalidArgument when only one of cert/key is given, when a client
// CA is given without them, or when a file holds no PEM block; NotFound /
// PermissionDenied / Internal when a file cannot be read. Messages name the
// file, never its content. A key that does not match its certificate is
// only found when the server starts (BuildAndStart fails).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>>
ServerCredentialsFromFiles(const TlsFiles& files);

// Reads a PEM file (at most 1 MiB). Errors as above.
absl::StatusOr<std::string> ReadPemFile(const std::string& path);

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_TLS_H_
