#include "server/subscriber_proof.h"

#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace availability::server {
namespace {

using ::testing::HasSubstr;

SubscriberAuth Auth(std::string secret, bool allow_anonymous = false) {
  SubscriberAuth::Options options;
  options.secret = std::move(secret);
  options.allow_anonymous = allow_anonymous;
  return SubscriberAuth(options);
}

// RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
TEST(SubscriberProofTest, IsHmacSha256InLowercaseHex) {
  EXPECT_EQ(SubscriberProof("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SubscriberAuthTest, RightProofPasses) {
  const SubscriberAuth auth = Auth("s3cret");
  EXPECT_TRUE(
      auth.Check("customer-42", SubscriberProof("s3cret", "customer-42")).ok());
}

TEST(SubscriberAuthTest, WrongProofIsPermissionDenied) {
  const SubscriberAuth auth = Auth("s3cret");
  absl::Status s =
      auth.Check("customer-42", SubscriberProof("other", "customer-42"));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("subscriber_proof"));
  EXPECT_THAT(s.message(), ::testing::Not(HasSubstr("s3cret")));
  // Another subscriber's proof does not do either.
  EXPECT_EQ(auth.Check("customer-43", SubscriberProof("s3cret", "customer-42"))
                .code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(SubscriberAuthTest, MissingProofIsUnauthenticatedUnlessAnonymousAllowed) {
  EXPECT_EQ(Auth("s3cret").Check("c", "").code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Auth("").Check("c", "").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(Auth("s3cret", true).Check("c", "").ok());
  // A proof is still checked when anonymous ones are allowed.
  EXPECT_EQ(Auth("s3cret", true).Check("c", std::string(64, '0')).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(SubscriberAuthTest, ProofWithoutSecretIsFailedPrecondition) {
  EXPECT_EQ(Auth("", true).Check("c", SubscriberProof("x", "c")).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace availability::server
