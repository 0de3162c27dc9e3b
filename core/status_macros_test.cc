#include "core/status_macros.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace availability::core {
namespace {

absl::Status Fail(absl::string_view message) {
  return absl::NotFoundError(message);
}
absl::StatusOr<int> Number(bool ok) {
  if (!ok) return absl::UnavailableError("no number");
  return 7;
}
absl::StatusOr<std::unique_ptr<int>> Owned(bool ok) {
  if (!ok) return absl::DeadlineExceededError("late");
  return std::make_unique<int>(5);
}

absl::Status ReturnIfError(bool fail, int* reached) {
  AV_RETURN_IF_ERROR(fail ? Fail("gone") : absl::OkStatus());
  *reached = 1;
  return absl::OkStatus();
}

absl::Status ReturnIfErrorOnStatusOr(bool ok) {
  AV_RETURN_IF_ERROR(Number(ok));
  return absl::OkStatus();
}

absl::StatusOr<int> AssignTwice(bool first_ok, bool second_ok) {
  AV_ASSIGN_OR_RETURN(int a, Number(first_ok));
  AV_ASSIGN_OR_RETURN(std::unique_ptr<int> b, Owned(second_ok));
  return a + *b;
}

absl::Status AssignExisting(bool ok, int* out) {
  int value = 0;
  AV_ASSIGN_OR_RETURN(value, Number(ok));
  *out = value;
  return absl::OkStatus();
}

TEST(StatusMacrosTest, ReturnIfErrorPassesOk) {
  int reached = 0;
  EXPECT_TRUE(ReturnIfError(false, &reached).ok());
  EXPECT_EQ(reached, 1);
}

TEST(StatusMacrosTest, ReturnIfErrorReturnsTheError) {
  int reached = 0;
  absl::Status s = ReturnIfError(true, &reached);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "gone");
  EXPECT_EQ(reached, 0);
}

TEST(StatusMacrosTest, ReturnIfErrorTakesStatusOr) {
  EXPECT_TRUE(ReturnIfErrorOnStatusOr(true).ok());
  EXPECT_EQ(ReturnIfErrorOnStatusOr(false).code(),
            absl::StatusCode::kUnavailable);
}

TEST(StatusMacrosTest, AssignOrReturnAssignsValues) {
  absl::StatusOr<int> r = AssignTwice(true, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 12);
}

TEST(StatusMacrosTest, AssignOrReturnReturnsFirstError) {
  EXPECT_EQ(AssignTwice(false, false).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(AssignTwice(true, false).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(AssignTwice(true, false).status().message(), "late");
}

TEST(StatusMacrosTest, AssignOrReturnIntoExistingVariable) {
  int out = 0;
  EXPECT_TRUE(AssignExisting(true, &out).ok());
  EXPECT_EQ(out, 7);
  out = 0;
  EXPECT_EQ(AssignExisting(false, &out).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(out, 0);
}

}  // namespace
}  // namespace availability::core
