#include "core/time_zone.h"

#include <string>

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

}  // namespace
}  // namespace availability::core
