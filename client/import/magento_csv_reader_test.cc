#include "client/import/magento_csv_reader.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#ifndef AV_IMPORT_TESTDATA_DIR
#error "AV_IMPORT_TESTDATA_DIR must name client/import/testdata"
#endif

namespace av::client {
namespace {

using availability::v1::InventoryRecord;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

struct Result {
  std::vector<InventoryRecord> records;
  std::vector<std::string> errors;
  int64_t store_view_rows = 0;
};

Result ReadAll(std::istream& in, MagentoCsvOptions options) {
  Result result;
  absl::StatusOr<std::unique_ptr<MagentoCsvReader>> reader =
      MagentoCsvReader::Create(in, options);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return result;
  std::vector<InventoryRecord> records;
  for (;;) {
    absl::StatusOr<bool> more = (*reader)->Next(&records);
    if (!more.ok()) {
      EXPECT_TRUE(IsBadRow(more.status())) << more.status();
      result.errors.emplace_back(more.status().message());
      continue;
    }
    if (!*more) break;
    result.records.insert(result.records.end(), records.begin(), records.end());
  }
  result.store_view_rows = (*reader)->store_view_rows();
  return result;
}

Result ReadText(const std::string& text,
                MagentoCsvOptions options = MagentoCsvOptions()) {
  std::istringstream in(text);
  return ReadAll(in, std::move(options));
}

std::vector<std::pair<std::string, availability::v1::Relation>> Links(
    const InventoryRecord& record) {
  std::vector<std::pair<std::string, availability::v1::Relation>> links;
  for (const auto& link : record.alternatives()) {
    links.emplace_back(link.sku(), link.relation());
  }
  return links;
}

class MagentoExportFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream file(AV_IMPORT_TESTDATA_DIR "/magento_export.csv",
                       std::ios::binary);
    ASSERT_TRUE(file.is_open());
    MagentoCsvOptions options;
    options.channels = {{"base", 1}, {"wholesale", 2}};
    options.default_stock_id = 1;
    options.version = 1772615520000000;
    options.source_time = absl::FromUnixMicros(1772615520000000);
    result_ = ReadAll(file, options);
  }

  const InventoryRecord* Find(const std::string& sku, int stock) const {
    for (const InventoryRecord& record : result_.records) {
      if (record.sku() == sku && record.stock_id() == stock) return &record;
    }
    return nullptr;
  }

  Result result_;
};

TEST_F(MagentoExportFixtureTest, ReadsEveryGoodRowAndReportsTheBadOne) {
  std::vector<std::string> keys;
  for (const InventoryRecord& record : result_.records) {
    keys.push_back(record.sku() + "@" + std::to_string(record.stock_id()));
  }
  EXPECT_THAT(keys, ElementsAre("24-MB01@1", "24-MB02@1", "24-MB02@2",
                                "FABRIC-LINEN@1", "MH01@1", "24-WG080@1"));
  EXPECT_EQ(result_.store_view_rows, 1);
  ASSERT_EQ(result_.errors.size(), 1u);
  // The row after the multi-line description and the store-view row.
  EXPECT_EQ(result_.errors[0],
            "line 9: qty: \"abc\" is not a decimal quantity");
}

TEST_F(MagentoExportFixtureTest, UseConfigLeavesFieldsUnset) {
  const InventoryRecord* bag = Find("24-MB01", 1);
  ASSERT_NE(bag, nullptr);
  EXPECT_EQ(bag->version(), 1772615520000000);
  EXPECT_EQ(bag->source_time().seconds(), 1772615520);
  EXPECT_EQ(bag->source_quantity(), 100.0);
  EXPECT_TRUE(bag->has_is_in_stock());
  EXPECT_TRUE(bag->is_in_stock());
  EXPECT_FALSE(bag->has_manage_stock());
  EXPECT_FALSE(bag->has_min_qty());
  EXPECT_EQ(bag->backorders(), availability::v1::BACKORDERS_UNSPECIFIED);
  EXPECT_FALSE(bag->has_min_sale_qty());
  EXPECT_FALSE(bag->has_max_sale_qty());
  EXPECT_FALSE(bag->has_notify_stock_qty());
  EXPECT_FALSE(bag->has_enable_qty_increments());
  EXPECT_FALSE(bag->has_qty_increments());
  EXPECT_FALSE(bag->is_qty_decimal());
  EXPECT_THAT(bag->category_ids(),
              ElementsAre(CategoryIdForPath("Default Category/Gear"),
                          CategoryIdForPath("Default Category/Gear/Bags")));
}

TEST_F(MagentoExportFixtureTest, OwnValuesAreTaken) {
  const InventoryRecord* pack = Find("24-MB02", 2);
  ASSERT_NE(pack, nullptr);
  EXPECT_EQ(pack->source_quantity(), 0.0);
  EXPECT_EQ(pack->min_qty(), -10.0);
  EXPECT_EQ(pack->backorders(), availability::v1::BACKORDERS_YES_NOTIFY);
  EXPECT_EQ(pack->min_sale_qty(), 2.0);
  EXPECT_EQ(pack->max_sale_qty(), 48.0);
  EXPECT_EQ(pack->notify_stock_qty(), 3.0);
  EXPECT_TRUE(pack->has_manage_stock());
  EXPECT_TRUE(pack->manage_stock());
  EXPECT_TRUE(pack->enable_qty_increments());
  EXPECT_EQ(pack->qty_increments(), 6.0);
  // The copy for the other stock differs only in stock_id.
  InventoryRecord other = *Find("24-MB02", 1);
  other.set_stock_id(2);
  EXPECT_EQ(other.SerializeAsString(), pack->SerializeAsString());
}

TEST_F(MagentoExportFixtureTest, DecimalQuantityAndManageStock) {
  const InventoryRecord* linen = Find("FABRIC-LINEN", 1);
  ASSERT_NE(linen, nullptr);
  EXPECT_EQ(linen->source_quantity(), 12.5);
  EXPECT_TRUE(linen->is_qty_decimal());
  EXPECT_TRUE(linen->has_manage_stock());
  EXPECT_FALSE(linen->manage_stock());
  const InventoryRecord* brick = Find("24-WG080", 1);  // no website: default
  ASSERT_NE(brick, nullptr);
  EXPECT_FALSE(brick->is_in_stock());
  EXPECT_TRUE(brick->category_ids().empty());
}

TEST_F(MagentoExportFixtureTest, LinksOrderedByTypeThenPosition) {
  const InventoryRecord* bag = Find("24-MB01", 1);
  ASSERT_NE(bag, nullptr);
  // upsell first; related by position 1, 2, 3; cross-sell 24-MB02 is
  // already listed as related.
  EXPECT_THAT(
      Links(*bag),
      ElementsAre(Pair("24-MB04", availability::v1::RELATION_UPSELL),
                  Pair("24-MB03", availability::v1::RELATION_RELATED),
                  Pair("24-WB04", availability::v1::RELATION_RELATED),
                  Pair("24-MB02", availability::v1::RELATION_RELATED),
                  Pair("24-UG01", availability::v1::RELATION_CROSSSELL)));
}

TEST(MagentoCsvReaderTest, MissingSkuColumnIsAFileError) {
  std::istringstream in("name,qty\nBag,1\n");
  absl::StatusOr<std::unique_ptr<MagentoCsvReader>> reader =
      MagentoCsvReader::Create(in);
  ASSERT_FALSE(reader.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(reader.status()));
  EXPECT_THAT(reader.status().message(), HasSubstr("no \"sku\" column"));
}

TEST(MagentoCsvReaderTest, EmptyFileIsAFileError) {
  std::istringstream in("");
  EXPECT_FALSE(MagentoCsvReader::Create(in).ok());
}

TEST(MagentoCsvReaderTest, ByteOrderMarkAndCrlf) {
  Result result = ReadText("\xEF\xBB\xBFsku,qty\r\nA,1.5000\r\n");
  ASSERT_EQ(result.records.size(), 1u);
  EXPECT_EQ(result.records[0].sku(), "A");
  EXPECT_EQ(result.records[0].source_quantity(), 1.5);
}

TEST(MagentoCsvReaderTest, BadRowsNameLineAndColumn) {
  Result result = ReadText(
      "sku,qty,allow_backorders,use_config_backorders,product_websites,"
      "related_skus,related_position,is_in_stock\n"
      "A,1,5,0,base,,,1\n"          // 2: backorders 5
      ",1,0,0,base,,,1\n"           // 3: no sku
      "C,1,0,0,shop2,,,1\n"         // 4: unmapped website
      "D,1,0,0,base,\"X,Y\",1,1\n"  // 5: positions do not match
      "E,1,0,0,base,X,first,yes\n"  // 6: two bad columns
      "F,1,0,0,base\n"              // 7: too few fields
      "G,1e3,0,0,base,,,1\n"        // 8: exponent
      "H,1.00001,0,0,base,,,1\n"    // 9: 5 decimals
      "I,\"2\",0,0,base,,,1\n");    // 10: good
  ASSERT_EQ(result.records.size(), 1u);
  EXPECT_EQ(result.records[0].sku(), "I");
  EXPECT_THAT(
      result.errors,
      ElementsAre(
          "line 2: allow_backorders: \"5\" is not 0, 1 or 2",
          "line 3: sku: empty",
          "line 4: product_websites: website \"shop2\" has no stock (map it "
          "with --channels shop2=STOCK)",
          "line 5: related_position: 1 positions for 2 SKUs in related_skus",
          "line 6: is_in_stock: \"yes\" is not 0 or 1; related_position: "
          "\"first\" is not an integer",
          "line 7: 5 fields, but the header has 8",
          "line 8: qty: \"1e3\" is not a decimal quantity",
          "line 9: qty: \"1.00001\" has more than 4 decimals"));
}

TEST(MagentoCsvReaderTest, TextThatIsNotUtf8IsABadRowNamingTheColumn) {
  Result result = ReadText(
      "sku,name,qty,related_skus\n"
      "A,Bag,1,\n"
      "B,Caf\xC3\xA9,1,\"X,\xE9\"\n"  // 3: Windows-1252 é in related_skus
      "C,Mug,1,X\n");
  ASSERT_EQ(result.records.size(), 2u);
  EXPECT_EQ(result.records[1].sku(), "C");
  EXPECT_THAT(result.errors,
              ElementsAre("line 3: related_skus: not valid UTF-8 (byte 0xE9 "
                          "at offset 2; the file looks like Windows-1252: "
                          "re-export it as UTF-8 or pass --encoding "
                          "windows-1252)"));
  // A column the reader ignores is checked too: the file's encoding is wrong.
  Result ignored = ReadText("sku,name,qty\nA,Caf\xE9,1\n");
  EXPECT_TRUE(ignored.records.empty());
  EXPECT_THAT(ignored.errors,
              ElementsAre(HasSubstr("line 2: name: not valid UTF-8")));
}

TEST(MagentoCsvReaderTest, MultilineFieldsAreListedAndImplausibleOnesBad) {
  MagentoCsvOptions options;
  options.max_field_lines = 3;
  std::istringstream in(
      "sku,description,qty\n"
      "A,\"two\nlines\",1\n"  // 2-3: a description, fine
      "B,\"x\n\n\n\",1\n"     // 4-7: over 3 lines
      "\"C\nD\",text,1\n"     // 8-9: a line break in a sku
      "E,plain,2\n");         // 10
  auto reader = MagentoCsvReader::Create(in, options);
  ASSERT_TRUE(reader.ok());
  std::vector<InventoryRecord> records;
  ASSERT_TRUE(*(*reader)->Next(&records));
  ASSERT_EQ((*reader)->multiline_fields().size(), 1u);
  EXPECT_EQ((*reader)->multiline_fields()[0].column, "description");
  EXPECT_EQ((*reader)->multiline_fields()[0].first_line, 2);
  EXPECT_EQ((*reader)->multiline_fields()[0].last_line, 3);
  absl::StatusOr<bool> bad = (*reader)->Next(&records);
  EXPECT_EQ(bad.status().message(),
            "line 4: description: one quoted field over 4 lines (4-7), more "
            "than 3: a stray quote? (if it is right, raise --max-field-lines)");
  EXPECT_EQ((*reader)->line(), 4);
  bad = (*reader)->Next(&records);
  EXPECT_EQ(bad.status().message(),
            "line 8: sku: a line break inside the value (lines 8-9 were read "
            "as one field: a stray quote?)");
  ASSERT_TRUE(*(*reader)->Next(&records));
  EXPECT_EQ(records[0].sku(), "E");
  EXPECT_TRUE((*reader)->multiline_fields().empty());
}

TEST(MagentoCsvReaderTest, WebsitesOnTheSameStockGiveOneRecord) {
  MagentoCsvOptions options;
  options.channels = {{"base", 1}, {"de", 1}, {"b2b", 2}};
  Result result =
      ReadText("sku,product_websites\nA,\"de,base\"\nB,\"b2b,de\"\n", options);
  std::vector<std::string> keys;
  for (const InventoryRecord& record : result.records) {
    keys.push_back(record.sku() + "@" + std::to_string(record.stock_id()));
  }
  EXPECT_THAT(keys, ElementsAre("A@1", "B@1", "B@2"));
}

TEST(MagentoCsvReaderTest, SelfLinksAndDuplicateCategoriesDropped) {
  Result result = ReadText(
      "sku,upsell_skus,categories\n"
      "A,\"A,B\",\"Default Category/X,Default Category/X, Default "
      "Category/Y\"\n");
  ASSERT_EQ(result.records.size(), 1u);
  EXPECT_THAT(Links(result.records[0]),
              ElementsAre(Pair("B", availability::v1::RELATION_UPSELL)));
  EXPECT_THAT(result.records[0].category_ids(),
              ElementsAre(CategoryIdForPath("Default Category/X"),
                          CategoryIdForPath("Default Category/Y")));
}

// Composite products, from a Magento 2.4 export of configurable, bundle and
// grouped products (testdata/magento_composite_export.csv).
class MagentoCompositeFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream file(AV_IMPORT_TESTDATA_DIR "/magento_composite_export.csv",
                       std::ios::binary);
    ASSERT_TRUE(file.is_open());
    result_ = ReadAll(file, MagentoCsvOptions());
  }

  const InventoryRecord& Get(const std::string& sku) const {
    for (const InventoryRecord& record : result_.records) {
      if (record.sku() == sku) return record;
    }
    ADD_FAILURE() << sku << " not read";
    static const InventoryRecord* const kNone = new InventoryRecord();
    return *kNone;
  }

  Result result_;
};

TEST_F(MagentoCompositeFixtureTest, EveryRowIsRead) {
  EXPECT_THAT(result_.errors, ::testing::IsEmpty());
  EXPECT_EQ(result_.records.size(), 17u);
}

TEST_F(MagentoCompositeFixtureTest, ConfigurableListsItsVariants) {
  const InventoryRecord& r = Get("MH01");
  EXPECT_EQ(r.product_type(), availability::v1::PRODUCT_TYPE_CONFIGURABLE);
  EXPECT_THAT(r.component_skus(), ElementsAre("MH01-XS-Black", "MH01-S-Black"));
  EXPECT_TRUE(r.is_in_stock());
  EXPECT_EQ(r.bundle_options_size(), 0);
  // A variant is a simple product with its own quantity.
  const InventoryRecord& v = Get("MH01-S-Black");
  EXPECT_EQ(v.product_type(), availability::v1::PRODUCT_TYPE_UNSPECIFIED);
  EXPECT_EQ(v.source_quantity(), 5);
}

TEST_F(MagentoCompositeFixtureTest, BundleOptionsGroupedByNameWithQuantities) {
  const InventoryRecord& r = Get("24-WG080");
  EXPECT_EQ(r.product_type(), availability::v1::PRODUCT_TYPE_BUNDLE);
  EXPECT_EQ(r.component_skus_size(), 0);
  ASSERT_EQ(r.bundle_options_size(), 3);
  // "Sprite Stasis Ball, 55 or 65 cm": a comma inside the option's title.
  EXPECT_TRUE(r.bundle_options(0).required());
  ASSERT_EQ(r.bundle_options(0).selections_size(), 2);
  EXPECT_EQ(r.bundle_options(0).selections(0).sku(), "24-WG081-gray");
  EXPECT_EQ(r.bundle_options(0).selections(1).sku(), "24-WG082-blue");
  EXPECT_EQ(r.bundle_options(0).selections(1).quantity(), 1);
  EXPECT_TRUE(r.bundle_options(1).required());
  ASSERT_EQ(r.bundle_options(1).selections_size(), 1);
  EXPECT_EQ(r.bundle_options(1).selections(0).sku(), "24-WG084");
  EXPECT_EQ(r.bundle_options(1).selections(0).quantity(), 2);
  EXPECT_FALSE(r.bundle_options(2).required());
  EXPECT_EQ(r.bundle_options(2).selections(0).sku(), "24-WG085");
}

TEST_F(MagentoCompositeFixtureTest,
       GroupedListsAssociatedSkusWithOrWithoutQty) {
  for (const char* sku : {"24-WB-SET", "24-WB-OFF"}) {
    const InventoryRecord& r = Get(sku);
    EXPECT_EQ(r.product_type(), availability::v1::PRODUCT_TYPE_GROUPED) << sku;
    EXPECT_THAT(r.component_skus(), ElementsAre("24-WB01", "24-WB02")) << sku;
  }
  EXPECT_TRUE(Get("24-WB-SET").is_in_stock());
  EXPECT_FALSE(Get("24-WB-OFF").is_in_stock());
}

TEST(MagentoCsvReaderTest, CompositeQtyIsIgnoredAndTypesMapped) {
  Result result = ReadText(
      "sku,product_type,qty,is_in_stock,configurable_variations\n"
      "C,configurable,abc,0,sku=C1|sku=C1|sku=C\n"
      "V,virtual,3,1,\n"
      "D,downloadable,4,1,\n"
      "S,,5,1,\n");
  ASSERT_THAT(result.errors, ::testing::IsEmpty());
  ASSERT_EQ(result.records.size(), 4u);
  // qty not read (even when not a number); repeats and itself dropped.
  EXPECT_EQ(result.records[0].source_quantity(), 0);
  EXPECT_FALSE(result.records[0].is_in_stock());
  EXPECT_THAT(result.records[0].component_skus(), ElementsAre("C1"));
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(result.records[i].product_type(),
              availability::v1::PRODUCT_TYPE_UNSPECIFIED);
    EXPECT_EQ(result.records[i].source_quantity(), static_cast<double>(i + 2));
  }
}

TEST(MagentoCsvReaderTest, MalformedCompositeColumnsAreBadRows) {
  Result result = ReadText(
      "sku,product_type,configurable_variations,bundle_values\n"
      "C,configurable,size=XS|sku=C1,\n"
      "B,bundle,,name=Ball;type=radio;sku=X\n"
      "E,bundle,,\"name=Ball,required=1,sku=X,default_qty=1.00001\"\n");
  EXPECT_TRUE(result.records.empty());
  ASSERT_EQ(result.errors.size(), 3u);
  EXPECT_EQ(result.errors[0],
            "line 2: configurable_variations: \"size=XS\" has no sku=");
  EXPECT_THAT(result.errors[1],
              HasSubstr("line 3: bundle_values: \"name=Ball;type=radio;sku=X\" "
                        "has no name= or no sku="));
  EXPECT_THAT(result.errors[2],
              HasSubstr("line 4: bundle_values: default_qty of X: "
                        "\"1.00001\" is not a quantity >= 0"));
}

TEST(CategoryIdForPathTest, StablePositiveIds) {
  // FNV-1a 64 of "" is 0xcbf29ce484222325; top bit cleared.
  EXPECT_EQ(CategoryIdForPath(""), 0x4bf29ce484222325);
  EXPECT_EQ(CategoryIdForPath(" Default Category/Gear "),
            CategoryIdForPath("Default Category/Gear"));
  EXPECT_NE(CategoryIdForPath("Default Category/Gear"),
            CategoryIdForPath("Default Category/Gear/Bags"));
  EXPECT_GT(CategoryIdForPath("Default Category/Gear/Bags"), 0);
}

TEST(ParseDecimalQuantityTest, Cases) {
  EXPECT_EQ(*ParseDecimalQuantity("100.0000"), 100.0);
  EXPECT_EQ(*ParseDecimalQuantity("0.1"), 0.1);
  EXPECT_EQ(*ParseDecimalQuantity("-10.5000"), -10.5);
  EXPECT_EQ(*ParseDecimalQuantity("+3"), 3.0);
  EXPECT_EQ(*ParseDecimalQuantity(".5"), 0.5);
  EXPECT_EQ(*ParseDecimalQuantity("12.3456"), 12.3456);
  EXPECT_EQ(*ParseDecimalQuantity("99999999.9999"), 99999999.9999);
  EXPECT_FALSE(std::signbit(*ParseDecimalQuantity("-0.0000")));
  for (const char* bad : {"", "abc", "1e3", "1.", ".", "-", "1,5", "0x10",
                          "inf", "nan", "1.23456", "1234567890123456"}) {
    EXPECT_FALSE(ParseDecimalQuantity(bad).ok()) << bad;
  }
}

TEST(ParseChannelsTest, Cases) {
  EXPECT_THAT(*ParseChannels("base=1, de = 2"),
              ElementsAre(Pair("base", 1), Pair("de", 2)));
  EXPECT_FALSE(ParseChannels("").ok());
  EXPECT_FALSE(ParseChannels("base").ok());
  EXPECT_FALSE(ParseChannels("base=0").ok());
  EXPECT_FALSE(ParseChannels("=1").ok());
  EXPECT_FALSE(ParseChannels("base=x").ok());
}

}  // namespace
}  // namespace av::client
