#include "client/import/importer.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "client/import/text_encoding.h"

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

// Remembers the (stock, SKU) pairs read, with the line, version and a
// fingerprint of the record, to report a SKU that appears twice on the same
// stock at the same version (the server would keep whichever came first).
// Records of one SKU at different versions are a history: the newest wins
// on the server, whatever the order, so they are not duplicates.
class DuplicateFinder {
 public:
  struct Seen {
    int64_t line = 0;
    int64_t version = 0;
    size_t fingerprint = 0;
  };

  // The earlier sighting of `record`'s stock and SKU at the same version,
  // or nullopt; notes this one (read on `line`). Sets *identical when the
  // earlier record is the same in every field.
  std::optional<Seen> Find(const InventoryRecord& record, int64_t line,
                           bool* identical) {
    // InventoryRecord has no map field, so its serialization is the same
    // for equal records.
    record.SerializeToString(&bytes_);
    const Seen now{line, record.version(), absl::HashOf(bytes_)};
    auto [it, inserted] = seen_.try_emplace(
        absl::StrCat(record.stock_id(), "/", record.sku()), now);
    if (inserted) return std::nullopt;
    const Seen before = it->second;
    if (before.version != now.version) {
      it->second = now;
      return std::nullopt;
    }
    *identical = before.fingerprint == now.fingerprint;
    return before;
  }

 private:
  absl::flat_hash_map<std::string, Seen> seen_;
  std::string bytes_;
};

constexpr size_t kMultilineExamples = 5;

// Reads records into batches, carrying over the rest of a row (a Magento
// row for several stocks) that did not fit. Checks each row's records for
// invalid text and duplicate SKUs before they go into a batch.
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
      NoteMultilineFields();
      if (more.ok() && *more) more = CheckRow();
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

  // The whole input went into batches.
  bool done() const { return input_done_ && row_next_ >= row_.size(); }

 private:
  void NoteMultilineFields() {
    for (const MultilineField& field : reader_.multiline_fields()) {
      if (summary_.multiline_examples.size() < kMultilineExamples) {
        summary_.multiline_examples.push_back(field);
      }
      ++summary_.multiline_fields;
    }
  }

  // The row just read (row_): InvalidArgument "line N: ..." when a record
  // holds text that is not UTF-8 (the readers check it already; this keeps
  // any reader's mistake off the wire) or repeats a SKU with other values.
  // Drops records that repeat an earlier one exactly, with a warning.
  absl::StatusOr<bool> CheckRow() {
    const int64_t line = reader_.line();
    for (const InventoryRecord& record : row_) {
      if (reader_.checks_text()) break;
      if (absl::Status s = CheckMessageText(record, options_.encoding);
          !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", line, ": ", s.message()));
      }
    }
    // Kept in place (the common case: no repeat) and compacted over the
    // dropped ones.
    size_t kept = 0;
    for (size_t i = 0; i < row_.size(); ++i) {
      InventoryRecord& record = row_[i];
      bool identical = false;
      const std::optional<DuplicateFinder::Seen> seen =
          duplicates_.Find(record, line, &identical);
      if (!seen.has_value()) {
        if (kept != i) row_[kept].Swap(&record);
        ++kept;
        continue;
      }
      if (!identical) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "line %d: SKU \"%s\" on stock %d is also on line %d, with "
            "other values; line %d was not imported (keep one of them)",
            line, record.sku(), record.stock_id(), seen->line, line));
      }
      ++summary_.identical_duplicates;
      problems_.Print(absl::StrFormat(
          "line %d: warning: SKU \"%s\" on stock %d repeats line %d "
          "exactly; sent once",
          line, record.sku(), record.stock_id(), seen->line));
    }
    row_.resize(kept);
    return true;
  }

  RecordReader& reader_;
  const ImportOptions& options_;
  const int batch_size_;
  ImportSummary& summary_;
  ProblemPrinter& problems_;
  DuplicateFinder duplicates_;
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
      sink->StreamUpsertRecords([&filler](UpsertRecordsRequest* batch) {
        return filler.Fill(batch);
      });
  if (!response.ok()) {
    summary.status = response.status();
    return summary;
  }
  summary.answered = true;
  summary.applied = response->applied();
  summary.stale = response->stale();
  summary.rejected = response->rejected();
  summary.failed = response->failed();
  for (const RecordOutcome& outcome : response->outcomes()) {
    if (outcome.result() != RecordOutcome::RESULT_REJECTED &&
        outcome.result() != RecordOutcome::RESULT_FAILED) {
      continue;
    }
    printer.Print(absl::StrFormat(
        "%s %s (stock %d, record %d): %s",
        outcome.result() == RecordOutcome::RESULT_FAILED ? "failed"
                                                         : "rejected",
        outcome.sku(), outcome.stock_id(), outcome.index(), outcome.error()));
  }
  const int64_t accounted =
      summary.applied + summary.stale + summary.rejected + summary.failed;
  if (accounted != summary.records || !filler.done()) {
    summary.status = absl::DataLossError(absl::StrFormat(
        "the server accounted for %d of the %d records sent (applied %d, "
        "stale %d, rejected %d, failed %d)%s: the stream ended early",
        accounted, summary.records, summary.applied, summary.stale,
        summary.rejected, summary.failed,
        filler.done() ? "" : " and the file was not sent to its end"));
  }

  if (!options.replace) return summary;
  if (absl::Status may = SnapshotMayFinish(summary); !may.ok()) {
    if (summary.status.ok()) {
      printer.Print(absl::StrCat("snapshot ", options.snapshot_id,
                                 " not finished: ", may.message()));
    } else {
      summary.status = may;
    }
    return summary;
  }
  for (int32_t stock : summary.stocks) {
    availability::v1::FinishSnapshotRequest request;
    request.set_stock_id(stock);
    request.set_snapshot_id(options.snapshot_id);
    if (options.max_delete_fraction.has_value()) {
      request.set_max_delete_fraction(*options.max_delete_fraction);
    }
    if (options.max_delete_count.has_value()) {
      request.set_max_delete_count(*options.max_delete_count);
    }
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

absl::Status SnapshotMayFinish(const ImportSummary& summary) {
  constexpr absl::string_view kNothing = "; nothing was deleted";
  if (!summary.status.ok()) {
    if (absl::StrContains(summary.status.message(), kNothing)) {
      return summary.status;
    }
    return absl::Status(summary.status.code(),
                        absl::StrCat(summary.status.message(),
                                     "; snapshot not finished", kNothing));
  }
  if (summary.bad_rows > 0 || summary.rejected > 0 || summary.failed > 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%d bad rows, %d rejected and %d failed records are missing from it "
        "and would be deleted%s",
        summary.bad_rows, summary.rejected, summary.failed, kNothing));
  }
  const int64_t accounted =
      summary.applied + summary.stale + summary.rejected + summary.failed;
  if (!summary.answered || accounted != summary.records) {
    return absl::DataLossError(absl::StrFormat(
        "the server accounted for %d of the %d records sent; snapshot not "
        "finished%s",
        accounted, summary.records, kNothing));
  }
  return absl::OkStatus();
}

std::string FormatImportSummary(const ImportSummary& summary,
                                absl::Duration elapsed, bool dry_run) {
  const double seconds = std::max(absl::ToDoubleSeconds(elapsed), 1e-3);
  const auto rate = static_cast<int64_t>(summary.records / seconds);
  std::string extra;
  if (summary.identical_duplicates > 0) {
    absl::StrAppend(&extra, ", identical duplicates ",
                    summary.identical_duplicates);
  }
  std::string text;
  if (dry_run) {
    text = absl::StrFormat(
        "checked %d records in %.1f s (%d/s): bad rows %d%s (dry run, nothing "
        "sent)",
        summary.records, seconds, rate, summary.bad_rows, extra);
  } else if (!summary.answered) {
    // The server's summary never came: per-record outcomes are unknown.
    text = absl::StrFormat(
        "import stopped after reading %d records in %.1f s (%d/s): bad rows "
        "%d, deleted %d",
        summary.records, seconds, rate, summary.bad_rows, summary.deleted);
  } else {
    text = absl::StrFormat(
        "imported %d records in %.1f s (%d/s): applied %d, stale %d, rejected "
        "%d, %sbad rows %d, deleted %d%s",
        summary.records, seconds, rate, summary.applied, summary.stale,
        summary.rejected,
        summary.failed > 0 ? absl::StrCat("failed ", summary.failed, ", ") : "",
        summary.bad_rows, summary.deleted, extra);
  }
  if (summary.multiline_fields > 0) {
    std::vector<std::string> spans;
    for (const MultilineField& field : summary.multiline_examples) {
      spans.push_back(absl::StrCat("lines ", field.first_line, "-",
                                   field.last_line, " ", field.column));
    }
    if (summary.multiline_fields >
        static_cast<int64_t>(summary.multiline_examples.size())) {
      spans.push_back("...");
    }
    absl::StrAppend(
        &text, "\nmulti-line quoted fields: ", summary.multiline_fields, " (",
        absl::StrJoin(spans, "; "), "): each was read as one field");
  }
  return text;
}

std::string NewSnapshotId(absl::Time now, uint64_t random) {
  return absl::StrFormat("snap-%d-%08x", absl::ToUnixMicros(now),
                         random & 0xffffffffu);
}

}  // namespace av::client
