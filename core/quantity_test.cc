#include "core/quantity.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace availability::core {
namespace {

struct ValidCase {
  std::string name;
  double value;
  Qty expected;
};

class QtyFromDoubleValidTest : public testing::TestWithParam<ValidCase> {};

TEST_P(QtyFromDoubleValidTest, ConvertsExactly) {
  absl::StatusOr<Qty> q = QtyFromDouble(GetParam().value);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(*q, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, QtyFromDoubleValidTest,
    testing::Values(ValidCase{"Zero", 0.0, 0}, ValidCase{"OneTenth", 0.1, 1000},
                    ValidCase{"TwoAndAHalf", 2.5, 25000},
                    ValidCase{"OneTenThousandth", 1e-4, 1},
                    ValidCase{"FourDecimals", 1.2345, 12345},
                    ValidCase{"ThreeUnits", 3.0, QtyFromUnits(3)},
                    ValidCase{"Negative", -2.5, -25000},
                    ValidCase{"PointThreeNoise", 0.1 + 0.2, 3000},
                    ValidCase{"LargestDecimal12_4", 99999999.9999, kMaxQty},
                    ValidCase{"NegativeLargest", -99999999.9999, -kMaxQty}),
    [](const testing::TestParamInfo<ValidCase>& row) {
      return row.param.name;
    });

struct InvalidCase {
  std::string name;
  double value;
  std::string message;
};

class QtyFromDoubleInvalidTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(QtyFromDoubleInvalidTest, IsRejectedWithClearMessage) {
  absl::StatusOr<Qty> q = QtyFromDouble(GetParam().value);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(q.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, QtyFromDoubleInvalidTest,
    testing::Values(
        InvalidCase{"FiveDecimals", 1e-5, "more than 4 decimals"},
        InvalidCase{"FiveDecimalsOnUnits", 2.00001, "more than 4 decimals"},
        InvalidCase{"NaN", std::nan(""), "not a number"},
        InvalidCase{"PositiveInfinity", std::numeric_limits<double>::infinity(),
                    "infinite"},
        InvalidCase{"NegativeInfinity",
                    -std::numeric_limits<double>::infinity(), "infinite"},
        InvalidCase{"OneBillion", 1e9,
                    "out of range: the magnitude must be below 100000000"},
        InvalidCase{"HundredMillion", 1e8,
                    "out of range: the magnitude must be below 100000000"},
        // Below 1e8, but rounded to 4 decimals it is 1e8 (found by
        // request_validation_fuzz: the answer's quantity past kMaxQty).
        InvalidCase{"RoundsToHundredMillion", std::nextafter(1e8, 0.0),
                    "out of range: the magnitude must be below 100000000"},
        InvalidCase{"RoundsToMinusHundredMillion", std::nextafter(-1e8, 0.0),
                    "out of range: the magnitude must be below 100000000"},
        // Out of range is said before a fifth decimal.
        InvalidCase{"FiveDecimalsBeyondRange", 123456789.12345,
                    "out of range: the magnitude must be below 100000000"},
        InvalidCase{"MinusOneBillion", -1e9,
                    "out of range: the magnitude must be below 100000000"}),
    [](const testing::TestParamInfo<InvalidCase>& row) {
      return row.param.name;
    });

TEST(QtyTest, UnitsAndDoubles) {
  EXPECT_EQ(QtyFromUnits(3), 30000);
  EXPECT_DOUBLE_EQ(QtyToDouble(25000), 2.5);
  EXPECT_TRUE(IsWholeQty(QtyFromUnits(7)));
  EXPECT_FALSE(IsWholeQty(25000));
}

}  // namespace
}  // namespace availability::core
