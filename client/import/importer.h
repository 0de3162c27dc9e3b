// ImportRecords: streams the records of a RecordReader to the sync service
// in batches (StreamUpsertRecords), so the server's validation and versioning
// apply, and for a snapshot import (`replace`) reconciles every stock the
// file touched with FinishSnapshot.
//
//   JsonlReader reader(file);
//   SyncRecordSink sink(client);           // or a fake in tests
//   ImportOptions options;
//   options.replace = true;
//   options.snapshot_id = NewSnapshotId(absl::Now(), seed);
//   ImportSummary summary = ImportRecords(reader, &sink, options, std::cerr);
//
// Reconcile only when the file was read to its end, every record was
// applied or stale, and the server's totals (applied + stale + rejected +
// failed) add up to the records sent (see SnapshotMayFinish): a bad row or a
// rejected record is absent from the snapshot, and FinishSnapshot would
// delete that product; a server that stopped reading part-way and still
// answered OK would otherwise make FinishSnapshot delete the rest of the
// file. A stream that breaks part-way never calls FinishSnapshot, so each
// record stays either old or new and nothing is deleted. FinishSnapshot
// carries the mass-delete guard (ImportOptions::max_delete_*), so the server
// refuses to delete more than that share of a stock, per stock.
//
// Also checked on the way: every record's text is valid UTF-8 (a record
// that is not is a bad row: it never goes on the wire); a SKU twice on the
// same stock at the same version (every row of a Magento export has the
// file's version) is reported with both lines (identical records: a warning
// and the record is sent once; different ones: the later row is a bad row;
// at different versions the newest wins on the server, so that is no
// duplicate); quoted fields over several lines are counted and listed with
// their lines.
//
// Not thread-safe; blocks for the whole import.
#ifndef CLIENT_IMPORT_IMPORTER_H_
#define CLIENT_IMPORT_IMPORTER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "availability/v1/inventory_sync.pb.h"
#include "client/import/record_reader.h"

namespace av::client {

// Where an import's batches go: the InventorySync service (see the CLI's
// adapter over SyncClient) or a fake in tests.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Sends the messages `next_batch` fills until it returns false; the
  // server's summary, or the error that ended the stream.
  virtual absl::StatusOr<availability::v1::UpsertRecordsResponse>
  StreamUpsertRecords(
      absl::FunctionRef<bool(availability::v1::UpsertRecordsRequest*)>
          next_batch) = 0;
  virtual absl::StatusOr<availability::v1::FinishSnapshotResponse>
  FinishSnapshot(const availability::v1::FinishSnapshotRequest& request) = 0;
};

struct ImportOptions {
  // Records per UpsertRecordsRequest, 1..1000.
  int batch_size = 500;
  // Snapshot import: every batch carries snapshot_id, and FinishSnapshot
  // runs for each stock touched (see the file comment).
  bool replace = false;
  // 1..64 bytes of [A-Za-z0-9_-]; required with `replace`.
  std::string snapshot_id;
  // Mass-delete guard of FinishSnapshot (FinishSnapshotRequest): refuse to
  // delete more than this share (0..1) of a stock's records, or more than
  // this many records. Unset: no such limit.
  std::optional<double> max_delete_fraction = 0.1;
  std::optional<int64_t> max_delete_count;
  // The encoding the file was read in, for messages about invalid text.
  std::string encoding = "utf-8";
  // Problems (bad rows, rejected records) printed one per line; the rest
  // are only counted.
  int64_t max_printed_problems = 100;
  // Called after every batch read, with records read and input bytes
  // consumed so far (for a progress display). May be empty.
  std::function<void(int64_t records, int64_t bytes)> on_progress;
};

struct ImportSummary {
  int64_t records = 0;   // records read from the file and sent
  int64_t applied = 0;   // stored by the server
  int64_t stale = 0;     // the server holds the same or a newer version
  int64_t rejected = 0;  // broke a server rule
  int64_t failed = 0;    // not stored: the cache failed on their stock
  // Lines or rows that could not be read, or repeat a SKU of an earlier
  // row with different values; none of their records were sent.
  int64_t bad_rows = 0;
  // Rows that repeat an earlier row's record exactly (sent once).
  int64_t identical_duplicates = 0;
  int64_t deleted = 0;       // removed by FinishSnapshot (replace)
  std::set<int32_t> stocks;  // stocks of the records read
  // Quoted fields spanning several lines, and the first few of them.
  int64_t multiline_fields = 0;
  std::vector<MultilineField> multiline_examples;
  // The server's summary of the stream came (applied...failed are known).
  bool answered = false;
  // replace: FinishSnapshot ran for every stock.
  bool snapshot_finished = false;
  // Why the import stopped early (unreadable input, a broken stream, a
  // failed FinishSnapshot); OK when it ran to the end.
  absl::Status status;

  // Every row read and every record applied or stale.
  bool clean() const {
    return status.ok() && bad_rows == 0 && rejected == 0 && failed == 0;
  }
};

// Whether a snapshot import may call FinishSnapshot, which deletes every
// record of a stock it did not send: OK only when `summary` is clean and the
// server's totals account for every record sent. Otherwise the reason,
// ending in "nothing was deleted": the summary's own status when it failed,
// FailedPrecondition for bad rows and rejected or failed records, DataLoss
// when the totals fall short (the server stopped reading early).
absl::Status SnapshotMayFinish(const ImportSummary& summary);

// Reads all of `reader`; with a null `sink` (dry run) only parses. Bad rows
// and rejected records are printed to `problems` ("line 7: qty: ...",
// "rejected 24-MB01 (stock 1): inbound[0].quantity: must be > 0").
ImportSummary ImportRecords(RecordReader& reader, RecordSink* sink,
                            const ImportOptions& options,
                            std::ostream& problems);

// "imported 1200 records in 0.8 s (1500/s): applied 1198, stale 0,
// rejected 2, bad rows 1, deleted 0" (", failed N", ", identical duplicates
// N" when not 0); "checked ... (dry run, nothing sent): bad rows 1" when
// `dry_run`; "import stopped after reading ..." when the import failed
// before the server answered, as its outcomes are then unknown. A second
// line lists multi-line quoted fields: "multi-line quoted fields: 2 (lines
// 12-14 description; lines 40-41 name)".
std::string FormatImportSummary(const ImportSummary& summary,
                                absl::Duration elapsed, bool dry_run);

// A snapshot id from the time and a random number: "snap-<unix micros>-<hex>",
// valid for UpsertRecordsRequest.snapshot_id.
std::string NewSnapshotId(absl::Time now, uint64_t random);

}  // namespace av::client

#endif  // CLIENT_IMPORT_IMPORTER_H_
