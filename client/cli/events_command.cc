// `availability events tail --stock ID`: prints the transition events of a
// stock (docs/domain.md §8) as they are appended, until Ctrl-C.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/cli/format.h"
#include "client/cli/import_commands.h"

namespace av::cli {
namespace {

using availability::v1::InventoryEvent;

// The time a Redis stream id "<ms>-<seq>" was appended, as
// "2026-03-04T10:15:02.123Z"; the id itself when it is not one.
std::string StreamIdTime(absl::string_view id) {
  int64_t millis = 0;
  if (!absl::SimpleAtoi(id.substr(0, id.find('-')), &millis)) {
    return std::string(id);
  }
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(millis),
                          absl::UTCTimeZone());
}

std::string TypeName(InventoryEvent::Type type) {
  const std::string& name = InventoryEvent::Type_Name(type);
  if (name.empty()) return absl::StrCat("TYPE_", static_cast<int>(type));
  return std::string(absl::StripPrefix(name, "TYPE_"));
}

}  // namespace

// One line per event: time, type, SKU, status change, first ship date, net.
std::string FormatEventLine(const InventoryEvent& event) {
  std::string line = absl::StrFormat(
      "%s  %-17s %-24s %s -> %s", StreamIdTime(event.id()),
      TypeName(event.type()), event.sku(),
      StatusName(static_cast<availability::v1::Status>(event.old_status())),
      StatusName(static_cast<availability::v1::Status>(event.new_status())));
  if (event.has_first_ship_date()) {
    absl::StrAppend(&line, "  ships ", FormatDate(event.first_ship_date()));
  }
  absl::StrAppend(&line, "  net ", FormatQuantity(event.net_quantity()), "  v",
                  event.version(), "  id ", event.id());
  return line;
}

int RunEvents(CommandContext& ctx, const CommandArgs& args) {
  ArgParser parser("availability events tail --stock ID [flags]");
  parser.AddFlag("stock", "ID", "stock whose events to show (default 1)");
  parser.AddSwitch("from-start", "start from the oldest event kept");
  parser.AddFlag("after", "STREAM_ID", "start after this event id");
  parser.AddSwitch("json", "one protobuf JSON object per event");
  parser.AddFlag("count", "N", "stop after N events (default: never)");
  parser.AddFlag("duration", "SECONDS",
                 "stop after this long (default: "
                 "never; Ctrl-C ends)");
  AddSyncFlags(parser);
  if (std::optional<int> exit = ParseCommandArgs(ctx, parser, args)) {
    return *exit;
  }
  if (parser.positional().size() != 1 || parser.positional()[0] != "tail") {
    return UsageError(ctx, "events: the only subcommand is `events tail`");
  }
  absl::StatusOr<std::optional<int64_t>> stock =
      parser.GetIntInRange("stock", 1, std::numeric_limits<int32_t>::max());
  if (!stock.ok()) return UsageError(ctx, stock.status().message());
  absl::StatusOr<std::optional<int64_t>> count =
      parser.GetIntInRange("count", 1, std::numeric_limits<int64_t>::max());
  if (!count.ok()) return UsageError(ctx, count.status().message());
  absl::StatusOr<std::optional<int64_t>> duration =
      parser.GetIntInRange("duration", 1, 10 * 365 * 86400);
  if (!duration.ok()) return UsageError(ctx, duration.status().message());
  if (parser.GetBool("from-start") && parser.Has("after")) {
    return UsageError(ctx, "--from-start and --after: give one, not both");
  }
  const bool json = parser.GetBool("json");

  availability::v1::TailEventsRequest request;
  request.set_stock_id(static_cast<int32_t>(stock->value_or(1)));
  if (parser.GetBool("from-start")) {
    request.set_after_id("0");
  } else if (std::optional<std::string> after = parser.GetString("after")) {
    request.set_after_id(*after);
  }
  std::string target;
  absl::StatusOr<std::unique_ptr<av::client::SyncClient>> client =
      SyncClientFromFlags(parser, &target);
  if (!client.ok()) return UsageError(ctx, client.status().message());

  int64_t seen = 0;
  absl::Status print_error;
  absl::Status status = (*client)->TailEvents(
      request,
      duration->has_value() ? absl::Seconds(**duration)
                            : absl::Hours(24 * 3650),
      [&](const InventoryEvent& event) {
        if (json) {
          absl::StatusOr<std::string> line = ToJsonLine(event);
          if (!line.ok()) {
            print_error = line.status();
            return false;
          }
          *ctx.out << *line;
        } else {
          *ctx.out << FormatEventLine(event) << "\n";
        }
        ctx.out->flush();
        return !count->has_value() || ++seen < **count;
      });
  if (!print_error.ok()) return ReportError(ctx, print_error);
  // --duration ran out: the tail ended as asked.
  if (absl::IsDeadlineExceeded(status) && duration->has_value()) {
    return kExitOk;
  }
  if (!status.ok()) return ReportSyncError(ctx, target, status);
  return kExitOk;
}

}  // namespace av::cli
