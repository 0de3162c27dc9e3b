// `availability get SKU [--qty N] [--channel CODE | --stock ID]
//                       [--alternatives N] [--json]`

#include <ostream>

#include "absl/strings/str_cat.h"
#include "client/availability_client.h"
#include "client/cli/args.h"
#include "client/cli/command.h"
#include "client/cli/format.h"

namespace av::cli {

namespace v1 = ::availability::v1;

int RunGet(CommandContext& ctx, const CommandArgs& args) {
  ArgParser parser("availability get SKU [flags]");
  parser.AddFlag("qty", "N", "quantity to ask for (default: display quantity)");
  AddScopeFlags(parser);
  parser.AddFlag("alternatives", "N", "alternatives to ask for, 0..20");
  parser.AddSwitch("json", "print the answer as protobuf JSON");
  if (std::optional<int> exit = ParseCommandArgs(ctx, parser, args)) {
    return *exit;
  }
  if (parser.positional().size() != 1) {
    return UsageError(ctx, "get: expects exactly one SKU");
  }

  v1::GetAvailabilityRequest request;
  request.set_sku(parser.positional()[0]);
  absl::StatusOr<v1::Scope> scope = ScopeFromFlags(parser);
  if (!scope.ok()) return UsageError(ctx, scope.status().message());
  *request.mutable_scope() = *scope;
  absl::StatusOr<std::optional<double>> qty = parser.GetDouble("qty");
  if (!qty.ok()) return UsageError(ctx, qty.status().message());
  if (qty->has_value()) request.set_quantity(**qty);
  absl::StatusOr<std::optional<int64_t>> alternatives =
      parser.GetIntInRange("alternatives", 0, 1000);
  if (!alternatives.ok()) {
    return UsageError(ctx, alternatives.status().message());
  }
  request.set_max_alternatives(
      static_cast<uint32_t>(alternatives->value_or(0)));

  av::client::AvailabilityClient::Options options;
  options.read_timeout = ctx.timeout;
  av::client::AvailabilityClient client(ctx.channel, options);
  absl::StatusOr<v1::ProductAvailability> answer =
      client.GetAvailability(request);
  if (!answer.ok()) {
    if (absl::IsNotFound(answer.status())) {
      *ctx.err << "availability: " << request.sku() << ": not found"
               << (answer.status().message().empty()
                       ? ""
                       : absl::StrCat(" (", answer.status().message(), ")"))
               << "\n";
      return kExitNotFound;
    }
    return ReportError(ctx, answer.status());
  }
  if (parser.GetBool("json")) {
    absl::StatusOr<std::string> line = ToJsonLine(*answer);
    if (!line.ok()) return ReportError(ctx, line.status());
    *ctx.out << *line;
  } else {
    *ctx.out << FormatProduct(*answer);
  }
  return answer->status() == v1::STATUS_UNKNOWN ? kExitNotFound : kExitOk;
}

}  // namespace av::cli
