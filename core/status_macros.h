// Early-return macros for absl::Status / absl::StatusOr, which Debian's
// Abseil (20220623) does not ship. Used by every folder of the project.
//
//   absl::Status Store(const Record& r) {
//     AV_RETURN_IF_ERROR(Validate(r));
//     AV_ASSIGN_OR_RETURN(std::string bytes, Encode(r));
//     AV_ASSIGN_OR_RETURN(size_t n, Write(bytes));  // StatusOr<size_t>
//     ...
//   }
//
// AV_RETURN_IF_ERROR(expr): `expr` is an absl::Status or absl::StatusOr<T>;
// when it is not OK, the enclosing function returns its status.
// AV_ASSIGN_OR_RETURN(lhs, expr): `expr` is an absl::StatusOr<T>; when OK its
// value is moved into `lhs` (a declaration or an existing variable), else the
// enclosing function returns its status. `lhs` must not contain an unbracketed
// comma; the macro expands to several statements, so do not use it as the
// body of an unbraced `if`.
//
// The enclosing function returns absl::Status or absl::StatusOr<U>.
#ifndef AVAILABILITY_CORE_STATUS_MACROS_H_
#define AVAILABILITY_CORE_STATUS_MACROS_H_

#include <utility>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace availability::core::status_macros_internal {

inline const absl::Status& AsStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace availability::core::status_macros_internal

#define AV_RETURN_IF_ERROR(expr)                                     \
  do {                                                               \
    const auto& av_status_macros_result_ = (expr);                   \
    if (ABSL_PREDICT_FALSE(!av_status_macros_result_.ok())) {        \
      return ::availability::core::status_macros_internal::AsStatus( \
          av_status_macros_result_);                                 \
    }                                                                \
  } while (false)

#define AV_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define AV_STATUS_MACROS_CONCAT_(a, b) AV_STATUS_MACROS_CONCAT_INNER_(a, b)

#define AV_ASSIGN_OR_RETURN(lhs, expr)                                         \
  AV_ASSIGN_OR_RETURN_IMPL_(AV_STATUS_MACROS_CONCAT_(av_status_or_, __LINE__), \
                            lhs, expr)

#define AV_ASSIGN_OR_RETURN_IMPL_(status_or, lhs, expr) \
  auto status_or = (expr);                              \
  if (ABSL_PREDICT_FALSE(!status_or.ok())) {            \
    return std::move(status_or).status();               \
  }                                                     \
  lhs = std::move(status_or).value()

#endif  // AVAILABILITY_CORE_STATUS_MACROS_H_
