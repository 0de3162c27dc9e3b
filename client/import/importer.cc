#include "client/import/importer.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace av::client {

using availability::v1::InventoryRecord;
using availability::v1::RecordOutcome;
using availability::v1::UpsertRecordsRequest;

namespace {

// Prints the first `limit` problems, counts the rest.
class ProblemPrinter {
 public:
  ProblemPrinter(std::ostream& out, int64_t limit) : out_(out), limit_(limit) {}
  ~ProblemPrinter() {
    if (count_ > limit_) {
      out_ << "... " << count_ - limit_ << " more problems not shown\n";
    }
  }
  void Print(absl::string_view line) {
    if (count_++ < limit_) out_ << line << "\n";
  }

 private:
  std::ostream& out_;
  const int64_t limit_;
  int64_t count_ = 0;
};

// Reads records into batches, carrying over the rest of a row (a Magento
// row for several stocks) that did not fit.
class BatchFiller {
 public:
  BatchFiller(RecordReader& reader, const ImportOptions& options,
              ImportSummary& summary, ProblemPrinter& problems)
      : reader_(reader),
        options_(options),
        batch_size_(std::clamp(options.batch_size, 1, 1000)),
        summary_(summary),
        problems_(problems) {}

  // Fills `batch` with up to batch_size records; false when none are left.
  bool Fill(UpsertRecordsRequest* batch) {
    while (batch->records_size() < batch_size_) {
      if (row_next_ < row_.size()) {
        InventoryRecord* record = batch->add_records();
        *record = std::move(row_[row_next_++]);
        summary_.stocks.insert(record->stock_id());
        ++summary_.records;
        continue;
      }
      if (input_done_) break;
      row_next_ = 0;
      absl::StatusOr<bool> more = reader_.Next(&row_);
      if (!more.ok()) {
        row_.clear();
        if (IsBadRow(more.status())) {
          ++summary_.bad_rows;
          problems_.Print(more.status().message());
          continue;
        }
        summary_.status = more.status();
        input_done_ = true;
      } else if (!*more) {
        input_done_ = true;
      }
    }
    if (options_.on_progress) {
      options_.on_progress(summary_.records, reader_.bytes_read());
    }
    if (batch->records_size() == 0) return false;
    if (options_.replace) batch->set_snapshot_id(options_.snapshot_id);
    return true;
  }

 private:
  RecordReader& reader_;
  const ImportOptions& options_;
  const int batch_size_;
  ImportSummary& summary_;
  ProblemPrinter& problems_;
  std::vector<InventoryRecord> row_;
  size_t row_next_ = 0;
  bool input_done_ = false;
};

}  // namespace

ImportSummary ImportRecords(RecordReader& reader, RecordSink* sink,
                            const ImportOptions& options,
                            std::ostream& problems) {
  ImportSummary summary;
  if (options.replace && options.snapshot_id.empty()) {
    summary.status = absl::InvalidArgumentError("replace needs a snapshot id");
    return summary;
  }
  ProblemPrinter printer(problems, options.max_printed_problems);
  BatchFiller filler(reader, options, summary, printer);

  if (sink == nullptr) {  // dry run
    UpsertRecordsRequest batch;
    while (filler.Fill(&batch)) batch.Clear();
    return summary;
  }

  absl::StatusOr<availability::v1::UpsertRecordsResponse> response =
      sink->StreamUpsertRecords(
          [&filler](UpsertRecordsRequest* batch) { return filler.Fill(batch); });
  if (!response.ok()) {
    summary.status = response.status();
    return summary;
  }
  summary.applied = response->applied();
  summary.stale = response->stale();
  summary.rejected = response->rejected();
  for (const RecordOutcome& outcome : response->outcomes()) {
    if (outcome.result() != RecordOutcome::RESULT_REJECTED) continue;
    printer.Print(absl::StrFormat("rejected %s (stock %d, record %d): %s",
                                  outcome.sku(), outcome.stock_id(),
                                  outcome.index(), outcome.error()));
  }

  if (!options.replace || !summary.status.ok()) return summary;
  if (!summary.clean()) {
    printer.Print(absl::StrFormat(
        "snapshot %s not finished: %d bad rows and %d rejected records are "
        "missing from it and would be deleted; nothing was deleted",
        options.snapshot_id, summary.bad_rows, summary.rejected));
    return summary;
  }
  for (int32_t stock : summary.stocks) {
    availability::v1::FinishSnapshotRequest request;
    request.set_stock_id(stock);
    request.set_snapshot_id(options.snapshot_id);
    absl::StatusOr<availability::v1::FinishSnapshotResponse> finished =
        sink->FinishSnapshot(request);
    if (!finished.ok()) {
      summary.status = finished.status();
      return summary;
    }
    summary.deleted += finished->deleted();
  }
  summary.snapshot_finished = true;
  return summary;
}

std::string FormatImportSummary(const ImportSummary& summary,
                                absl::Duration elapsed, bool dry_run) {
  const double seconds = std::max(absl::ToDoubleSeconds(elapsed), 1e-3);
  const auto rate = static_cast<int64_t>(summary.records / seconds);
  if (!summary.status.ok() && !dry_run) {
    // The server's summary never came: per-record outcomes are unknown.
    return absl::StrFormat(
        "import stopped after reading %d records in %.1f s (%d/s): bad rows "
        "%d, deleted %d",
        summary.records, seconds, rate, summary.bad_rows, summary.deleted);
  }
  if (dry_run) {
    return absl::StrFormat(
        "checked %d records in %.1f s (%d/s): bad rows %d (dry run, nothing "
        "sent)",
        summary.records, seconds, rate, summary.bad_rows);
  }
  return absl::StrFormat(
      "imported %d records in %.1f s (%d/s): applied %d, stale %d, rejected "
      "%d, bad rows %d, deleted %d",
      summary.records, seconds, rate, summary.applied, summary.stale,
      summary.rejected, summary.bad_rows, summary.deleted);
}

std::string NewSnapshotId(absl::Time now, uint64_t random) {
  return absl::StrFormat("snap-%d-%08x", absl::ToUnixMicros(now),
                         random & 0xffffffffu);
}

}  // namespace av::client
