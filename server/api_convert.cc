#include "server/api_convert.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/record.h"

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
    return absl::InvalidArgumentError(absl::StrCat(field, ": not a valid date"));
  }
  absl::CivilDay day(date.year(), date.month(), date.day());
  // CivilDay normalizes Feb 30 to Mar 2: a changed day means invalid.
  if (day.year() != date.year() || day.month() != date.month() ||
      day.day() != date.day()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not a valid date"));
  }
  return day;
}

void DateToApi(absl::CivilDay day, v1::Date* out) {
  out->set_year(static_cast<int32_t>(day.year()));
  out->set_month(day.month());
  out->set_day(day.day());
}

namespace {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

absl::Status ValidateSku(absl::string_view sku, absl::string_view field) {
  if (sku.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": empty"));
  }
  if (sku.size() > core::kMaxSkuBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": longer than ", core::kMaxSkuBytes, " bytes"));
  }
  if (!IsValidUtf8(sku)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not valid UTF-8"));
  }
  return absl::OkStatus();
}

}  // namespace availability::server
