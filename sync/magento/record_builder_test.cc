#include "sync/magento/record_builder.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace availability::sync::magento {
namespace {

using ::availability::testing::IsOk;
using ::availability::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr core::Qty U(int64_t units) { return core::QtyFromUnits(units); }

TEST(ParseDecimalQtyTest, Table) {
  struct Case {
    const char* name;
    const char* text;
    core::Qty want;
  };
  const Case cases[] = {
      {"four_places", "12.3400", 123400},
      {"negative", "-0.7500", -7500},
      {"integer", "3", U(3)},
      {"short_fraction", "2.5", 25000},
      {"extra_zeros", "1.000000", U(1)},
      {"max", "99999999.9999", core::kMaxQty},
      {"leading_dot", ".5", 5000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<core::Qty> got = ParseDecimalQty(c.text);
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(*got, c.want);
  }
}

TEST(ParseDecimalQtyTest, RejectsNonDecimals) {
  for (const char* text : {"", "-", "abc", "1.23456", "1e5", "100000000",
                           "1.2.3", " 1"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(ParseDecimalQty(text),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("decimal(12,4)")));
  }
}

CatalogChunk OneProduct() {
  CatalogChunk chunk;
  ProductData p;
  p.entity_id = 7;
  p.sku = "MB-01";
  p.min_qty = -U(10);
  p.backorders = core::Backorders::kYes;
  p.alternatives = {{"B", core::Relation::kRelated},
                    {"MB-01", core::Relation::kRelated},
                    {"B", core::Relation::kUpsell},
                    {"C", core::Relation::kCrosssell}};
  p.category_ids = {11, 10, 11};
  chunk.products.push_back(p);
  return chunk;
}

TEST(BuildRecordsTest, SumsInStockItemsOfEnabledSourcesPerStock) {
  CatalogChunk chunk = OneProduct();
  chunk.source_items = {
      {7, 1, U(100), true, true},
      {7, 1, U(5), false, true},   // out of stock: not counted
      {7, 2, U(20), true, true},
      {7, 2, U(50), true, false},  // disabled source: not counted
      {7, 3, U(9), true, false},   // only a disabled source: out of stock
  };
  chunk.reservations = {{7, 1, -U(4)}, {7, 2, -U(5)}, {8, 1, -U(1)}};
  const absl::Time t = absl::FromUnixSeconds(1700000000);
  std::vector<core::Record> records = BuildRecords(chunk, 42, t);
  ASSERT_EQ(records.size(), 3u);

  EXPECT_EQ(records[0].stock_id, 1);
  EXPECT_EQ(records[0].sku, "MB-01");
  EXPECT_EQ(records[0].version, 42);
  EXPECT_EQ(records[0].source_time, t);
  EXPECT_EQ(records[0].source_qty, U(100));
  EXPECT_EQ(records[0].reserved_qty, -U(4));
  EXPECT_TRUE(records[0].is_in_stock);
  EXPECT_EQ(records[0].min_qty, -U(10));
  EXPECT_EQ(records[0].backorders, core::Backorders::kYes);
  EXPECT_FALSE(records[0].manage_stock.has_value());
  EXPECT_THAT(records[0].category_ids, ElementsAre(10, 11));
  EXPECT_THAT(records[0].alternatives,
              ElementsAre(core::AlternativeLink{"B", core::Relation::kRelated},
                          core::AlternativeLink{"C",
                                                core::Relation::kCrosssell}));

  EXPECT_EQ(records[1].stock_id, 2);
  EXPECT_EQ(records[1].source_qty, U(20));
  EXPECT_EQ(records[1].reserved_qty, -U(5));
  EXPECT_TRUE(records[1].is_in_stock);

  EXPECT_EQ(records[2].stock_id, 3);
  EXPECT_EQ(records[2].source_qty, 0);
  EXPECT_FALSE(records[2].is_in_stock);
}

TEST(BuildRecordsTest, ProductWithoutSourceItemsHasNoRecord) {
  CatalogChunk chunk = OneProduct();
  EXPECT_TRUE(BuildRecords(chunk, 1, absl::UnixEpoch()).empty());
}

TEST(ApplyInventoryConfigTest, ReadsEveryPathAndFallsBackToDefaults) {
  core::StoreConfig config;
  config.handling_days = 2;  // not Magento's: kept
  config.min_qty = U(99);    // absent below: back to the default
  std::map<std::string, std::string> values = {
      {"cataloginventory/item_options/manage_stock", "0"},
      {"cataloginventory/item_options/backorders", "2"},
      {"cataloginventory/item_options/max_sale_qty", "50.5"},
      {"cataloginventory/item_options/notify_stock_qty", "3"},
      {"cataloginventory/item_options/enable_qty_increments", "1"},
      {"cataloginventory/item_options/qty_increments", "6"},
      {"cataloginventory/options/stock_threshold_qty", "5"},
      {"cataloginventory/item_options/min_sale_qty", "garbage"},
  };
  ApplyInventoryConfig(values, &config);
  EXPECT_FALSE(config.manage_stock);
  EXPECT_EQ(config.backorders, core::Backorders::kYesNotify);
  EXPECT_EQ(config.min_qty, 0);
  EXPECT_EQ(config.min_sale_qty, U(1));
  EXPECT_EQ(config.max_sale_qty, 505000);
  EXPECT_EQ(config.notify_stock_qty, U(3));
  EXPECT_TRUE(config.enable_qty_increments);
  EXPECT_EQ(config.qty_increments, U(6));
  EXPECT_EQ(config.only_x_left_threshold, U(5));
  EXPECT_EQ(config.handling_days, 2);
}

TEST(ApplyInventoryConfigTest, MinSaleQtyPerCustomerGroup) {
  struct Case {
    const char* name;
    const char* value;
    core::Qty want;
  };
  const Case cases[] = {
      {"plain", "4", U(4)},
      {"json_all_groups", "{\"32000\":\"2\"}", U(2)},
      {"json_number", "{\"1\":\"5\",\"32000\":3}", U(3)},
      {"json_other_group_only", "{\"1\":\"5\"}", U(1)},
      {"php_serialized", "a:1:{i:32000;s:1:\"2\";}", U(2)},
      {"php_decimal", "a:1:{i:32000;d:2.5;}", 25000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    core::StoreConfig config;
    ApplyInventoryConfig({{"cataloginventory/item_options/min_sale_qty", c.value}},
                         &config);
    EXPECT_EQ(config.min_sale_qty, c.want);
  }
}

}  // namespace
}  // namespace availability::sync::magento
