#include "client/import/jsonl_reader.h"

#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace av::client {
namespace {

using availability::v1::InventoryRecord;
using ::testing::HasSubstr;

struct Result {
  std::vector<InventoryRecord> records;
  std::vector<std::string> errors;
};

Result ReadAll(const std::string& text, JsonlReaderOptions options = {}) {
  std::istringstream in(text);
  JsonlReader reader(in, options);
  Result result;
  std::vector<InventoryRecord> records;
  for (;;) {
    absl::StatusOr<bool> more = reader.Next(&records);
    if (!more.ok()) {
      EXPECT_TRUE(IsBadRow(more.status())) << more.status();
      result.errors.emplace_back(more.status().message());
      continue;
    }
    if (!*more) break;
    EXPECT_EQ(records.size(), 1u);
    result.records.insert(result.records.end(), records.begin(), records.end());
  }
  EXPECT_EQ(reader.bytes_read(), static_cast<int64_t>(text.size()));
  return result;
}

TEST(JsonlReaderTest, ReadsProtoFieldNamesAndJsonNames) {
  Result result = ReadAll(
      R"({"sku":"24-MB01","stock_id":1,"version":3,"source_quantity":5,)"
      R"("inbound":[{"date":{"year":2026,"month":3,"day":4},"quantity":5}]})"
      "\n"
      R"({"sku":"24-MB02","stockId":2,"version":"7","backorders":"BACKORDERS_YES",)"
      R"("minSaleQty":2,"alternatives":[{"sku":"24-MB01","relation":"RELATION_RELATED"}],)"
      R"("category_ids":["12","13"],"source_time":"2026-03-04T10:00:00Z"})"
      "\n");
  ASSERT_TRUE(result.errors.empty()) << result.errors[0];
  ASSERT_EQ(result.records.size(), 2u);
  const InventoryRecord& a = result.records[0];
  EXPECT_EQ(a.sku(), "24-MB01");
  EXPECT_EQ(a.stock_id(), 1);
  EXPECT_EQ(a.version(), 3);
  EXPECT_EQ(a.source_quantity(), 5);
  ASSERT_EQ(a.inbound_size(), 1);
  EXPECT_EQ(a.inbound(0).date().day(), 4);
  EXPECT_FALSE(a.has_min_sale_qty());
  const InventoryRecord& b = result.records[1];
  EXPECT_EQ(b.stock_id(), 2);
  EXPECT_EQ(b.version(), 7);
  EXPECT_EQ(b.backorders(), availability::v1::BACKORDERS_YES);
  EXPECT_TRUE(b.has_min_sale_qty());
  EXPECT_EQ(b.min_sale_qty(), 2);
  EXPECT_EQ(b.alternatives(0).relation(), availability::v1::RELATION_RELATED);
  EXPECT_EQ(b.category_ids_size(), 2);
  EXPECT_EQ(b.source_time().seconds(), 1772618400);
}

TEST(JsonlReaderTest, SkipsBlankLinesAndReportsBadOnesWithTheirNumber) {
  Result result = ReadAll(
      "\n"  // 1 blank
      R"({"sku":"A","stock_id":1,"version":1})"
      "\n"         // 2 good
      "   \t\r\n"  // 3 blank
      R"({"sku":"B","stock_id":1,"version":)"
      "\n"  // 4 bad JSON
      R"({"sku":"C","stock_id":1,"colour":"red"})"
      "\n"  // 5 unknown field
      R"({"sku":"D","stock_id":"one"})"
      "\n"  // 6 wrong type
      R"({"stock_id":1,"version":1})"
      "\n"  // 7 no sku
      R"({"sku":"E","stock_id":1,"version":2})"
      "\r\n"                          // 8 good, CRLF
      R"({"sku":"F","version":2})");  // 9 good, no EOL
  ASSERT_EQ(result.records.size(), 3u);
  EXPECT_EQ(result.records[0].sku(), "A");
  EXPECT_EQ(result.records[1].sku(), "E");
  EXPECT_EQ(result.records[2].sku(), "F");
  EXPECT_EQ(result.records[2].stock_id(), 0);
  ASSERT_EQ(result.errors.size(), 4u);
  EXPECT_THAT(result.errors[0], HasSubstr("line 4: "));
  EXPECT_THAT(result.errors[1], HasSubstr("line 5: "));
  EXPECT_THAT(result.errors[1], HasSubstr("colour"));
  EXPECT_THAT(result.errors[2], HasSubstr("line 6: "));
  EXPECT_EQ(result.errors[3], "line 7: sku: missing");
  for (const std::string& error : result.errors) {
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
}

TEST(JsonlReaderTest, TextThatIsNotUtf8IsABadLine) {
  Result result = ReadAll(
      "{\"sku\":\"A\",\"stock_id\":1,\"version\":1}\n"
      "{\"sku\":\"Caf\xE9\",\"stock_id\":1,\"version\":1}\n"
      "{\"sku\":\"B\",\"stock_id\":1,\"version\":1,"
      "\"alternatives\":[{\"sku\":\"\\udc00x\",\"relation\":"
      "\"RELATION_UPSELL\"}]}\n"
      "{\"sku\":\"C\",\"stock_id\":1,\"version\":1}\n");
  ASSERT_EQ(result.records.size(), 2u);
  EXPECT_EQ(result.records[1].sku(), "C");
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0],
            "line 2: sku: not valid UTF-8 (byte 0xE9 at offset 3; the file "
            "looks like Windows-1252: re-export it as UTF-8 or pass "
            "--encoding windows-1252)");
  EXPECT_THAT(result.errors[1], HasSubstr("line 3: "));

  // Nested fields are named by their path; bad bytes outside any string
  // are named by their offset in the line.
  Result nested = ReadAll(
      "{\"sku\":\"A\",\"alternatives\":[{\"sku\":\"X\"},"
      "{\"sku\":\"ab\xFC\"}]}\n"
      "{\"sku\":\"A\"}\xE9\n");
  ASSERT_EQ(nested.errors.size(), 2u);
  EXPECT_THAT(nested.errors[0],
              HasSubstr("line 1: alternatives[1].sku: not valid UTF-8 (byte "
                        "0xFC at offset 2; the file looks like Windows-1252"));
  EXPECT_THAT(nested.errors[1],
              HasSubstr("line 2: not valid UTF-8 (byte 0xE9 at offset 11;"));
}

TEST(JsonlReaderTest, DefaultStockFillsOnlyMissingStock) {
  JsonlReaderOptions options;
  options.default_stock_id = 3;
  Result result = ReadAll(R"({"sku":"A","version":1})"
                          "\n"
                          R"({"sku":"B","stock_id":2,"version":1})"
                          "\n",
                          options);
  ASSERT_EQ(result.records.size(), 2u);
  EXPECT_EQ(result.records[0].stock_id(), 3);
  EXPECT_EQ(result.records[1].stock_id(), 2);
}

TEST(JsonlReaderTest, OverlongLineIsBadAndReadingGoesOn) {
  JsonlReaderOptions options;
  options.max_line_bytes = 40;
  Result result =
      ReadAll(R"({"sku":"A-VERY-LONG-SKU-THAT-DOES-NOT-FIT","stock_id":1})"
              "\n"
              R"({"sku":"B","stock_id":1})"
              "\n",
              options);
  ASSERT_EQ(result.records.size(), 1u);
  EXPECT_EQ(result.records[0].sku(), "B");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0], "line 1: longer than 40 bytes");
}

}  // namespace
}  // namespace av::client
