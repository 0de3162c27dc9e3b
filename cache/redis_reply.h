// The one mapping from a Redis command's result (a transport failure, or an
// error reply) to an absl::Status, shared by every reader and writer of the
// cache so that a given Redis state has the same code everywhere.
//
//   if (absl::Status s = ReplyStatus(reply, "reading store config 3");
//       !s.ok()) return s;   // "reading store config 3: LOADING ..."
//
// Codes (the message is "<what>: <Redis' or the client's message>"):
// - Transport failures keep the client's code (cache/redis_client.h):
//   Unavailable (connection down or lost), DeadlineExceeded (the caller's
//   deadline passed: the command may or may not have run; a versioned write
//   can be retried, but the time budget belongs to the caller, so it is not
//   turned into Unavailable), Cancelled (the client is stopping).
// - Transient server states, Unavailable (retry later, maybe elsewhere):
//   OOM, LOADING, BUSY, MASTERDOWN, READONLY, TRYAGAIN, CLUSTERDOWN, MISCONF,
//   NOREPLICAS, MOVED, ASK, NOAUTH.
// - WRONGTYPE (a key holds another type than the cache's schema says; an
//   operator must repair it, retrying does not help), and FENCED (the write
//   script refused a writer whose lease a newer writer took,
//   cache/leader_lease.h): FailedPrecondition.
// - Any other error reply (ERR, NOPERM, a script's runtime error, ...):
//   Internal.
// - A reply of an unexpected shape: Internal (UnexpectedReply); stored data
//   that does not decode: DataLoss (UndecodableData).
// Thread safety: pure functions.
#ifndef AVAILABILITY_CACHE_REDIS_REPLY_H_
#define AVAILABILITY_CACHE_REDIS_REPLY_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cache/redis_client.h"

namespace availability::cache {

// The code of a Redis error reply's text (its first word is the error
// prefix, e.g. "OOM command not allowed ..."), as listed above.
absl::StatusCode RedisErrorCode(absl::string_view error);

// The status of a Redis error reply `error`, received while doing `what`.
absl::Status RedisErrorStatus(absl::string_view error, absl::string_view what);

// OK when `reply` arrived and is not an error reply; else the mapped status
// (transport code kept, error reply as RedisErrorStatus), naming `what`.
absl::Status ReplyStatus(const absl::StatusOr<RedisReply>& reply,
                         absl::string_view what);

// Internal: a reply whose type or shape the caller did not expect.
absl::Status UnexpectedReply(absl::string_view what);

// DataLoss: stored data (`what`) that does not decode, with the reason.
absl::Status UndecodableData(absl::string_view what, absl::string_view why);

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_REDIS_REPLY_H_
