// End-to-end tests of the snapshot importer's safety rules: the real
// `availability import`, the real availability-server with its sync
// listener, a real redis-server. What a bad file must never do: delete
// records (issue 12: a Windows-1252 byte ended the stream early and
// `--replace` deleted 700 of 1,200 records).

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "availability/v1/inventory_sync.grpc.pb.h"
#include "client/availability_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/server_process.h"
#include "testing/subprocess.h"

namespace availability {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace v1 = ::availability::v1;

constexpr char kToken[] = "e2e-import-token-0123456789";
constexpr char kHeader[] =
    "sku,store_view_code,name,description,qty,is_in_stock,product_websites,"
    "related_skus\n";

// One Magento export row on the default website.
std::string Row(int i, const std::string& related = "") {
  return absl::StrFormat("SKU-%04d,,Product %d,Plain,%d.0000,1,base,%s\n", i, i,
                         10 + i % 7, related);
}

class ImportE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    testing::ServerProcess::Options server_options;
    server_options.redis_port = redis_->port();
    server_options.sync = true;
    server_options.sync_token = kToken;
    auto server = testing::ServerProcess::Start(server_options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    av::client::AvailabilityClient::Options options;
    options.read_timeout = absl::Seconds(5);
    client_ = server_->NewClient(options);
    sync_ = server_->NewSyncClient();
    v1::PutSalesChannelsRequest channels;
    (*channels.mutable_channels())["base"] = 1;
    const absl::Status put = sync_->PutSalesChannels(channels);
    ASSERT_TRUE(put.ok()) << put;
  }

  // Runs `availability import FILE ARGS...` against the sync listener.
  testing::CommandResult Import(const std::string& file,
                                std::vector<std::string> args = {}) {
    args.insert(args.begin(), {AVAILABILITY_CLI_BINARY, "import", file,
                               "--sync-server=" + server_->sync_address(),
                               "--token-file=" + server_->sync_token_file()});
    absl::StatusOr<testing::CommandResult> result =
        testing::RunCommand(args, absl::Seconds(120));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : testing::CommandResult{};
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = redis_->dir() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // How many of SKU-0001..SKU-<count> stock 1 holds.
  int CountStored(int count) {
    int stored = 0;
    for (int start = 1; start <= count; start += 500) {
      v1::BatchGetAvailabilityRequest request;
      request.mutable_scope()->set_stock_id(1);
      for (int i = start; i < start + 500 && i <= count; ++i) {
        request.add_items()->set_sku(absl::StrFormat("SKU-%04d", i));
      }
      absl::StatusOr<v1::BatchGetAvailabilityResponse> batch =
          client_->BatchGetAvailability(request);
      EXPECT_TRUE(batch.ok()) << batch.status();
      if (!batch.ok()) return -1;
      for (const v1::ProductAvailability& item : batch->items()) {
        if (item.status() != v1::STATUS_UNKNOWN && !item.has_error()) {
          ++stored;
        }
      }
    }
    return stored;
  }

  // The stored bytes of a record of stock 1 (its storage encoding).
  std::string StoredValue(const std::string& sku) {
    absl::StatusOr<std::string> value =
        redis_->Cli({"GET", absl::StrCat("av:{1}:r:", sku)});
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : "";
  }

  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::unique_ptr<av::client::AvailabilityClient> client_;
  std::unique_ptr<av::client::SyncClient> sync_;
};

TEST_F(ImportE2ETest, Windows1252ByteNeverDeletesAndImportsWithEncoding) {
  constexpr int kRows = 1200;
  std::string good = kHeader, edited = kHeader;
  for (int i = 1; i <= kRows; ++i) {
    good += Row(i, i == 600 ? "SKU-0001" : "");
    // A spreadsheet re-saved it as Windows-1252 after one edit: row 600
    // (line 601) links to "Café-1" with é as the single byte 0xE9.
    edited += Row(i, i == 600 ? "\"SKU-0001,Caf\xE9-1\"" : "");
  }
  testing::CommandResult first = Import(WriteFile("good.csv", good));
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  ASSERT_EQ(CountStored(kRows), kRows);

  const std::string edited_file = WriteFile("edited.csv", edited);
  // --dry-run finds the bad row, sends nothing.
  testing::CommandResult dry = Import(edited_file, {"--dry-run", "--replace"});
  EXPECT_EQ(dry.exit_code, 6) << dry.out << dry.err;
  EXPECT_THAT(dry.err, HasSubstr("line 601: related_skus: not valid UTF-8"));
  EXPECT_THAT(dry.out, HasSubstr("bad rows 1 (dry run, nothing sent)"));

  // --replace: the bad row is named, nothing is deleted, non-zero exit.
  testing::CommandResult replace = Import(edited_file, {"--replace"});
  EXPECT_EQ(replace.exit_code, 6) << replace.out << replace.err;
  EXPECT_THAT(replace.err,
              HasSubstr("line 601: related_skus: not valid UTF-8 (byte 0xE9 "
                        "at offset 12; the file looks like Windows-1252: "
                        "re-export it as UTF-8 or pass --encoding "
                        "windows-1252)"));
  EXPECT_THAT(replace.err, HasSubstr("not finished"));
  EXPECT_THAT(replace.out, HasSubstr("applied 1199, stale 0, rejected 0, bad "
                                     "rows 1, deleted 0"));
  EXPECT_EQ(CountStored(kRows), kRows);
  EXPECT_THAT(StoredValue("SKU-0600"), Not(HasSubstr("Caf")));

  // --encoding windows-1252: every row goes in, é arrives as UTF-8.
  testing::CommandResult decoded =
      Import(edited_file, {"--replace", "--encoding", "windows-1252"});
  EXPECT_EQ(decoded.exit_code, 0) << decoded.out << decoded.err;
  EXPECT_THAT(decoded.out, HasSubstr("bad rows 0, deleted 0"));
  EXPECT_EQ(CountStored(kRows), kRows);
  EXPECT_THAT(StoredValue("SKU-0600"), HasSubstr("Caf\xC3\xA9-1"));

  // An encoding iconv does not know is a usage error.
  EXPECT_EQ(Import(edited_file, {"--encoding", "no-such-charset"}).exit_code,
            2);
}

TEST_F(ImportE2ETest, MassDeleteGuardRefusesUnlessAllowed) {
  std::string all = kHeader, half = kHeader;
  for (int i = 1; i <= 100; ++i) {
    all += Row(i);
    if (i <= 50) half += Row(i);
  }
  ASSERT_EQ(Import(WriteFile("all.csv", all)).exit_code, 0);
  const std::string half_file = WriteFile("half.csv", half);

  testing::CommandResult refused = Import(half_file, {"--replace"});
  EXPECT_EQ(refused.exit_code, 5) << refused.out << refused.err;
  EXPECT_THAT(refused.err,
              HasSubstr("would delete 50 of 100 records of stock 1 (50 %), "
                        "above the limit of 10 %; nothing deleted"));
  EXPECT_THAT(refused.err, HasSubstr("--max-delete"));
  EXPECT_EQ(CountStored(100), 100);

  testing::CommandResult by_count =
      Import(half_file, {"--replace", "--max-delete-count=49"});
  EXPECT_EQ(by_count.exit_code, 5) << by_count.out << by_count.err;
  EXPECT_THAT(by_count.err, HasSubstr("above the limit of 49 records"));
  EXPECT_EQ(CountStored(100), 100);

  testing::CommandResult allowed =
      Import(half_file, {"--replace", "--max-delete=100"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.out << allowed.err;
  EXPECT_THAT(allowed.out, HasSubstr("deleted 50"));
  EXPECT_EQ(CountStored(100), 50);
}

TEST_F(ImportE2ETest, DuplicateRowsAndMultilineFieldsAreReported) {
  const std::string file = WriteFile(
      "dups.csv",
      absl::StrCat(kHeader,
                   "SKU-0001,,Bag,\"Line one\nline two\nline three\",5,1,"
                   "base,\n",                               // lines 2-4
                   Row(2),                                  // line 5
                   "SKU-0001,,Bag,Plain,7.0000,1,base,\n",  // line 6: qty 7
                   Row(3), Row(3)));                        // lines 7, 8
  testing::CommandResult result = Import(file, {"--replace"});
  EXPECT_EQ(result.exit_code, 6) << result.out << result.err;
  EXPECT_THAT(result.err,
              HasSubstr("line 6: SKU \"SKU-0001\" on stock 1 is also on line "
                        "2, with other values; line 6 was not imported"));
  EXPECT_THAT(result.err,
              HasSubstr("line 8: warning: SKU \"SKU-0003\" on stock 1 repeats "
                        "line 7 exactly; sent once"));
  EXPECT_THAT(result.out,
              HasSubstr("multi-line quoted fields: 1 (lines 2-4 "
                        "description): each was read as one field"));
  EXPECT_THAT(result.out, HasSubstr("identical duplicates 1"));

  // Identical duplicates alone are a warning: exit 0.
  const std::string same =
      WriteFile("same.csv", absl::StrCat(kHeader, Row(1), Row(2), Row(1)));
  testing::CommandResult warned = Import(same);
  EXPECT_EQ(warned.exit_code, 0) << warned.out << warned.err;
  EXPECT_THAT(warned.err, HasSubstr("line 4: warning: SKU \"SKU-0001\""));
}

}  // namespace
}  // namespace availability
