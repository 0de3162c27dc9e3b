// SHA-1 as Redis names scripts (EVALSHA, SCRIPT LOAD): 40 lowercase hex
// digits. Used only to name scripts, not for security.
//
//   std::string sha = ScriptSha1("return 1");
//
// Plain function; safe from any thread.
#ifndef AVAILABILITY_CACHE_SCRIPT_SHA1_H_
#define AVAILABILITY_CACHE_SCRIPT_SHA1_H_

#include <string>

#include "absl/strings/string_view.h"

namespace availability::cache {

std::string ScriptSha1(absl::string_view data);

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_SCRIPT_SHA1_H_
