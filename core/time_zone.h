// Loading a store's time zone by its IANA name, from the system's zoneinfo
// (Debian package `tzdata`).
//
//   absl::StatusOr<absl::TimeZone> tz = LoadStoreTimeZone("Europe/Berlin");
//
// Safe from any thread (Abseil caches loaded zones internally).
#ifndef AVAILABILITY_CORE_TIME_ZONE_H_
#define AVAILABILITY_CORE_TIME_ZONE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace availability::core {

// The zone named `iana_name` ("Pacific/Auckland"); empty means UTC.
// InvalidArgument "unknown time zone: <name>" when the name is not in the
// zoneinfo database (or tzdata is not installed).
absl::StatusOr<absl::TimeZone> LoadStoreTimeZone(absl::string_view iana_name);

}  // namespace availability::core

#endif  // AVAILABILITY_CORE_TIME_ZONE_H_
