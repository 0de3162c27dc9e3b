// Conversions between API messages (availability.v1) and core values, with
// validation that names the field and the rule:
//
//   absl::StatusOr<core::Qty> q = QtyFromApi(request.quantity(), "quantity");
//   // InvalidArgument "quantity: more than 4 decimals"
//
// Pure functions; safe from any thread.
#ifndef AVAILABILITY_SERVER_API_CONVERT_H_
#define AVAILABILITY_SERVER_API_CONVERT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "availability/v1/common.pb.h"
#include "core/quantity.h"

namespace availability::server {

// A decimal quantity. Errors: "<field>: not a number", "<field>: infinite",
// "<field>: more than 4 decimals", "<field>: out of range".
absl::StatusOr<core::Qty> QtyFromApi(double value, absl::string_view field);
inline double QtyToApi(core::Qty q) { return core::QtyToDouble(q); }

// A civil date. Errors: "<field>: not a valid date" (e.g. Feb 30, month 13,
// year outside 1..9999).
absl::StatusOr<absl::CivilDay> DateFromApi(const v1::Date& date,
                                           absl::string_view field);
void DateToApi(absl::CivilDay day, v1::Date* out);

// A SKU: "<field>: empty", "<field>: longer than 64 bytes",
// "<field>: not valid UTF-8".
absl::Status ValidateSku(absl::string_view sku, absl::string_view field);

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_API_CONVERT_H_
