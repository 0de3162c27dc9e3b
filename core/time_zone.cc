#include "core/time_zone.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace availability::core {
namespace {

// Longer than any IANA name ("America/Argentina/ComodRivadavia" is 32).
constexpr size_t kMaxZoneNameBytes = 64;

// True when `name` looks like an IANA zone name: components of
// [A-Za-z0-9_+-] joined by '/'. Abseil's loader also takes absolute paths
// ("/dev/stdin"), "file:" prefixes and "../" components, and caches every
// name it was asked for, found or not; the names come from the sync API and
// from Redis, so only zone-shaped names may reach it.
bool IsZoneShaped(absl::string_view name) {
  if (name.size() > kMaxZoneNameBytes) return false;
  if (name.front() == '/' || name.back() == '/') return false;
  char previous = '\0';
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '+' ||
                    c == '-' || c == '/';
    if (!ok || (c == '/' && previous == '/')) return false;
    previous = c;
  }
  return true;
}

}  // namespace

absl::StatusOr<absl::TimeZone> LoadStoreTimeZone(absl::string_view iana_name) {
  if (iana_name.empty()) return absl::UTCTimeZone();
  absl::TimeZone zone;
  if (!IsZoneShaped(iana_name) ||
      !absl::LoadTimeZone(std::string(iana_name), &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone: ", iana_name));
  }
  return zone;
}

}  // namespace availability::core
