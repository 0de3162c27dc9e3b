// `availability demo-catalog` writes the demo catalog as files;
// `availability setup-demo-store` loads the demo store's configuration,
// sales channel and category rankings into the server.

#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/cli/import_commands.h"
#include "client/import/demo_catalog.h"
#include "google/protobuf/util/json_util.h"

namespace av::cli {
namespace {

constexpr char kRecordsFile[] = "records.jsonl";
constexpr char kRankingsFile[] = "category_rankings.jsonl";

// Today in the demo store's time zone (Europe/Berlin; UTC if the zone
// database is missing).
absl::CivilDay StoreToday() {
  absl::TimeZone zone = absl::UTCTimeZone();
  absl::LoadTimeZone("Europe/Berlin", &zone);
  return absl::ToCivilDay(absl::Now(), zone);
}

// Writes `messages` to `path`, one proto JSON object (proto field names)
// per line.
template <typename Message>
absl::Status WriteJsonl(const std::filesystem::path& path,
                        const std::vector<Message>& messages) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out.is_open()) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write ", path.string()));
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string line;
  for (const Message& message : messages) {
    line.clear();
    if (!google::protobuf::util::MessageToJsonString(message, &line, options)
             .ok()) {
      return absl::InternalError("cannot print a record as JSON");
    }
    out << line << '\n';
  }
  out.close();
  if (!out) {
    return absl::DataLossError(
        absl::StrCat("writing ", path.string(), " failed"));
  }
  return absl::OkStatus();
}

}  // namespace

int RunDemoCatalog(CommandContext& ctx, const CommandArgs& args) {
  ArgParser parser("availability demo-catalog --out DIR [flags]");
  parser.AddFlag("out", "DIR",
                 absl::StrCat("directory to write ", kRecordsFile, " and ",
                              kRankingsFile, " to (created if missing)"));
  parser.AddFlag("skus", "N", "generated SKUs besides DEMO-* (default 1200)");
  parser.AddFlag("seed", "N", "random seed (default 1)");
  parser.AddFlag("today", "YYYY-MM-DD",
                 "the store's today; dates are relative to it (default: "
                 "today in Europe/Berlin)");
  parser.AddFlag("stock", "ID", "stock of the records (default 1)");
  parser.AddFlag("version", "V",
                 "version of every record (default: today as YYYYMMDD)");
  if (std::optional<int> exit = ParseCommandArgs(ctx, parser, args)) {
    return *exit;
  }
  if (!parser.positional().empty()) {
    return UsageError(ctx, "demo-catalog: no positional arguments");
  }
  std::optional<std::string> out_dir = parser.GetString("out");
  if (!out_dir.has_value() || out_dir->empty()) {
    return UsageError(ctx, "demo-catalog: --out DIR is required");
  }
  av::client::DemoCatalogOptions options;
  absl::StatusOr<std::optional<int64_t>> skus =
      parser.GetIntInRange("skus", 0, 100000);
  if (!skus.ok()) return UsageError(ctx, skus.status().message());
  options.sku_count = static_cast<int>(skus->value_or(1200));
  absl::StatusOr<std::optional<int64_t>> seed =
      parser.GetIntInRange("seed", 0, std::numeric_limits<int64_t>::max());
  if (!seed.ok()) return UsageError(ctx, seed.status().message());
  options.seed = static_cast<uint64_t>(seed->value_or(1));
  absl::StatusOr<std::optional<int64_t>> stock =
      parser.GetIntInRange("stock", 1, std::numeric_limits<int32_t>::max());
  if (!stock.ok()) return UsageError(ctx, stock.status().message());
  options.stock_id = static_cast<int32_t>(stock->value_or(1));
  absl::StatusOr<std::optional<int64_t>> version =
      parser.GetIntInRange("version", 1, std::numeric_limits<int64_t>::max());
  if (!version.ok()) return UsageError(ctx, version.status().message());
  options.version = version->value_or(0);
  options.today = StoreToday();
  if (std::optional<std::string> today = parser.GetString("today")) {
    if (!absl::ParseCivilTime(*today, &options.today)) {
      return UsageError(
          ctx, absl::StrCat("--today: \"", *today, "\" is not YYYY-MM-DD"));
    }
  }

  const av::client::DemoCatalog catalog =
      av::client::GenerateDemoCatalog(options);
  const std::filesystem::path dir(*out_dir);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return ReportError(
        ctx, absl::PermissionDeniedError(absl::StrCat(
                 "cannot create ", dir.string(), ": ", error.message())));
  }
  for (absl::Status status :
       {WriteJsonl(dir / kRecordsFile, catalog.records),
        WriteJsonl(dir / kRankingsFile, catalog.rankings)}) {
    if (!status.ok()) return ReportError(ctx, status);
  }

  *ctx.out << absl::StrFormat(
      "wrote %d records to %s and %d category rankings to %s (today %s, "
      "seed %d, stock %d)\n",
      catalog.records.size(), (dir / kRecordsFile).string(),
      catalog.rankings.size(), (dir / kRankingsFile).string(),
      absl::FormatCivilTime(options.today), options.seed, options.stock_id);
  *ctx.out << absl::StrFormat(
      "load it: availability setup-demo-store --dir %s --stock %d && "
      "availability import %s --replace\n",
      dir.string(), options.stock_id, (dir / kRecordsFile).string());
  *ctx.out << "demo SKUs (stock " << options.stock_id << "):\n";
  for (const av::client::DemoSku& sku : catalog.featured) {
    *ctx.out << absl::StrFormat("  %-18s %s\n", sku.sku, sku.shows);
  }
  return kExitOk;
}

int RunSetupDemoStore(CommandContext& ctx, const CommandArgs& args) {
  ArgParser parser("availability setup-demo-store [--dir DIR] [flags]");
  parser.AddFlag("dir", "DIR",
                 absl::StrCat("directory written by demo-catalog: load its ",
                              kRankingsFile,
                              " (default: generate the rankings from --skus "
                              "and --seed, as demo-catalog does)"));
  parser.AddFlag("skus", "N", "without --dir: as demo-catalog (default 1200)");
  parser.AddFlag("seed", "N", "without --dir: as demo-catalog (default 1)");
  parser.AddFlag("stock", "ID", "stock to configure (default 1)");
  parser.AddFlag("channel", "CODE",
                 "website code mapped to the stock (default base)");
  AddSyncFlags(parser);
  if (std::optional<int> exit = ParseCommandArgs(
          ctx, parser, args,
          "sets the store configuration (Europe/Berlin, Mon-Fri, handling 1 "
          "day, only-X-left 5, alternatives for backorders over 14 days), "
          "maps the channel to the stock and loads the category rankings.\n")) {
    return *exit;
  }
  if (!parser.positional().empty()) {
    return UsageError(ctx, "setup-demo-store: no positional arguments");
  }
  absl::StatusOr<std::optional<int64_t>> stock_flag =
      parser.GetIntInRange("stock", 1, std::numeric_limits<int32_t>::max());
  if (!stock_flag.ok()) return UsageError(ctx, stock_flag.status().message());
  const auto stock = static_cast<int32_t>(stock_flag->value_or(1));
  const std::string channel = parser.GetString("channel").value_or("base");
  if (channel.empty()) return UsageError(ctx, "--channel: empty");

  // The rankings: from the catalog's file, or generated like it.
  std::vector<availability::v1::PutCategoryRankingRequest> rankings;
  if (std::optional<std::string> dir = parser.GetString("dir")) {
    const std::filesystem::path path =
        std::filesystem::path(*dir) / kRankingsFile;
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) {
      return ReportError(
          ctx, absl::NotFoundError(absl::StrCat(
                   "cannot read ", path.string(),
                   "; run availability demo-catalog --out ", *dir, " first")));
    }
    int64_t line_number = 0;
    std::string line;
    while (std::getline(in, line)) {
      ++line_number;
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      availability::v1::PutCategoryRankingRequest request;
      if (!google::protobuf::util::JsonStringToMessage(line, &request).ok()) {
        return ReportError(ctx, absl::InvalidArgumentError(absl::StrCat(
                                    path.string(), ": line ", line_number,
                                    ": not a category ranking")));
      }
      rankings.push_back(std::move(request));
    }
  } else {
    av::client::DemoCatalogOptions options;
    absl::StatusOr<std::optional<int64_t>> skus =
        parser.GetIntInRange("skus", 0, 100000);
    if (!skus.ok()) return UsageError(ctx, skus.status().message());
    options.sku_count = static_cast<int>(skus->value_or(1200));
    absl::StatusOr<std::optional<int64_t>> seed =
        parser.GetIntInRange("seed", 0, std::numeric_limits<int64_t>::max());
    if (!seed.ok()) return UsageError(ctx, seed.status().message());
    options.seed = static_cast<uint64_t>(seed->value_or(1));
    rankings = av::client::GenerateDemoCatalog(options).rankings;
  }

  std::string target;
  absl::StatusOr<std::unique_ptr<av::client::SyncClient>> client =
      SyncClientFromFlags(parser, &target);
  if (!client.ok()) return UsageError(ctx, client.status().message());

  availability::v1::PutStoreConfigRequest config;
  *config.mutable_config() = av::client::DemoStoreConfig(stock);
  if (absl::Status s = (*client)->PutStoreConfig(config); !s.ok()) {
    return ReportSyncError(ctx, target, s);
  }
  availability::v1::PutSalesChannelsRequest channels;
  (*channels.mutable_channels())[channel] = stock;
  if (absl::Status s = (*client)->PutSalesChannels(channels); !s.ok()) {
    return ReportSyncError(ctx, target, s);
  }
  for (availability::v1::PutCategoryRankingRequest& request : rankings) {
    request.set_stock_id(stock);
    if (absl::Status s = (*client)->PutCategoryRanking(request); !s.ok()) {
      return ReportSyncError(ctx, target, s);
    }
  }
  *ctx.out << absl::StrFormat(
      "stock %d: store config set (Europe/Berlin, Mon-Fri, handling 1 day, "
      "only-X-left 5), channel %s -> stock %d, %d category rankings loaded\n",
      stock, channel, stock, rankings.size());
  return kExitOk;
}

}  // namespace av::cli
