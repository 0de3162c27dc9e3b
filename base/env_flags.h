// Environment-variable equivalents of command-line flags, so Helm values map
// straight onto them: flag `--redis_host` is also read from
// `AVAILABILITY_REDIS_HOST`. A flag given on the command line wins.
#ifndef AVAILABILITY_BASE_ENV_FLAGS_H_
#define AVAILABILITY_BASE_ENV_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace availability::base {

// "redis_host" -> "AVAILABILITY_REDIS_HOST".
std::string EnvVarForFlag(absl::string_view flag_name);

// Sets each of `flag_names` from its environment variable when that is set.
// Call before absl::ParseCommandLine so the command line overrides.
// Errors: InvalidArgument naming the variable when a value does not parse.
absl::Status ApplyEnvironmentToFlags(
    const std::vector<std::string>& flag_names);

// Reads a secret from `file` when non-empty, else from environment variable
// `env_var`; "" when neither is set. Trailing newlines are removed.
// Errors: NotFound / PermissionDenied naming the file (never its content).
absl::StatusOr<std::string> ReadSecret(const std::string& file,
                                       const char* env_var);

}  // namespace availability::base

#endif  // AVAILABILITY_BASE_ENV_FLAGS_H_
