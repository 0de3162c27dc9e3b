// docs/domain.md §2 (derived quantities), §3 (status), §4 cart rules, §6
// settings resolution and §7 feed mappings. The plan over time (§4 ATP/ETA)
// is in eta_test.cc.
#include "core/decision.h"

#include <functional>
#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace availability::core {
namespace {

using absl::CivilDay;

constexpr Qty U(int64_t units) { return QtyFromUnits(units); }
// Ten-thousandths: T(25000) = 2.5 units.
constexpr Qty T(int64_t ten_thousandths) { return ten_thousandths; }

const CivilDay kToday(2024, 3, 1);  // a Friday

Record BaseRecord() {
  Record r;
  r.sku = "SKU-1";
  r.stock_id = 1;
  r.version = 1;
  return r;
}

// ---------------------------------------------------------------------------
// §2 Derived quantities.

struct DeriveCase {
  std::string name;
  Qty source;
  Qty reserved;
  Qty min_qty;
  Backorders backorders;
  DerivedQuantities expected;
  bool is_in_stock = true;
};

class DeriveTest : public testing::TestWithParam<DeriveCase> {};

TEST_P(DeriveTest, Computes) {
  const DeriveCase& c = GetParam();
  Record r = BaseRecord();
  r.source_qty = c.source;
  r.reserved_qty = c.reserved;
  r.min_qty = c.min_qty;
  r.backorders = c.backorders;
  r.is_in_stock = c.is_in_stock;
  const DerivedQuantities d = Derive(r, ResolveSettings(r, StoreConfig{}));
  EXPECT_EQ(d.net, c.expected.net);
  EXPECT_EQ(d.threshold, c.expected.threshold);
  EXPECT_EQ(d.ships_now, c.expected.ships_now);
  EXPECT_EQ(d.backorder_cap, c.expected.backorder_cap);
  EXPECT_EQ(d.salable_qty, c.expected.salable_qty);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DeriveTest,
    testing::Values(DeriveCase{"PlainStock",
                               U(10),
                               0,
                               0,
                               Backorders::kNo,
                               {U(10), 0, U(10), 0, U(10)}},
                    DeriveCase{"ReservationsNetOut",
                               U(10),
                               -U(4),
                               0,
                               Backorders::kNo,
                               {U(6), 0, U(6), 0, U(6)}},
                    DeriveCase{"ThresholdHoldsBack",
                               U(10),
                               0,
                               U(3),
                               Backorders::kNo,
                               {U(10), U(3), U(7), 0, U(7)}},
                    DeriveCase{"BelowThresholdShipsNothing",
                               U(2),
                               0,
                               U(3),
                               Backorders::kNo,
                               {U(2), U(3), 0, 0, 0}},
                    DeriveCase{"BackordersUnlimitedWithMinQtyZero",
                               U(2),
                               0,
                               0,
                               Backorders::kYes,
                               {U(2), 0, U(2), kUnlimitedQty, U(2)}},
                    DeriveCase{"BackordersUnlimitedWithPositiveMinQty",
                               U(5),
                               0,
                               U(2),
                               Backorders::kYesNotify,
                               {U(5), U(2), U(3), kUnlimitedQty, U(3)}},
                    DeriveCase{"NegativeMinQtyIsBackorderLimit",
                               U(2),
                               0,
                               -U(5),
                               Backorders::kYes,
                               {U(2), 0, U(2), U(5), U(7)}},
                    DeriveCase{"ExistingBackordersUseTheLimit",
                               0,
                               -U(3),
                               -U(5),
                               Backorders::kYes,
                               {-U(3), 0, 0, U(2), U(2)}},
                    DeriveCase{"LimitExhausted",
                               0,
                               -U(6),
                               -U(5),
                               Backorders::kYes,
                               {-U(6), 0, 0, 0, 0}},
                    // Magento's GetProductSalableQty answers 0 for an item that
                    // is not salable, whatever its quantity.
                    DeriveCase{"SetOutOfStockByHandIsNotSalable",
                               U(10),
                               0,
                               0,
                               Backorders::kNo,
                               {U(10), 0, U(10), 0, 0},
                               false},
                    DeriveCase{"NegativeMinQtyWithoutBackordersIsZero",
                               U(2),
                               0,
                               -U(5),
                               Backorders::kNo,
                               {U(2), 0, U(2), 0, U(2)}}),
    [](const testing::TestParamInfo<DeriveCase>& row) {
      return row.param.name;
    });

// ---------------------------------------------------------------------------
// §3 Status and the split, §4 cart rules.

struct DecideCase {
  std::string name;
  std::function<void(Record&, StoreConfig&)> setup;
  std::optional<Qty> requested;
  Status status;
  Qty in_stock;
  Qty backorder;
  Qty unavailable;
  bool orderable;
  std::optional<Qty> only_x_left = std::nullopt;
  CartRule broken_rule = CartRule::kNone;
  Qty broken_rule_limit = 0;
};

class DecideTest : public testing::TestWithParam<DecideCase> {};

TEST_P(DecideTest, Decides) {
  const DecideCase& c = GetParam();
  Record r = BaseRecord();
  StoreConfig config;
  c.setup(r, config);
  const Decision d = Decide(r, config, kToday, c.requested);
  EXPECT_EQ(d.status, c.status);
  EXPECT_EQ(d.in_stock_qty, c.in_stock);
  EXPECT_EQ(d.backorder_qty, c.backorder);
  EXPECT_EQ(d.unavailable_qty, c.unavailable);
  EXPECT_EQ(d.in_stock_qty + d.backorder_qty + d.unavailable_qty, d.requested);
  EXPECT_EQ(d.orderable, c.orderable);
  EXPECT_EQ(d.only_x_left, c.only_x_left);
  EXPECT_EQ(d.broken_rule, c.broken_rule);
  EXPECT_EQ(d.broken_rule_limit, c.broken_rule_limit);
  if (c.requested.has_value()) {
    EXPECT_EQ(d.requested, *c.requested);
  }
}

void Stock(Record& r, Qty source) { r.source_qty = source; }

INSTANTIATE_TEST_SUITE_P(
    Status, DecideTest,
    testing::Values(
        // Rule 2 before rule 3: manage_stock off wins over everything.
        DecideCase{"ManageStockOffIsInStockWithoutStock",
                   [](Record& r, StoreConfig&) {
                     r.manage_stock = false;
                     r.is_in_stock = false;
                   },
                   std::nullopt, Status::kInStock, U(1), 0, 0, true},
        DecideCase{"ManageStockOffFromStoreConfig",
                   [](Record&, StoreConfig& c) { c.manage_stock = false; },
                   U(500), Status::kInStock, U(500), 0, 0, true},
        DecideCase{"ManageStockOffHidesOnlyXLeft",
                   [](Record& r, StoreConfig& c) {
                     r.manage_stock = false;
                     Stock(r, U(2));
                     c.only_x_left_threshold = U(5);
                   },
                   std::nullopt, Status::kInStock, U(1), 0, 0, true},
        // Rule 3.
        DecideCase{"ManualOutOfStockBeatsQuantity",
                   [](Record& r, StoreConfig&) {
                     Stock(r, U(100));
                     r.is_in_stock = false;
                   },
                   std::nullopt, Status::kOutOfStock, 0, 0, U(1), false},
        DecideCase{"ManualOutOfStockIgnoresBackorders",
                   [](Record& r, StoreConfig&) {
                     r.is_in_stock = false;
                     r.backorders = Backorders::kYes;
                   },
                   U(3), Status::kOutOfStock, 0, 0, U(3), false},
        DecideCase{"ManualOutOfStockBeatsPreorder",
                   [](Record& r, StoreConfig&) {
                     r.is_in_stock = false;
                     r.lifecycle = Lifecycle::kPreorder;
                     r.release_date = CivilDay(2024, 4, 1);
                   },
                   std::nullopt, Status::kOutOfStock, 0, 0, U(1), false},
        // Rule 4.
        DecideCase{"PreorderBeforeRelease",
                   [](Record& r, StoreConfig&) {
                     r.lifecycle = Lifecycle::kPreorder;
                     r.release_date = CivilDay(2024, 4, 1);
                   },
                   U(7), Status::kPreorder, 0, U(7), 0, true},
        DecideCase{"PreorderBeforeReleaseEvenWithStock",
                   [](Record& r, StoreConfig&) {
                     Stock(r, U(50));
                     r.lifecycle = Lifecycle::kPreorder;
                     r.release_date = CivilDay(2024, 3, 2);
                   },
                   std::nullopt, Status::kPreorder, 0, U(1), 0, true},
        DecideCase{"PreorderOnReleaseDateIsActive",
                   [](Record& r, StoreConfig&) {
                     Stock(r, U(5));
                     r.lifecycle = Lifecycle::kPreorder;
                     r.release_date = kToday;
                   },
                   std::nullopt, Status::kInStock, U(1), 0, 0, true},
        DecideCase{"PreorderAfterReleaseWithoutStockIsOutOfStock",
                   [](Record& r, StoreConfig&) {
                     r.lifecycle = Lifecycle::kPreorder;
                     r.release_date = CivilDay(2024, 2, 1);
                   },
                   std::nullopt, Status::kOutOfStock, 0, 0, U(1), false},
        DecideCase{"PreorderWithoutReleaseDateIsActive",
                   [](Record& r, StoreConfig&) {
                     r.lifecycle = Lifecycle::kPreorder;
                     r.backorders = Backorders::kYes;
                   },
                   std::nullopt, Status::kBackorderable, 0, U(1), 0, true},
        // Rule 5.
        DecideCase{"InStock", [](Record& r, StoreConfig&) { Stock(r, U(10)); },
                   std::nullopt, Status::kInStock, U(1), 0, 0, true},
        DecideCase{"InStockExactRequest",
                   [](Record& r, StoreConfig&) { Stock(r, U(10)); }, U(10),
                   Status::kInStock, U(10), 0, 0, true},
        DecideCase{"ReservationsTakeStock",
                   [](Record& r, StoreConfig&) {
                     Stock(r, U(10));
                     r.reserved_qty = -U(10);
                   },
                   std::nullopt, Status::kOutOfStock, 0, 0, U(1), false},
        DecideCase{"MinQtyThresholdLeavesOne",
                   [](Record& r, StoreConfig&) {
                     Stock(r, U(3));
                     r.min_qty = U(2);
                   },
                   std::nullopt, Status::kInStock, U(1), 0, 0, true},
        DecideCase{"MinQtyThresholdReached",
                   [](Record& r, StoreConfig&) {
                     Stock(r, U(2));
                     r.min_qty = U(2);
                   },
                   std::nullopt, Status::kOutOfStock, 0, 0, U(1), false},
        DecideCase{"MinQtyFromStoreConfig",
                   [](Record& r, StoreConfig& c) {
                     Stock(r, U(2));
                     c.min_qty = U(2);
                   },
                   std::nullopt, Status::kOutOfStock, 0, 0, U(1), false},
        DecideCase{"DisplayQuantityIsMinSaleQty",
                   [](Record& r, StoreConfig&) {
                     Stock(r, U(2));
                     r.min_sale_qty = U(3);
                   },
                   std::nullopt, Status::kOutOfStock, U(2), 0, U(1), false},
        DecideCase{"DisplayQuantityAtLeastOneUnit",
                   [](Record& r, StoreConfig&) {
                     Stock(r, T(5000));
                     r.is_qty_decimal = true;
                     r.min_sale_qty = T(5000);
                   },
                   std::nullopt, Status::kOutOfStock, T(5000), 0, T(5000),
                   false},
        DecideCase{"DecimalStockDecimalRequest",
                   [](Record& r, StoreConfig&) {
                     Stock(r, T(25000));
                     r.is_qty_decimal = true;
                   },
                   T(25000), Status::kInStock, T(25000), 0, 0, true},
        DecideCase{"FractionalStockOfWholeUnitProductRoundsDown",
                   [](Record& r, StoreConfig&) { Stock(r, T(25000)); }, U(3),
                   Status::kOutOfStock, U(2), 0, U(1), false},
        DecideCase{"FractionalStockOfWholeUnitProductCoversTwo",
                   [](Record& r, StoreConfig&) { Stock(r, T(25000)); }, U(2),
                   Status::kInStock, U(2), 0, 0, true},
        DecideCase{"HalfAUnitOfWholeUnitProductIsNothing",
                   [](Record& r, StoreConfig&) { Stock(r, T(5000)); },
                   std::nullopt, Status::kOutOfStock, 0, 0, U(1), false},
        // Rule 6.
        DecideCase{"DiscontinuedWithStockSellsThrough",
                   [](Record& r, StoreConfig&) {
                     Stock(r, U(5));
                     r.lifecycle = Lifecycle::kDiscontinued;
                   },
                   U(5), Status::kInStock, U(5), 0, 0, true},
        DecideCase{"DiscontinuedSoldOutHasNoBackorders",
                   [](Record& r, StoreConfig&) {
                     r.lifecycle = Lifecycle::kDiscontinued;
                     r.backorders = Backorders::kYes;
                     r.inbound = {{CivilDay(2024, 3, 5), U(10)}};
                     r.lead_time_days = 3;
                   },
                   std::nullopt, Status::kDiscontinued, 0, 0, U(1), false},
        DecideCase{"DiscontinuedPartialRequestKeepsWhatIsLeft",
                   [](Record& r, StoreConfig&) {
                     Stock(r, U(2));
                     r.lifecycle = Lifecycle::kDiscontinued;
                     r.backorders = Backorders::kYes;
                   },
                   U(5), Status::kDiscontinued, U(2), 0, U(3), false},
        // Rule 7.
        DecideCase{
            "BackorderableWithoutStock",
            [](Record& r, StoreConfig&) { r.backorders = Backorders::kYes; },
            std::nullopt, Status::kBackorderable, 0, U(1), 0, true},
        DecideCase{"BackordersFromStoreConfig",
                   [](Record&, StoreConfig& c) {
                     c.backorders = Backorders::kYesNotify;
                   },
                   std::nullopt, Status::kBackorderable, 0, U(1), 0, true},
        DecideCase{"RequestSplitsStockAndBackorder",
                   [](Record& r, StoreConfig&) {
                     Stock(r, U(2));
                     r.backorders = Backorders::kYes;
                   },
                   U(5), Status::kBackorderable, U(2), U(3), 0, true},
        DecideCase{"ExistingBackordersUnlimited",
                   [](Record& r, StoreConfig&) {
                     r.reserved_qty = -U(3);
                     r.backorders = Backorders::kYes;
                   },
                   U(4), Status::kBackorderable, 0, U(4), 0, true},
        DecideCase{"NegativeMinQtyWithinLimit",
                   [](Record& r, StoreConfig&) {
                     r.backorders = Backorders::kYes;
                     r.min_qty = -U(5);
                   },
                   U(5), Status::kBackorderable, 0, U(5), 0, true},
        DecideCase{"NegativeMinQtyOneBeyondLimit",
                   [](Record& r, StoreConfig&) {
                     r.backorders = Backorders::kYes;
                     r.min_qty = -U(5);
                   },
                   U(6), Status::kOutOfStock, 0, U(5), U(1), false},
        DecideCase{"NegativeMinQtyLimitReachedExactly",
                   [](Record& r, StoreConfig&) {
                     r.reserved_qty = -U(5);
                     r.backorders = Backorders::kYes;
                     r.min_qty = -U(5);
                   },
                   std::nullopt, Status::kOutOfStock, 0, 0, U(1), false},
        DecideCase{"NegativeMinQtyOneUnitBeforeLimit",
                   [](Record& r, StoreConfig&) {
                     r.reserved_qty = -U(4);
                     r.backorders = Backorders::kYes;
                     r.min_qty = -U(5);
                   },
                   std::nullopt, Status::kBackorderable, 0, U(1), 0, true},
        DecideCase{"NegativeMinQtyLimitExceededByOne",
                   [](Record& r, StoreConfig&) {
                     r.reserved_qty = -U(6);
                     r.backorders = Backorders::kYes;
                     r.min_qty = -U(5);
                   },
                   std::nullopt, Status::kOutOfStock, 0, 0, U(1), false},
        DecideCase{"NegativeMinQtyWithStockAndLimit",
                   [](Record& r, StoreConfig&) {
                     Stock(r, U(2));
                     r.backorders = Backorders::kYes;
                     r.min_qty = -U(5);
                   },
                   U(7), Status::kBackorderable, U(2), U(5), 0, true},
        DecideCase{"NegativeMinQtyWithoutBackordersIsIgnored",
                   [](Record& r, StoreConfig&) { r.min_qty = -U(5); },
                   std::nullopt, Status::kOutOfStock, 0, 0, U(1), false},
        // Rule 8.
        DecideCase{"OutOfStock", [](Record&, StoreConfig&) {}, std::nullopt,
                   Status::kOutOfStock, 0, 0, U(1), false},
        DecideCase{"RequestBeyondStockWithoutBackorders",
                   [](Record& r, StoreConfig&) { Stock(r, U(2)); }, U(5),
                   Status::kOutOfStock, U(2), 0, U(3), false}),
    [](const testing::TestParamInfo<DecideCase>& row) {
      return row.param.name;
    });

INSTANTIATE_TEST_SUITE_P(
    OnlyXLeft, DecideTest,
    testing::Values(
        DecideCase{"ShownAtOrBelowThreshold",
                   [](Record& r, StoreConfig& c) {
                     Stock(r, U(3));
                     c.only_x_left_threshold = U(5);
                   },
                   std::nullopt, Status::kInStock, U(1), 0, 0, true, U(3)},
        DecideCase{"ShownAtThresholdExactly",
                   [](Record& r, StoreConfig& c) {
                     Stock(r, U(5));
                     c.only_x_left_threshold = U(5);
                   },
                   std::nullopt, Status::kInStock, U(1), 0, 0, true, U(5)},
        DecideCase{"HiddenAboveThreshold",
                   [](Record& r, StoreConfig& c) {
                     Stock(r, U(6));
                     c.only_x_left_threshold = U(5);
                   },
                   std::nullopt, Status::kInStock, U(1), 0, 0, true},
        DecideCase{"OffWhenThresholdZero",
                   [](Record& r, StoreConfig&) { Stock(r, U(1)); },
                   std::nullopt, Status::kInStock, U(1), 0, 0, true},
        DecideCase{"ShownWithARequestedQuantity",
                   [](Record& r, StoreConfig& c) {
                     Stock(r, U(3));
                     c.only_x_left_threshold = U(5);
                   },
                   U(2), Status::kInStock, U(2), 0, 0, true, U(3)},
        DecideCase{"CountsAboveTheMinQtyThreshold",
                   [](Record& r, StoreConfig& c) {
                     Stock(r, U(4));
                     r.min_qty = U(2);
                     c.only_x_left_threshold = U(5);
                   },
                   std::nullopt, Status::kInStock, U(1), 0, 0, true, U(2)},
        DecideCase{"HiddenWithUnlimitedBackorders",
                   [](Record& r, StoreConfig& c) {
                     Stock(r, U(3));
                     r.backorders = Backorders::kYes;
                     c.only_x_left_threshold = U(5);
                   },
                   std::nullopt, Status::kInStock, U(1), 0, 0, true},
        DecideCase{"ShownWithBackordersAndNegativeMinQty",
                   [](Record& r, StoreConfig& c) {
                     Stock(r, U(3));
                     r.backorders = Backorders::kYesNotify;
                     r.min_qty = -U(10);
                     c.only_x_left_threshold = U(5);
                   },
                   std::nullopt, Status::kInStock, U(1), 0, 0, true, U(3)},
        DecideCase{"NotShownWhenTheRequestIsBackordered",
                   [](Record& r, StoreConfig& c) {
                     Stock(r, U(3));
                     r.backorders = Backorders::kYes;
                     r.min_qty = -U(10);
                     c.only_x_left_threshold = U(5);
                   },
                   U(4), Status::kBackorderable, U(3), U(1), 0, true},
        DecideCase{"WholeUnitsOnlyForWholeUnitProducts",
                   [](Record& r, StoreConfig& c) {
                     Stock(r, T(35000));
                     c.only_x_left_threshold = U(5);
                   },
                   std::nullopt, Status::kInStock, U(1), 0, 0, true, U(3)},
        DecideCase{"ExactForDecimalProducts",
                   [](Record& r, StoreConfig& c) {
                     Stock(r, T(35000));
                     r.is_qty_decimal = true;
                     c.only_x_left_threshold = U(5);
                   },
                   std::nullopt, Status::kInStock, U(1), 0, 0, true, T(35000)}),
    [](const testing::TestParamInfo<DecideCase>& row) {
      return row.param.name;
    });

INSTANTIATE_TEST_SUITE_P(
    CartRules, DecideTest,
    testing::Values(DecideCase{"BelowMinSaleQty",
                               [](Record& r, StoreConfig&) {
                                 Stock(r, U(10));
                                 r.min_sale_qty = U(2);
                               },
                               U(1), Status::kInStock, 0, 0, U(1), false,
                               std::nullopt, CartRule::kMinSaleQty, U(2)},
                    DecideCase{"AtMinSaleQty",
                               [](Record& r, StoreConfig&) {
                                 Stock(r, U(10));
                                 r.min_sale_qty = U(2);
                               },
                               U(2), Status::kInStock, U(2), 0, 0, true},
                    DecideCase{"AboveMaxSaleQty",
                               [](Record& r, StoreConfig&) {
                                 Stock(r, U(10));
                                 r.max_sale_qty = U(5);
                               },
                               U(6), Status::kInStock, 0, 0, U(6), false,
                               std::nullopt, CartRule::kMaxSaleQty, U(5)},
                    DecideCase{"AtMaxSaleQty",
                               [](Record& r, StoreConfig&) {
                                 Stock(r, U(10));
                                 r.max_sale_qty = U(5);
                               },
                               U(5), Status::kInStock, U(5), 0, 0, true},
                    DecideCase{
                        "DefaultMaxSaleQtyIsTenThousand",
                        [](Record& r, StoreConfig&) { Stock(r, U(20000)); },
                        U(10001), Status::kInStock, 0, 0, U(10001), false,
                        std::nullopt, CartRule::kMaxSaleQty, U(10000)},
                    DecideCase{"MaxSaleQtyZeroIsNoLimit",
                               [](Record& r, StoreConfig&) {
                                 Stock(r, U(20000));
                                 r.max_sale_qty = 0;
                               },
                               U(15000), Status::kInStock, U(15000), 0, 0,
                               true},
                    DecideCase{"NotAMultipleOfIncrements",
                               [](Record& r, StoreConfig&) {
                                 Stock(r, U(100));
                                 r.enable_qty_increments = true;
                                 r.qty_increments = U(6);
                               },
                               U(8), Status::kInStock, 0, 0, U(8), false,
                               std::nullopt, CartRule::kQtyIncrements, U(6)},
                    DecideCase{"MultipleOfIncrements",
                               [](Record& r, StoreConfig&) {
                                 Stock(r, U(100));
                                 r.enable_qty_increments = true;
                                 r.qty_increments = U(6);
                               },
                               U(12), Status::kInStock, U(12), 0, 0, true},
                    DecideCase{"IncrementsIgnoredWhenNotEnabled",
                               [](Record& r, StoreConfig&) {
                                 Stock(r, U(100));
                                 r.qty_increments = U(6);
                               },
                               U(8), Status::kInStock, U(8), 0, 0, true},
                    DecideCase{"IncrementsFromStoreConfig",
                               [](Record& r, StoreConfig& c) {
                                 Stock(r, U(100));
                                 c.enable_qty_increments = true;
                                 c.qty_increments = U(5);
                               },
                               U(7), Status::kInStock, 0, 0, U(7), false,
                               std::nullopt, CartRule::kQtyIncrements, U(5)},
                    DecideCase{"DecimalIncrements",
                               [](Record& r, StoreConfig&) {
                                 Stock(r, U(100));
                                 r.is_qty_decimal = true;
                                 r.enable_qty_increments = true;
                                 r.qty_increments = T(2500);
                               },
                               T(17500), Status::kInStock, T(17500), 0, 0,
                               true},
                    DecideCase{"FractionOfWholeUnitProduct",
                               [](Record& r, StoreConfig&) { Stock(r, U(10)); },
                               T(15000), Status::kInStock, 0, 0, T(15000),
                               false, std::nullopt, CartRule::kIsQtyDecimal,
                               U(1)},
                    DecideCase{"FractionOfDecimalProduct",
                               [](Record& r, StoreConfig&) {
                                 Stock(r, U(10));
                                 r.is_qty_decimal = true;
                               },
                               T(15000), Status::kInStock, T(15000), 0, 0,
                               true},
                    DecideCase{"DecimalRuleCheckedBeforeMinSaleQty",
                               [](Record& r, StoreConfig&) { Stock(r, U(10)); },
                               T(5000), Status::kInStock, 0, 0, T(5000), false,
                               std::nullopt, CartRule::kIsQtyDecimal, U(1)},
                    DecideCase{"BrokenRuleKeepsBackorderableDisplayStatus",
                               [](Record& r, StoreConfig&) {
                                 r.backorders = Backorders::kYes;
                                 r.max_sale_qty = U(5);
                               },
                               U(6), Status::kBackorderable, 0, 0, U(6), false,
                               std::nullopt, CartRule::kMaxSaleQty, U(5)},
                    DecideCase{"BrokenRuleKeepsOutOfStockDisplayStatus",
                               [](Record&, StoreConfig&) {}, U(10001),
                               Status::kOutOfStock, 0, 0, U(10001), false,
                               std::nullopt, CartRule::kMaxSaleQty, U(10000)},
                    DecideCase{"BrokenRuleKeepsOnlyXLeftOfDisplay",
                               [](Record& r, StoreConfig& c) {
                                 Stock(r, U(3));
                                 c.only_x_left_threshold = U(5);
                               },
                               T(15000), Status::kInStock, 0, 0, T(15000),
                               false, U(3), CartRule::kIsQtyDecimal, U(1)},
                    DecideCase{"RulesApplyWithManageStockOff",
                               [](Record& r, StoreConfig&) {
                                 r.manage_stock = false;
                                 r.max_sale_qty = U(5);
                               },
                               U(6), Status::kInStock, 0, 0, U(6), false,
                               std::nullopt, CartRule::kMaxSaleQty, U(5)},
                    DecideCase{"RulesApplyToPreorders",
                               [](Record& r, StoreConfig&) {
                                 r.lifecycle = Lifecycle::kPreorder;
                                 r.release_date = CivilDay(2024, 4, 1);
                                 r.min_sale_qty = U(2);
                               },
                               U(1), Status::kPreorder, 0, 0, U(1), false,
                               std::nullopt, CartRule::kMinSaleQty, U(2)}),
    [](const testing::TestParamInfo<DecideCase>& row) {
      return row.param.name;
    });

TEST(DecideTest, BrokenRuleHasNoShipments) {
  Record r = BaseRecord();
  r.backorders = Backorders::kYesNotify;
  r.inbound = {{CivilDay(2024, 3, 4), U(5)}};
  const Decision d = Decide(r, StoreConfig{}, kToday, T(15000));
  EXPECT_EQ(d.broken_rule, CartRule::kIsQtyDecimal);
  EXPECT_TRUE(d.shipments.empty());
  EXPECT_FALSE(d.backorder_notice);
  EXPECT_TRUE(d.eta_known);
  // The product's own first ETA stays for the feed.
  EXPECT_EQ(d.first_ship_date, CivilDay(2024, 3, 4));
  EXPECT_EQ(d.feed.merchant_date, CivilDay(2024, 3, 4));
}

TEST(DecideTest, ManageStockOffExposesNoQuantity) {
  Record r = BaseRecord();
  r.manage_stock = false;
  const Decision d = Decide(r, StoreConfig{}, kToday, U(3));
  EXPECT_FALSE(d.quantity_exposed);
  EXPECT_EQ(d.shipments, (std::vector<Shipment>{{U(3), kToday}}));
  const Decision managed = Decide(BaseRecord(), StoreConfig{}, kToday, U(3));
  EXPECT_TRUE(managed.quantity_exposed);
}

TEST(DecideTest, BackorderNoticeOnlyForYesNotify) {
  Record r = BaseRecord();
  r.source_qty = U(1);
  r.backorders = Backorders::kYesNotify;
  EXPECT_TRUE(Decide(r, StoreConfig{}, kToday, U(2)).backorder_notice);
  EXPECT_FALSE(Decide(r, StoreConfig{}, kToday, U(1)).backorder_notice);
  r.backorders = Backorders::kYes;
  EXPECT_FALSE(Decide(r, StoreConfig{}, kToday, U(2)).backorder_notice);
}

TEST(DecideTest, CarriesLifecycleFields) {
  Record r = BaseRecord();
  r.lifecycle = Lifecycle::kDiscontinued;
  r.successor_sku = "SKU-2";
  const Decision d = Decide(r, StoreConfig{}, kToday, std::nullopt);
  EXPECT_EQ(d.status, Status::kDiscontinued);
  EXPECT_EQ(d.lifecycle, Lifecycle::kDiscontinued);
  EXPECT_EQ(d.successor_sku, "SKU-2");
  EXPECT_FALSE(d.restock_date.has_value());
  EXPECT_FALSE(d.first_ship_date.has_value());
}

TEST(DecideTest, NonPositiveRequestIsNotOrderable) {
  Record r = BaseRecord();
  r.source_qty = U(5);
  const Decision d = Decide(r, StoreConfig{}, kToday, 0);
  EXPECT_EQ(d.status, Status::kInStock);
  EXPECT_FALSE(d.orderable);
  EXPECT_EQ(d.in_stock_qty + d.backorder_qty + d.unavailable_qty, 0);
}

TEST(DecideUnknownTest, UnknownSku) {
  const Decision d = DecideUnknown(U(4));
  EXPECT_EQ(d.status, Status::kUnknown);
  EXPECT_EQ(d.requested, U(4));
  EXPECT_EQ(d.unavailable_qty, U(4));
  EXPECT_FALSE(d.orderable);
  EXPECT_FALSE(d.quantity_exposed);
  EXPECT_EQ(DecideUnknown(std::nullopt).requested, U(1));
}

// ---------------------------------------------------------------------------
// §6 Settings resolution.

TEST(ResolveSettingsTest, StoreDefaultsAreMagentos) {
  const ResolvedSettings s = ResolveSettings(BaseRecord(), StoreConfig{});
  EXPECT_TRUE(s.manage_stock);
  EXPECT_EQ(s.backorders, Backorders::kNo);
  EXPECT_EQ(s.min_qty, 0);
  EXPECT_EQ(s.min_sale_qty, U(1));
  EXPECT_EQ(s.max_sale_qty, U(10000));
  EXPECT_EQ(s.notify_stock_qty, U(1));
  EXPECT_EQ(s.qty_increments, 0);  // not enabled
}

TEST(ResolveSettingsTest, RecordOverridesStore) {
  Record r = BaseRecord();
  r.manage_stock = false;
  r.backorders = Backorders::kYesNotify;
  r.min_qty = -U(3);
  r.min_sale_qty = U(2);
  r.max_sale_qty = U(20);
  r.enable_qty_increments = true;
  r.qty_increments = U(2);
  r.notify_stock_qty = U(4);
  StoreConfig config;
  config.backorders = Backorders::kYes;
  config.min_qty = U(1);
  const ResolvedSettings s = ResolveSettings(r, config);
  EXPECT_FALSE(s.manage_stock);
  EXPECT_EQ(s.backorders, Backorders::kYesNotify);
  EXPECT_EQ(s.min_qty, -U(3));
  EXPECT_EQ(s.min_sale_qty, U(2));
  EXPECT_EQ(s.max_sale_qty, U(20));
  EXPECT_EQ(s.qty_increments, U(2));
  EXPECT_EQ(s.notify_stock_qty, U(4));
}

TEST(ResolveSettingsTest, ConfigChangeTakesEffectWithoutRecordChange) {
  Record r = BaseRecord();
  StoreConfig config;
  EXPECT_EQ(Decide(r, config, kToday, std::nullopt).status,
            Status::kOutOfStock);
  config.backorders = Backorders::kYes;
  EXPECT_EQ(Decide(r, config, kToday, std::nullopt).status,
            Status::kBackorderable);
}

TEST(ResolveSettingsTest, RecordDisablesStoreIncrements) {
  Record r = BaseRecord();
  r.enable_qty_increments = false;
  StoreConfig config;
  config.enable_qty_increments = true;
  config.qty_increments = U(5);
  EXPECT_EQ(ResolveSettings(r, config).qty_increments, 0);
}

// ---------------------------------------------------------------------------
// §7 Feed mappings.

struct FeedCase {
  std::string name;
  std::function<void(Decision&)> setup;
  absl::string_view schema_org;
  absl::string_view merchant;
  std::optional<CivilDay> merchant_date;
};

class FeedForTest : public testing::TestWithParam<FeedCase> {};

TEST_P(FeedForTest, Maps) {
  Decision d;
  GetParam().setup(d);
  const FeedValues feed = FeedFor(d);
  EXPECT_EQ(feed.schema_org, GetParam().schema_org);
  EXPECT_EQ(feed.merchant, GetParam().merchant);
  EXPECT_EQ(feed.merchant_date, GetParam().merchant_date);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FeedForTest,
    testing::Values(
        FeedCase{"InStock", [](Decision& d) { d.status = Status::kInStock; },
                 "https://schema.org/InStock", "in_stock", std::nullopt},
        FeedCase{"InStockWithOnlyXLeft",
                 [](Decision& d) {
                   d.status = Status::kInStock;
                   d.only_x_left = U(2);
                 },
                 "https://schema.org/LimitedAvailability", "in_stock",
                 std::nullopt},
        FeedCase{"Backorderable",
                 [](Decision& d) {
                   d.status = Status::kBackorderable;
                   d.first_ship_date = CivilDay(2024, 3, 5);
                 },
                 "https://schema.org/BackOrder", "backorder",
                 CivilDay(2024, 3, 5)},
        FeedCase{"BackorderableUndated",
                 [](Decision& d) { d.status = Status::kBackorderable; },
                 "https://schema.org/BackOrder", "backorder", std::nullopt},
        FeedCase{"Preorder",
                 [](Decision& d) {
                   d.status = Status::kPreorder;
                   d.release_date = CivilDay(2024, 4, 1);
                   d.first_ship_date = CivilDay(2024, 4, 2);
                 },
                 "https://schema.org/PreOrder", "preorder",
                 CivilDay(2024, 4, 1)},
        FeedCase{"OutOfStock",
                 [](Decision& d) {
                   d.status = Status::kOutOfStock;
                   d.restock_date = CivilDay(2024, 3, 9);
                 },
                 "https://schema.org/OutOfStock", "out_of_stock", std::nullopt},
        FeedCase{"Discontinued",
                 [](Decision& d) { d.status = Status::kDiscontinued; },
                 "https://schema.org/Discontinued", "out_of_stock",
                 std::nullopt},
        FeedCase{"Unknown", [](Decision& d) { d.status = Status::kUnknown; },
                 "https://schema.org/OutOfStock", "out_of_stock",
                 std::nullopt}),
    [](const testing::TestParamInfo<FeedCase>& row) { return row.param.name; });

TEST(FeedForTest, DecideFillsTheFeed) {
  Record r = BaseRecord();
  r.source_qty = U(2);
  StoreConfig config;
  config.only_x_left_threshold = U(3);
  const Decision d = Decide(r, config, kToday, std::nullopt);
  EXPECT_EQ(d.feed, FeedFor(d));
  EXPECT_EQ(d.feed.schema_org, "https://schema.org/LimitedAvailability");
}

// §4, last paragraph: an answer for a requested quantity carries the display
// status too, and the feed follows the display status.
TEST(DisplayStatusTest, RequestBeyondStockKeepsTheInStockBadge) {
  Record r = BaseRecord();
  r.source_qty = U(3);
  r.backorders = Backorders::kYes;
  r.inbound = {{CivilDay(2024, 3, 11), U(20)}};
  const Decision d = Decide(r, StoreConfig{}, kToday, U(10));
  EXPECT_EQ(d.status, Status::kBackorderable);
  EXPECT_EQ(d.display_status, Status::kInStock);
  EXPECT_EQ(d.feed.merchant, "in_stock");
  EXPECT_EQ(d.feed.schema_org, "https://schema.org/InStock");
  EXPECT_FALSE(d.feed.merchant_date.has_value());
}

TEST(DisplayStatusTest, OutOfStockForTheRequestBackorderableForDisplay) {
  Record r = BaseRecord();
  r.source_qty = U(1);
  r.min_qty = -U(2);  // backorder limit: 2 below zero
  r.backorders = Backorders::kYes;
  r.inbound = {{CivilDay(2024, 3, 11), U(20)}};
  // Display quantity 1 ships now; 10 cannot be had (1 + 2 at most).
  const Decision d = Decide(r, StoreConfig{}, kToday, U(10));
  EXPECT_EQ(d.status, Status::kOutOfStock);
  EXPECT_EQ(d.display_status, Status::kInStock);
  EXPECT_EQ(d.feed.merchant, "in_stock");
}

TEST(DisplayStatusTest, EqualsStatusWithoutARequest) {
  Record r = BaseRecord();
  r.backorders = Backorders::kYes;
  r.inbound = {{CivilDay(2024, 3, 11), U(20)}};
  const Decision d = Decide(r, StoreConfig{}, kToday, std::nullopt);
  EXPECT_EQ(d.status, Status::kBackorderable);
  EXPECT_EQ(d.display_status, Status::kBackorderable);
  EXPECT_EQ(d.feed, FeedFor(d));
  const Decision asked_display = Decide(r, StoreConfig{}, kToday, U(1));
  EXPECT_EQ(asked_display.display_status, Status::kBackorderable);
  EXPECT_EQ(DecideUnknown(U(2)).display_status, Status::kUnknown);
}

TEST(DisplayStatusTest, BrokenCartRuleShowsTheDisplayStatus) {
  Record r = BaseRecord();
  r.source_qty = U(5);
  const Decision d = Decide(r, StoreConfig{}, kToday, T(15000));
  EXPECT_EQ(d.broken_rule, CartRule::kIsQtyDecimal);
  EXPECT_EQ(d.display_status, Status::kInStock);
  EXPECT_EQ(d.display_status, d.status);
}

TEST(CartRuleCodeTest, MagentoCodes) {
  EXPECT_EQ(CartRuleCode(CartRule::kNone), "");
  EXPECT_EQ(CartRuleCode(CartRule::kMinSaleQty), "min_sale_qty");
  EXPECT_EQ(CartRuleCode(CartRule::kMaxSaleQty), "max_sale_qty");
  EXPECT_EQ(CartRuleCode(CartRule::kQtyIncrements), "qty_increments");
  EXPECT_EQ(CartRuleCode(CartRule::kIsQtyDecimal), "is_qty_decimal");
}

}  // namespace
}  // namespace availability::core
