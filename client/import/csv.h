// A streaming CSV tokenizer for RFC 4180 files, such as Magento 2's catalog
// export: fields separated by commas, records by LF, CRLF or CR; a field in
// double quotes may hold commas, line breaks and doubled quotes ("").
//
//   std::ifstream file("export.csv", std::ios::binary);
//   CsvReader csv(file);
//   std::vector<std::string> fields;
//   for (;;) {
//     absl::StatusOr<bool> more = csv.ReadRecord(&fields);
//     if (!more.ok()) { ...; if (IsRecoverableCsvError(more.status()))
//     continue; break; } if (!*more) break;
//     ... fields ..., csv.record_line()
//   }
//
// Memory is bounded by the longest record (CsvOptions::max_record_bytes).
// Lenient where the RFC is silent: a quote inside an unquoted field is kept
// as a literal character; a blank line is a record of one empty field.
// Not thread-safe; one reader per stream, used by one thread at a time.
#ifndef CLIENT_IMPORT_CSV_H_
#define CLIENT_IMPORT_CSV_H_

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace av::client {

// A quoted field of the last record that spans several physical lines.
struct CsvMultilineField {
  size_t column = 0;       // 0-based index in the record
  int64_t first_line = 0;  // line of the opening quote
  int64_t last_line = 0;   // line of the closing quote
};

struct CsvOptions {
  char delimiter = ',';
  // A record longer than this (all fields together) is a fatal error.
  size_t max_record_bytes = 16 << 20;
};

// True when `status` (from CsvReader::ReadRecord) is about one malformed
// record that the reader has skipped, so reading may go on.
bool IsRecoverableCsvError(const absl::Status& status);

class CsvReader {
 public:
  // Reads from `in`, which must outlive the reader.
  explicit CsvReader(std::istream& in, CsvOptions options = CsvOptions());

  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record into `*fields` (replacing its contents).
  // true: a record was read; false: end of input.
  // InvalidArgument "line N: ...": the record is malformed (a character
  //   after a closing quote, or a quote never closed); it has been skipped
  //   and the next call reads on. When the bad quoted field spans lines, the
  //   message names the lines skipped with it ("lines 600-630").
  // ResourceExhausted: a record exceeds max_record_bytes; every later call
  //   fails the same way.
  absl::StatusOr<bool> ReadRecord(std::vector<std::string>* fields);

  // The physical line (1-based) on which the last record read (or failed)
  // began.
  int64_t record_line() const { return record_line_; }
  // Bytes consumed from the stream so far.
  int64_t bytes_read() const { return bytes_read_; }
  // The quoted fields of the last record read that hold line breaks, by
  // column (so "lines 12-14 were read as one field" can be reported).
  const std::vector<CsvMultilineField>& multiline_fields() const {
    return multiline_fields_;
  }

 private:
  static constexpr int kEof = -1;

  // Consumes one byte, counting bytes and line breaks; kEof at the end.
  int Get();
  // Skips to just past the next line break (or the end).
  void SkipLine();

  std::streambuf* const in_;
  const CsvOptions options_;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  int64_t bytes_read_ = 0;
  std::vector<CsvMultilineField> multiline_fields_;
  absl::Status fatal_;  // once set, returned by every ReadRecord
};

}  // namespace av::client

#endif  // CLIENT_IMPORT_CSV_H_
