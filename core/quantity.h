// Quantities as Magento stores them: decimal(12,4), held exactly as an
// integer count of ten-thousandths of a unit.
//
//   Qty q = QtyFromUnits(3);          // 3 units = 30000
//   absl::StatusOr<Qty> r = QtyFromDouble(2.5);  // 25000
//   double d = QtyToDouble(q);        // 3.0
//
// Plain value functions; safe from any thread.
#ifndef AVAILABILITY_CORE_QUANTITY_H_
#define AVAILABILITY_CORE_QUANTITY_H_

#include <cstdint>
#include <limits>

#include "absl/status/statusor.h"

namespace availability::core {

// Ten-thousandths of a unit.
using Qty = int64_t;

inline constexpr Qty kQtyScale = 10000;
// Magento's decimal(12,4) holds |x| < 10^8.
inline constexpr Qty kMaxQty = int64_t{100000000} * kQtyScale - 1;
// Stands for "no limit" (e.g. backorder capacity with min_qty >= 0).
inline constexpr Qty kUnlimitedQty = std::numeric_limits<Qty>::max() / 4;

constexpr Qty QtyFromUnits(int64_t units) { return units * kQtyScale; }
inline double QtyToDouble(Qty q) { return static_cast<double>(q) / kQtyScale; }

// Converts a double to a Qty, exactly for values with up to 4 decimals
// (0.1 -> 1000; binary noise such as 0.1 + 0.2 is rounded away). Errors are
// InvalidArgument with a message naming no field, for the caller to prefix:
// "not a number", "infinite", "out of range: the magnitude must be below
// 100000000" (decimal(12,4)), "more than 4 decimals".
absl::StatusOr<Qty> QtyFromDouble(double value);

// True when q has no fractional part.
constexpr bool IsWholeQty(Qty q) { return q % kQtyScale == 0; }

}  // namespace availability::core

#endif  // AVAILABILITY_CORE_QUANTITY_H_
