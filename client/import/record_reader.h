// RecordReader: the common face of the snapshot file readers (JSONL,
// Magento CSV), so that the import command streams either the same way.
//
//   std::vector<availability::v1::InventoryRecord> records;
//   for (;;) {
//     absl::StatusOr<bool> more = reader.Next(&records);
//     if (!more.ok()) {
//       if (IsBadRow(more.status())) { report; continue; }  // skipped
//       return more.status();                              // cannot go on
//     }
//     if (!*more) break;  // end of input
//     send(records);
//   }
//
// Implementations read one line or row at a time (bounded memory), never
// yield a record whose text is not valid UTF-8 (such a row is bad, and its
// error names the field and the byte), and are not thread-safe.
#ifndef CLIENT_IMPORT_RECORD_READER_H_
#define CLIENT_IMPORT_RECORD_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "availability/v1/inventory_sync.pb.h"

namespace av::client {

// A quoted field that spans several lines of the file: legitimate in a
// description, but also what a stray quote does to the rows after it.
struct MultilineField {
  std::string column;
  int64_t first_line = 0;
  int64_t last_line = 0;
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;

  // Reads the next line or row into `*records` (replacing its contents; a
  // Magento row for websites on several stocks yields one record per stock).
  // true: records read; false: end of input.
  // InvalidArgument "line N: ...": this line/row is bad and was skipped; call
  //   again for the next one.
  // Any other error: the input cannot be read further.
  virtual absl::StatusOr<bool> Next(
      std::vector<availability::v1::InventoryRecord>* records) = 0;

  // Bytes of the input consumed so far (for progress and ETA).
  virtual int64_t bytes_read() const = 0;

  // The line (1-based) on which the row or line read last began (also after
  // a bad row); 0 before the first.
  virtual int64_t line() const = 0;

  // True when every record Next yields has had all its text checked to be
  // valid UTF-8 already (the importer then skips its own check).
  virtual bool checks_text() const { return false; }

  // The multi-line quoted fields of the row read last (also after a bad
  // row); empty for formats without them.
  virtual const std::vector<MultilineField>& multiline_fields() const {
    static const auto& kNone = *new std::vector<MultilineField>();
    return kNone;
  }
};

// True when `status` from RecordReader::Next is a bad line or row that was
// skipped (reading may go on).
inline bool IsBadRow(const absl::Status& status) {
  return absl::IsInvalidArgument(status);
}

}  // namespace av::client

#endif  // CLIENT_IMPORT_RECORD_READER_H_
