// BusinessCalendar and AddShippingDays (docs/domain.md §4.5).
#include <algorithm>
#include <random>
#include <string>

#include "absl/time/civil_time.h"
#include "core/decision.h"
#include "core/record.h"
#include "gtest/gtest.h"

namespace availability::core {
namespace {

using absl::CivilDay;

BusinessCalendar WeekendsAndEaster2024() {
  BusinessCalendar c;
  c.weekend[static_cast<int>(absl::Weekday::saturday)] = true;
  c.weekend[static_cast<int>(absl::Weekday::sunday)] = true;
  c.holidays = {CivilDay(2024, 3, 29), CivilDay(2024, 4, 1)};
  return c;
}

struct AddCase {
  std::string name;
  bool business_calendar;
  CivilDay from;
  int days;
  CivilDay expected;
};

class AddShippingDaysTest : public testing::TestWithParam<AddCase> {};

TEST_P(AddShippingDaysTest, Adds) {
  const AddCase& c = GetParam();
  BusinessCalendar calendar =
      c.business_calendar ? WeekendsAndEaster2024() : BusinessCalendar{};
  EXPECT_EQ(AddShippingDays(calendar, c.from, c.days), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AddShippingDaysTest,
    testing::Values(
        AddCase{"CalendarDaysCrossWeekend", false, CivilDay(2024, 3, 1), 2,
                CivilDay(2024, 3, 3)},
        AddCase{"CalendarDaysAcrossMonth", false, CivilDay(2024, 2, 28), 3,
                CivilDay(2024, 3, 2)},
        AddCase{"ZeroDaysIsFrom", true, CivilDay(2024, 3, 2), 0,
                CivilDay(2024, 3, 2)},
        AddCase{"NegativeDaysIsFrom", true, CivilDay(2024, 3, 4), -3,
                CivilDay(2024, 3, 4)},
        AddCase{"MidWeek", true, CivilDay(2024, 3, 5), 2, CivilDay(2024, 3, 7)},
        AddCase{"FridayPlusOneIsMonday", true, CivilDay(2024, 3, 1), 1,
                CivilDay(2024, 3, 4)},
        AddCase{"SaturdayPlusOneIsMonday", true, CivilDay(2024, 3, 2), 1,
                CivilDay(2024, 3, 4)},
        AddCase{"ThursdayPlusOneSkipsGoodFridayAndWeekendAndEasterMonday", true,
                CivilDay(2024, 3, 28), 1, CivilDay(2024, 4, 2)},
        AddCase{"FiveBusinessDaysIsAWeek", true, CivilDay(2024, 3, 4), 5,
                CivilDay(2024, 3, 11)}),
    [](const testing::TestParamInfo<AddCase>& row) { return row.param.name; });

TEST(BusinessCalendarTest, EmptyAndBusinessDays) {
  EXPECT_TRUE(BusinessCalendar{}.empty());
  BusinessCalendar c = WeekendsAndEaster2024();
  EXPECT_FALSE(c.empty());
  EXPECT_TRUE(c.IsBusinessDay(CivilDay(2024, 3, 28)));
  EXPECT_FALSE(c.IsBusinessDay(CivilDay(2024, 3, 29)));  // holiday
  EXPECT_FALSE(c.IsBusinessDay(CivilDay(2024, 3, 30)));  // saturday
  EXPECT_FALSE(c.IsBusinessDay(CivilDay(2024, 3, 31)));  // sunday
  EXPECT_FALSE(c.IsBusinessDay(CivilDay(2024, 4, 1)));   // holiday
  BusinessCalendar holidays_only;
  holidays_only.holidays = {CivilDay(2024, 12, 25)};
  EXPECT_FALSE(holidays_only.empty());
}

TEST(BusinessCalendarTest, AllWeekendFallsBackToCalendarDays) {
  BusinessCalendar c;
  c.weekend.fill(true);
  EXPECT_EQ(AddShippingDays(c, CivilDay(2024, 3, 4), 3), CivilDay(2024, 3, 7));
}

TEST(BusinessCalendarTest, HolidayOnlyCalendarSkipsHolidays) {
  BusinessCalendar c;
  c.holidays = {CivilDay(2024, 12, 25), CivilDay(2024, 12, 26)};
  EXPECT_EQ(AddShippingDays(c, CivilDay(2024, 12, 24), 1),
            CivilDay(2024, 12, 27));
}

// The definition, day by day, against which the optimized walk is checked.
CivilDay AddShippingDaysByDefinition(const BusinessCalendar& calendar,
                                     CivilDay from, int days) {
  CivilDay day = from;
  for (int counted = 0; counted < days;) {
    ++day;
    if (calendar.IsBusinessDay(day)) ++counted;
  }
  return day;
}

TEST(AddShippingDaysPropertyTest, MatchesTheDayByDayDefinition) {
  std::mt19937 rng(42);
  auto random_int = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  const CivilDay base(2024, 1, 1);
  for (int i = 0; i < 5000; ++i) {
    BusinessCalendar calendar;
    for (int w = 0; w < 7; ++w) calendar.weekend[w] = random_int(0, 3) == 0;
    calendar.weekend[random_int(0, 6)] = false;  // at least one business day
    for (int h = random_int(0, 12); h > 0; --h) {
      calendar.holidays.push_back(base + random_int(0, 120));
    }
    std::sort(calendar.holidays.begin(), calendar.holidays.end());
    calendar.holidays.erase(
        std::unique(calendar.holidays.begin(), calendar.holidays.end()),
        calendar.holidays.end());
    const CivilDay from = base + random_int(0, 100);
    const int days = random_int(1, 30);
    ASSERT_EQ(AddShippingDays(calendar, from, days),
              AddShippingDaysByDefinition(calendar, from, days))
        << "from " << from << " days " << days;
  }
}

TEST(RecordTest, EqualityCoversFields) {
  Record a;
  a.sku = "A";
  a.inbound = {{CivilDay(2024, 3, 4), QtyFromUnits(5)}};
  Record b = a;
  EXPECT_EQ(a, b);
  b.inbound[0].qty = QtyFromUnits(6);
  EXPECT_NE(a, b);
  b = a;
  b.min_qty = 0;  // set explicitly differs from "use config"
  EXPECT_NE(a, b);
}

TEST(StoreConfigTest, EqualityCoversCalendar) {
  StoreConfig a;
  StoreConfig b;
  EXPECT_EQ(a, b);
  b.calendar.holidays.push_back(CivilDay(2024, 1, 1));
  EXPECT_FALSE(a == b);
}

}  // namespace
}  // namespace availability::core
