#include "cache/redis_reply.h"

#include "absl/strings/str_cat.h"

namespace availability::cache {
namespace {

// Error prefixes of server states that pass: out of memory (until keys
// expire or memory is raised), loading the dataset, a busy script, a replica
// whose master is down or a read-only replica (failover in progress), cluster
// resharding or down, failing persistence (MISCONF), too few replicas, a
// redirect (this client does not follow cluster redirects), and a connection
// that lost its authentication (the client reconnects).
constexpr absl::string_view kTransient[] = {
    "OOM",        "LOADING",  "BUSY",        "MASTERDOWN",
    "READONLY",   "TRYAGAIN", "CLUSTERDOWN", "MISCONF",
    "NOREPLICAS", "MOVED",    "ASK",         "NOAUTH"};

absl::string_view Prefix(absl::string_view error) {
  const size_t space = error.find(' ');
  return space == absl::string_view::npos ? error : error.substr(0, space);
}

}  // namespace

absl::StatusCode RedisErrorCode(absl::string_view error) {
  const absl::string_view prefix = Prefix(error);
  for (absl::string_view transient : kTransient) {
    if (prefix == transient) return absl::StatusCode::kUnavailable;
  }
  if (prefix == "WRONGTYPE" || prefix == "FENCED") {
    return absl::StatusCode::kFailedPrecondition;
  }
  return absl::StatusCode::kInternal;
}

absl::Status RedisErrorStatus(absl::string_view error, absl::string_view what) {
  return absl::Status(RedisErrorCode(error),
                      absl::StrCat(what, ": redis error: ", error));
}

absl::Status ReplyStatus(const absl::StatusOr<RedisReply>& reply,
                         absl::string_view what) {
  if (!reply.ok()) {
    return absl::Status(reply.status().code(),
                        absl::StrCat(what, ": ", reply.status().message()));
  }
  if (reply->is_error()) return RedisErrorStatus(reply->str, what);
  return absl::OkStatus();
}

absl::Status UnexpectedReply(absl::string_view what) {
  return absl::InternalError(
      absl::StrCat(what, ": unexpected redis reply type"));
}

absl::Status UndecodableData(absl::string_view what, absl::string_view why) {
  return absl::DataLossError(absl::StrCat(what, ": ", why));
}

}  // namespace availability::cache
