#include "server/sync_mapping.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace availability::server {
namespace {

namespace v1 = ::availability::v1;
using ::availability::testing::IsOk;
using ::availability::testing::StatusIs;

v1::InventoryRecord Valid() {
  v1::InventoryRecord r;
  r.set_sku("24-MB01");
  r.set_stock_id(1);
  r.set_version(3);
  r.set_source_quantity(10.5);
  r.set_reserved_quantity(-2);
  return r;
}

void SetDate(v1::Date* d, int y, int m, int day) {
  d->set_year(y);
  d->set_month(m);
  d->set_day(day);
}

TEST(RecordFromApiTest, MapsEveryField) {
  v1::InventoryRecord in = Valid();
  in.mutable_source_time()->set_seconds(1772366400);
  in.set_manage_stock(true);
  in.set_is_in_stock(false);
  in.set_min_qty(-5);
  in.set_backorders(v1::BACKORDERS_YES_NOTIFY);
  in.set_min_sale_qty(2);
  in.set_max_sale_qty(50);
  in.set_enable_qty_increments(true);
  in.set_qty_increments(2);
  in.set_notify_stock_qty(3);
  in.set_lifecycle(v1::LIFECYCLE_DISCONTINUED);
  in.set_successor_sku("24-MB02");
  auto* receipt = in.add_inbound();
  SetDate(receipt->mutable_date(), 2026, 3, 10);
  receipt->set_quantity(7.25);
  in.set_lead_time_days(14);
  auto* alt = in.add_alternatives();
  alt->set_sku("24-MB03");
  alt->set_relation(v1::RELATION_UPSELL);
  in.add_category_ids(12);

  auto r = RecordFromApi(in);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->sku, "24-MB01");
  EXPECT_EQ(r->stock_id, 1);
  EXPECT_EQ(r->version, 3);
  EXPECT_EQ(r->source_time, absl::FromUnixSeconds(1772366400));
  EXPECT_EQ(r->manage_stock, true);
  EXPECT_FALSE(r->is_in_stock);
  EXPECT_EQ(r->source_qty, 105000);
  EXPECT_EQ(r->reserved_qty, -20000);
  EXPECT_EQ(r->min_qty, -50000);
  EXPECT_EQ(r->backorders, core::Backorders::kYesNotify);
  EXPECT_EQ(r->min_sale_qty, 20000);
  EXPECT_EQ(r->max_sale_qty, 500000);
  EXPECT_EQ(r->enable_qty_increments, true);
  EXPECT_EQ(r->qty_increments, 20000);
  EXPECT_EQ(r->notify_stock_qty, 30000);
  EXPECT_EQ(r->lifecycle, core::Lifecycle::kDiscontinued);
  EXPECT_EQ(r->successor_sku, "24-MB02");
  ASSERT_EQ(r->inbound.size(), 1u);
  EXPECT_EQ(r->inbound[0].date, absl::CivilDay(2026, 3, 10));
  EXPECT_EQ(r->inbound[0].qty, 72500);
  EXPECT_EQ(r->lead_time_days, 14);
  ASSERT_EQ(r->alternatives.size(), 1u);
  EXPECT_EQ(r->alternatives[0].relation, core::Relation::kUpsell);
  EXPECT_EQ(r->category_ids, std::vector<int64_t>{12});
}

// The cache keeps microseconds; the mapped record must be what readers get
// back (found by fuzz/sync_mapping_fuzz), also before 1970.
TEST(RecordFromApiTest, SourceTimeIsKeptToTheMicrosecond) {
  v1::InventoryRecord in = Valid();
  in.mutable_source_time()->set_seconds(1772366400);
  in.mutable_source_time()->set_nanos(123456789);
  auto r = RecordFromApi(in);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->source_time,
            absl::FromUnixSeconds(1772366400) + absl::Microseconds(123456));

  in.mutable_source_time()->set_seconds(-1000);
  in.mutable_source_time()->set_nanos(1);
  r = RecordFromApi(in);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->source_time, absl::FromUnixSeconds(-1000));
}

TEST(RecordFromApiTest, UnsetSettingsUseTheStoreConfiguration) {
  auto r = RecordFromApi(Valid());
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->manage_stock.has_value());
  EXPECT_TRUE(r->is_in_stock);
  EXPECT_FALSE(r->min_qty.has_value());
  EXPECT_FALSE(r->backorders.has_value());
  EXPECT_FALSE(r->notify_stock_qty.has_value());
  EXPECT_EQ(r->lifecycle, core::Lifecycle::kActive);
  EXPECT_EQ(r->source_time, absl::InfinitePast());
}

struct RejectCase {
  std::string name;
  std::function<void(v1::InventoryRecord&)> mutate;
  std::string message;
};

class RecordRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(RecordRejectTest, NamesFieldAndRule) {
  v1::InventoryRecord in = Valid();
  GetParam().mutate(in);
  EXPECT_THAT(RecordFromApi(in, "records[3]"),
              StatusIs(absl::StatusCode::kInvalidArgument, GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Rules, RecordRejectTest,
    ::testing::Values(
        RejectCase{"EmptySku", [](auto& r) { r.set_sku(""); },
                   "records[3].sku: empty"},
        RejectCase{"LongSku", [](auto& r) { r.set_sku(std::string(65, 'x')); },
                   "records[3].sku: longer than 64 bytes"},
        RejectCase{"BadUtf8", [](auto& r) { r.set_sku("\xff"); },
                   "records[3].sku: not valid UTF-8"},
        RejectCase{"Stock", [](auto& r) { r.set_stock_id(0); },
                   "records[3].stock_id: must be >= 1"},
        RejectCase{"Version", [](auto& r) { r.set_version(0); },
                   "records[3].version: must be >= 1"},
        RejectCase{"SourceTime",
                   [](auto& r) { r.mutable_source_time()->set_nanos(-1); },
                   "records[3].source_time: not a valid timestamp"},
        RejectCase{"Decimals", [](auto& r) { r.set_source_quantity(1.00001); },
                   "records[3].source_quantity: more than 4 decimals"},
        RejectCase{"NaN",
                   [](auto& r) { r.set_reserved_quantity(std::nan("")); },
                   "records[3].reserved_quantity: not a number"},
        RejectCase{"NegativeMinQty",
                   [](auto& r) {
                     r.set_min_qty(-1);
                     r.set_backorders(v1::BACKORDERS_NO);
                   },
                   "records[3].min_qty: negative requires backorders"},
        RejectCase{
            "Backorders",
            [](auto& r) { r.set_backorders(static_cast<v1::Backorders>(9)); },
            "records[3].backorders: unknown value 9"},
        RejectCase{"MinSale", [](auto& r) { r.set_min_sale_qty(0); },
                   "records[3].min_sale_qty: must be > 0"},
        RejectCase{"FractionalMinSale",
                   [](auto& r) { r.set_min_sale_qty(1.5); },
                   "records[3].min_sale_qty: fractional while is_qty_decimal "
                   "is false"},
        RejectCase{"MaxBelowMin",
                   [](auto& r) {
                     r.set_min_sale_qty(5);
                     r.set_max_sale_qty(2);
                   },
                   "records[3].max_sale_qty: less than min_sale_qty"},
        RejectCase{"Increments", [](auto& r) { r.set_qty_increments(-1); },
                   "records[3].qty_increments: must be > 0"},
        RejectCase{"PreorderDate",
                   [](auto& r) { r.set_lifecycle(v1::LIFECYCLE_PREORDER); },
                   "records[3].lifecycle: PREORDER requires release_date"},
        RejectCase{"ReleaseDate",
                   [](auto& r) {
                     r.set_lifecycle(v1::LIFECYCLE_PREORDER);
                     SetDate(r.mutable_release_date(), 2026, 2, 30);
                   },
                   "records[3].release_date: not a valid date"},
        RejectCase{"SelfSuccessor",
                   [](auto& r) { r.set_successor_sku("24-MB01"); },
                   "records[3].successor_sku: same as the record's sku"},
        RejectCase{"InboundDate",
                   [](auto& r) {
                     for (int i = 0; i < 3; ++i) {
                       auto* x = r.add_inbound();
                       SetDate(x->mutable_date(), 2026, 3, 1);
                       x->set_quantity(1);
                     }
                     SetDate(r.mutable_inbound(2)->mutable_date(), 2026, 13, 1);
                   },
                   "records[3].inbound[2].date: not a valid date"},
        RejectCase{"InboundDateShipsAfterYear9999",
                   [](auto& r) {
                     for (int i = 0; i < 3; ++i) {
                       auto* x = r.add_inbound();
                       SetDate(x->mutable_date(), 2026, 3, 1);
                       x->set_quantity(1);
                     }
                     SetDate(r.mutable_inbound(2)->mutable_date(), 9999, 12,
                             31);
                   },
                   "records[3].inbound[2].date: after 9899-12-31, the latest "
                   "date whose ship date stays within 9999-12-31"},
        RejectCase{"InboundDateJustPastTheBound",
                   [](auto& r) {
                     auto* x = r.add_inbound();
                     SetDate(x->mutable_date(), 9900, 1, 1);
                     x->set_quantity(1);
                   },
                   "records[3].inbound[0].date: after 9899-12-31, the latest "
                   "date whose ship date stays within 9999-12-31"},
        RejectCase{"ReleaseDateShipsAfterYear9999",
                   [](auto& r) {
                     r.set_lifecycle(v1::LIFECYCLE_PREORDER);
                     SetDate(r.mutable_release_date(), 9999, 12, 31);
                   },
                   "records[3].release_date: after 9899-12-31, the latest "
                   "date whose ship date stays within 9999-12-31"},
        RejectCase{"InboundMissingDate",
                   [](auto& r) { r.add_inbound()->set_quantity(1); },
                   "records[3].inbound[0].date: missing"},
        RejectCase{"InboundQty",
                   [](auto& r) {
                     SetDate(r.add_inbound()->mutable_date(), 2026, 3, 1);
                   },
                   "records[3].inbound[0].quantity: must be > 0"},
        RejectCase{"TooManyReceipts",
                   [](auto& r) {
                     for (int i = 0; i < 101; ++i) {
                       auto* x = r.add_inbound();
                       SetDate(x->mutable_date(), 2026, 3, 1);
                       x->set_quantity(1);
                     }
                   },
                   "records[3].inbound: more than 100 receipts"},
        RejectCase{"LeadTime", [](auto& r) { r.set_lead_time_days(3651); },
                   "records[3].lead_time_days: must be 0..3650"},
        RejectCase{"TooManyAlternatives",
                   [](auto& r) {
                     for (int i = 0; i < 51; ++i) {
                       auto* a = r.add_alternatives();
                       a->set_sku("x" + std::to_string(i));
                       a->set_relation(v1::RELATION_RELATED);
                     }
                   },
                   "records[3].alternatives: more than 50"},
        RejectCase{"SelfAlternative",
                   [](auto& r) {
                     auto* a = r.add_alternatives();
                     a->set_sku("other");
                     a->set_relation(v1::RELATION_RELATED);
                     a = r.add_alternatives();
                     a->set_sku("24-MB01");
                     a->set_relation(v1::RELATION_RELATED);
                   },
                   "records[3].alternatives[1].sku: same as the record's sku"},
        RejectCase{"SameCategoryRelation",
                   [](auto& r) {
                     auto* a = r.add_alternatives();
                     a->set_sku("other");
                     a->set_relation(v1::RELATION_SAME_CATEGORY);
                   },
                   "records[3].alternatives[0].relation: must be SUCCESSOR, "
                   "SUBSTITUTE, RELATED, UPSELL or CROSSSELL"},
        RejectCase{"TooManyCategories",
                   [](auto& r) {
                     for (int i = 1; i <= 101; ++i) r.add_category_ids(i);
                   },
                   "records[3].category_ids: more than 100"},
        RejectCase{"CategoryId", [](auto& r) { r.add_category_ids(0); },
                   "records[3].category_ids[0]: must be >= 1"}),
    [](const auto& test) { return test.param.name; });

TEST(RecordFromApiTest, DatesUpToTheBoundAreAccepted) {
  v1::InventoryRecord in = Valid();
  in.set_lifecycle(v1::LIFECYCLE_PREORDER);
  SetDate(in.mutable_release_date(), 9899, 12, 31);
  auto* x = in.add_inbound();
  SetDate(x->mutable_date(), 9899, 12, 31);
  x->set_quantity(1);
  absl::StatusOr<core::Record> r = RecordFromApi(in, "records[0]");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->release_date, kLatestPlannedDate);
  EXPECT_EQ(r->inbound.back().date, kLatestPlannedDate);
}

TEST(RecordFromApiTest, NegativeMinQtyWithConfigBackordersIsResolvedLater) {
  v1::InventoryRecord in = Valid();
  in.set_min_qty(-3);
  EXPECT_THAT(RecordFromApi(in), IsOk());
  in.set_backorders(v1::BACKORDERS_YES);
  EXPECT_THAT(RecordFromApi(in), IsOk());
}

TEST(RecordFromApiTest, NoPrefixGivesBareFieldNames) {
  v1::InventoryRecord in = Valid();
  in.set_version(-1);
  EXPECT_THAT(RecordFromApi(in), StatusIs(absl::StatusCode::kInvalidArgument,
                                          "version: must be >= 1"));
}

v1::StoreConfig ValidConfig() {
  v1::StoreConfig c;
  c.set_stock_id(2);
  c.set_time_zone("Europe/Berlin");
  c.set_handling_days(1);
  c.set_safety_days(2);
  c.set_backorders(v1::BACKORDERS_YES);
  c.set_min_qty(-10);
  c.set_notify_stock_qty(4);
  c.set_only_x_left_threshold(3);
  c.mutable_calendar()->add_weekend_days(6);
  c.mutable_calendar()->add_weekend_days(7);
  SetDate(c.mutable_calendar()->add_holidays(), 2026, 12, 25);
  SetDate(c.mutable_calendar()->add_holidays(), 2026, 1, 1);
  c.set_alternatives_backorder_days(10);
  return c;
}

TEST(StoreConfigFromApiTest, MapsAndFillsDefaults) {
  auto c = StoreConfigFromApi(ValidConfig());
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->stock_id, 2);
  EXPECT_TRUE(c->manage_stock);
  EXPECT_EQ(c->backorders, core::Backorders::kYes);
  EXPECT_EQ(c->min_qty, core::QtyFromUnits(-10));
  EXPECT_EQ(c->min_sale_qty, core::QtyFromUnits(1));
  EXPECT_EQ(c->max_sale_qty, core::QtyFromUnits(10000));
  EXPECT_EQ(c->notify_stock_qty, core::QtyFromUnits(4));
  EXPECT_EQ(c->time_zone_name, "Europe/Berlin");
  EXPECT_EQ(c->time_zone.name(), "Europe/Berlin");
  EXPECT_TRUE(c->calendar.weekend[5]);
  EXPECT_TRUE(c->calendar.weekend[6]);
  EXPECT_FALSE(c->calendar.weekend[0]);
  EXPECT_EQ(c->calendar.holidays,
            (std::vector<absl::CivilDay>{absl::CivilDay(2026, 1, 1),
                                         absl::CivilDay(2026, 12, 25)}));
}

TEST(StoreConfigFromApiTest, RoundTripsThroughTheApi) {
  auto c = StoreConfigFromApi(ValidConfig());
  ASSERT_THAT(c, IsOk());
  v1::StoreConfig api;
  StoreConfigToApi(*c, &api);
  auto again = StoreConfigFromApi(api);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, *c);
  EXPECT_TRUE(api.has_min_sale_qty());
  EXPECT_EQ(api.calendar().weekend_days_size(), 2);
}

struct ConfigRejectCase {
  std::string name;
  std::function<void(v1::StoreConfig&)> mutate;
  std::string message;
};

class ConfigRejectTest : public ::testing::TestWithParam<ConfigRejectCase> {};

TEST_P(ConfigRejectTest, NamesFieldAndRule) {
  v1::StoreConfig in = ValidConfig();
  GetParam().mutate(in);
  EXPECT_THAT(StoreConfigFromApi(in),
              StatusIs(absl::StatusCode::kInvalidArgument, GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ConfigRejectTest,
    ::testing::Values(
        ConfigRejectCase{"Stock", [](auto& c) { c.set_stock_id(0); },
                         "config.stock_id: must be >= 1"},
        ConfigRejectCase{"TimeZone",
                         [](auto& c) { c.set_time_zone("Mars/Olympus"); },
                         "config.time_zone: unknown time zone: Mars/Olympus"},
        ConfigRejectCase{"Handling", [](auto& c) { c.set_handling_days(61); },
                         "config.handling_days: must be 0..60"},
        ConfigRejectCase{"Safety", [](auto& c) { c.set_safety_days(-1); },
                         "config.safety_days: must be 0..60"},
        ConfigRejectCase{
            "Weekday",
            [](auto& c) { c.mutable_calendar()->add_weekend_days(8); },
            "config.calendar.weekend_days[2]: must be 1 "
            "(Monday)..7 (Sunday)"},
        ConfigRejectCase{"AllWeekend",
                         [](auto& c) {
                           for (int d = 1; d <= 5; ++d) {
                             c.mutable_calendar()->add_weekend_days(d);
                           }
                         },
                         "config.calendar.weekend_days: every day of the "
                         "week is a weekend day"},
        ConfigRejectCase{"Holiday",
                         [](auto& c) {
                           SetDate(c.mutable_calendar()->mutable_holidays(1),
                                   2026, 2, 29);
                         },
                         "config.calendar.holidays[1]: not a valid date"},
        ConfigRejectCase{"NegativeMinQty",
                         [](auto& c) { c.set_backorders(v1::BACKORDERS_NO); },
                         "config.min_qty: negative requires backorders"},
        ConfigRejectCase{"MinSale", [](auto& c) { c.set_min_sale_qty(0); },
                         "config.min_sale_qty: must be > 0"},
        ConfigRejectCase{"MaxBelowMin",
                         [](auto& c) {
                           c.set_min_sale_qty(10);
                           c.set_max_sale_qty(5);
                         },
                         "config.max_sale_qty: less than min_sale_qty"},
        ConfigRejectCase{"Threshold",
                         [](auto& c) { c.set_only_x_left_threshold(-1); },
                         "config.only_x_left_threshold: must be >= 0"}),
    [](const auto& test) { return test.param.name; });

TEST(RecordFromApiCompositeTest, MapsConfigurableAndGrouped) {
  for (auto [api, core_type] :
       {std::pair{v1::PRODUCT_TYPE_CONFIGURABLE,
                  core::ProductType::kConfigurable},
        std::pair{v1::PRODUCT_TYPE_GROUPED, core::ProductType::kGrouped}}) {
    v1::InventoryRecord in = Valid();
    in.set_product_type(api);
    in.add_component_skus("MH01-XS-Black");
    in.add_component_skus("MH01-S-Black");
    auto r = RecordFromApi(in, "records[2]");
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->product_type, core_type);
    EXPECT_EQ(r->components,
              (std::vector<std::string>{"MH01-XS-Black", "MH01-S-Black"}));
    EXPECT_TRUE(r->bundle_options.empty());
  }
}

TEST(RecordFromApiCompositeTest, MapsBundleOptionsAndDefaultsQuantityToOne) {
  v1::InventoryRecord in = Valid();
  in.set_product_type(v1::PRODUCT_TYPE_BUNDLE);
  auto* o1 = in.add_bundle_options();
  o1->set_required(true);
  o1->add_selections()->set_sku("24-WG081-gray");
  auto* s = o1->add_selections();
  s->set_sku("24-WG081-blue");
  s->set_quantity(2.5);
  auto* o2 = in.add_bundle_options();
  o2->add_selections()->set_sku("24-WG085");
  auto r = RecordFromApi(in);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->product_type, core::ProductType::kBundle);
  ASSERT_EQ(r->bundle_options.size(), 2u);
  EXPECT_TRUE(r->bundle_options[0].required);
  EXPECT_FALSE(r->bundle_options[1].required);
  EXPECT_EQ(r->bundle_options[0].selections,
            (std::vector<core::BundleSelection>{
                {"24-WG081-gray", core::kQtyScale}, {"24-WG081-blue", 25000}}));
  EXPECT_TRUE(r->components.empty());
}

TEST(RecordFromApiCompositeTest, UnsetTypeIsSimple) {
  auto r = RecordFromApi(Valid());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->product_type, core::ProductType::kSimple);
}

struct CompositeRejectCase {
  std::string name;
  std::function<void(v1::InventoryRecord&)> mutate;
  std::string message;
};

class RecordFromApiCompositeRejectTest
    : public ::testing::TestWithParam<CompositeRejectCase> {};

TEST_P(RecordFromApiCompositeRejectTest, NamesFieldAndRule) {
  v1::InventoryRecord in = Valid();
  GetParam().mutate(in);
  EXPECT_THAT(RecordFromApi(in, "records[2]"),
              StatusIs(absl::StatusCode::kInvalidArgument, GetParam().message));
}

void Configurable(v1::InventoryRecord& r, int n) {
  r.set_product_type(v1::PRODUCT_TYPE_CONFIGURABLE);
  for (int i = 0; i < n; ++i) r.add_component_skus(absl::StrCat("V-", i));
}

void Bundle(v1::InventoryRecord& r, int options, int selections) {
  r.set_product_type(v1::PRODUCT_TYPE_BUNDLE);
  for (int i = 0; i < options; ++i) {
    auto* o = r.add_bundle_options();
    for (int j = 0; j < selections; ++j) {
      o->add_selections()->set_sku(absl::StrCat("S-", i, "-", j));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rules, RecordFromApiCompositeRejectTest,
    ::testing::Values(
        CompositeRejectCase{"UnknownType",
                            [](auto& r) {
                              r.set_product_type(
                                  static_cast<v1::ProductType>(9));
                            },
                            "records[2].product_type: unknown value 9"},
        CompositeRejectCase{
            "ComponentsOnSimple", [](auto& r) { r.add_component_skus("V-1"); },
            "records[2].component_skus: only a CONFIGURABLE or GROUPED record "
            "has components"},
        CompositeRejectCase{
            "ComponentsOnBundle",
            [](auto& r) {
              r.set_product_type(v1::PRODUCT_TYPE_BUNDLE);
              r.add_component_skus("V-1");
            },
            "records[2].component_skus: only a CONFIGURABLE or GROUPED record "
            "has components"},
        CompositeRejectCase{"TooManyComponents",
                            [](auto& r) { Configurable(r, 501); },
                            "records[2].component_skus: more than 500"},
        CompositeRejectCase{"EmptyComponent",
                            [](auto& r) {
                              Configurable(r, 3);
                              r.add_component_skus("");
                            },
                            "records[2].component_skus[3]: empty"},
        CompositeRejectCase{"DuplicateComponent",
                            [](auto& r) {
                              Configurable(r, 3);
                              r.add_component_skus("V-1");
                            },
                            "records[2].component_skus[3]: duplicate sku"},
        CompositeRejectCase{"OwnSkuComponent",
                            [](auto& r) {
                              Configurable(r, 1);
                              r.add_component_skus(r.sku());
                            },
                            "records[2].component_skus[1]: same as the "
                            "record's sku"},
        CompositeRejectCase{"LongComponent",
                            [](auto& r) {
                              Configurable(r, 0);
                              r.add_component_skus(std::string(65, 'x'));
                            },
                            "records[2].component_skus[0]: longer than 64 "
                            "bytes"},
        CompositeRejectCase{
            "OptionsOnConfigurable",
            [](auto& r) {
              Configurable(r, 1);
              r.add_bundle_options()->add_selections()->set_sku("S");
            },
            "records[2].bundle_options: only a BUNDLE record has bundle "
            "options"},
        CompositeRejectCase{"TooManyOptions", [](auto& r) { Bundle(r, 51, 1); },
                            "records[2].bundle_options: more than 50"},
        CompositeRejectCase{
            "EmptyOption",
            [](auto& r) {
              Bundle(r, 1, 1);
              r.add_bundle_options();
            },
            "records[2].bundle_options[1].selections: must have 1..500"},
        CompositeRejectCase{
            "TooManySelections", [](auto& r) { Bundle(r, 1, 501); },
            "records[2].bundle_options[0].selections: must have 1..500"},
        CompositeRejectCase{
            "SelectionOwnSku",
            [](auto& r) {
              Bundle(r, 2, 1);
              r.mutable_bundle_options(1)->add_selections()->set_sku(r.sku());
            },
            "records[2].bundle_options[1].selections[1].sku: same as the "
            "record's sku"},
        CompositeRejectCase{
            "NegativeSelectionQty",
            [](auto& r) {
              Bundle(r, 1, 1);
              r.mutable_bundle_options(0)->mutable_selections(0)->set_quantity(
                  -1);
            },
            "records[2].bundle_options[0].selections[0].quantity: must be > 0"},
        CompositeRejectCase{
            "FiveDecimalSelectionQty",
            [](auto& r) {
              Bundle(r, 1, 1);
              r.mutable_bundle_options(0)->mutable_selections(0)->set_quantity(
                  1.00001);
            },
            "records[2].bundle_options[0].selections[0].quantity: more than 4 "
            "decimals"}),
    [](const auto& test) { return test.param.name; });

TEST(ValidateSnapshotIdTest, Rules) {
  EXPECT_THAT(ValidateSnapshotId("nightly-2026_03_01", "snapshot_id"), IsOk());
  EXPECT_THAT(ValidateSnapshotId("", "snapshot_id"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "snapshot_id: must be 1..64 bytes of [A-Za-z0-9_-]"));
  EXPECT_THAT(ValidateSnapshotId(std::string(65, 'a'), "snapshot_id"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateSnapshotId("a:b", "snapshot_id"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "snapshot_id: only [A-Za-z0-9_-] allowed"));
}

// A claim request that passes, changed by one row of a table.
struct JobClaimCase {
  std::string name;
  std::function<void(v1::ClaimNotificationJobsRequest&)> change;
  std::string error;  // "" = accepted
};

class JobClaimFromApiTest : public ::testing::TestWithParam<JobClaimCase> {};

TEST_P(JobClaimFromApiTest, Rules) {
  v1::ClaimNotificationJobsRequest request;
  request.set_stock_id(1);
  request.set_consumer("mailer-1.eu_west");
  request.set_max_jobs(1000);
  request.mutable_lease()->set_seconds(30);
  GetParam().change(request);
  absl::StatusOr<JobClaim> claim = JobClaimFromApi(request);
  if (GetParam().error.empty()) {
    ASSERT_THAT(claim, IsOk());
    EXPECT_EQ(claim->consumer, request.consumer());
    return;
  }
  EXPECT_THAT(claim,
              StatusIs(absl::StatusCode::kInvalidArgument, GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JobClaimFromApiTest,
    ::testing::Values(
        JobClaimCase{"Valid", [](auto&) {}, ""},
        JobClaimCase{"OneMillisecondLease",
                     [](auto& r) {
                       r.mutable_lease()->set_seconds(0);
                       r.mutable_lease()->set_nanos(1000000);
                     },
                     ""},
        JobClaimCase{"NoStock", [](auto& r) { r.set_stock_id(0); },
                     "stock_id: must be >= 1"},
        JobClaimCase{"NoConsumer", [](auto& r) { r.clear_consumer(); },
                     "consumer: must be 1..64 bytes of [A-Za-z0-9_.-]"},
        JobClaimCase{"ConsumerWithSpace",
                     [](auto& r) { r.set_consumer("mailer 1"); },
                     "consumer: only [A-Za-z0-9_.-] allowed"},
        JobClaimCase{"TooManyJobs", [](auto& r) { r.set_max_jobs(1001); },
                     "max_jobs: must be 1..1000, got 1001"},
        JobClaimCase{"NoJobs", [](auto& r) { r.set_max_jobs(0); },
                     "max_jobs: must be 1..1000, got 0"},
        JobClaimCase{"NoLease", [](auto& r) { r.clear_lease(); },
                     "lease: missing"},
        JobClaimCase{"LeaseTooLong",
                     [](auto& r) { r.mutable_lease()->set_seconds(86401); },
                     "lease: must be 1 ms .. 24 h"},
        JobClaimCase{"NegativeLease",
                     [](auto& r) { r.mutable_lease()->set_seconds(-5); },
                     "lease: must be 1 ms .. 24 h"}),
    [](const auto& test) { return test.param.name; });

TEST(JobIdsFromApiTest, Rules) {
  v1::AckNotificationJobsRequest request;
  request.set_stock_id(1);
  EXPECT_THAT(JobIdsFromApi(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "ids: 1..1000 per request, got 0"));
  request.add_ids("1700000000000-0");
  EXPECT_THAT(JobIdsFromApi(request), IsOk());
  request.add_ids("17-x");
  EXPECT_THAT(JobIdsFromApi(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("ids[1]: not a job id")));
}

}  // namespace
}  // namespace availability::server
