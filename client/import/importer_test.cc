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
// FinishSnapshot with 2 deletions per stock.
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
        } else {
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
  for (const auto& batch : sink.batches) EXPECT_EQ(batch.snapshot_id(), "snap-1");
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
  std::istringstream in(
      "sku,product_websites\nA,\"base,de,fr\"\nB,base\n");
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
  EXPECT_EQ(FormatImportSummary(summary, absl::Seconds(2), false),
            "imported 1200 records in 2.0 s (600/s): applied 1197, stale 1, "
            "rejected 2, bad rows 3, deleted 4");
  EXPECT_EQ(FormatImportSummary(summary, absl::Milliseconds(500), true),
            "checked 1200 records in 0.5 s (2400/s): bad rows 3 (dry run, "
            "nothing sent)");
  summary.status = absl::UnavailableError("connection reset");
  EXPECT_EQ(FormatImportSummary(summary, absl::Seconds(1), false),
            "import stopped after reading 1200 records in 1.0 s (1200/s): "
            "bad rows 3, deleted 4");
}

TEST(NewSnapshotIdTest, ValidAndDistinct) {
  const std::string id = NewSnapshotId(absl::FromUnixMicros(1772615520000001),
                                       0x1234abcdef);
  EXPECT_EQ(id, "snap-1772615520000001-34abcdef");
  EXPECT_LE(id.size(), 64u);
}

}  // namespace
}  // namespace av::client
