#include "server/api_convert.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/record.h"
#include "core/utf8.h"

namespace availability::server {

absl::StatusOr<core::Qty> QtyFromApi(double value, absl::string_view field) {
  if (std::isnan(value)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not a number"));
  }
  if (std::isinf(value)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": infinite"));
  }
  absl::StatusOr<core::Qty> q = core::QtyFromDouble(value);
  if (!q.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", q.status().message()));
  }
  return q;
}

absl::StatusOr<absl::CivilDay> DateFromApi(const v1::Date& date,
                                           absl::string_view field) {
  if (date.year() < 1 || date.year() > 9999 || date.month() < 1 ||
      date.month() > 12 || date.day() < 1 || date.day() > 31) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not a valid date"));
  }
  absl::CivilDay day(date.year(), date.month(), date.day());
  // CivilDay normalizes Feb 30 to Mar 2: a changed day means invalid.
  if (day.year() != date.year() || day.month() != date.month() ||
      day.day() != date.day()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not a valid date"));
  }
  return day;
}

void DateToApi(absl::CivilDay day, v1::Date* out) {
  out->set_year(static_cast<int32_t>(day.year()));
  out->set_month(day.month());
  out->set_day(day.day());
}

absl::Status ValidateSku(absl::string_view sku, absl::string_view field) {
  if (sku.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": empty"));
  }
  if (sku.size() > core::kMaxSkuBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": longer than ", core::kMaxSkuBytes, " bytes"));
  }
  if (!core::IsValidUtf8(sku)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not valid UTF-8"));
  }
  return absl::OkStatus();
}

}  // namespace availability::server
