// `availability watch SKU... [--channel CODE | --stock ID] [--alternatives N]
//                            [--json] [--count N]`
//
// Streams WatchAvailability: prints the current answer of every SKU, then a
// new one whenever it changes, until interrupted (Ctrl-C), the server ends
// the stream, or --count answers were printed. --timeout bounds connecting
// only, not the stream.

#include <optional>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "availability/v1/availability.grpc.pb.h"
#include "client/availability_client.h"
#include "client/cli/args.h"
#include "client/cli/command.h"
#include "client/cli/format.h"
#include "grpcpp/grpcpp.h"

namespace av::cli {

namespace v1 = ::availability::v1;

int RunWatch(CommandContext& ctx, const CommandArgs& args) {
  ArgParser parser("availability watch SKU... [flags]");
  AddScopeFlags(parser);
  parser.AddFlag("alternatives", "N", "alternatives to ask for, 0..20");
  parser.AddFlag("count", "N", "stop after N answers (default: never)");
  parser.AddSwitch("json", "print each answer as one protobuf JSON line");
  if (std::optional<int> exit = ParseCommandArgs(ctx, parser, args)) {
    return *exit;
  }
  if (parser.positional().empty()) {
    return UsageError(ctx, "watch: expects at least one SKU");
  }
  v1::WatchAvailabilityRequest request;
  for (const std::string& sku : parser.positional()) request.add_skus(sku);
  absl::StatusOr<v1::Scope> scope = ScopeFromFlags(parser);
  if (!scope.ok()) return UsageError(ctx, scope.status().message());
  *request.mutable_scope() = *scope;
  absl::StatusOr<std::optional<int64_t>> alternatives =
      parser.GetIntInRange("alternatives", 0, 1000);
  if (!alternatives.ok()) {
    return UsageError(ctx, alternatives.status().message());
  }
  request.set_max_alternatives(
      static_cast<uint32_t>(alternatives->value_or(0)));
  absl::StatusOr<std::optional<int64_t>> count =
      parser.GetIntInRange("count", 1, int64_t{1} << 40);
  if (!count.ok()) return UsageError(ctx, count.status().message());
  const bool json = parser.GetBool("json");

  if (!ctx.channel->WaitForConnected(
          absl::ToChronoTime(absl::Now() + ctx.timeout))) {
    return ReportError(
        ctx, absl::UnavailableError(absl::StrCat(
                 "cannot connect within ", absl::FormatDuration(ctx.timeout))));
  }
  auto stub = v1::Availability::NewStub(ctx.channel);
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::ProductAvailability>> reader =
      stub->WatchAvailability(&context, request);
  v1::ProductAvailability answer;
  int64_t printed = 0;
  while (reader->Read(&answer)) {
    if (json) {
      absl::StatusOr<std::string> line = ToJsonLine(answer);
      if (!line.ok()) return ReportError(ctx, line.status());
      *ctx.out << *line;
    } else {
      *ctx.out << FormatProduct(answer) << "\n";
    }
    ctx.out->flush();
    if (count->has_value() && ++printed >= **count) {
      context.TryCancel();
      break;
    }
  }
  grpc::Status status = reader->Finish();
  if (count->has_value() && printed >= **count) return kExitOk;
  if (!status.ok()) {
    return ReportError(ctx, av::client::ToAbslStatus(status));
  }
  return kExitOk;
}

}  // namespace av::cli
