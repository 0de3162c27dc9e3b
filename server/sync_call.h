// What the InventorySync handlers and their reactors share about one call:
// the deadline of its cache work and how a cache failure is reported.
//
//   writer.Upsert(..., SyncCallDeadline(*context, options.write_timeout),
//                 [reactor](auto r) {
//                   if (!r.ok()) reactor->Finish(
//                       CacheError(r.status(), "writing records"));
//                 });
//
// Pure functions; safe from any thread.
#ifndef AVAILABILITY_SERVER_SYNC_CALL_H_
#define AVAILABILITY_SERVER_SYNC_CALL_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace availability::server {

// The earlier of the call's deadline and now + budget (now when the call's
// deadline has passed).
absl::Time SyncCallDeadline(const grpc::ServerContextBase& context,
                            absl::Duration budget);

// A cache failure as the caller sees it: the same code (UNAVAILABLE,
// DEADLINE_EXCEEDED, ...), the message prefixed with what was being done
// ("writing records: ...").
grpc::Status CacheError(const absl::Status& status, absl::string_view doing);

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_SYNC_CALL_H_
