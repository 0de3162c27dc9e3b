#include "core/quantity.h"

#include <cmath>

#include "absl/status/status.h"

namespace availability::core {

absl::StatusOr<Qty> QtyFromDouble(double value) {
  if (std::isnan(value)) {
    return absl::InvalidArgumentError("not a number");
  }
  if (std::isinf(value)) {
    return absl::InvalidArgumentError("infinite");
  }
  const double scaled = value * static_cast<double>(kQtyScale);
  const double rounded = std::round(scaled);
  // decimal(12,4): 8 integer digits. Checked on the value rounded to 4
  // decimals: 99999999.99999997 rounds to 1e8, one past the largest.
  if (std::fabs(rounded) > static_cast<double>(kMaxQty)) {
    return absl::InvalidArgumentError(
        "out of range: the magnitude must be below 100000000");
  }
  // A double carries ~16 significant digits; |scaled| < 1e12 leaves at least
  // 1e-4 ten-thousandths of headroom, so anything further from an integer
  // than that is a real fifth decimal, not binary representation noise.
  const double tolerance = 1e-6 + std::fabs(scaled) * 1e-15;
  if (std::fabs(scaled - rounded) > tolerance) {
    return absl::InvalidArgumentError("more than 4 decimals");
  }
  return static_cast<Qty>(rounded);
}

}  // namespace availability::core
