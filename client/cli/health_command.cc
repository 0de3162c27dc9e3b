// `availability health [--service NAME]`: the standard gRPC health check
// (grpc.health.v1.Health/Check). Prints the serving status; exit 0 when
// SERVING, 1 when not serving or unknown, 4 when unreachable.

#include <ostream>

#include "client/availability_client.h"
#include "client/cli/args.h"
#include "client/cli/command.h"

namespace av::cli {

int RunHealth(CommandContext& ctx, const CommandArgs& args) {
  ArgParser parser("availability health [flags]");
  parser.AddFlag("service", "NAME",
                 "service to check, e.g. availability.v1.Availability "
                 "(default: the whole server)");
  if (std::optional<int> exit = ParseCommandArgs(ctx, parser, args)) {
    return *exit;
  }
  if (!parser.positional().empty()) {
    return UsageError(ctx, "health: takes no arguments");
  }
  absl::StatusOr<av::client::HealthStatus> status = av::client::CheckHealth(
      ctx.channel, parser.GetString("service").value_or(""), ctx.timeout);
  if (!status.ok()) {
    if (absl::IsNotFound(status.status())) {
      // The health service answers NOT_FOUND for a service it does not know.
      *ctx.err << "availability: service unknown to the health check\n";
      return kExitNotFound;
    }
    return ReportError(ctx, status.status());
  }
  *ctx.out << av::client::HealthStatusName(*status) << "\n";
  return *status == av::client::HealthStatus::kServing ? kExitOk
                                                       : kExitNotFound;
}

}  // namespace av::cli
