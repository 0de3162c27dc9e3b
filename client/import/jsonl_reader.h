// JsonlReader: reads inventory records from JSON Lines, one
// availability.v1.InventoryRecord per line in the proto3 JSON mapping.
// Field names may be the proto names or their lowerCamelCase JSON names:
//
//   {"sku":"24-MB01","stock_id":1,"version":3,"source_quantity":5,
//    "inbound":[{"date":{"year":2026,"month":3,"day":4},"quantity":5}]}
//
// Blank lines (only whitespace) are skipped; a line that is not a valid
// record (bad JSON, an unknown field, a wrong type, no sku) is reported as
// "line N: <reason>" and skipped. A record without stock_id gets
// `default_stock_id`. A line that is not valid UTF-8, or a record with a
// string that is not (a "\udc00" escape), is a bad line naming the field
// when it can ("line 7: sku: not valid UTF-8 (byte 0xE9 at offset 4; ...)").
// Reads one line at a time; a line longer than `max_line_bytes` is a bad
// line. Not thread-safe.
#ifndef CLIENT_IMPORT_JSONL_READER_H_
#define CLIENT_IMPORT_JSONL_READER_H_

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "availability/v1/inventory_sync.pb.h"
#include "client/import/fast_json.h"
#include "client/import/record_reader.h"

namespace av::client {

struct JsonlReaderOptions {
  // Stock of records that name none (stock_id 0); 0 leaves them as they are
  // (the server then rejects them).
  int32_t default_stock_id = 0;
  size_t max_line_bytes = 1 << 20;
  // The encoding the file was in (already transcoded to UTF-8 by the
  // caller, see TranscodingStreamBuf), for messages about invalid text.
  std::string encoding = "utf-8";
};

class JsonlReader : public RecordReader {
 public:
  // Reads from `in`, which must outlive the reader.
  explicit JsonlReader(std::istream& in,
                       JsonlReaderOptions options = JsonlReaderOptions());

  // One record per non-blank line; see RecordReader::Next.
  absl::StatusOr<bool> Next(
      std::vector<availability::v1::InventoryRecord>* records) override;

  int64_t bytes_read() const override { return bytes_read_; }
  // Every line is checked: FindInvalidUtf8 of the whole line, and
  // CheckMessageText after protobuf's parser (which reads escapes).
  bool checks_text() const override { return true; }
  // Number of the line read last (1-based).
  int64_t line() const override { return line_; }

 private:
  // Reads the next line into line_text_ (without its line break). false at
  // the end of input. Sets *too_long when the line exceeded max_line_bytes
  // (the rest of it was skipped).
  bool ReadLine(bool* too_long);

  static constexpr size_t kReadChunk = 1 << 16;

  std::streambuf* const in_;
  const JsonlReaderOptions options_;
  // Read ahead from in_; buffer_pos_ is the first byte not yet consumed.
  std::string buffer_;
  size_t buffer_pos_ = 0;
  FastJsonParser fast_;
  std::string line_text_;
  int64_t line_ = 0;
  int64_t bytes_read_ = 0;
};

// Parses one JSON object into `*record` (proto3 JSON mapping, unknown fields
// rejected). InvalidArgument with the parser's reason.
absl::Status ParseRecordJson(absl::string_view json,
                             availability::v1::InventoryRecord* record);

}  // namespace av::client

#endif  // CLIENT_IMPORT_JSONL_READER_H_
