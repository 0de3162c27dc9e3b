// UTF-8 well-formedness, the rule every SKU (and every string the API
// carries) must meet: no overlong forms, no surrogates, nothing above
// U+10FFFF, no truncated sequence.
//
//   if (!IsValidUtf8(sku)) return Invalid("sku", "not valid UTF-8");
//
// Plain functions; safe from any thread.
#ifndef AVAILABILITY_CORE_UTF8_H_
#define AVAILABILITY_CORE_UTF8_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace availability::core {

// True when `s` is well-formed UTF-8.
bool IsValidUtf8(absl::string_view s);

// The length in bytes of the well-formed UTF-8 character at the start of
// `s`, 0 when `s` is empty or does not start with one.
size_t Utf8CharLength(absl::string_view s);

}  // namespace availability::core

#endif  // AVAILABILITY_CORE_UTF8_H_
