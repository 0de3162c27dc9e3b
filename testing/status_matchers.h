// gMock matchers for absl::Status and absl::StatusOr<T> (Debian's Abseil
// ships none), and an assertion macro that unwraps a StatusOr.
//
//   EXPECT_THAT(DoIt(), IsOk());
//   EXPECT_THAT(Parse("x"), StatusIs(absl::StatusCode::kDataLoss));
//   EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable,
//                           HasSubstr("not connected")));
//   EXPECT_THAT(Parse("1"), IsOkAndHolds(1));
//   AV_ASSERT_OK_AND_ASSIGN(auto value, Parse("1"));
//
// Header only; for tests.
#ifndef AVAILABILITY_TESTING_STATUS_MATCHERS_H_
#define AVAILABILITY_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace availability::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

class IsOkMatcher {
 public:
  using is_gtest_matcher = void;

  template <typename T>
  bool MatchAndExplain(const T& value,
                       ::testing::MatchResultListener* listener) const {
    const absl::Status& status = GetStatus(value);
    if (!status.ok()) *listener << "which is " << status;
    return status.ok();
  }
  void DescribeTo(std::ostream* os) const { *os << "is OK"; }
  void DescribeNegationTo(std::ostream* os) const { *os << "is not OK"; }
};

class StatusIsMatcher {
 public:
  using is_gtest_matcher = void;

  StatusIsMatcher(absl::StatusCode code,
                  ::testing::Matcher<const std::string&> message)
      : code_(code), message_(std::move(message)) {}

  template <typename T>
  bool MatchAndExplain(const T& value,
                       ::testing::MatchResultListener* listener) const {
    const absl::Status& status = GetStatus(value);
    if (status.code() != code_) {
      *listener << "whose code is " << absl::StatusCodeToString(status.code())
                << " (" << status << ")";
      return false;
    }
    const std::string message(status.message());
    ::testing::StringMatchResultListener inner;
    if (!message_.MatchAndExplain(message, &inner)) {
      *listener << "whose message \"" << message << "\" does not match";
      if (!inner.str().empty()) *listener << ", " << inner.str();
      return false;
    }
    return true;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "has code " << absl::StatusCodeToString(code_)
        << " and a message that ";
    message_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not have code " << absl::StatusCodeToString(code_)
        << " or has a message that ";
    message_.DescribeNegationTo(os);
  }

 private:
  absl::StatusCode code_;
  ::testing::Matcher<const std::string&> message_;
};

template <typename InnerMatcher>
class IsOkAndHoldsMatcher {
 public:
  using is_gtest_matcher = void;

  explicit IsOkAndHoldsMatcher(InnerMatcher inner) : inner_(std::move(inner)) {}

  template <typename T>
  bool MatchAndExplain(const absl::StatusOr<T>& value,
                       ::testing::MatchResultListener* listener) const {
    if (!value.ok()) {
      *listener << "which is " << value.status();
      return false;
    }
    return ::testing::MatcherCast<const T&>(inner_).MatchAndExplain(*value,
                                                                    listener);
  }
  void DescribeTo(std::ostream* os) const {
    *os << "is OK and holds a matching value";
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "is not OK or holds a value that does not match";
  }

 private:
  InnerMatcher inner_;
};

}  // namespace internal

// Matches an OK absl::StatusOr<T> whose value matches `inner` (a value or a
// matcher).
template <typename InnerMatcher>
internal::IsOkAndHoldsMatcher<std::decay_t<InnerMatcher>> IsOkAndHolds(
    InnerMatcher&& inner) {
  return internal::IsOkAndHoldsMatcher<std::decay_t<InnerMatcher>>(
      std::forward<InnerMatcher>(inner));
}

// Matches an OK absl::Status or absl::StatusOr<T>.
inline internal::IsOkMatcher IsOk() { return {}; }

// Matches a status (or StatusOr's status) with `code` and, optionally, a
// message matching `message` (a string or a matcher such as HasSubstr).
inline internal::StatusIsMatcher StatusIs(absl::StatusCode code) {
  return {code, ::testing::_};
}
template <typename MessageMatcher>
internal::StatusIsMatcher StatusIs(absl::StatusCode code,
                                   MessageMatcher&& message) {
  return {code, ::testing::MatcherCast<const std::string&>(
                    std::forward<MessageMatcher>(message))};
}

}  // namespace availability::testing

#define AV_STATUS_MATCHERS_CONCAT_INNER(a, b) a##b
#define AV_STATUS_MATCHERS_CONCAT(a, b) AV_STATUS_MATCHERS_CONCAT_INNER(a, b)

// Asserts that `expr` (an absl::StatusOr) is OK and moves its value into
// `lhs` (a declaration such as `auto x` or an existing variable).
#define AV_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  AV_ASSERT_OK_AND_ASSIGN_IMPL(            \
      AV_STATUS_MATCHERS_CONCAT(av_status_or_, __LINE__), lhs, expr)
#define AV_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  ASSERT_TRUE(tmp.ok()) << tmp.status();             \
  lhs = std::move(*tmp)

#endif  // AVAILABILITY_TESTING_STATUS_MATCHERS_H_
