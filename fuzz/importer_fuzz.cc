// Fuzzes the snapshot file readers of `availability import`
// (client/import/): the first byte picks the CSV tokenizer (0, or 1 with a
// 16-byte record limit), the Magento catalog-export reader (2), the JSONL
// reader (3), or the Magento reader behind a Windows-1252 (4) or UTF-16 (5)
// TranscodingStreamBuf; each reads the rest as the whole file, as the import
// command does, skipping bad rows. Checks: every call makes progress (no
// endless loop on a bad row), bad rows are reported as "line N: ...", fatal
// errors stay fatal, records carry a SKU, a stock and the snapshot's version,
// every string of every record is valid UTF-8 (never sent otherwise),
// multi-line fields lie within the row's lines, and Magento's decimal text
// converts to an exact API quantity.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "availability/v1/inventory_sync.pb.h"
#include "client/import/csv.h"
#include "client/import/jsonl_reader.h"
#include "client/import/magento_csv_reader.h"
#include "client/import/record_reader.h"
#include "client/import/text_encoding.h"
#include "core/quantity.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/stubs/logging.h"
#include "server/sync_mapping.h"

namespace av::client {
namespace {

constexpr int64_t kVersion = 1234;

void ReadCsv(const std::string& input, size_t max_record_bytes) {
  std::istringstream in(input);
  CsvOptions options;
  options.max_record_bytes = max_record_bytes;
  CsvReader csv(in, options);
  std::vector<std::string> fields;
  bool fatal = false;
  // Each call consumes at least one byte or ends: input.size() + 2 calls.
  for (size_t calls = 0;; ++calls) {
    FUZZ_CHECK(calls <= input.size() + 2) << "CsvReader makes no progress";
    const int64_t before = csv.bytes_read();
    absl::StatusOr<bool> more = csv.ReadRecord(&fields);
    FUZZ_CHECK(csv.bytes_read() <= static_cast<int64_t>(input.size()));
    if (!more.ok()) {
      if (IsRecoverableCsvError(more.status())) {
        FUZZ_CHECK(!fatal) << "a recoverable error after a fatal one";
        FUZZ_CHECK(absl::StartsWith(more.status().message(), "line "))
            << more.status();
        FUZZ_CHECK(csv.bytes_read() > before) << "skipped nothing";
        continue;
      }
      FUZZ_CHECK(absl::IsResourceExhausted(more.status())) << more.status();
      if (fatal) break;  // it stays fatal: checked once more, then stop
      fatal = true;
      continue;
    }
    FUZZ_CHECK(!fatal) << "a record after a fatal error";
    if (!*more) break;
    FUZZ_CHECK(csv.bytes_read() > before) << "a record from no bytes";
    FUZZ_CHECK(!fields.empty());
    size_t bytes = 0;
    for (const std::string& f : fields) bytes += f.size();
    FUZZ_CHECK(bytes <= max_record_bytes) << bytes << " > " << max_record_bytes;
  }
}

// Drains `reader`, checking each batch of records with `check`.
template <typename Check>
void Drain(RecordReader& reader, size_t input_size, Check check) {
  std::vector<availability::v1::InventoryRecord> records;
  for (size_t calls = 0;; ++calls) {
    FUZZ_CHECK(calls <= input_size + 2) << "reader makes no progress";
    absl::StatusOr<bool> more = reader.Next(&records);
    FUZZ_CHECK(reader.bytes_read() <= static_cast<int64_t>(input_size));
    if (!more.ok()) {
      if (!IsBadRow(more.status())) break;  // cannot go on
      FUZZ_CHECK(absl::StartsWith(more.status().message(), "line "))
          << more.status();
      continue;
    }
    if (!*more) break;
    for (const MultilineField& field : reader.multiline_fields()) {
      FUZZ_CHECK(field.first_line >= reader.line() &&
                 field.first_line < field.last_line)
          << field.column << " " << field.first_line << "-" << field.last_line;
    }
    for (const availability::v1::InventoryRecord& r : records) {
      FUZZ_CHECK(!r.sku().empty());
      FUZZ_CHECK(CheckMessageText(r, "utf-8").ok())
          << CheckMessageText(r, "utf-8");
      check(r);
      // The server's mapping takes whatever a reader produced without
      // crashing (it may reject it).
      (void)availability::server::RecordFromApi(r, "records[0]");
    }
  }
}

void CheckQuantity(double value) {
  FUZZ_CHECK(std::isfinite(value)) << value;
  if (std::fabs(value) < 1e8) {
    // At most 4 decimals: an exact API quantity.
    FUZZ_CHECK(availability::core::QtyFromDouble(value).ok()) << value;
  }
}

void ReadMagento(const std::string& input, const char* encoding = nullptr) {
  std::istringstream file(input);
  std::unique_ptr<TranscodingStreamBuf> transcoder;
  std::unique_ptr<std::istream> transcoded;
  std::istream* in_ptr = &file;
  if (encoding != nullptr) {
    absl::StatusOr<std::unique_ptr<TranscodingStreamBuf>> made =
        TranscodingStreamBuf::Create(file.rdbuf(), encoding);
    FUZZ_CHECK(made.ok()) << made.status();
    transcoder = *std::move(made);
    transcoded = std::make_unique<std::istream>(transcoder.get());
    in_ptr = transcoded.get();
  }
  std::istream& in = *in_ptr;
  // Transcoding may grow the text (at most 3 UTF-8 bytes per input byte).
  const size_t size = encoding == nullptr ? input.size() : 3 * input.size();
  MagentoCsvOptions options;
  options.channels = {{"base", 1}, {"de", 2}, {"fr", 3}};
  options.version = kVersion;
  absl::StatusOr<std::unique_ptr<MagentoCsvReader>> reader =
      MagentoCsvReader::Create(in, options);
  if (!reader.ok()) return;
  Drain(**reader, size, [](const availability::v1::InventoryRecord& r) {
    FUZZ_CHECK(r.stock_id() >= 1 && r.stock_id() <= 3) << r.stock_id();
    FUZZ_CHECK(r.version() == kVersion);
    CheckQuantity(r.source_quantity());
    if (r.has_min_qty()) CheckQuantity(r.min_qty());
    if (r.has_min_sale_qty()) CheckQuantity(r.min_sale_qty());
    if (r.has_max_sale_qty()) CheckQuantity(r.max_sale_qty());
    if (r.has_qty_increments()) CheckQuantity(r.qty_increments());
    if (r.has_notify_stock_qty()) CheckQuantity(r.notify_stock_qty());
    for (const auto& link : r.alternatives()) {
      FUZZ_CHECK(link.sku() != r.sku()) << "a link to itself";
    }
    for (int64_t id : r.category_ids()) FUZZ_CHECK(id >= 1) << id;
  });
}

void ReadJsonl(const std::string& input) {
  std::istringstream in(input);
  JsonlReaderOptions options;
  options.default_stock_id = 5;
  options.max_line_bytes = 4096;
  JsonlReader reader(in, options);
  Drain(reader, input.size(), [](const availability::v1::InventoryRecord& r) {
    FUZZ_CHECK(r.stock_id() != 0) << "default_stock_id not applied";
  });
}

void ParseSmallValues(absl::string_view input) {
  const absl::string_view line = input.substr(0, input.find('\n'));
  if (line.size() > 64) return;
  absl::StatusOr<double> q = ParseDecimalQuantity(line);
  if (q.ok()) CheckQuantity(*q);
  absl::StatusOr<std::map<std::string, int32_t>> channels = ParseChannels(line);
  if (channels.ok()) {
    FUZZ_CHECK(!channels->empty());
    for (const auto& [code, stock] : *channels) {
      FUZZ_CHECK(!code.empty() && stock >= 1) << code << "=" << stock;
    }
  }
  FUZZ_CHECK(CategoryIdForPath(line) >= 1);
}

}  // namespace
}  // namespace av::client

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The JSON parser logs what it rejects; bad lines are expected here.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first byte picks the reader (the JSON parser is slow: one reader per
  // input keeps the executions per second up); the rest is the file.
  if (size < 1 || size > (1 << 16)) return 0;
  const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 6) {
    case 0:
      av::client::ReadCsv(input, 1 << 16);
      break;
    case 1:
      // A small record limit, so that the fatal path is reached.
      av::client::ReadCsv(input, 16);
      break;
    case 2:
      av::client::ReadMagento(input);
      av::client::ParseSmallValues(input);
      break;
    case 3:
      av::client::ReadJsonl(input);
      break;
    case 4:
      av::client::ReadMagento(input, "windows-1252");
      break;
    case 5:
      av::client::ReadMagento(input, "UTF-16");
      break;
  }
  return 0;
}
