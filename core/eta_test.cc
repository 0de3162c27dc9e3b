// docs/domain.md §4: available-to-promise over receipts, ship dates (calendar
// and business days), preorder dates, restock_date and the store's "today".
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/decision.h"
#include "core/time_zone.h"
#include "gtest/gtest.h"

namespace availability::core {
namespace {

using absl::CivilDay;

constexpr Qty U(int64_t units) { return QtyFromUnits(units); }
constexpr Qty T(int64_t ten_thousandths) { return ten_thousandths; }

const CivilDay kToday(2024, 3, 1);  // a Friday

BusinessCalendar WeekendsAndEaster2024() {
  BusinessCalendar c;
  c.weekend[static_cast<int>(absl::Weekday::saturday)] = true;
  c.weekend[static_cast<int>(absl::Weekday::sunday)] = true;
  c.holidays = {CivilDay(2024, 3, 29), CivilDay(2024, 4, 1)};
  return c;
}

// The §4 example: net 3, no threshold, backorders YES,
// receipts {Mar 4: 5, Mar 20: 10}, handling 1 day.
void WorkedExample(Record& r, StoreConfig& c) {
  r.source_qty = U(3);
  r.backorders = Backorders::kYes;
  r.inbound = {{CivilDay(2024, 3, 4), U(5)}, {CivilDay(2024, 3, 20), U(10)}};
  c.handling_days = 1;
}

struct EtaCase {
  std::string name;
  std::function<void(Record&, StoreConfig&)> setup;
  std::optional<Qty> requested;
  Status status;
  std::vector<Shipment> shipments;
  Qty undated = 0;
  std::optional<CivilDay> first_ship_date = std::nullopt;
  std::optional<CivilDay> restock_date = std::nullopt;
};

class EtaTest : public testing::TestWithParam<EtaCase> {};

TEST_P(EtaTest, Plans) {
  const EtaCase& c = GetParam();
  Record r;
  r.sku = "SKU-1";
  StoreConfig config;
  c.setup(r, config);
  const Decision d = Decide(r, config, kToday, c.requested);
  EXPECT_EQ(d.status, c.status);
  EXPECT_EQ(d.shipments, c.shipments);
  EXPECT_EQ(d.undated_qty, c.undated);
  EXPECT_EQ(d.eta_known, c.undated == 0);
  EXPECT_EQ(d.first_ship_date, c.first_ship_date);
  EXPECT_EQ(d.restock_date, c.restock_date);
  Qty shipped = d.undated_qty;
  for (const Shipment& s : d.shipments) shipped += s.qty;
  EXPECT_EQ(shipped, d.in_stock_qty + d.backorder_qty);
}

INSTANTIATE_TEST_SUITE_P(Atp, EtaTest,
                         testing::Values(
                             EtaCase{"WorkedExample",
                                     WorkedExample,
                                     U(10),
                                     Status::kBackorderable,
                                     {{U(3), kToday},
                                      {U(5), CivilDay(2024, 3, 5)},
                                      {U(2), CivilDay(2024, 3, 21)}},
                                     0,
                                     CivilDay(2024, 3, 5)},
                             EtaCase{"WorkedExampleUnsortedReceipts",
                                     [](Record& r, StoreConfig& c) {
                                       WorkedExample(r, c);
                                       std::swap(r.inbound[0], r.inbound[1]);
                                     },
                                     U(10),
                                     Status::kBackorderable,
                                     {{U(3), kToday},
                                      {U(5), CivilDay(2024, 3, 5)},
                                      {U(2), CivilDay(2024, 3, 21)}},
                                     0,
                                     CivilDay(2024, 3, 5)},
                             EtaCase{"WorkedExampleDisplayQuantityIsInStock",
                                     WorkedExample,
                                     std::nullopt,
                                     Status::kInStock,
                                     {{U(1), kToday}}},
                             EtaCase{
                                 "WorkedExampleWithinFirstReceipt",
                                 WorkedExample,
                                 U(8),
                                 Status::kBackorderable,
                                 {{U(3), kToday}, {U(5), CivilDay(2024, 3, 5)}},
                                 0,
                                 CivilDay(2024, 3, 5)},
                             EtaCase{"SafetyDaysAddToReceipts",
                                     [](Record& r, StoreConfig& c) {
                                       WorkedExample(r, c);
                                       c.safety_days = 2;
                                     },
                                     U(10),
                                     Status::kBackorderable,
                                     {{U(3), kToday},
                                      {U(5), CivilDay(2024, 3, 7)},
                                      {U(2), CivilDay(2024, 3, 23)}},
                                     0,
                                     CivilDay(2024, 3, 7)},
                             EtaCase{"ExistingBackordersConsumeReceiptsFirst",
                                     [](Record& r, StoreConfig&) {
                                       r.reserved_qty = -U(2);
                                       r.backorders = Backorders::kYes;
                                       r.inbound = {
                                           {CivilDay(2024, 3, 4), U(5)},
                                           {CivilDay(2024, 3, 20), U(10)}};
                                     },
                                     U(5),
                                     Status::kBackorderable,
                                     {{U(3), CivilDay(2024, 3, 4)},
                                      {U(2), CivilDay(2024, 3, 20)}},
                                     0,
                                     CivilDay(2024, 3, 4)},
                             EtaCase{"ThresholdShortfallConsumesReceiptsFirst",
                                     [](Record& r, StoreConfig&) {
                                       r.source_qty = U(1);
                                       r.min_qty = U(2);
                                       r.backorders = Backorders::kYes;
                                       r.inbound = {
                                           {CivilDay(2024, 3, 4), U(3)},
                                           {CivilDay(2024, 3, 8), U(5)}};
                                     },
                                     U(3),
                                     Status::kBackorderable,
                                     {{U(2), CivilDay(2024, 3, 4)},
                                      {U(1), CivilDay(2024, 3, 8)}},
                                     0,
                                     CivilDay(2024, 3, 4)},
                             EtaCase{"OverdueReceiptsCountAsToday",
                                     [](Record& r, StoreConfig& c) {
                                       r.backorders = Backorders::kYes;
                                       r.inbound = {
                                           {CivilDay(2024, 2, 20), U(4)},
                                           {CivilDay(2024, 2, 25), U(1)}};
                                       c.handling_days = 2;
                                     },
                                     U(5),
                                     Status::kBackorderable,
                                     {{U(5), CivilDay(2024, 3, 3)}},
                                     0,
                                     CivilDay(2024, 3, 3)},
                             EtaCase{
                                 "OverdueReceiptNeverShipsBeforeTodayPlusHandli"
                                 "ng",
                                 [](Record& r, StoreConfig& c) {
                                   r.backorders = Backorders::kYes;
                                   r.inbound = {{CivilDay(2024, 2, 28), U(4)}};
                                   c.handling_days = 1;
                                 },
                                 U(2),
                                 Status::kBackorderable,
                                 {{U(2), CivilDay(2024, 3, 2)}},
                                 0,
                                 CivilDay(2024, 3, 2)},
                             EtaCase{
                                 "OverdueReceiptWithoutHandlingShipsToday",
                                 [](Record& r, StoreConfig&) {
                                   r.source_qty = U(2);
                                   r.backorders = Backorders::kYes;
                                   r.inbound = {{CivilDay(2024, 2, 20), U(5)}};
                                 },
                                 U(4),
                                 Status::kBackorderable,
                                 {{U(4), kToday}},
                                 0,
                                 kToday},
                             EtaCase{
                                 "ReceiptsRunOutThenLeadTime",
                                 [](Record& r, StoreConfig& c) {
                                   r.backorders = Backorders::kYes;
                                   r.inbound = {{CivilDay(2024, 3, 4), U(2)}};
                                   r.lead_time_days = 10;
                                   c.handling_days = 1;
                                 },
                                 U(5),
                                 Status::kBackorderable,
                                 {{U(2), CivilDay(2024, 3, 5)},
                                  {U(3), CivilDay(2024, 3, 12)}},
                                 0,
                                 CivilDay(2024, 3, 5)},
                             EtaCase{
                                 "ReceiptsRunOutWithoutLeadTimeIsUndated",
                                 [](Record& r, StoreConfig& c) {
                                   r.backorders = Backorders::kYes;
                                   r.inbound = {{CivilDay(2024, 3, 4), U(2)}};
                                   c.handling_days = 1;
                                 },
                                 U(5),
                                 Status::kBackorderable,
                                 {{U(2), CivilDay(2024, 3, 5)}},
                                 U(3),
                                 CivilDay(2024, 3, 5)},
                             EtaCase{"NoReceiptsNoLeadTimeIsUndated",
                                     [](Record& r, StoreConfig&) {
                                       r.source_qty = U(1);
                                       r.backorders = Backorders::kYes;
                                     },
                                     U(3),
                                     Status::kBackorderable,
                                     {{U(1), kToday}},
                                     U(2)},
                             EtaCase{"LeadTimePlusHandlingPlusSafety",
                                     [](Record& r, StoreConfig& c) {
                                       r.backorders = Backorders::kYes;
                                       r.lead_time_days = 7;
                                       c.handling_days = 1;
                                       c.safety_days = 1;
                                     },
                                     U(3),
                                     Status::kBackorderable,
                                     {{U(3), CivilDay(2024, 3, 10)}},
                                     0,
                                     CivilDay(2024, 3, 10)},
                             EtaCase{
                                 "ShortLeadTimeShipsBeforeLateReceipt",
                                 [](Record& r, StoreConfig&) {
                                   r.backorders = Backorders::kYes;
                                   r.inbound = {{CivilDay(2024, 4, 1), U(2)}};
                                   r.lead_time_days = 5;
                                 },
                                 U(5),
                                 Status::kBackorderable,
                                 {{U(3), CivilDay(2024, 3, 6)},
                                  {U(2), CivilDay(2024, 4, 1)}},
                                 0,
                                 CivilDay(2024, 3, 6)},
                             EtaCase{"NegativeReceiptIgnored",
                                     [](Record& r, StoreConfig&) {
                                       r.backorders = Backorders::kYes;
                                       r.inbound = {
                                           {CivilDay(2024, 3, 4), -U(3)},
                                           {CivilDay(2024, 3, 8), U(3)}};
                                     },
                                     U(3),
                                     Status::kBackorderable,
                                     {{U(3), CivilDay(2024, 3, 8)}},
                                     0,
                                     CivilDay(2024, 3, 8)},
                             EtaCase{"DecimalTranches",
                                     [](Record& r, StoreConfig&) {
                                       r.is_qty_decimal = true;
                                       r.source_qty = T(5000);
                                       r.backorders = Backorders::kYes;
                                       r.inbound = {
                                           {CivilDay(2024, 3, 4), T(12500)}};
                                     },
                                     T(15000),
                                     Status::kBackorderable,
                                     {{T(5000), kToday},
                                      {U(1), CivilDay(2024, 3, 4)}},
                                     0,
                                     CivilDay(2024, 3, 4)},
                             EtaCase{"WholeUnitTranchesRoundDown",
                                     [](Record& r, StoreConfig&) {
                                       r.source_qty = T(5000);
                                       r.backorders = Backorders::kYes;
                                       r.inbound = {
                                           {CivilDay(2024, 3, 4), T(12500)},
                                           {CivilDay(2024, 3, 8), U(2)}};
                                     },
                                     U(3),
                                     Status::kBackorderable,
                                     {{U(1), CivilDay(2024, 3, 4)},
                                      {U(2), CivilDay(2024, 3, 8)}},
                                     0,
                                     CivilDay(2024, 3, 4)},
                             EtaCase{
                                 "BackorderLimitPlansWhatItAllows",
                                 [](Record& r, StoreConfig&) {
                                   r.backorders = Backorders::kYes;
                                   r.min_qty = -U(5);
                                   r.inbound = {{CivilDay(2024, 3, 4), U(3)}};
                                 },
                                 U(6),
                                 Status::kOutOfStock,
                                 {{U(3), CivilDay(2024, 3, 4)}},
                                 U(2),
                                 CivilDay(2024, 3, 4),
                                 // Restock for an explicit request waits for
                                 // all 6 units: receipts never reach them and
                                 // there is no lead time.
                                 std::nullopt},
                             EtaCase{"PreorderShipsOnReleasePlusHandling",
                                     [](Record& r, StoreConfig& c) {
                                       r.lifecycle = Lifecycle::kPreorder;
                                       r.release_date = CivilDay(2024, 3, 20);
                                       c.handling_days = 2;
                                       c.safety_days = 3;
                                     },
                                     U(4),
                                     Status::kPreorder,
                                     {{U(4), CivilDay(2024, 3, 22)}},
                                     0,
                                     CivilDay(2024, 3, 22)},
                             EtaCase{
                                 "PreorderOnReleaseDateUsesStock",
                                 [](Record& r, StoreConfig& c) {
                                   r.lifecycle = Lifecycle::kPreorder;
                                   r.release_date = kToday;
                                   r.source_qty = U(2);
                                   r.backorders = Backorders::kYes;
                                   r.inbound = {{CivilDay(2024, 3, 5), U(10)}};
                                   c.handling_days = 2;
                                 },
                                 U(4),
                                 Status::kBackorderable,
                                 {{U(2), kToday}, {U(2), CivilDay(2024, 3, 7)}},
                                 0,
                                 CivilDay(2024, 3, 7)}),
                         [](const testing::TestParamInfo<EtaCase>& row) {
                           return row.param.name;
                         });

INSTANTIATE_TEST_SUITE_P(
    BusinessDays, EtaTest,
    testing::Values(EtaCase{"WorkedExampleOnBusinessDays",
                            [](Record& r, StoreConfig& c) {
                              WorkedExample(r, c);
                              c.calendar = WeekendsAndEaster2024();
                            },
                            U(10),
                            Status::kBackorderable,
                            {{U(3), kToday},
                             {U(5), CivilDay(2024, 3, 5)},
                             {U(2), CivilDay(2024, 3, 21)}},
                            0,
                            CivilDay(2024, 3, 5)},
                    EtaCase{"HolidaySkipped",
                            [](Record& r, StoreConfig& c) {
                              WorkedExample(r, c);
                              c.calendar.holidays = {CivilDay(2024, 3, 5)};
                            },
                            U(10),
                            Status::kBackorderable,
                            {{U(3), kToday},
                             {U(5), CivilDay(2024, 3, 6)},
                             {U(2), CivilDay(2024, 3, 21)}},
                            0,
                            CivilDay(2024, 3, 6)},
                    EtaCase{"ReceiptOnFridayShipsMonday",
                            [](Record& r, StoreConfig& c) {
                              r.backorders = Backorders::kYes;
                              r.inbound = {{CivilDay(2024, 3, 8), U(5)}};
                              c.handling_days = 1;
                              c.calendar = WeekendsAndEaster2024();
                            },
                            U(5),
                            Status::kBackorderable,
                            {{U(5), CivilDay(2024, 3, 11)}},
                            0,
                            CivilDay(2024, 3, 11)},
                    EtaCase{"LeadTimeInBusinessDays",
                            [](Record& r, StoreConfig& c) {
                              r.backorders = Backorders::kYes;
                              r.lead_time_days = 5;
                              c.handling_days = 1;
                              c.calendar = WeekendsAndEaster2024();
                            },
                            U(1),
                            Status::kBackorderable,
                            {{U(1), CivilDay(2024, 3, 11)}},
                            0,
                            CivilDay(2024, 3, 11)},
                    EtaCase{"EasterSkippedForPreorder",
                            [](Record& r, StoreConfig& c) {
                              r.lifecycle = Lifecycle::kPreorder;
                              r.release_date = CivilDay(2024, 3, 28);
                              c.handling_days = 1;
                              c.calendar = WeekendsAndEaster2024();
                            },
                            U(1),
                            Status::kPreorder,
                            {{U(1), CivilDay(2024, 4, 2)}},
                            0,
                            CivilDay(2024, 4, 2)}),
    [](const testing::TestParamInfo<EtaCase>& row) { return row.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Restock, EtaTest,
    testing::Values(EtaCase{"FirstReceiptAfterShortfall",
                            [](Record& r, StoreConfig& c) {
                              r.reserved_qty = -U(2);
                              r.inbound = {{CivilDay(2024, 3, 4), U(2)},
                                           {CivilDay(2024, 3, 10), U(5)}};
                              c.handling_days = 1;
                            },
                            std::nullopt,
                            Status::kOutOfStock,
                            {},
                            0,
                            std::nullopt,
                            CivilDay(2024, 3, 11)},
                    EtaCase{"FromLeadTime",
                            [](Record& r, StoreConfig& c) {
                              r.lead_time_days = 5;
                              c.handling_days = 1;
                            },
                            std::nullopt,
                            Status::kOutOfStock,
                            {},
                            0,
                            std::nullopt,
                            CivilDay(2024, 3, 7)},
                    EtaCase{"LeadTimeWhenReceiptsFallShort",
                            [](Record& r, StoreConfig&) {
                              r.reserved_qty = -U(5);
                              r.inbound = {{CivilDay(2024, 3, 4), U(5)}};
                              r.lead_time_days = 20;
                            },
                            std::nullopt,
                            Status::kOutOfStock,
                            {},
                            0,
                            std::nullopt,
                            CivilDay(2024, 3, 21)},
                    EtaCase{"NoneWithoutReceiptsOrLeadTime",
                            [](Record&, StoreConfig&) {},
                            std::nullopt,
                            Status::kOutOfStock,
                            {}},
                    EtaCase{"OverdueReceiptRestocksToday",
                            [](Record& r, StoreConfig&) {
                              r.inbound = {{CivilDay(2024, 2, 20), U(1)}};
                            },
                            std::nullopt,
                            Status::kOutOfStock,
                            {},
                            0,
                            std::nullopt,
                            kToday},
                    EtaCase{"ExplicitRequestWaitsForTheWholeQuantity",
                            [](Record& r, StoreConfig&) {
                              r.source_qty = U(2);
                              r.inbound = {{CivilDay(2024, 3, 4), U(1)},
                                           {CivilDay(2024, 3, 8), U(2)}};
                            },
                            U(5),
                            Status::kOutOfStock,
                            {{U(2), kToday}},
                            0,
                            std::nullopt,
                            CivilDay(2024, 3, 8)},
                    EtaCase{"BackorderLimitReached",
                            [](Record& r, StoreConfig&) {
                              r.reserved_qty = -U(5);
                              r.min_qty = -U(5);
                              r.backorders = Backorders::kYes;
                              r.inbound = {{CivilDay(2024, 3, 4), U(5)},
                                           {CivilDay(2024, 3, 6), U(1)}};
                            },
                            std::nullopt,
                            Status::kOutOfStock,
                            {},
                            0,
                            std::nullopt,
                            CivilDay(2024, 3, 6)},
                    EtaCase{"NoneForManualOutOfStock",
                            [](Record& r, StoreConfig&) {
                              r.is_in_stock = false;
                              r.inbound = {{CivilDay(2024, 3, 4), U(5)}};
                              r.lead_time_days = 3;
                            },
                            std::nullopt,
                            Status::kOutOfStock,
                            {}},
                    EtaCase{"NoneForDiscontinued",
                            [](Record& r, StoreConfig&) {
                              r.lifecycle = Lifecycle::kDiscontinued;
                              r.inbound = {{CivilDay(2024, 3, 4), U(5)}};
                              r.lead_time_days = 3;
                            },
                            std::nullopt,
                            Status::kDiscontinued,
                            {}}),
    [](const testing::TestParamInfo<EtaCase>& row) { return row.param.name; });

// A request at 23:30 UTC for a store where it is already tomorrow: "today"
// is the store's date, so a receipt dated the UTC day is already overdue and
// a preorder released the next UTC day is already on sale.
struct ZoneCase {
  std::string name;
  std::string zone;
  CivilDay receipt_ship_date;
  Status preorder_status;
};

class StoreZoneTest : public testing::TestWithParam<ZoneCase> {};

TEST_P(StoreZoneTest, TodayIsTheStoresDate) {
  const ZoneCase& c = GetParam();
  StoreConfig config;
  config.time_zone_name = c.zone;
  absl::StatusOr<absl::TimeZone> tz = LoadStoreTimeZone(c.zone);
  ASSERT_TRUE(tz.ok()) << tz.status();
  config.time_zone = *tz;
  config.handling_days = 1;
  const absl::Time now = absl::FromCivil(absl::CivilMinute(2024, 3, 3, 23, 30),
                                         absl::UTCTimeZone());
  const CivilDay today = StoreToday(config, now);

  Record backordered;
  backordered.sku = "SKU-1";
  backordered.backorders = Backorders::kYes;
  backordered.inbound = {{CivilDay(2024, 3, 3), U(5)}};
  const Decision d = Decide(backordered, config, today, U(2));
  EXPECT_EQ(d.shipments, (std::vector<Shipment>{{U(2), c.receipt_ship_date}}));

  Record preorder;
  preorder.sku = "SKU-2";
  preorder.source_qty = U(5);
  preorder.lifecycle = Lifecycle::kPreorder;
  preorder.release_date = CivilDay(2024, 3, 4);
  EXPECT_EQ(Decide(preorder, config, today, std::nullopt).status,
            c.preorder_status);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, StoreZoneTest,
    testing::Values(ZoneCase{"Utc", "", CivilDay(2024, 3, 4),
                             Status::kPreorder},
                    ZoneCase{"Auckland", "Pacific/Auckland",
                             CivilDay(2024, 3, 5), Status::kInStock},
                    ZoneCase{"Tokyo", "Asia/Tokyo", CivilDay(2024, 3, 5),
                             Status::kInStock}),
    [](const testing::TestParamInfo<ZoneCase>& row) { return row.param.name; });

// A record stored before the write path refused dates near the end of the
// range (or written by a connector that does not check) never makes an
// answer carry a date after 9999-12-31: such a date is unknown.
class DateRangeTest : public testing::Test {
 protected:
  void SetUp() override {
    r_.sku = "SKU-1";
    r_.backorders = Backorders::kYes;
    config_.handling_days = 3;
    config_.safety_days = 2;
  }
  // Every date of `d` is within the API's range.
  static void ExpectWithinRange(const Decision& d) {
    for (const Shipment& s : d.shipments) {
      EXPECT_LE(s.ship_date, kLatestAnswerDate);
    }
    if (d.first_ship_date) EXPECT_LE(*d.first_ship_date, kLatestAnswerDate);
    if (d.restock_date) EXPECT_LE(*d.restock_date, kLatestAnswerDate);
    if (d.feed.merchant_date) {
      EXPECT_LE(*d.feed.merchant_date, kLatestAnswerDate);
    }
  }
  Record r_;
  StoreConfig config_;
};

TEST_F(DateRangeTest, ReceiptShippingAfterYear9999IsUndated) {
  r_.inbound = {{CivilDay(9999, 12, 20), U(4)}, {CivilDay(9999, 12, 31), U(6)}};
  const Decision d = Decide(r_, config_, CivilDay(9999, 12, 1), U(10));
  ExpectWithinRange(d);
  EXPECT_EQ(d.status, Status::kBackorderable);
  // Dec 20 + 5 days ships Dec 25; Dec 31 + 5 would be 10000-01-05.
  EXPECT_EQ(d.shipments,
            (std::vector<Shipment>{{U(4), CivilDay(9999, 12, 25)}}));
  EXPECT_EQ(d.undated_qty, U(6));
  EXPECT_FALSE(d.eta_known);
  EXPECT_EQ(d.first_ship_date, CivilDay(9999, 12, 25));
}

TEST_F(DateRangeTest, ReceiptOutOfRangeFallsBackToAnInRangeLeadTime) {
  r_.inbound = {{CivilDay(9999, 12, 31), U(10)}};
  r_.lead_time_days = 10;
  const CivilDay today(9999, 1, 1);
  const Decision d = Decide(r_, config_, today, U(10));
  ExpectWithinRange(d);
  EXPECT_EQ(d.shipments, (std::vector<Shipment>{{U(10), today + 15}}));
  EXPECT_TRUE(d.eta_known);
}

TEST_F(DateRangeTest, LeadTimePastTheRangeIsUndated) {
  r_.lead_time_days = 30;
  const Decision d = Decide(r_, config_, CivilDay(9999, 12, 10), U(2));
  ExpectWithinRange(d);
  EXPECT_TRUE(d.shipments.empty());
  EXPECT_EQ(d.undated_qty, U(2));
  EXPECT_FALSE(d.eta_known);
  EXPECT_FALSE(d.first_ship_date.has_value());
}

TEST_F(DateRangeTest, RestockDatePastTheRangeIsNone) {
  r_.backorders = Backorders::kNo;
  r_.inbound = {{CivilDay(9999, 12, 30), U(5)}};
  Decision d = Decide(r_, config_, CivilDay(9999, 6, 1), std::nullopt);
  ExpectWithinRange(d);
  EXPECT_EQ(d.status, Status::kOutOfStock);
  EXPECT_FALSE(d.restock_date.has_value());
  // With a lead time that stays in range, that is the restock date.
  r_.lead_time_days = 7;
  d = Decide(r_, config_, CivilDay(9999, 6, 1), std::nullopt);
  EXPECT_EQ(d.restock_date, CivilDay(9999, 6, 13));
}

TEST_F(DateRangeTest, PreorderReleasedOnTheLastDayIsUndated) {
  r_.lifecycle = Lifecycle::kPreorder;
  r_.release_date = CivilDay(9999, 12, 31);
  const Decision d = Decide(r_, config_, CivilDay(9999, 12, 1), U(3));
  ExpectWithinRange(d);
  EXPECT_EQ(d.status, Status::kPreorder);
  EXPECT_EQ(d.backorder_qty, U(3));
  EXPECT_EQ(d.undated_qty, U(3));
  EXPECT_FALSE(d.eta_known);
  EXPECT_FALSE(d.first_ship_date.has_value());
  EXPECT_EQ(d.feed.merchant_date, CivilDay(9999, 12, 31));
}

// Sweep: business calendars, handling and safety days at their maximum,
// receipts and lead times near the end of the range; no answer leaves it.
TEST_F(DateRangeTest, NoAnswerEverCarriesYear10000) {
  BusinessCalendar busy;
  for (int w = 0; w < 6; ++w) busy.weekend[w] = true;  // one business day
  busy.holidays = {CivilDay(9999, 12, 27), CivilDay(9999, 12, 28)};
  for (const BusinessCalendar& calendar : {BusinessCalendar(), busy}) {
    for (int days : {0, 1, 60}) {
      for (int lead : {0, 1, 365}) {
        for (int offset : {0, 30, 400}) {
          config_.calendar = calendar;
          config_.handling_days = days;
          config_.safety_days = days;
          r_.lead_time_days = lead;
          r_.inbound = {{kLatestAnswerDate - offset, U(1)},
                        {kLatestAnswerDate, U(1)}};
          const CivilDay today = kLatestAnswerDate - offset;
          for (std::optional<Qty> q :
               {std::optional<Qty>(), std::optional<Qty>(U(3))}) {
            SCOPED_TRACE(testing::Message()
                         << days << " " << lead << " " << offset);
            ExpectWithinRange(Decide(r_, config_, today, q));
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace availability::core
