#include "client/import/fast_json.h"

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "client/import/jsonl_reader.h"
#include "client/import/text_encoding.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace av::client {
namespace {

using availability::v1::InventoryRecord;
using google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

// The lines of a typical snapshot, and one of every field the fast parser
// takes.
const char* const kCommon[] = {
    R"({"sku":"BULK-0000001","stock_id":1,"version":1,"source_quantity":1,)"
    R"("reserved_quantity":-1,"category_ids":[2]})",
    R"({"sku":"BULK-0000000","stock_id":1,"version":1,"source_quantity":0,)"
    R"("reserved_quantity":0,"category_ids":[1],"backorders":"BACKORDERS_YES",)"
    R"("inbound":[{"date":{"year":2027,"month":1,"day":1},"quantity":10}]})",
    R"( { "sku" : "Café-☕", "stockId" : 7 , "version" : 9007199254740993,)"
    R"( "sourceQuantity" : 2.5e1, "reservedQuantity" : -0.25,)"
    R"( "manageStock" : false, "is_in_stock" : true, "min_qty" : -3,)"
    R"( "minSaleQty" : 1, "max_sale_qty" : 100.5, "enableQtyIncrements": true,)"
    R"( "qty_increments": 0.5, "isQtyDecimal": true, "notify_stock_qty": 0,)"
    R"( "lifecycle": "LIFECYCLE_PREORDER", "release_date": {"year": 2027,)"
    R"( "month": 12, "day": 31}, "successor_sku": "N", "lead_time_days": 3,)"
    R"( "alternatives": [{"sku": "ALT", "relation": "RELATION_UPSELL"}],)"
    R"( "category_ids": [], "product_type": "PRODUCT_TYPE_BUNDLE",)"
    R"( "component_skus": ["A", "B"], "bundle_options": [{"required": true,)"
    R"( "selections": [{"sku": "A", "quantity": 2}]}]} )",
};

// One field each, all taken.
const char* const kOneField[] = {
    R"({"sku":"A"})",
    R"( {"sku":"A"} )",
    R"({"sku":"A","version":9007199254740993})",
    R"({"sku":"A","sourceQuantity":2.5e1})",
    R"({"sku":"A","manageStock":false})",
    R"({"sku":"A","release_date":{"year":2027,"month":12,"day":31}})",
    R"({"sku":"A","alternatives":[{"sku":"ALT","relation":"RELATION_UPSELL"}]})",
    R"({"sku":"A","category_ids":[]})",
    R"({"sku":"A","component_skus":["A","B"]})",
    R"({"sku":"A","bundle_options":[{"required":true,"selections":[{"sku":"A",)"
    R"("quantity":2}]}]})",
    R"({"sku":"Café-☕"})",
    R"({"sku":"A","min_qty":-3})",
    R"({"sku":"A","lifecycle":"LIFECYCLE_PREORDER"})",
    R"({"sku":"A","notify_stock_qty":0})",
};

// Lines the fast parser declines (protobuf decides: some are fine, most
// are errors).
const char* const kDeclined[] = {
    R"({"sku":"A","version":"7"})",                       // quoted int64
    R"({"sku":"A","stock_id":1.0})",                      // float for int32
    R"({"sku":"A","stock_id":2147483648})",               // out of int32 range
    R"({"sku":"A","version":9223372036854775808})",       // out of int64
    R"({"sku":"A","source_quantity":"NaN"})",             // quoted double
    R"({"sku":"A","source_quantity":9007199254740993})",  // inexact
    R"({"sku":"A\u0042"})",                               // escape
    R"({"sku":"A","sku":"B"})",                           // twice
    R"({"sku":"A","stock_id":1,"stockId":2})",            // twice by two names
    R"({"sku":"A","colour":"red"})",                      // unknown field
    R"({"sku":null})",                                    // null
    R"({"sku":"A","backorders":2})",                      // enum by number
    R"({"sku":"A","backorders":"YES"})",                  // unknown enum name
    R"({"sku":"A","source_time":"2026-03-04T10:00:00Z"})",  // Timestamp
    R"({"sku":"A","category_ids":["12"]})",                 // quoted in array
    R"({"sku":"A","category_ids":5})",                      // not an array
    R"({"sku":"A","inbound":[null]})",                      // null element
    R"({"sku":"A"} {"sku":"B"})",                           // trailing text
    R"({"sku":"A",})",                                      // trailing comma
    R"({"sku":"A")",                                        // truncated
    R"({"sku":"A","version":)",                             // truncated value
    R"(["sku"])",                                           // not an object
    "\xEF\xBB\xBF{\"sku\":\"A\"}",                          // byte order mark
    "{\"sku\":\"A\tB\"}",  // raw control character
    "",
};

// Protobuf's result for `json`, the reference.
absl::Status Reference(const std::string& json, InventoryRecord* record) {
  return ParseRecordJson(json, record);
}

// The rule of fast_json.h: taken only when protobuf takes it too, with the
// same message.
void ExpectAgrees(FastJsonParser& fast, const std::string& json) {
  InventoryRecord got;
  if (!fast.Parse(json, &got)) return;
  InventoryRecord want;
  const absl::Status status = Reference(json, &want);
  ASSERT_TRUE(status.ok()) << "fast parser took what protobuf refuses: " << json
                           << "\n"
                           << status;
  EXPECT_TRUE(MessageDifferencer::Equals(got, want))
      << json << "\nfast: " << got.ShortDebugString()
      << "\nprotobuf: " << want.ShortDebugString();
}

bool Built() {
  InventoryRecord r;
  return FastJsonParser().Parse(R"({"sku":"A"})", &r);
}

TEST(FastJsonParserTest, TakesTheCommonShapesAsProtobufDoes) {
  if (!Built()) GTEST_SKIP() << "built without simdjson";
  FastJsonParser fast;
  for (const char* line : kOneField) {
    InventoryRecord got;
    EXPECT_TRUE(fast.Parse(line, &got)) << line;
    ExpectAgrees(fast, line);
  }
  for (const char* line : kCommon) {
    InventoryRecord got;
    ASSERT_TRUE(fast.Parse(line, &got)) << line;
    ExpectAgrees(fast, line);
  }
  InventoryRecord r;
  ASSERT_TRUE(fast.Parse(kCommon[2], &r));
  EXPECT_EQ(r.sku(), "Café-☕");
  EXPECT_EQ(r.version(), 9007199254740993);
  EXPECT_TRUE(r.has_manage_stock());
  EXPECT_FALSE(r.manage_stock());
  EXPECT_EQ(r.bundle_options(0).selections(0).quantity(), 2);
}

TEST(FastJsonParserTest, DeclinesWhatOnlyProtobufDecides) {
  if (!Built()) GTEST_SKIP() << "built without simdjson";
  FastJsonParser fast;
  for (const char* line : kDeclined) {
    InventoryRecord got;
    EXPECT_FALSE(fast.Parse(line, &got)) << line;
  }
}

// Random damage to valid lines (bytes replaced, dropped, inserted, the
// line cut short) never makes the fast parser take a line protobuf
// refuses, nor read one differently.
TEST(FastJsonParserTest, DamagedLinesAgreeWithProtobuf) {
  if (!Built()) GTEST_SKIP() << "built without simdjson";
  FastJsonParser fast;
  std::mt19937 random(17);
  const std::string alphabet = "{}[]\",:0123456789.-+eE \\tnulfasrkvy_";
  int taken = 0;
  int valid = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string line = kCommon[round % 3];
    const int edits = 1 + static_cast<int>(random() % 3);
    for (int e = 0; e < edits && !line.empty(); ++e) {
      const size_t at = random() % line.size();
      const char c = alphabet[random() % alphabet.size()];
      switch (random() % 4) {
        case 0:
          line[at] = c;
          break;
        case 1:
          line.erase(at, 1);
          break;
        case 2:
          line.insert(line.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          line.resize(at);
          break;
      }
    }
    if (FindInvalidUtf8(line).has_value()) continue;  // never given such
    InventoryRecord got;
    if (fast.Parse(line, &got)) ++taken;
    InventoryRecord want;
    if (Reference(line, &want).ok()) ++valid;
    ExpectAgrees(fast, line);
    if (HasFailure()) return;
  }
  // The damage left many lines valid, and the fast parser took most.
  EXPECT_GT(valid, 500);
  EXPECT_GT(taken, valid / 2) << valid;
}

// The reader with the fast parser: bad input is still a bad line naming
// the line and the field, and the good lines around it are read.
TEST(FastJsonParserTest, ReaderReportsBadLinesAsBefore) {
  const std::string text =
      "{\"sku\":\"A\",\"stock_id\":1,\"version\":1}\n"
      "{\"sku\":\"Caf\xE9\",\"stock_id\":1,\"version\":1}\n"  // Windows-1252
      "{\"sku\":\"X\",\"stock_id\":1,\"version\":1,\"successor_sku\":\"\x93"
      "q\x94\"}\n"                              // cp1252 quotes
      "{\"sku\":\"B\",\"stock_id\":1,\"vers\n"  // truncated
      "{\"sku\":\"\\udc00\",\"stock_id\":1}\n"  // lone surrogate escape
      "{\"sku\":\"C\",\"stock_id\":1,\"version\":2}\n";
  std::istringstream in(text);
  JsonlReader reader(in);
  std::vector<InventoryRecord> records;
  std::vector<std::string> skus;
  std::vector<std::string> errors;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<bool> more = reader.Next(&records);
    if (!more.ok()) {
      ASSERT_TRUE(IsBadRow(more.status())) << more.status();
      errors.emplace_back(more.status().message());
      continue;
    }
    if (!*more) break;
    for (const InventoryRecord& r : records) skus.push_back(r.sku());
  }
  EXPECT_THAT(skus, ::testing::ElementsAre("A", "C"));
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_THAT(errors[0], HasSubstr("line 2: sku: not valid UTF-8 (byte 0xE9"));
  EXPECT_THAT(errors[1],
              HasSubstr("line 3: successor_sku: not valid UTF-8 (byte 0x93"));
  EXPECT_THAT(errors[2], HasSubstr("line 4: "));
  EXPECT_THAT(errors[3], HasSubstr("line 5: "));
  EXPECT_EQ(reader.bytes_read(), static_cast<int64_t>(text.size()));
}
}  // namespace
}  // namespace av::client
