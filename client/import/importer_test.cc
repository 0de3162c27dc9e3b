#include "client/import/importer.h"

#include <sstream>
#include <string>
#include <vector>

#include "client/import/jsonl_reader.h"
#include "client/import/magento_csv_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace av::client {
namespace {

using availability::v1::FinishSnapshotRequest;
using availability::v1::FinishSnapshotResponse;
using availability::v1::RecordOutcome;
using availability::v1::UpsertRecordsRequest;
using availability::v1::UpsertRecordsResponse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Applies every record except those with sku "REJECT-ME"; answers
// FinishSnapshot with 2 deletions per stock. With `count_only` > 0 it
// leaves every record after that many out of its totals, as a server that
// stopped reading part-way and still answered OK would.
class FakeSink : public RecordSink {
 public:
  absl::StatusOr<UpsertRecordsResponse> StreamUpsertRecords(
      absl::FunctionRef<bool(UpsertRecordsRequest*)> next_batch) override {
    UpsertRecordsResponse response;
    UpsertRecordsRequest batch;
    int index = 0;
    while (next_batch(&batch)) {
      batches.push_back(batch);
      for (const auto& record : batch.records()) {
        if (record.sku() == "REJECT-ME") {
          RecordOutcome* outcome = response.add_outcomes();
          outcome->set_index(index);
          outcome->set_sku(record.sku());
          outcome->set_stock_id(record.stock_id());
          outcome->set_result(RecordOutcome::RESULT_REJECTED);
          outcome->set_error("version: must be >= 1");
          response.set_rejected(response.rejected() + 1);
        } else if (count_only == 0 || index < count_only) {
          response.set_applied(response.applied() + 1);
        }
        ++index;
      }
      batch.Clear();
      if (fail_after_batches > 0 &&
          static_cast<int>(batches.size()) >= fail_after_batches) {
        return absl::UnavailableError("connection reset");
      }
    }
    return response;
  }

  absl::StatusOr<FinishSnapshotResponse> FinishSnapshot(
      const FinishSnapshotRequest& request) override {
    finished.push_back(request);
    FinishSnapshotResponse response;
    response.set_deleted(2);
    return response;
  }

  std::vector<int> BatchSizes() const {
    std::vector<int> sizes;
    for (const auto& batch : batches) sizes.push_back(batch.records_size());
    return sizes;
  }

  int fail_after_batches = 0;
  int count_only = 0;
  std::vector<UpsertRecordsRequest> batches;
  std::vector<FinishSnapshotRequest> finished;
};

std::string Jsonl(const std::vector<std::string>& skus, int stock = 1) {
  std::string text;
  for (const std::string& sku : skus) {
    text += "{\"sku\":\"" + sku + "\",\"stock_id\":" + std::to_string(stock) +
            ",\"version\":1}\n";
  }
  return text;
}

TEST(ImportRecordsTest, BatchesAndReconcilesEveryStockTouched) {
  std::istringstream in(Jsonl({"A", "B", "C"}, 1) + Jsonl({"D", "E"}, 2));
  JsonlReader reader(in);
  FakeSink sink;
  ImportOptions options;
  options.batch_size = 2;
  options.replace = true;
  options.snapshot_id = "snap-1";
  std::vector<int64_t> progress;
  options.on_progress = [&](int64_t records, int64_t) {
    progress.push_back(records);
  };
  std::ostringstream problems;
  ImportSummary summary = ImportRecords(reader, &sink, options, problems);
  ASSERT_TRUE(summary.status.ok()) << summary.status;
  EXPECT_THAT(sink.BatchSizes(), ElementsAre(2, 2, 1));
  for (const auto& batch : sink.batches)
    EXPECT_EQ(batch.snapshot_id(), "snap-1");
  EXPECT_EQ(summary.records, 5);
  EXPECT_EQ(summary.applied, 5);
  EXPECT_THAT(summary.stocks, ElementsAre(1, 2));
  ASSERT_EQ(sink.finished.size(), 2u);
  EXPECT_EQ(sink.finished[0].stock_id(), 1);
  EXPECT_EQ(sink.finished[1].stock_id(), 2);
  EXPECT_EQ(sink.finished[1].snapshot_id(), "snap-1");
  EXPECT_EQ(summary.deleted, 4);
  EXPECT_TRUE(summary.snapshot_finished);
  EXPECT_THAT(progress, ElementsAre(2, 4, 5, 5));
  EXPECT_EQ(problems.str(), "");
}

TEST(ImportRecordsTest, BadRowsAndRejectionsAreReportedAndBlockReconcile) {
  std::istringstream in(Jsonl({"A"}) + "not json\n" + Jsonl({"REJECT-ME"}) +
                        Jsonl({"B"}));
  JsonlReader reader(in);
  FakeSink sink;
  ImportOptions options;
  options.replace = true;
  options.snapshot_id = "snap-2";
  std::ostringstream problems;
  ImportSummary summary = ImportRecords(reader, &sink, options, problems);
  ASSERT_TRUE(summary.status.ok()) << summary.status;
  EXPECT_EQ(summary.records, 3);
  EXPECT_EQ(summary.applied, 2);
  EXPECT_EQ(summary.rejected, 1);
  EXPECT_EQ(summary.bad_rows, 1);
  EXPECT_FALSE(summary.clean());
  EXPECT_TRUE(sink.finished.empty());
  EXPECT_FALSE(summary.snapshot_finished);
  EXPECT_THAT(problems.str(), HasSubstr("line 2: "));
  EXPECT_THAT(problems.str(),
              HasSubstr("rejected REJECT-ME (stock 1, record 1): version: "
                        "must be >= 1\n"));
  EXPECT_THAT(problems.str(), HasSubstr("snapshot snap-2 not finished"));
}

TEST(ImportRecordsTest, BrokenStreamNeverFinishesTheSnapshot) {
  std::istringstream in(Jsonl({"A", "B", "C", "D"}));
  JsonlReader reader(in);
  FakeSink sink;
  sink.fail_after_batches = 1;
  ImportOptions options;
  options.batch_size = 2;
  options.replace = true;
  options.snapshot_id = "snap-3";
  std::ostringstream problems;
  ImportSummary summary = ImportRecords(reader, &sink, options, problems);
  EXPECT_TRUE(absl::IsUnavailable(summary.status));
  EXPECT_TRUE(sink.finished.empty());
}

TEST(ImportRecordsTest, ShortTotalsNeverFinishTheSnapshot) {
  std::istringstream in(Jsonl({"A", "B", "C", "D", "E"}));
  JsonlReader reader(in);
  FakeSink sink;
  sink.count_only = 2;  // the server answered OK for only 2 of 5
  ImportOptions options;
  options.replace = true;
  options.snapshot_id = "snap-short";
  std::ostringstream problems;
  ImportSummary summary = ImportRecords(reader, &sink, options, problems);
  EXPECT_TRUE(sink.finished.empty());
  EXPECT_FALSE(summary.snapshot_finished);
  EXPECT_TRUE(absl::IsDataLoss(summary.status)) << summary.status;
  EXPECT_THAT(summary.status.message(),
              HasSubstr("the server accounted for 2 of the 5 records sent"));
  EXPECT_THAT(summary.status.message(), HasSubstr("nothing was deleted"));
  EXPECT_TRUE(summary.answered);
  EXPECT_EQ(summary.applied, 2);

  // Not a snapshot: still an error, as records went missing.
  std::istringstream again(Jsonl({"A", "B", "C"}));
  JsonlReader reader2(again);
  FakeSink sink2;
  sink2.count_only = 1;
  ImportSummary plain =
      ImportRecords(reader2, &sink2, ImportOptions(), problems);
  EXPECT_TRUE(absl::IsDataLoss(plain.status));
}

TEST(SnapshotMayFinishTest, OnlyWhenTheTotalsAccountForEveryRecordSent) {
  ImportSummary summary;
  summary.answered = true;
  summary.records = 1200;
  summary.applied = 1000;
  summary.stale = 200;
  EXPECT_TRUE(SnapshotMayFinish(summary).ok());

  summary.applied = 400;  // 600 records the server never counted
  absl::Status short_totals = SnapshotMayFinish(summary);
  EXPECT_TRUE(absl::IsDataLoss(short_totals));
  EXPECT_THAT(short_totals.message(),
              HasSubstr("accounted for 600 of the 1200 records sent"));

  summary.applied = 998;
  summary.rejected = 1;
  summary.failed = 1;
  absl::Status missing = SnapshotMayFinish(summary);
  EXPECT_TRUE(absl::IsFailedPrecondition(missing));
  EXPECT_THAT(missing.message(),
              HasSubstr("0 bad rows, 1 rejected and 1 failed records"));

  summary.rejected = summary.failed = 0;
  summary.applied = 1000;
  summary.bad_rows = 1;
  EXPECT_TRUE(absl::IsFailedPrecondition(SnapshotMayFinish(summary)));

  summary.bad_rows = 0;
  summary.answered = false;
  EXPECT_FALSE(SnapshotMayFinish(summary).ok());
  summary.answered = true;
  summary.status = absl::UnavailableError("connection reset");
  EXPECT_THAT(SnapshotMayFinish(summary).message(),
              HasSubstr("connection reset; snapshot not finished; nothing was "
                        "deleted"));
}

TEST(ImportRecordsTest, SendsTheMassDeleteGuard) {
  std::istringstream in(Jsonl({"A"}));
  JsonlReader reader(in);
  FakeSink sink;
  ImportOptions options;
  options.replace = true;
  options.snapshot_id = "snap-guard";
  std::ostringstream problems;
  ImportRecords(reader, &sink, options, problems);
  ASSERT_EQ(sink.finished.size(), 1u);
  EXPECT_TRUE(sink.finished[0].has_max_delete_fraction());
  EXPECT_DOUBLE_EQ(sink.finished[0].max_delete_fraction(), 0.1);
  EXPECT_FALSE(sink.finished[0].has_max_delete_count());
}

TEST(ImportRecordsTest, DuplicateSkusAreReportedWithBothLines) {
  std::istringstream in(
      Jsonl({"A", "B"}) +
      "{\"sku\":\"A\",\"stock_id\":1,\"version\":1}\n"  // 3: same as 1
      "{\"sku\":\"B\",\"stock_id\":1,\"version\":1,"
      "\"source_quantity\":3}\n"                          // 4: other values
      "{\"sku\":\"B\",\"stock_id\":2,\"version\":1}\n"    // 5: other stock
      "{\"sku\":\"A\",\"stock_id\":1,\"version\":2}\n");  // 6: newer: history
  JsonlReader reader(in);
  FakeSink sink;
  ImportOptions options;
  options.replace = true;
  options.snapshot_id = "snap-dup";
  std::ostringstream problems;
  ImportSummary summary = ImportRecords(reader, &sink, options, problems);
  EXPECT_EQ(summary.records, 4);  // A, B, B on stock 2, A version 2
  EXPECT_EQ(summary.identical_duplicates, 1);
  EXPECT_EQ(summary.bad_rows, 1);
  EXPECT_THAT(problems.str(),
              HasSubstr("line 3: warning: SKU \"A\" on stock 1 repeats line 1 "
                        "exactly; sent once\n"));
  EXPECT_THAT(problems.str(),
              HasSubstr("line 4: SKU \"B\" on stock 1 is also on line 2, with "
                        "other values; line 4 was not imported"));
  EXPECT_TRUE(sink.finished.empty());  // a conflicting row blocks the delete

  // Identical duplicates alone: a warning, and the snapshot finishes.
  std::istringstream same(Jsonl({"A", "A"}));
  JsonlReader reader2(same);
  FakeSink sink2;
  ImportSummary ok = ImportRecords(reader2, &sink2, options, problems);
  EXPECT_TRUE(ok.clean()) << ok.status;
  EXPECT_EQ(ok.records, 1);
  EXPECT_EQ(sink2.finished.size(), 1u);
}

TEST(ImportRecordsTest, MultilineFieldsAreCountedAcrossRows) {
  std::istringstream in(
      "sku,description\nA,\"one\ntwo\"\nB,plain\nC,\"x\ny\nz\"\n");
  absl::StatusOr<std::unique_ptr<MagentoCsvReader>> reader =
      MagentoCsvReader::Create(in);
  ASSERT_TRUE(reader.ok());
  std::ostringstream problems;
  ImportSummary summary =
      ImportRecords(**reader, nullptr, ImportOptions(), problems);
  EXPECT_EQ(summary.records, 3);
  EXPECT_EQ(summary.multiline_fields, 2);
  EXPECT_THAT(FormatImportSummary(summary, absl::Seconds(1), true),
              HasSubstr("\nmulti-line quoted fields: 2 (lines 2-3 "
                        "description; lines 5-7 description)"));
}

TEST(ImportRecordsTest, DryRunOnlyReads) {
  std::istringstream in(Jsonl({"A", "B"}) + "{}\n");
  JsonlReader reader(in);
  std::ostringstream problems;
  ImportSummary summary =
      ImportRecords(reader, nullptr, ImportOptions(), problems);
  EXPECT_TRUE(summary.status.ok());
  EXPECT_EQ(summary.records, 2);
  EXPECT_EQ(summary.bad_rows, 1);
  EXPECT_EQ(problems.str(), "line 3: sku: missing\n");
}

TEST(ImportRecordsTest, RowForSeveralStocksMaySpanBatches) {
  std::istringstream in("sku,product_websites\nA,\"base,de,fr\"\nB,base\n");
  MagentoCsvOptions csv_options;
  csv_options.channels = {{"base", 1}, {"de", 2}, {"fr", 3}};
  absl::StatusOr<std::unique_ptr<MagentoCsvReader>> reader =
      MagentoCsvReader::Create(in, csv_options);
  ASSERT_TRUE(reader.ok());
  FakeSink sink;
  ImportOptions options;
  options.batch_size = 2;
  std::ostringstream problems;
  ImportSummary summary = ImportRecords(**reader, &sink, options, problems);
  EXPECT_TRUE(summary.clean());
  EXPECT_THAT(sink.BatchSizes(), ElementsAre(2, 2));
  EXPECT_EQ(sink.batches[1].records(0).stock_id(), 3);
  EXPECT_EQ(sink.batches[1].records(1).sku(), "B");
  EXPECT_TRUE(sink.finished.empty());  // not a snapshot import
}

TEST(ImportRecordsTest, PrintsOnlyTheFirstProblems) {
  std::istringstream in("x\ny\nz\n");
  JsonlReader reader(in);
  ImportOptions options;
  options.max_printed_problems = 1;
  std::ostringstream problems;
  ImportSummary summary = ImportRecords(reader, nullptr, options, problems);
  EXPECT_EQ(summary.bad_rows, 3);
  EXPECT_THAT(problems.str(), HasSubstr("... 2 more problems not shown\n"));
}

TEST(FormatImportSummaryTest, OneLine) {
  ImportSummary summary;
  summary.records = 1200;
  summary.applied = 1197;
  summary.stale = 1;
  summary.rejected = 2;
  summary.bad_rows = 3;
  summary.deleted = 4;
  summary.answered = true;
  EXPECT_EQ(FormatImportSummary(summary, absl::Seconds(2), false),
            "imported 1200 records in 2.0 s (600/s): applied 1197, stale 1, "
            "rejected 2, bad rows 3, deleted 4");
  EXPECT_EQ(FormatImportSummary(summary, absl::Milliseconds(500), true),
            "checked 1200 records in 0.5 s (2400/s): bad rows 3 (dry run, "
            "nothing sent)");
  summary.status = absl::UnavailableError("connection reset");
  summary.answered = false;
  EXPECT_EQ(FormatImportSummary(summary, absl::Seconds(1), false),
            "import stopped after reading 1200 records in 1.0 s (1200/s): "
            "bad rows 3, deleted 4");
}

TEST(FormatImportSummaryTest, FailedDuplicatesAndMultilineFields) {
  ImportSummary summary;
  summary.answered = true;
  summary.records = 10;
  summary.applied = 8;
  summary.failed = 2;
  summary.identical_duplicates = 1;
  summary.multiline_fields = 6;
  for (int i = 0; i < 5; ++i) {
    summary.multiline_examples.push_back(
        MultilineField{"description", 10 * i + 2, 10 * i + 4});
  }
  EXPECT_EQ(FormatImportSummary(summary, absl::Seconds(1), false),
            "imported 10 records in 1.0 s (10/s): applied 8, stale 0, "
            "rejected 0, failed 2, bad rows 0, deleted 0, identical "
            "duplicates 1\n"
            "multi-line quoted fields: 6 (lines 2-4 description; lines 12-14 "
            "description; lines 22-24 description; lines 32-34 description; "
            "lines 42-44 description; ...): each was read as one field");
}

TEST(NewSnapshotIdTest, ValidAndDistinct) {
  const std::string id =
      NewSnapshotId(absl::FromUnixMicros(1772615520000001), 0x1234abcdef);
  EXPECT_EQ(id, "snap-1772615520000001-34abcdef");
  EXPECT_LE(id.size(), 64u);
}

}  // namespace
}  // namespace av::client
