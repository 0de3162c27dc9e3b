#include "core/time_zone.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/decision.h"
#include "gtest/gtest.h"

namespace availability::core {
namespace {

TEST(LoadStoreTimeZoneTest, EmptyIsUtc) {
  absl::StatusOr<absl::TimeZone> tz = LoadStoreTimeZone("");
  ASSERT_TRUE(tz.ok()) << tz.status();
  EXPECT_EQ(*tz, absl::UTCTimeZone());
}

TEST(LoadStoreTimeZoneTest, LoadsIanaNames) {
  for (const char* name : {"Pacific/Auckland", "Asia/Tokyo", "Europe/Berlin",
                           "America/New_York"}) {
    absl::StatusOr<absl::TimeZone> tz = LoadStoreTimeZone(name);
    ASSERT_TRUE(tz.ok()) << name << ": " << tz.status();
    EXPECT_EQ(tz->name(), name);
  }
}

TEST(LoadStoreTimeZoneTest, UnknownNameIsInvalidArgument) {
  absl::StatusOr<absl::TimeZone> tz = LoadStoreTimeZone("Mars/Olympus_Mons");
  ASSERT_FALSE(tz.ok());
  EXPECT_EQ(tz.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tz.status().message(), "unknown time zone: Mars/Olympus_Mons");
}

// Abseil's loader would open these as files (or a FIFO that blocks); a
// store's zone is only ever an IANA name.
TEST(LoadStoreTimeZoneTest, PathsAreNotZoneNames) {
  for (const char* name :
       {"/usr/share/zoneinfo/Europe/Berlin", "/dev/stdin", "file:/etc/passwd",
        "../zoneinfo/Europe/Berlin", "Europe/../Europe/Berlin",
        "Europe//Berlin", "Europe/Berlin/", "Europe/Berlin\n"}) {
    absl::StatusOr<absl::TimeZone> tz = LoadStoreTimeZone(name);
    ASSERT_FALSE(tz.ok()) << name;
    EXPECT_EQ(tz.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(tz.status().message(), std::string("unknown time zone: ") + name);
  }
  EXPECT_FALSE(LoadStoreTimeZone(std::string(65, 'A')).ok());
  EXPECT_TRUE(LoadStoreTimeZone("Etc/GMT+5").ok());
  EXPECT_TRUE(LoadStoreTimeZone("America/Port-au-Prince").ok());
}

struct TodayCase {
  std::string name;
  std::string zone;
  absl::CivilDay expected;
};

class StoreTodayTest : public testing::TestWithParam<TodayCase> {};

// 2024-03-03 23:30 UTC.
TEST_P(StoreTodayTest, IsTheStoresLocalDate) {
  absl::StatusOr<absl::TimeZone> tz = LoadStoreTimeZone(GetParam().zone);
  ASSERT_TRUE(tz.ok()) << tz.status();
  StoreConfig config;
  config.time_zone_name = GetParam().zone;
  config.time_zone = *tz;
  const absl::Time now = absl::FromCivil(absl::CivilMinute(2024, 3, 3, 23, 30),
                                         absl::UTCTimeZone());
  EXPECT_EQ(StoreToday(config, now), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, StoreTodayTest,
    testing::Values(TodayCase{"Utc", "", absl::CivilDay(2024, 3, 3)},
                    TodayCase{"AucklandAlreadyTomorrow", "Pacific/Auckland",
                              absl::CivilDay(2024, 3, 4)},
                    TodayCase{"TokyoAlreadyTomorrow", "Asia/Tokyo",
                              absl::CivilDay(2024, 3, 4)},
                    TodayCase{"BerlinAlreadyTomorrow", "Europe/Berlin",
                              absl::CivilDay(2024, 3, 4)},
                    TodayCase{"LosAngelesStillToday", "America/Los_Angeles",
                              absl::CivilDay(2024, 3, 3)}),
    [](const testing::TestParamInfo<TodayCase>& row) {
      return row.param.name;
    });

// StoreToday remembers the day it last computed per thread: walking time
// across midnights and offset changes (DST at 02:00 in Berlin, at midnight
// in Santiago and Havana; Lord Howe's half hour), one zone at a time and
// switching zones, it must still agree with the zone lookup.
TEST(StoreTodayTest, RemembersTheDayButNeverAcrossMidnightOrAnOffsetChange) {
  std::vector<StoreConfig> configs;
  for (const char* name :
       {"Europe/Berlin", "America/Santiago", "America/Havana",
        "Australia/Lord_Howe", "Asia/Tokyo", ""}) {
    absl::StatusOr<absl::TimeZone> tz = LoadStoreTimeZone(name);
    ASSERT_TRUE(tz.ok()) << tz.status();
    StoreConfig config;
    config.time_zone_name = name;
    config.time_zone = *tz;
    configs.push_back(config);
  }
  // Around the 2024 transitions of each zone (March/April and
  // September/October/November), 3 days each, 7-minute steps.
  const absl::CivilDay starts[] = {
      absl::CivilDay(2024, 3, 9),  absl::CivilDay(2024, 3, 29),
      absl::CivilDay(2024, 4, 5),  absl::CivilDay(2024, 9, 6),
      absl::CivilDay(2024, 10, 5), absl::CivilDay(2024, 10, 26),
      absl::CivilDay(2024, 11, 2)};
  int checked = 0;
  auto check = [&checked](const StoreConfig& config, absl::Time now) {
    ASSERT_EQ(StoreToday(config, now), absl::ToCivilDay(now, config.time_zone))
        << config.time_zone_name << " at " << now;
    ++checked;
  };
  // One zone at a time (the remembered day answers most calls), then the
  // zones interleaved (each call replaces what the thread remembers).
  for (const StoreConfig& config : configs) {
    for (const absl::CivilDay start : starts) {
      const absl::Time from = absl::FromCivil(start, absl::UTCTimeZone());
      for (absl::Duration d; d < absl::Hours(72); d += absl::Minutes(7)) {
        check(config, from + d + absl::Seconds(checked % 59));
      }
    }
  }
  for (const absl::CivilDay start : starts) {
    const absl::Time from = absl::FromCivil(start, absl::UTCTimeZone());
    for (absl::Duration d; d < absl::Hours(72); d += absl::Minutes(13)) {
      for (const StoreConfig& config : configs) check(config, from + d);
    }
  }
  EXPECT_GT(checked, 20000);
}

}  // namespace
}  // namespace availability::core
