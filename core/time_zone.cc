#include "core/time_zone.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace availability::core {

absl::StatusOr<absl::TimeZone> LoadStoreTimeZone(absl::string_view iana_name) {
  if (iana_name.empty()) return absl::UTCTimeZone();
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(std::string(iana_name), &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone: ", iana_name));
  }
  return zone;
}

}  // namespace availability::core
