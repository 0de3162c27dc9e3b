#include "sync/magento/record_builder.h"

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/utf8.h"
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
const std::vector<int32_t> kStocks = {1, 2, 3};

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
  for (const char* text : {"", "-", "abc", "1.23456", "1e5", "1.2.3", " 1"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(ParseDecimalQty(text),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("decimal(12,4)")));
  }
}

TEST(ParseDecimalQtyTest, MoreThanEightIntegerDigitsIsOutOfRange) {
  EXPECT_THAT(ParseDecimalQty("100000000"),
              StatusIs(absl::StatusCode::kOutOfRange,
                       HasSubstr("above 99999999.9999 in magnitude")));
  EXPECT_THAT(ParseDecimalQty("-123456789.0000"),
              StatusIs(absl::StatusCode::kOutOfRange));
  // Leading zeros are no digits of the magnitude.
  EXPECT_EQ(*ParseDecimalQty("0000000012.5000"), 125000);
}

TEST(ParseDecimalSumTest, ExactUpToTheBoundOutOfRangeBeyond) {
  EXPECT_EQ(*ParseDecimalSum("299999999.9997"), int64_t{2999999999997});
  EXPECT_EQ(*ParseDecimalSum("-99999999999.9999"), -kMaxSummedQty);
  EXPECT_THAT(ParseDecimalSum("100000000000.0000"),
              StatusIs(absl::StatusCode::kOutOfRange,
                       HasSubstr("above 99999999999.9999")));
  EXPECT_THAT(ParseDecimalSum("123456789012345678901234567890"),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(ParseDecimalSum("x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FormatDecimalQtyTest, FourPlaces) {
  EXPECT_EQ(FormatDecimalQty(2999999999997), "299999999.9997");
  EXPECT_EQ(FormatDecimalQty(-7500), "-0.7500");
  EXPECT_EQ(FormatDecimalQty(0), "0.0000");
  EXPECT_EQ(FormatDecimalQty(std::numeric_limits<int64_t>::min()),
            "-922337203685477.5808");
}

TEST(LogSafeTextTest, EscapesInvalidBytesAndCutsLongOnes) {
  EXPECT_EQ(LogSafeText("MB-01"), "MB-01");
  EXPECT_EQ(LogSafeText("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(LogSafeText("BAD-\xFF"), "BAD-\\xff");
  EXPECT_EQ(LogSafeText(std::string("a\nb\0c", 5)), "a\\x0ab\\x00c");
  EXPECT_EQ(LogSafeText("a\\xff"), "a\\x5cxff");
  const std::string long_sku = "\xC3\xA9" + std::string(63, 'A');  // 65 bytes
  EXPECT_EQ(LogSafeText(long_sku),
            "\xC3\xA9" + std::string(62, 'A') + " ... (65 bytes)");
  // A character cut by the 64-byte limit is escaped, never split.
  const std::string cut = std::string(63, 'A') + "\xC3\xA9";
  EXPECT_EQ(LogSafeText(cut), std::string(63, 'A') + "\\xc3 ... (65 bytes)");
  // Whatever the input, the output is valid UTF-8.
  EXPECT_TRUE(core::IsValidUtf8(LogSafeText("\xF0\x9F\x98")));
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
      {7, 1, U(5), false, true},  // out of stock: not counted
      {7, 2, U(20), true, true},
      {7, 2, U(50), true, false},  // disabled source: not counted
      {7, 3, U(9), true, false},   // only a disabled source: out of stock
  };
  chunk.reservations = {{7, 1, -U(4)}, {7, 2, -U(5)}, {8, 1, -U(1)}};
  const absl::Time t = absl::FromUnixSeconds(1700000000);
  BuiltRecords built = BuildRecords(chunk, kStocks, SalesScope(), 42, t);
  EXPECT_TRUE(built.skipped.empty());
  const std::vector<core::Record>& records = built.records;
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
  EXPECT_THAT(
      records[0].alternatives,
      ElementsAre(core::AlternativeLink{"B", core::Relation::kRelated},
                  core::AlternativeLink{"C", core::Relation::kCrosssell}));

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
  BuiltRecords built =
      BuildRecords(chunk, kStocks, SalesScope(), 1, absl::UnixEpoch());
  EXPECT_TRUE(built.records.empty());
  EXPECT_TRUE(built.skipped.empty());
}

TEST(BuildRecordsTest, SumsBeyondDecimal12_4AreExact) {
  CatalogChunk chunk = OneProduct();
  chunk.source_items = {{7, 1, core::kMaxQty, true, true},
                        {7, 1, core::kMaxQty, true, true},
                        {7, 1, core::kMaxQty, true, true}};
  BuiltRecords built =
      BuildRecords(chunk, kStocks, SalesScope(), 1, absl::UnixEpoch());
  ASSERT_EQ(built.records.size(), 1u);
  EXPECT_EQ(built.records[0].source_qty, int64_t{2999999999997});
  EXPECT_EQ(FormatDecimalQty(built.records[0].source_qty), "299999999.9997");
  EXPECT_TRUE(built.skipped.empty());
}

TEST(BuildRecordsTest, SumBeyondTheBoundIsRefusedNotClamped) {
  CatalogChunk chunk = OneProduct();
  // 1,001 sources at decimal(12,4)'s maximum on stock 1; stock 2 is fine.
  for (int i = 0; i < 1001; ++i) {
    chunk.source_items.push_back({7, 1, core::kMaxQty, true, true});
  }
  chunk.source_items.push_back({7, 2, U(3), true, true});
  BuiltRecords built =
      BuildRecords(chunk, kStocks, SalesScope(), 1, absl::UnixEpoch());
  ASSERT_EQ(built.records.size(), 1u);
  EXPECT_EQ(built.records[0].stock_id, 2);
  ASSERT_EQ(built.skipped.size(), 1u);
  const SkippedRecord& s = built.skipped[0];
  EXPECT_EQ(s.reason, SkipReason::kOutOfRange);
  EXPECT_EQ(s.sku, "MB-01");
  EXPECT_EQ(s.stock_id, 1);
  EXPECT_EQ(s.field, "source_qty");
  EXPECT_THAT(s.rule, HasSubstr("100099999999.8999 is above "
                                "99999999999.9999"));
}

TEST(BuildRecordsTest, RefusesBadSkusUnknownStocksAndBadValues) {
  struct Case {
    const char* name;
    std::string sku;
    int32_t stock;
    std::vector<BadValue> bad;
    SkipReason reason;
    const char* field;
  };
  BadValue bad_min_qty;
  bad_min_qty.entity_id = 7;
  bad_min_qty.field = "cataloginventory_stock_item.min_qty";
  bad_min_qty.rule = "not a decimal(12,4): \"x\"";
  BadValue bad_source;
  bad_source.entity_id = 7;
  bad_source.stock_id = 1;
  bad_source.reason = SkipReason::kOutOfRange;
  bad_source.field = "inventory_source_item.quantity";
  bad_source.source = "default";
  bad_source.rule = "too large";
  const Case cases[] = {
      {"empty", "", 1, {}, SkipReason::kSkuEmpty, "sku"},
      {"too_long", std::string(65, 'A'), 1, {}, SkipReason::kSkuTooLong, "sku"},
      {"not_utf8", "BAD-\xFF", 1, {}, SkipReason::kSkuNotUtf8, "sku"},
      {"unknown_stock", "MB-01", 9, {}, SkipReason::kUnknownStock, "stock_id"},
      {"bad_setting",
       "MB-01",
       1,
       {bad_min_qty},
       SkipReason::kBadNumber,
       "cataloginventory_stock_item.min_qty"},
      {"bad_source_item",
       "MB-01",
       1,
       {bad_source},
       SkipReason::kOutOfRange,
       "inventory_source_item.quantity"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CatalogChunk chunk = OneProduct();
    chunk.products[0].sku = c.sku;
    chunk.source_items = {{7, c.stock, U(5), true, true}};
    chunk.bad_values = c.bad;
    BuiltRecords built =
        BuildRecords(chunk, kStocks, SalesScope(), 1, absl::UnixEpoch());
    EXPECT_TRUE(built.records.empty());
    ASSERT_EQ(built.skipped.size(), 1u);
    EXPECT_EQ(built.skipped[0].reason, c.reason);
    EXPECT_EQ(built.skipped[0].sku, c.sku);
    EXPECT_EQ(built.skipped[0].stock_id, c.stock);
    EXPECT_EQ(built.skipped[0].entity_id, 7);
    EXPECT_EQ(built.skipped[0].field, c.field);
    EXPECT_FALSE(built.skipped[0].rule.empty());
  }
}

TEST(BuildRecordsTest, BadValueOfOneStockRefusesThatStockOnly) {
  CatalogChunk chunk = OneProduct();
  chunk.source_items = {{7, 1, U(5), true, true}, {7, 2, U(6), true, true}};
  BadValue bad;
  bad.entity_id = 7;
  bad.stock_id = 2;
  bad.field = "inventory_source_item.quantity";
  bad.source = "eu_warehouse";
  bad.rule = "not a decimal(12,4): \"x\"";
  chunk.bad_values = {bad};
  BuiltRecords built =
      BuildRecords(chunk, kStocks, SalesScope(), 1, absl::UnixEpoch());
  ASSERT_EQ(built.records.size(), 1u);
  EXPECT_EQ(built.records[0].stock_id, 1);
  ASSERT_EQ(built.skipped.size(), 1u);
  EXPECT_EQ(built.skipped[0].stock_id, 2);
  EXPECT_EQ(built.skipped[0].source, "eu_warehouse");
}

TEST(BuildRecordsTest, AlternativesTheApiCannotNameAreDropped) {
  CatalogChunk chunk = OneProduct();
  chunk.products[0].alternatives = {
      {"BAD-\xFF", core::Relation::kRelated},
      {std::string(65, 'L'), core::Relation::kRelated},
      {"OK-1", core::Relation::kUpsell}};
  chunk.source_items = {{7, 1, U(5), true, true}};
  BuiltRecords built =
      BuildRecords(chunk, kStocks, SalesScope(), 1, absl::UnixEpoch());
  ASSERT_EQ(built.records.size(), 1u);
  EXPECT_THAT(
      built.records[0].alternatives,
      ElementsAre(core::AlternativeLink{"OK-1", core::Relation::kUpsell}));
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
  const std::vector<ConfigProblem> problems =
      ApplyInventoryConfig(values, &config);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "cataloginventory/item_options/min_sale_qty");
  EXPECT_EQ(problems[0].value, "garbage");
  EXPECT_THAT(problems[0].rule, HasSubstr("neither a decimal"));
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

TEST(ApplyInventoryConfigTest, ValuesThatDoNotParseAreReported) {
  core::StoreConfig config;
  const std::vector<ConfigProblem> problems = ApplyInventoryConfig(
      {{"cataloginventory/item_options/backorders", "7"},
       {"cataloginventory/item_options/manage_stock", "yes"},
       {"cataloginventory/item_options/min_qty", "1e3"},
       {"cataloginventory/options/stock_threshold_qty", "\xFF"}},
      &config);
  EXPECT_EQ(config.backorders, core::Backorders::kNo);
  EXPECT_TRUE(config.manage_stock);
  EXPECT_EQ(config.min_qty, 0);
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0].path, "cataloginventory/item_options/manage_stock");
  EXPECT_EQ(problems[0].rule, "not an integer");
  EXPECT_EQ(problems[1].path, "cataloginventory/item_options/backorders");
  EXPECT_EQ(problems[1].rule, kNotBackorders);
  EXPECT_EQ(problems[2].path, "cataloginventory/item_options/min_qty");
  EXPECT_EQ(problems[3].value, "\\xff");
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
    ApplyInventoryConfig(
        {{"cataloginventory/item_options/min_sale_qty", c.value}}, &config);
    EXPECT_EQ(config.min_sale_qty, c.want);
  }
}

TEST(ParseConfigOverrideTest, DefaultAndWebsiteScope) {
  absl::StatusOr<ConfigOverride> d =
      ParseConfigOverride("cataloginventory/item_options/min_qty=3");
  ASSERT_THAT(d.status(), IsOk());
  EXPECT_EQ(d->path, "cataloginventory/item_options/min_qty");
  EXPECT_EQ(d->value, "3");
  EXPECT_EQ(d->website_code, "");
  absl::StatusOr<ConfigOverride> w = ParseConfigOverride(
      "cataloginventory/item_options/min_sale_qty={\"32000\":\"2\"}@eu");
  ASSERT_THAT(w.status(), IsOk());
  EXPECT_EQ(w->value, "{\"32000\":\"2\"}");
  EXPECT_EQ(w->website_code, "eu");
}

TEST(ParseConfigOverrideTest, RefusesWhatItCannotUse) {
  EXPECT_THAT(
      ParseConfigOverride("cataloginventory/item_options/min_qty"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no '='")));
  EXPECT_THAT(ParseConfigOverride("web/secure/base_url=https://x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not one the connector reads")));
  EXPECT_THAT(ParseConfigOverride("cataloginventory/item_options/min_qty=1@"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("empty website code")));
}

TEST(EffectiveConfigValuesTest, MagentosOrderOfScopes) {
  const std::string kMin = "cataloginventory/item_options/min_qty";
  const std::string kThreshold = "cataloginventory/options/stock_threshold_qty";
  InventoryConfigValues values;
  values.defaults = {{kMin, "1"}, {kThreshold, "5"}};
  values.websites[2] = {{kMin, "2"}};
  values.websites[3] = {{kMin, "3"}, {kThreshold, "6"}};
  const std::map<std::string, int32_t> ids = {{"eu", 2}, {"us", 3}};
  const std::vector<ConfigOverride> overrides = {{kThreshold, "9", ""},
                                                 {kMin, "7", "us"}};
  using Values = std::map<std::string, std::string>;
  // Default scope: the default-scope override beats the database.
  EXPECT_EQ(EffectiveConfigValues(values, overrides, ids, 0),
            (Values{{kMin, "1"}, {kThreshold, "9"}}));
  // Website scope in the database beats every default-scope value ...
  EXPECT_EQ(EffectiveConfigValues(values, overrides, ids, 2),
            (Values{{kMin, "2"}, {kThreshold, "9"}}));
  // ... and a website-scope override beats it.
  EXPECT_EQ(EffectiveConfigValues(values, overrides, ids, 3),
            (Values{{kMin, "7"}, {kThreshold, "6"}}));
}

TEST(SoldOnWebsiteTest, AssignmentAndStatusPerStoreView) {
  SalesScope scope;
  scope.stores_of_website = {{1, {1}}, {2, {2, 3}}};
  ProductData p;
  p.websites = {1, 2};
  EXPECT_TRUE(SoldOnWebsite(p, 1, scope));   // no status value: enabled
  EXPECT_FALSE(SoldOnWebsite(p, 4, scope));  // not assigned
  p.default_status = 2;
  EXPECT_FALSE(SoldOnWebsite(p, 1, scope));
  p.store_status[3] = 1;  // enabled in one of website 2's store views
  EXPECT_TRUE(SoldOnWebsite(p, 2, scope));
  p.default_status = 1;
  p.store_status = {{1, 2}};
  EXPECT_FALSE(SoldOnWebsite(p, 1, scope));
  EXPECT_TRUE(SoldOnWebsite(p, 2, scope));
}

TEST(BuildRecordsTest, ProductsNotSoldOnAStocksWebsitesHaveNoRecordThere) {
  CatalogChunk chunk;
  ProductData p;
  p.entity_id = 1;
  p.sku = "A";
  p.websites = {1};
  chunk.products.push_back(p);
  chunk.source_items = {{1, 1, U(5), true, true},
                        {1, 2, U(5), true, true},
                        {1, 3, U(5), true, true}};
  SalesScope scope;
  // Stock 1 sells on website 1, stock 2 on website 2, stock 3 has no
  // channel (asked for by stock id only).
  scope.websites_of_stock = {{1, {1}}, {2, {2}}};
  BuiltRecords built = BuildRecords(chunk, kStocks, scope, 1, absl::Now());
  ASSERT_EQ(built.records.size(), 2u);
  EXPECT_EQ(built.records[0].stock_id, 1);
  EXPECT_EQ(built.records[1].stock_id, 3);
  EXPECT_TRUE(built.skipped.empty());
}

TEST(BuildRecordsTest, PerSourceLowStockLevelsAreSummed) {
  CatalogChunk chunk;
  ProductData p;
  p.entity_id = 1;
  p.sku = "A";
  p.notify_stock_qty = U(9);  // legacy level: only without per-source rows
  chunk.products.push_back(p);
  p.entity_id = 2;
  p.sku = "B";
  chunk.products.push_back(p);
  SourceItemRow own{1, 1, U(5), true, true};
  own.has_notify_config = true;
  own.notify_stock_qty = U(4);
  SourceItemRow null_level{1, 1, U(5), true, true};
  null_level.has_notify_config = true;
  SourceItemRow no_row{1, 1, U(5), true, true};
  SourceItemRow disabled_source{1, 1, U(5), true, false};
  disabled_source.has_notify_config = true;
  disabled_source.notify_stock_qty = U(100);
  chunk.source_items = {
      own, null_level, no_row, disabled_source, {2, 1, U(1), true, true}};
  SalesScope scope;
  scope.config_notify_stock_qty = {{1, U(2)}};
  BuiltRecords built = BuildRecords(chunk, kStocks, scope, 1, absl::Now());
  ASSERT_EQ(built.records.size(), 2u);
  // 4 (own) + 2 (NULL: the configuration); the source item without a row
  // and the disabled source add nothing.
  EXPECT_EQ(built.records[0].notify_stock_qty, U(6));
  EXPECT_EQ(built.records[1].notify_stock_qty, U(9));
}

TEST(BuildRecordsTest, CompositesGetRecordsOnStocksThatSellThem) {
  CatalogChunk chunk;
  ProductData bundle;
  bundle.entity_id = 1;
  bundle.sku = "BND";
  bundle.type = core::ProductType::kBundle;
  bundle.own_is_in_stock = false;
  bundle.websites = {1};
  core::BundleOption option;
  option.required = true;
  option.selections = {{"X", U(2)}, {"", U(1)}, {"BND", U(1)}};
  core::BundleOption unnamed;
  unnamed.required = false;
  unnamed.selections = {{"", U(1)}};
  bundle.bundle_options = {option, unnamed};
  chunk.products.push_back(bundle);
  ProductData cfg;
  cfg.entity_id = 2;
  cfg.sku = "CFG";
  cfg.type = core::ProductType::kConfigurable;
  cfg.websites = {1, 2};
  cfg.components = {"V1", "V2", "V1", "CFG"};
  chunk.products.push_back(cfg);
  SalesScope scope;
  scope.websites_of_stock = {{1, {1}}, {2, {2}}};
  BuiltRecords built = BuildRecords(chunk, kStocks, scope, 1, absl::Now());
  ASSERT_EQ(built.records.size(), 3u);
  const core::Record& b = built.records[0];
  EXPECT_EQ(b.sku, "BND");
  EXPECT_EQ(b.stock_id, 1);
  EXPECT_FALSE(b.is_in_stock);
  ASSERT_EQ(b.bundle_options.size(), 1u);  // the optional empty one dropped
  EXPECT_THAT(b.bundle_options[0].selections,
              ElementsAre(core::BundleSelection{"X", U(2)}));
  EXPECT_EQ(built.records[1].stock_id, 1);
  EXPECT_EQ(built.records[2].stock_id, 2);
  EXPECT_THAT(built.records[2].components, ElementsAre("V1", "V2"));
  EXPECT_TRUE(built.records[2].is_in_stock);
}

}  // namespace
}  // namespace availability::sync::magento
