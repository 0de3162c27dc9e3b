#include "server/sync_auth.h"

#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"

namespace availability::server {

bool ConstantTimeEquals(absl::string_view given, absl::string_view expected) {
  // No early exit: the loop always runs over all of `expected`.
  unsigned int diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g =
        i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= g ^ static_cast<unsigned char>(expected[i]);
  }
  return diff == 0;
}

SyncAuthorizer::SyncAuthorizer(Credentials credentials)
    : credentials_(std::move(credentials)) {}

grpc::Status SyncAuthorizer::Check(const grpc::ServerContextBase& context,
                                   absl::string_view method, SyncAccess access,
                                   absl::string_view read_methods) const {
  // Both tokens are always compared: timing does not tell which one a
  // caller holds.
  const bool full =
      !credentials_.token.empty() && CarriesToken(context, credentials_.token);
  const bool read = !credentials_.read_token.empty() &&
                    CarriesToken(context, credentials_.read_token);
  if (full || HasAllowedSubject(context)) return grpc::Status::OK;
  if (read) {
    if (access == SyncAccess::kRead) return grpc::Status::OK;
    return grpc::Status(
        grpc::StatusCode::PERMISSION_DENIED,
        absl::StrCat("the read-only sync token may not call ", method,
                     ": it writes (read-only: ", read_methods,
                     "; writes need the full sync token)"));
  }
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "missing or invalid bearer token (send metadata "
                      "\"authorization: Bearer <token>\")");
}

bool SyncAuthorizer::HasAllowedSubject(
    const grpc::ServerContextBase& context) const {
  if (credentials_.allowed_client_subjects.empty()) return false;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return false;
  for (const std::string& allowed : credentials_.allowed_client_subjects) {
    const bool cn = absl::StartsWith(allowed, "CN=");
    const absl::string_view want =
        absl::string_view(allowed).substr(cn ? 3 : 4);
    for (const grpc::string_ref& value : auth->FindPropertyValues(
             cn ? GRPC_X509_CN_PROPERTY_NAME : GRPC_X509_SAN_PROPERTY_NAME)) {
      if (absl::string_view(value.data(), value.size()) == want) return true;
    }
  }
  return false;
}

bool SyncAuthorizer::CarriesToken(const grpc::ServerContextBase& context,
                                  absl::string_view token) {
  bool ok = false;
  auto range = context.client_metadata().equal_range("authorization");
  for (auto it = range.first; it != range.second; ++it) {
    absl::string_view value(it->second.data(), it->second.size());
    constexpr absl::string_view kScheme = "bearer ";
    if (value.size() <= kScheme.size() ||
        !absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
      continue;
    }
    value = absl::StripAsciiWhitespace(value.substr(kScheme.size()));
    ok |= ConstantTimeEquals(value, token);
  }
  return ok;
}

}  // namespace availability::server
