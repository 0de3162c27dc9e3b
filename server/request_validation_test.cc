#include "server/request_validation.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace availability::server {
namespace {

using ::testing::HasSubstr;

v1::GetAvailabilityRequest Valid() {
  v1::GetAvailabilityRequest request;
  request.set_sku("24-MB01");
  request.mutable_scope()->set_sales_channel("base");
  return request;
}

struct Case {
  const char* name;
  std::function<void(v1::GetAvailabilityRequest&)> mutate;
  const char* message;  // "" = valid
};

TEST(ValidateGetTest, Table) {
  const std::vector<Case> cases = {
      {"valid", [](auto&) {}, ""},
      {"valid stock id", [](auto& r) { r.mutable_scope()->set_stock_id(3); },
       ""},
      {"valid decimal qty", [](auto& r) { r.set_quantity(2.5); }, ""},
      {"valid 4 decimals", [](auto& r) { r.set_quantity(0.0001); }, ""},
      {"valid 64 bytes", [](auto& r) { r.set_sku(std::string(64, 'a')); }, ""},
      {"valid utf8", [](auto& r) { r.set_sku("Kaffeebecher-\xc3\xa4"); }, ""},
      {"valid 20 alternatives", [](auto& r) { r.set_max_alternatives(20); },
       ""},
      {"empty sku", [](auto& r) { r.set_sku(""); }, "sku: empty"},
      {"65 bytes", [](auto& r) { r.set_sku(std::string(65, 'a')); },
       "sku: longer than 64 bytes"},
      {"lone continuation", [](auto& r) { r.set_sku("a\x80"); },
       "sku: not valid UTF-8"},
      {"overlong", [](auto& r) { r.set_sku("\xc0\xaf"); },
       "sku: not valid UTF-8"},
      {"surrogate", [](auto& r) { r.set_sku("\xed\xa0\x80"); },
       "sku: not valid UTF-8"},
      {"truncated", [](auto& r) { r.set_sku("\xe2\x82"); },
       "sku: not valid UTF-8"},
      {"no scope", [](auto& r) { r.clear_scope(); },
       "scope: sales_channel or stock_id required"},
      {"empty channel",
       [](auto& r) { r.mutable_scope()->set_sales_channel(""); },
       "scope.sales_channel: empty"},
      {"stock 0", [](auto& r) { r.mutable_scope()->set_stock_id(0); },
       "scope.stock_id: must be >= 1"},
      {"negative qty", [](auto& r) { r.set_quantity(-2); },
       "quantity: negative"},
      {"zero qty", [](auto& r) { r.set_quantity(0); },
       "quantity: must be greater than 0"},
      {"nan qty", [](auto& r) { r.set_quantity(std::nan("")); },
       "quantity: not a number"},
      {"inf qty",
       [](auto& r) { r.set_quantity(std::numeric_limits<double>::infinity()); },
       "quantity: infinite"},
      {"5 decimals", [](auto& r) { r.set_quantity(1.23456); },
       "quantity: more than 4 decimals"},
      {"too big", [](auto& r) { r.set_quantity(1e12); }, "quantity: "},
      {"21 alternatives", [](auto& r) { r.set_max_alternatives(21); },
       "max_alternatives: more than 20"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::GetAvailabilityRequest request = Valid();
    c.mutate(request);
    absl::StatusOr<ValidatedQuery> query = ValidateGet(request);
    if (std::string(c.message).empty()) {
      EXPECT_TRUE(query.ok()) << query.status();
      continue;
    }
    ASSERT_FALSE(query.ok());
    EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(query.status().message()), HasSubstr(c.message));
  }
}

TEST(ValidateGetTest, KeepsWhatWasAsked) {
  v1::GetAvailabilityRequest request = Valid();
  request.set_quantity(2.5);
  request.set_max_alternatives(4);
  absl::StatusOr<ValidatedQuery> query = ValidateGet(request);
  ASSERT_TRUE(query.ok());
  ASSERT_EQ(query->items.size(), 1u);
  EXPECT_EQ(query->items[0].sku, "24-MB01");
  EXPECT_EQ(query->items[0].quantity, core::Qty{25000});
  EXPECT_EQ(query->scope.sales_channel, "base");
  EXPECT_EQ(query->max_alternatives, 4u);
}

TEST(ValidateBatchTest, BoundsAndItemPaths) {
  v1::BatchGetAvailabilityRequest request;
  request.mutable_scope()->set_stock_id(1);
  EXPECT_THAT(std::string(ValidateBatch(request).status().message()),
              HasSubstr("items: empty"));
  for (int i = 0; i < 500; ++i) request.add_items()->set_sku("A");
  EXPECT_TRUE(ValidateBatch(request).ok());
  request.add_items()->set_sku("A");
  EXPECT_THAT(std::string(ValidateBatch(request).status().message()),
              HasSubstr("items: more than 500"));
  request.mutable_items()->DeleteSubrange(3, 498);
  request.mutable_items(2)->set_quantity(-1);
  EXPECT_THAT(std::string(ValidateBatch(request).status().message()),
              HasSubstr("items[2].quantity: negative"));
}

TEST(ValidateSubscriptionTest, SubscriberId) {
  v1::BackInStockSubscription request;
  request.set_sku("A");
  request.mutable_scope()->set_stock_id(1);
  EXPECT_THAT(std::string(ValidateSubscription(request).status().message()),
              HasSubstr("subscriber_id: empty"));
  request.set_subscriber_id(std::string(257, 's'));
  EXPECT_THAT(std::string(ValidateSubscription(request).status().message()),
              HasSubstr("subscriber_id: longer than 256 bytes"));
  request.set_subscriber_id("customer-42");
  EXPECT_TRUE(ValidateSubscription(request).ok());
}

TEST(ValidateSubscriptionTest, SubscriberProofIs64LowercaseHexDigitsWhenSet) {
  v1::BackInStockSubscription request;
  request.set_sku("A");
  request.mutable_scope()->set_stock_id(1);
  request.set_subscriber_id("customer-42");
  for (const std::string& bad :
       {std::string(63, 'a'), std::string(65, 'a'), std::string(64, 'A'),
        std::string(63, 'a') + "g"}) {
    request.set_subscriber_proof(bad);
    absl::Status s = ValidateSubscription(request).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.message()),
                HasSubstr("subscriber_proof: must be 64 lowercase hex digits"));
  }
  request.set_subscriber_proof(std::string(32, 'f') + std::string(32, '0'));
  EXPECT_TRUE(ValidateSubscription(request).ok());
  request.set_subscriber_proof("");  // anonymous: the service decides
  EXPECT_TRUE(ValidateSubscription(request).ok());
}

}  // namespace
}  // namespace availability::server
