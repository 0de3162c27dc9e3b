#include "base/env_flags.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace availability::base {

std::string EnvVarForFlag(absl::string_view flag_name) {
  return absl::StrCat("AVAILABILITY_", absl::AsciiStrToUpper(flag_name));
}

absl::Status ApplyEnvironmentToFlags(
    const std::vector<std::string>& flag_names) {
  for (const std::string& name : flag_names) {
    const std::string var = EnvVarForFlag(name);
    const char* value = std::getenv(var.c_str());
    if (value == nullptr) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) {
      return absl::InternalError(absl::StrCat("no flag --", name));
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(var, ": ", error));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSecret(const std::string& file,
                                       const char* env_var) {
  std::string secret;
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return absl::NotFoundError(absl::StrCat(file, ": cannot be read"));
    }
    std::ostringstream content;
    content << in.rdbuf();
    secret = content.str();
  } else if (const char* value = std::getenv(env_var); value != nullptr) {
    secret = value;
  }
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) {
    secret.pop_back();
  }
  return secret;
}

}  // namespace availability::base
