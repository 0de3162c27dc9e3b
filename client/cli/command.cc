#include "client/cli/command.h"

#include <limits>
#include <ostream>

#include "absl/strings/str_cat.h"

namespace av::cli {

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kInvalidArgument:
      return kExitInvalidArgument;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnreachable;
    default:
      return kExitOther;
  }
}

int ReportError(CommandContext& ctx, const absl::Status& status) {
  int code = ExitCodeFor(status);
  if (code == kExitUnreachable) {
    *ctx.err << "availability: server unreachable at " << ctx.server << ": "
             << absl::StatusCodeToString(status.code()) << ": "
             << status.message() << "\n";
  } else if (code == kExitOther) {
    *ctx.err << "availability: " << absl::StatusCodeToString(status.code())
             << ": " << status.message() << "\n";
  } else {
    *ctx.err << "availability: " << status.message() << "\n";
  }
  return code;
}

int UsageError(CommandContext& ctx, absl::string_view message) {
  *ctx.err << "availability: " << message << " (see availability --help)\n";
  return kExitUsage;
}

std::optional<int> ParseCommandArgs(CommandContext& ctx, ArgParser& parser,
                                    const std::vector<std::string>& args,
                                    absl::string_view help_tail) {
  if (absl::Status s = parser.Parse(args); !s.ok()) {
    return UsageError(ctx, s.message());
  }
  if (parser.help_requested()) {
    *ctx.out << parser.Usage() << help_tail;
    return kExitOk;
  }
  return std::nullopt;
}

void AddScopeFlags(ArgParser& parser) {
  parser.AddFlag("channel", "CODE",
                 "sales channel (Magento website code), e.g. base");
  parser.AddFlag("stock", "ID", "stock id (default 1 when no --channel)");
}

absl::StatusOr<availability::v1::Scope> ScopeFromFlags(
    const ArgParser& parser) {
  availability::v1::Scope scope;
  std::optional<std::string> channel = parser.GetString("channel");
  absl::StatusOr<std::optional<int64_t>> stock =
      parser.GetIntInRange("stock", 1, std::numeric_limits<int32_t>::max());
  if (!stock.ok()) return stock.status();
  if (channel.has_value() && stock->has_value()) {
    return absl::InvalidArgumentError(
        "--channel and --stock: give one, not both");
  }
  if (channel.has_value()) {
    if (channel->empty()) {
      return absl::InvalidArgumentError("--channel: empty");
    }
    scope.set_sales_channel(*channel);
  } else {
    scope.set_stock_id(static_cast<int32_t>(stock->value_or(1)));
  }
  return scope;
}

}  // namespace av::cli
