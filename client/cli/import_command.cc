// `availability import FILE`: streams a JSONL or Magento CSV snapshot to the
// sync service (see client/import/importer.h for batching and reconcile).

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/cli/import_commands.h"
#include "client/import/importer.h"
#include "client/import/jsonl_reader.h"
#include "client/import/magento_csv_reader.h"
#include "client/import/text_encoding.h"

namespace av::cli {
namespace {

using av::client::ImportOptions;
using av::client::ImportSummary;

// Sends to the InventorySync service through SyncClient.
class SyncRecordSink : public av::client::RecordSink {
 public:
  explicit SyncRecordSink(const av::client::SyncClient& client)
      : client_(client) {}

  absl::StatusOr<availability::v1::UpsertRecordsResponse> StreamUpsertRecords(
      absl::FunctionRef<bool(availability::v1::UpsertRecordsRequest*)>
          next_batch) override {
    return client_.StreamUpsertRecords(next_batch);
  }
  absl::StatusOr<availability::v1::FinishSnapshotResponse> FinishSnapshot(
      const availability::v1::FinishSnapshotRequest& request) override {
    return client_.FinishSnapshot(request);
  }

 private:
  const av::client::SyncClient& client_;
};

// A one-line progress bar on a terminal: records, rate, ETA from the bytes
// read against the file size. Redraws at most 10 times a second.
class ProgressBar {
 public:
  ProgressBar(std::ostream& out, int64_t file_bytes, absl::Time start)
      : out_(out), file_bytes_(file_bytes), start_(start) {}

  void Update(int64_t records, int64_t bytes) {
    const absl::Time now = absl::Now();
    if (now - last_draw_ < absl::Milliseconds(100)) return;
    last_draw_ = now;
    const double seconds = std::max(absl::ToDoubleSeconds(now - start_), 1e-3);
    const double fraction =
        file_bytes_ > 0
            ? std::min(1.0, static_cast<double>(bytes) / file_bytes_)
            : 0.0;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string eta = "--:--";
    if (fraction > 0) {
      const auto left =
          static_cast<int64_t>(seconds * (1 - fraction) / fraction);
      eta = absl::StrFormat("%d:%02d", left / 60, left % 60);
    }
    out_ << absl::StrFormat("\r[%s%s] %3d%%  %d records  %d/s  ETA %s\033[K",
                            std::string(filled, '#'),
                            std::string(kWidth - filled, ' '),
                            static_cast<int>(fraction * 100), records,
                            static_cast<int64_t>(records / seconds), eta)
         << std::flush;
    drawn_ = true;
  }

  // Clears the bar so the summary starts on a clean line.
  void Clear() {
    if (drawn_) out_ << "\r\033[K" << std::flush;
    drawn_ = false;
  }

 private:
  std::ostream& out_;
  const int64_t file_bytes_;
  const absl::Time start_;
  absl::Time last_draw_ = absl::InfinitePast();
  bool drawn_ = false;
};

// Forwards to `out`, clearing the progress bar before the first character
// of each write so that problem lines never run into the bar.
class BarClearingBuffer : public std::streambuf {
 public:
  BarClearingBuffer(std::ostream& out, ProgressBar& bar)
      : out_(out), bar_(bar) {}

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    bar_.Clear();
    out_.put(static_cast<char>(c));
    return c;
  }

 private:
  std::ostream& out_;
  ProgressBar& bar_;
};

constexpr char kImportExitCodes[] =
    "exit codes: 0 every row went in (and --replace deleted what the file "
    "lacks);\n"
    "  6 some rows bad (not readable, not valid UTF-8, a SKU twice with "
    "other values)\n"
    "    or records rejected or failed: the rest went in, nothing deleted;\n"
    "  5 the server's totals fell short of the records sent, or the "
    "mass-delete\n"
    "    guard refused (--max-delete): nothing deleted;\n"
    "  2 usage; 1 file not found; 3/4 as for every command\n";

// --max-delete PERCENT ("10", "10%", "2.5"): the share 0..1; nullopt when
// not given.
absl::StatusOr<std::optional<double>> MaxDeleteFraction(
    const ArgParser& parser) {
  std::optional<std::string> text = parser.GetString("max-delete");
  if (!text.has_value()) return std::nullopt;
  absl::string_view number = absl::StripAsciiWhitespace(*text);
  absl::ConsumeSuffix(&number, "%");
  double percent = 0;
  if (!absl::SimpleAtod(number, &percent) || !(percent >= 0) || percent > 100) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max-delete: \"", *text, "\" is not a percentage 0..100"));
  }
  return percent / 100;
}

enum class Format { kJsonl, kMagentoCsv };

absl::StatusOr<Format> FormatOf(const ArgParser& parser,
                                const std::string& path) {
  std::string name = parser.GetString("format").value_or("");
  if (name.empty()) {
    for (const char* ext : {".jsonl", ".ndjson", ".json"}) {
      if (absl::EndsWithIgnoreCase(path, ext)) return Format::kJsonl;
    }
    if (absl::EndsWithIgnoreCase(path, ".csv")) return Format::kMagentoCsv;
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot tell the format of ", path,
        " by its extension; pass --format jsonl or --format magento-csv"));
  }
  if (name == "jsonl") return Format::kJsonl;
  if (name == "magento-csv") return Format::kMagentoCsv;
  return absl::InvalidArgumentError(
      absl::StrCat("--format: \"", name, "\" is not jsonl or magento-csv"));
}

}  // namespace

int RunImport(CommandContext& ctx, const CommandArgs& args) {
  ArgParser parser("availability import FILE [flags]");
  parser.AddFlag("format", "jsonl|magento-csv",
                 "file format (default: by extension, .jsonl or .csv)");
  parser.AddFlag("stock", "ID",
                 "stock of rows/records that name none (default 1)");
  parser.AddFlag("channels", "CODE=ID,...",
                 "magento-csv: website code -> stock (default base=1)");
  parser.AddFlag("version", "V",
                 "magento-csv: version of every record (default: the file's "
                 "modification time in microseconds)");
  parser.AddFlag("encoding", "NAME",
                 "the file's text encoding, any name iconv knows, e.g. "
                 "windows-1252, iso-8859-1 (default utf-8)");
  parser.AddSwitch("replace",
                   "snapshot: afterwards delete the records of each stock "
                   "touched that the file does not hold (only when every row "
                   "went in)");
  parser.AddFlag("max-delete", "PERCENT",
                 "replace: refuse to delete more than this share of a "
                 "stock's records, 0..100 (default 10; 100 = no limit)");
  parser.AddFlag("max-delete-count", "N",
                 "replace: refuse to delete more than N records of a stock "
                 "(instead of the default share limit)");
  parser.AddFlag("max-field-lines", "N",
                 "magento-csv: a quoted field over more lines makes its row "
                 "bad (a stray quote?) (default 50)");
  parser.AddSwitch("dry-run", "parse and check the file; send nothing");
  parser.AddFlag("batch", "N", "records per message, 1..1000 (default 500)");
  AddSyncFlags(parser);
  if (std::optional<int> exit =
          ParseCommandArgs(ctx, parser, args, kImportExitCodes)) {
    return *exit;
  }
  if (parser.positional().size() != 1) {
    return UsageError(ctx, "import: give exactly one FILE");
  }
  const std::string& path = parser.positional()[0];
  absl::StatusOr<Format> format = FormatOf(parser, path);
  if (!format.ok()) return UsageError(ctx, format.status().message());
  absl::StatusOr<std::optional<int64_t>> stock =
      parser.GetIntInRange("stock", 1, std::numeric_limits<int32_t>::max());
  if (!stock.ok()) return UsageError(ctx, stock.status().message());
  absl::StatusOr<std::optional<int64_t>> batch =
      parser.GetIntInRange("batch", 1, 1000);
  if (!batch.ok()) return UsageError(ctx, batch.status().message());
  absl::StatusOr<std::optional<int64_t>> version =
      parser.GetIntInRange("version", 1, std::numeric_limits<int64_t>::max());
  if (!version.ok()) return UsageError(ctx, version.status().message());
  absl::StatusOr<std::optional<int64_t>> max_field_lines = parser.GetIntInRange(
      "max-field-lines", 2, std::numeric_limits<int32_t>::max());
  if (!max_field_lines.ok()) {
    return UsageError(ctx, max_field_lines.status().message());
  }
  absl::StatusOr<std::optional<double>> max_delete = MaxDeleteFraction(parser);
  if (!max_delete.ok()) return UsageError(ctx, max_delete.status().message());
  absl::StatusOr<std::optional<int64_t>> max_delete_count =
      parser.GetIntInRange("max-delete-count", 0,
                           std::numeric_limits<int64_t>::max());
  if (!max_delete_count.ok()) {
    return UsageError(ctx, max_delete_count.status().message());
  }
  const std::string encoding =
      parser.GetString("encoding").value_or(av::client::kDefaultEncoding);
  const bool dry_run = parser.GetBool("dry-run");
  const bool replace = parser.GetBool("replace");

  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return ReportError(ctx, absl::NotFoundError(absl::StrCat(
                                "import: ", path, " is not a readable file")));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file.is_open()) {
    return ReportError(
        ctx, absl::NotFoundError(absl::StrCat("import: cannot open ", path)));
  }
  // Another encoding is decoded to UTF-8 before the readers see it.
  std::unique_ptr<av::client::TranscodingStreamBuf> transcoder;
  std::unique_ptr<std::istream> transcoded;
  std::istream* input = &file;
  if (!av::client::IsUtf8Encoding(encoding)) {
    absl::StatusOr<std::unique_ptr<av::client::TranscodingStreamBuf>> made =
        av::client::TranscodingStreamBuf::Create(file.rdbuf(), encoding);
    if (!made.ok()) return UsageError(ctx, made.status().message());
    transcoder = *std::move(made);
    transcoded = std::make_unique<std::istream>(transcoder.get());
    input = transcoded.get();
  }
  const int32_t default_stock = static_cast<int32_t>(stock->value_or(1));

  std::unique_ptr<av::client::RecordReader> reader;
  if (*format == Format::kJsonl) {
    av::client::JsonlReaderOptions options;
    options.default_stock_id = default_stock;
    options.encoding = encoding;
    reader = std::make_unique<av::client::JsonlReader>(*input, options);
  } else {
    av::client::MagentoCsvOptions options;
    options.default_stock_id = default_stock;
    options.encoding = encoding;
    if (max_field_lines->has_value()) {
      options.max_field_lines = **max_field_lines;
    }
    if (std::optional<std::string> channels = parser.GetString("channels")) {
      absl::StatusOr<std::map<std::string, int32_t>> parsed =
          av::client::ParseChannels(*channels);
      if (!parsed.ok()) return UsageError(ctx, parsed.status().message());
      options.channels = *std::move(parsed);
    }
    // The export has no version of its own: the snapshot's time is it.
    const absl::Time mtime = absl::TimeFromTimespec(info.st_mtim);
    options.source_time = mtime;
    options.version = version->value_or(absl::ToUnixMicros(mtime));
    if (options.version < 1) options.version = absl::ToUnixMicros(absl::Now());
    absl::StatusOr<std::unique_ptr<av::client::MagentoCsvReader>> csv =
        av::client::MagentoCsvReader::Create(*input, options);
    if (!csv.ok()) {
      return ReportError(ctx, absl::InvalidArgumentError(absl::StrCat(
                                  path, ": ", csv.status().message())));
    }
    reader = *std::move(csv);
  }

  std::unique_ptr<av::client::SyncClient> client;
  std::string target;
  if (!dry_run) {
    absl::StatusOr<std::unique_ptr<av::client::SyncClient>> made =
        SyncClientFromFlags(parser, &target);
    if (!made.ok()) return UsageError(ctx, made.status().message());
    client = *std::move(made);
  }

  const absl::Time start = absl::Now();
  ImportOptions options;
  options.batch_size = static_cast<int>(batch->value_or(500));
  options.replace = replace && !dry_run;
  options.encoding = encoding;
  // A count given alone replaces the default share limit.
  if (max_delete->has_value() || max_delete_count->has_value()) {
    options.max_delete_fraction = *max_delete;
  }
  options.max_delete_count = *max_delete_count;
  if (options.replace) {
    options.snapshot_id =
        av::client::NewSnapshotId(start, std::random_device()());
  }
  // On a terminal: a progress bar, cleared before each problem line.
  std::unique_ptr<ProgressBar> progress;
  std::unique_ptr<BarClearingBuffer> problems_buffer;
  std::unique_ptr<std::ostream> problems_stream;
  std::ostream* problems = ctx.err;
  if (::isatty(STDERR_FILENO) == 1 && ctx.err == &std::cerr) {
    progress = std::make_unique<ProgressBar>(*ctx.err, info.st_size, start);
    options.on_progress = [&progress, &transcoder](int64_t records,
                                                   int64_t bytes) {
      progress->Update(records, transcoder != nullptr
                                    ? transcoder->source_bytes_read()
                                    : bytes);
    };
    problems_buffer = std::make_unique<BarClearingBuffer>(*ctx.err, *progress);
    problems_stream = std::make_unique<std::ostream>(problems_buffer.get());
    problems = problems_stream.get();
  }
  std::unique_ptr<SyncRecordSink> sink;
  if (client != nullptr) sink = std::make_unique<SyncRecordSink>(*client);
  ImportSummary summary =
      av::client::ImportRecords(*reader, sink.get(), options, *problems);
  if (progress != nullptr) progress->Clear();

  if (summary.snapshot_finished && !summary.stocks.empty()) {
    *ctx.out << "snapshot " << options.snapshot_id << " finished on stock "
             << absl::StrJoin(summary.stocks, ",") << "\n";
  }
  *ctx.out << av::client::FormatImportSummary(summary, absl::Now() - start,
                                              dry_run)
           << "\n";
  if (!summary.status.ok()) {
    if (dry_run) return ReportError(ctx, summary.status);
    absl::Status status = summary.status;
    if (absl::IsFailedPrecondition(status) &&
        absl::StrContains(status.message(), "would delete")) {
      status = absl::Status(
          status.code(),
          absl::StrCat(status.message(),
                       ". If the file is right, import it again with a "
                       "larger --max-delete=PERCENT (100: no limit) or "
                       "--max-delete-count=N"));
    }
    return ReportSyncError(ctx, target, status);
  }
  return summary.clean() ? kExitOk : kExitPartial;
}

}  // namespace av::cli
