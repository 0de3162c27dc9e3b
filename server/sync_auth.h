// Who may call the sync/admin API (availability.v1.InventorySync): the one
// check every handler of InventorySyncService runs first, before it reads the
// request or the cache.
//
//   SyncAuthorizer auth({.token = token, .allowed_client_subjects = {...}});
//   if (grpc::Status s = auth.Check(*context); !s.ok()) {
//     reactor->Finish(s);   // UNAUTHENTICATED, nothing read or changed
//   }
//
// A caller is admitted with `authorization: Bearer <token>` metadata (the
// token compared in constant time over its full length; the scheme is
// case-insensitive), or, when client subjects are configured, with a
// verified client certificate (mTLS) whose CN or SAN is one of them. The
// token never appears in a status or a log line.
//
// Immutable after construction; safe from any thread.
#ifndef AVAILABILITY_SERVER_SYNC_AUTH_H_
#define AVAILABILITY_SERVER_SYNC_AUTH_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace availability::server {

class SyncAuthorizer {
 public:
  struct Credentials {
    // The bearer token; empty: no token admits anyone.
    std::string token;
    // "CN=<common name>" or "SAN=<subject alternative name>" identities
    // admitted without a token (checked by ValidateOptions of the service).
    std::vector<std::string> allowed_client_subjects;
  };

  explicit SyncAuthorizer(Credentials credentials);

  // OK when the call carries the token or an allowed client identity, else
  // UNAUTHENTICATED "missing or invalid bearer token (...)".
  grpc::Status Check(const grpc::ServerContextBase& context) const;

 private:
  // True when the peer's verified certificate has an allowed CN or SAN.
  bool HasAllowedSubject(const grpc::ServerContextBase& context) const;
  // True when an authorization header carries `token` (every header is
  // compared, so timing does not tell which one matched).
  static bool CarriesToken(const grpc::ServerContextBase& context,
                           absl::string_view token);

  const Credentials credentials_;
};

// True when `given` equals `expected`, in time that depends only on
// expected.size() (not on where they differ).
bool ConstantTimeEquals(absl::string_view given, absl::string_view expected);

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_SYNC_AUTH_H_
