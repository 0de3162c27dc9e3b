#include "server/sync_call.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/grpc_status.h"

namespace availability::server {

absl::Time SyncCallDeadline(const grpc::ServerContextBase& context,
                            absl::Duration budget) {
  const auto now = std::chrono::system_clock::now();
  const auto call_deadline = context.deadline();
  const absl::Time by_budget = absl::Now() + budget;
  if (call_deadline <= now) return absl::Now();
  const auto remaining = call_deadline - now;
  if (remaining >= absl::ToChronoNanoseconds(budget)) return by_budget;
  return absl::Now() +
         absl::FromChrono(
             std::chrono::duration_cast<std::chrono::nanoseconds>(remaining));
}

grpc::Status CacheError(const absl::Status& status, absl::string_view doing) {
  return ToGrpcStatus(
      absl::Status(status.code(), absl::StrCat(doing, ": ", status.message())));
}

}  // namespace availability::server
