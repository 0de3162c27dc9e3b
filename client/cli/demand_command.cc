// `availability demand`: the demand report of a stock (InventorySync.
// GetDemandReport, docs/operations.md "Demand report"): the SKUs shoppers
// asked about most while they could not ship now, and the low-stock SKUs
// among them, as two tables or one JSON object.
//
//   availability demand --stock 1 --days 7 [--limit 20] [--json]

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/format.h"
#include "client/cli/import_commands.h"

namespace av::cli {
namespace {

using availability::v1::DemandItem;
using availability::v1::DemandReport;

// One table: a header and one row per item.
std::string FormatDemandTable(
    const google::protobuf::RepeatedPtrField<DemandItem>& items) {
  std::vector<std::vector<std::string>> rows = {
      {"SKU", "PAGE VIEWS", "LISTING VIEWS", "BACKORDER QTY", "SUBSCRIBERS",
       "STATUS", "RESTOCK", "SALABLE", "NOTIFY AT"}};
  for (const DemandItem& item : items) {
    rows.push_back(
        {item.sku(), absl::StrCat(item.product_page_views()),
         absl::StrCat(item.listing_views()),
         FormatQuantity(item.backorder_quantity()),
         absl::StrCat(item.subscribers()), StatusName(item.status()),
         item.has_restock_date() ? FormatDate(item.restock_date()) : "-",
         item.has_salable_quantity() ? FormatQuantity(item.salable_quantity())
                                     : "-",
         item.has_notify_stock_quantity()
             ? FormatQuantity(item.notify_stock_quantity())
             : "-"});
  }
  return FormatTable(rows);
}

}  // namespace

int RunDemand(CommandContext& ctx, const CommandArgs& args) {
  ArgParser parser("availability demand [flags]");
  parser.AddFlag("stock", "ID", "stock to report on (default 1)");
  parser.AddFlag("days", "N", "window in UTC days: 1, 7 or 30 (default 7)");
  parser.AddFlag("limit", "N", "most SKUs per list, 1..500 (default 20)");
  parser.AddSwitch("json", "the report as one protobuf JSON object");
  AddSyncFlags(parser);
  if (std::optional<int> exit = ParseCommandArgs(ctx, parser, args)) {
    return *exit;
  }
  if (!parser.positional().empty()) {
    return UsageError(ctx, "demand: takes no arguments");
  }
  absl::StatusOr<std::optional<int64_t>> stock =
      parser.GetIntInRange("stock", 1, std::numeric_limits<int32_t>::max());
  if (!stock.ok()) return UsageError(ctx, stock.status().message());
  absl::StatusOr<std::optional<int64_t>> days =
      parser.GetIntInRange("days", 1, 30);
  if (!days.ok()) return UsageError(ctx, days.status().message());
  if (days->has_value() && **days != 1 && **days != 7 && **days != 30) {
    return UsageError(ctx,
                      absl::StrCat("--days: must be 1, 7 or 30, got ", **days));
  }
  absl::StatusOr<std::optional<int64_t>> limit =
      parser.GetIntInRange("limit", 1, 500);
  if (!limit.ok()) return UsageError(ctx, limit.status().message());

  availability::v1::GetDemandReportRequest request;
  request.set_stock_id(static_cast<int32_t>(stock->value_or(1)));
  request.set_days(static_cast<int32_t>(days->value_or(7)));
  request.set_limit(static_cast<int32_t>(limit->value_or(0)));

  std::string target;
  absl::StatusOr<std::unique_ptr<av::client::SyncClient>> client =
      SyncClientFromFlags(parser, &target);
  if (!client.ok()) return UsageError(ctx, client.status().message());
  absl::StatusOr<DemandReport> report = (*client)->GetDemandReport(request);
  if (!report.ok()) return ReportSyncError(ctx, target, report.status());

  if (parser.GetBool("json")) {
    absl::StatusOr<std::string> line = ToJsonLine(*report);
    if (!line.ok()) return ReportError(ctx, line.status());
    *ctx.out << *line;
    return kExitOk;
  }
  *ctx.out << absl::StrFormat(
      "demand on stock %d, %s .. %s (UTC), %d SKU(s) with demand\n\n",
      report->stock_id(), FormatDate(report->first_day()),
      FormatDate(report->last_day()), report->skus_with_demand());
  *ctx.out << "top by views (out of stock, backorderable or preorder):\n"
           << (report->top().empty() ? "(none)\n"
                                     : FormatDemandTable(report->top()))
           << "\nlow stock (salable at or below the notify level):\n"
           << (report->low_stock().empty()
                   ? "(none)\n"
                   : FormatDemandTable(report->low_stock()));
  return kExitOk;
}

}  // namespace av::cli
