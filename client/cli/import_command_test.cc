// The import, demo-catalog and setup-demo-store commands end to end against
// an in-process fake InventorySync service on a free port.

#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "availability/v1/inventory_sync.grpc.pb.h"
#include "client/cli/import_commands.h"
#include "client/import/jsonl_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace av::cli {
namespace {

namespace v1 = availability::v1;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "s3cret-token";

// Records what it is sent; rejects records with version < 1; answers
// FinishSnapshot with 3 deletions. Requires the bearer token. With
// `count_only` set it leaves the records after that many out of its
// totals, like a server that stopped reading part-way and answered OK.
class FakeSyncService final : public v1::InventorySync::Service {
 public:
  grpc::Status StreamUpsertRecords(
      grpc::ServerContext* context,
      grpc::ServerReader<v1::UpsertRecordsRequest>* reader,
      v1::UpsertRecordsResponse* response) override {
    if (!Authorized(*context)) return Unauthenticated();
    v1::UpsertRecordsRequest batch;
    int index = 0;
    while (reader->Read(&batch)) {
      absl::MutexLock lock(&mu_);
      batches_.push_back(batch);
      for (const v1::InventoryRecord& record : batch.records()) {
        if (record.version() < 1) {
          v1::RecordOutcome* outcome = response->add_outcomes();
          outcome->set_index(index);
          outcome->set_sku(record.sku());
          outcome->set_stock_id(record.stock_id());
          outcome->set_result(v1::RecordOutcome::RESULT_REJECTED);
          outcome->set_error("version: must be >= 1");
          response->set_rejected(response->rejected() + 1);
        } else if (count_only_ == 0 || index < count_only_) {
          response->set_applied(response->applied() + 1);
        }
        ++index;
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status FinishSnapshot(grpc::ServerContext* context,
                              const v1::FinishSnapshotRequest* request,
                              v1::FinishSnapshotResponse* response) override {
    if (!Authorized(*context)) return Unauthenticated();
    absl::MutexLock lock(&mu_);
    finished_.push_back(*request);
    response->set_deleted(3);
    return grpc::Status::OK;
  }

  grpc::Status PutStoreConfig(grpc::ServerContext* context,
                              const v1::PutStoreConfigRequest* request,
                              v1::PutStoreConfigResponse*) override {
    if (!Authorized(*context)) return Unauthenticated();
    absl::MutexLock lock(&mu_);
    configs_.push_back(request->config());
    return grpc::Status::OK;
  }

  grpc::Status PutSalesChannels(grpc::ServerContext* context,
                                const v1::PutSalesChannelsRequest* request,
                                v1::PutSalesChannelsResponse*) override {
    if (!Authorized(*context)) return Unauthenticated();
    absl::MutexLock lock(&mu_);
    channels_.push_back(*request);
    return grpc::Status::OK;
  }

  grpc::Status PutCategoryRanking(grpc::ServerContext* context,
                                  const v1::PutCategoryRankingRequest* request,
                                  v1::PutCategoryRankingResponse*) override {
    if (!Authorized(*context)) return Unauthenticated();
    absl::MutexLock lock(&mu_);
    rankings_.push_back(*request);
    return grpc::Status::OK;
  }

  void set_count_only(int n) {
    absl::MutexLock lock(&mu_);
    count_only_ = n;
  }
  std::vector<v1::UpsertRecordsRequest> batches() {
    absl::MutexLock lock(&mu_);
    return batches_;
  }
  std::vector<v1::FinishSnapshotRequest> finished() {
    absl::MutexLock lock(&mu_);
    return finished_;
  }
  std::vector<v1::StoreConfig> configs() {
    absl::MutexLock lock(&mu_);
    return configs_;
  }
  std::vector<v1::PutSalesChannelsRequest> channels() {
    absl::MutexLock lock(&mu_);
    return channels_;
  }
  std::vector<v1::PutCategoryRankingRequest> rankings() {
    absl::MutexLock lock(&mu_);
    return rankings_;
  }

 private:
  static bool Authorized(const grpc::ServerContext& context) {
    auto it = context.client_metadata().find("authorization");
    return it != context.client_metadata().end() &&
           std::string(it->second.data(), it->second.size()) ==
               std::string("Bearer ") + kToken;
  }
  static grpc::Status Unauthenticated() {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing or wrong bearer token");
  }

  absl::Mutex mu_;
  int count_only_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<v1::UpsertRecordsRequest> batches_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::FinishSnapshotRequest> finished_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::StoreConfig> configs_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::PutSalesChannelsRequest> channels_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::PutCategoryRankingRequest> rankings_ ABSL_GUARDED_BY(mu_);
};

class ImportCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
    dir_ = ::testing::TempDir() + "/import_command_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(dir_);
    token_file_ = Write("token", std::string(kToken) + "\n");
  }
  void TearDown() override { server_->Shutdown(); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // Runs `run` with the sync flags added; fills out_ and err_.
  int Run(int (*run)(CommandContext&, const CommandArgs&), CommandArgs args,
          const std::string& token_file) {
    args.push_back("--sync-server=127.0.0.1:" + std::to_string(port_));
    args.push_back("--token-file=" + token_file);
    out_.str("");
    err_.str("");
    CommandContext ctx;
    ctx.server = "unused";
    ctx.out = &out_;
    ctx.err = &err_;
    return run(ctx, args);
  }

  FakeSyncService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::string dir_;
  std::string token_file_;
  std::ostringstream out_;
  std::ostringstream err_;
};

std::string Jsonl(int count, int stock, int first = 0) {
  std::string text;
  for (int i = first; i < first + count; ++i) {
    text += "{\"sku\":\"SKU-" + std::to_string(i) +
            "\",\"stock_id\":" + std::to_string(stock) + ",\"version\":5}\n";
  }
  return text;
}

TEST_F(ImportCommandTest, ReplaceStreamsOneSnapshotAndFinishesEachStock) {
  const std::string file = Write("a.jsonl", Jsonl(3, 1) + Jsonl(2, 2, 3));
  EXPECT_EQ(Run(RunImport, {file, "--batch", "2", "--replace"}, token_file_),
            kExitOk)
      << err_.str();
  std::vector<v1::UpsertRecordsRequest> batches = service_.batches();
  ASSERT_EQ(batches.size(), 3u);
  const std::string snapshot = batches[0].snapshot_id();
  EXPECT_THAT(snapshot, ::testing::StartsWith("snap-"));
  for (const auto& batch : batches) EXPECT_EQ(batch.snapshot_id(), snapshot);
  std::vector<v1::FinishSnapshotRequest> finished = service_.finished();
  ASSERT_EQ(finished.size(), 2u);
  EXPECT_EQ(finished[0].stock_id(), 1);
  EXPECT_EQ(finished[1].stock_id(), 2);
  EXPECT_EQ(finished[0].snapshot_id(), snapshot);
  EXPECT_THAT(out_.str(),
              HasSubstr("snapshot " + snapshot + " finished on stock 1,2\n"));
  EXPECT_THAT(out_.str(),
              ::testing::ContainsRegex(
                  "imported 5 records in [0-9.]+ s \\([0-9]+/s\\): applied "
                  "5, stale 0, rejected 0, bad rows 0, deleted 6\n"));
  EXPECT_EQ(err_.str(), "");
}

TEST_F(ImportCommandTest, PartialImportExitsSixAndDoesNotReconcile) {
  const std::string file =
      Write("b.jsonl", Jsonl(2, 1) + "{broken\n" +
                           "{\"sku\":\"OLD\",\"stock_id\":1,\"version\":0}\n");
  EXPECT_EQ(Run(RunImport, {file, "--replace"}, token_file_), kExitPartial);
  EXPECT_TRUE(service_.finished().empty());
  EXPECT_THAT(err_.str(), HasSubstr("line 3: "));
  EXPECT_THAT(err_.str(),
              HasSubstr("rejected OLD (stock 1, record 2): version: must be "
                        ">= 1\n"));
  EXPECT_THAT(err_.str(), HasSubstr("not finished"));
  EXPECT_THAT(out_.str(), HasSubstr("applied 2, stale 0, rejected 1, bad rows "
                                    "1, deleted 0"));
}

TEST_F(ImportCommandTest, WrongTokenIsReportedWithoutTheToken) {
  const std::string file = Write("c.jsonl", Jsonl(2, 1));
  const std::string wrong = Write("wrong-token", "not-the-token\n");
  const int code = Run(RunImport, {file}, wrong);
  EXPECT_EQ(code, kExitOther);
  EXPECT_THAT(err_.str(), HasSubstr("--token-file"));
  EXPECT_THAT(err_.str() + out_.str(), Not(HasSubstr("not-the-token")));
  EXPECT_THAT(out_.str(), HasSubstr("import stopped after reading 2 records"));
}

TEST_F(ImportCommandTest, MagentoCsvWithChannelsAndVersion) {
  const std::string file = Write("export.csv",
                                 "name,sku,qty,product_websites\n"
                                 "\"Bag, large\",BAG-1,5.0000,\"base,de\"\n"
                                 "Cap,CAP-1,abc,base\n");
  EXPECT_EQ(
      Run(RunImport, {file, "--channels", "base=1,de=2", "--version", "42"},
          token_file_),
      kExitPartial);
  std::vector<v1::UpsertRecordsRequest> batches = service_.batches();
  ASSERT_EQ(batches.size(), 1u);
  ASSERT_EQ(batches[0].records_size(), 2);
  EXPECT_EQ(batches[0].records(0).stock_id(), 1);
  EXPECT_EQ(batches[0].records(1).stock_id(), 2);
  EXPECT_EQ(batches[0].records(1).version(), 42);
  EXPECT_EQ(batches[0].records(1).source_quantity(), 5);
  EXPECT_TRUE(batches[0].snapshot_id().empty());
  EXPECT_EQ(err_.str(), "line 3: qty: \"abc\" is not a decimal quantity\n");
}

TEST_F(ImportCommandTest, DryRunSendsNothing) {
  const std::string file = Write("d.jsonl", Jsonl(4, 1));
  EXPECT_EQ(Run(RunImport, {file, "--dry-run", "--replace"}, token_file_),
            kExitOk);
  EXPECT_TRUE(service_.batches().empty());
  EXPECT_THAT(out_.str(), HasSubstr("checked 4 records"));
}

TEST_F(ImportCommandTest, MassDeleteLimitGoesToFinishSnapshot) {
  const std::string file = Write("e.jsonl", Jsonl(2, 1));
  ASSERT_EQ(Run(RunImport, {file, "--replace"}, token_file_), kExitOk)
      << err_.str();
  ASSERT_EQ(
      Run(RunImport, {file, "--replace", "--max-delete=100"}, token_file_),
      kExitOk);
  ASSERT_EQ(Run(RunImport,
                {file, "--replace", "--max-delete", "2.5%",
                 "--max-delete-count", "7"},
                token_file_),
            kExitOk);
  ASSERT_EQ(
      Run(RunImport, {file, "--replace", "--max-delete-count=0"}, token_file_),
      kExitOk);
  std::vector<v1::FinishSnapshotRequest> finished = service_.finished();
  ASSERT_EQ(finished.size(), 4u);
  EXPECT_DOUBLE_EQ(finished[0].max_delete_fraction(), 0.1);  // the default
  EXPECT_FALSE(finished[0].has_max_delete_count());
  EXPECT_DOUBLE_EQ(finished[1].max_delete_fraction(), 1.0);
  EXPECT_DOUBLE_EQ(finished[2].max_delete_fraction(), 0.025);
  EXPECT_EQ(finished[2].max_delete_count(), 7);
  // A count alone replaces the default share.
  EXPECT_FALSE(finished[3].has_max_delete_fraction());
  EXPECT_TRUE(finished[3].has_max_delete_count());
  EXPECT_EQ(finished[3].max_delete_count(), 0);

  EXPECT_EQ(Run(RunImport, {file, "--max-delete=101"}, token_file_),
            kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("--max-delete: \"101\" is not a "
                                    "percentage 0..100"));
  EXPECT_EQ(Run(RunImport, {file, "--max-delete-count=-1"}, token_file_),
            kExitUsage);
}

TEST_F(ImportCommandTest, ShortTotalsFromTheServerDeleteNothing) {
  service_.set_count_only(3);
  const std::string file = Write("f.jsonl", Jsonl(5, 1));
  EXPECT_EQ(Run(RunImport, {file, "--replace"}, token_file_), kExitOther);
  EXPECT_TRUE(service_.finished().empty());
  EXPECT_THAT(err_.str(),
              HasSubstr("the server accounted for 3 of the 5 records sent"));
  EXPECT_THAT(err_.str(), HasSubstr("nothing was deleted"));
  EXPECT_THAT(out_.str(), HasSubstr("imported 5 records"));
}

TEST_F(ImportCommandTest, Windows1252CellIsABadRowUnlessDecoded) {
  const std::string file =
      Write("w.csv", "sku,name,qty\nA,Bag,1\nB,Caf\xE9,2\n");
  EXPECT_EQ(Run(RunImport, {file, "--replace"}, token_file_), kExitPartial);
  EXPECT_THAT(err_.str(),
              HasSubstr("line 3: name: not valid UTF-8 (byte 0xE9 at offset 3; "
                        "the file looks like Windows-1252"));
  EXPECT_TRUE(service_.finished().empty());
  std::vector<v1::UpsertRecordsRequest> batches = service_.batches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].records_size(), 1);

  // The dry run finds it too.
  EXPECT_EQ(Run(RunImport, {file, "--dry-run"}, token_file_), kExitPartial);
  EXPECT_THAT(err_.str(), HasSubstr("line 3: name: not valid UTF-8"));

  const std::string sku_file = Write("sku.csv", "sku,qty\nCaf\xE9,2\n");
  EXPECT_EQ(Run(RunImport, {sku_file, "--replace", "--encoding=windows-1252"},
                token_file_),
            kExitOk)
      << err_.str();
  batches = service_.batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].records(0).sku(), "Caf\xC3\xA9");
  EXPECT_EQ(service_.finished().size(), 1u);

  EXPECT_EQ(Run(RunImport, {sku_file, "--encoding=klingon"}, token_file_),
            kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("iconv does not know \"klingon\""));
}

TEST_F(ImportCommandTest, UsageErrors) {
  EXPECT_EQ(Run(RunImport, {dir_ + "/x.txt"}, token_file_), kExitUsage);
  EXPECT_EQ(Run(RunImport, {dir_ + "/x.jsonl", "--batch", "0"}, token_file_),
            kExitUsage);
  EXPECT_EQ(Run(RunImport, {}, token_file_), kExitUsage);
  EXPECT_EQ(Run(RunImport, {dir_ + "/missing.jsonl"}, token_file_),
            kExitNotFound);
}

TEST_F(ImportCommandTest, DemoCatalogRoundTripsAndSetsUpTheStore) {
  const std::string out_dir = dir_ + "/demo";
  CommandContext ctx;
  ctx.out = &out_;
  ctx.err = &err_;
  ASSERT_EQ(RunDemoCatalog(ctx, {"--out", out_dir, "--skus", "50", "--today",
                                 "2026-03-04"}),
            kExitOk)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("DEMO-OUT"));

  std::ifstream records(out_dir + "/records.jsonl");
  av::client::JsonlReader reader(records);
  std::vector<v1::InventoryRecord> read;
  int count = 0;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(&read);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    ++count;
  }
  EXPECT_EQ(count, 56);

  ASSERT_EQ(Run(RunSetupDemoStore, {"--dir", out_dir}, token_file_), kExitOk)
      << err_.str();
  ASSERT_EQ(service_.configs().size(), 1u);
  EXPECT_EQ(service_.configs()[0].time_zone(), "Europe/Berlin");
  ASSERT_EQ(service_.channels().size(), 1u);
  EXPECT_EQ(service_.channels()[0].channels().at("base"), 1);
  EXPECT_EQ(service_.rankings().size(), 12u);

  // Without --dir the rankings are generated the same way.
  const std::vector<v1::PutCategoryRankingRequest> from_file =
      service_.rankings();
  ASSERT_EQ(Run(RunSetupDemoStore, {"--skus", "50"}, token_file_), kExitOk)
      << err_.str();
  const std::vector<v1::PutCategoryRankingRequest> all = service_.rankings();
  ASSERT_EQ(all.size(), 24u);
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(all[12 + i].SerializeAsString(),
              from_file[i].SerializeAsString());
  }

  ASSERT_EQ(
      Run(RunImport, {out_dir + "/records.jsonl", "--replace"}, token_file_),
      kExitOk)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("applied 56"));
}

}  // namespace
}  // namespace av::cli
