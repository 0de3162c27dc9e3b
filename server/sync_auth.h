// Who may call the sync/admin API (availability.v1.InventorySync): the one
// check every handler of InventorySyncService runs first, before it reads the
// request or the cache.
//
//   SyncAuthorizer auth({token, read_token, allowed_client_subjects});
//   if (grpc::Status s = auth.Check(*context, "PutStoreConfig",
//                                   SyncAccess::kWrite); !s.ok()) {
//     reactor->Finish(s);   // nothing read or changed
//   }
//
// Full rights: `authorization: Bearer <token>` metadata (compared in constant
// time over its full length; the scheme is case-insensitive), or, when
// client subjects are configured, a verified client certificate (mTLS) whose
// CN or SAN is one of them. Read rights only: the read token (e.g. for a
// mailer or a dashboard); on a kWrite method it gets PERMISSION_DENIED
// naming the method and the rule. Tokens never appear in a status or a log
// line.
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

// What a method needs: kRead (it changes no inventory, configuration or
// ranking) or kWrite.
enum class SyncAccess { kRead, kWrite };

class SyncAuthorizer {
 public:
  struct Credentials {
    // The bearer token with every right; empty: no token admits anyone.
    std::string token;
    // The bearer token with read rights only; empty: none.
    std::string read_token;
    // "CN=<common name>" or "SAN=<subject alternative name>" identities
    // admitted without a token (checked by ValidateOptions of the service).
    std::vector<std::string> allowed_client_subjects;
  };

  explicit SyncAuthorizer(Credentials credentials);

  // OK when the call carries the token or an allowed client identity, or
  // the read token and `access` is kRead; PERMISSION_DENIED naming `method`
  // for the read token on a kWrite method; else UNAUTHENTICATED "missing or
  // invalid bearer token (...)". `read_methods` is listed in the denial.
  grpc::Status Check(const grpc::ServerContextBase& context,
                     absl::string_view method, SyncAccess access,
                     absl::string_view read_methods) const;

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
