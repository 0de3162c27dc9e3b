// Validation of storefront requests, with errors that name the field and the
// rule ("items[3].sku: longer than 64 bytes"), before anything touches Redis.
//
// Pure functions; safe from any thread.
#ifndef AVAILABILITY_SERVER_REQUEST_VALIDATION_H_
#define AVAILABILITY_SERVER_REQUEST_VALIDATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "availability/v1/availability.pb.h"
#include "core/quantity.h"

namespace availability::server {

inline constexpr size_t kMaxBatchItems = 500;
// Alternatives a storefront query may ask for (max_alternatives).
inline constexpr uint32_t kMaxAskedAlternatives = 20;
inline constexpr size_t kMaxSubscriberIdBytes = 256;
// BackInStockSubscription.subscriber_proof, when set: HMAC-SHA256 in hex.
inline constexpr size_t kSubscriberProofHexDigits = 64;

// Where to answer: a stock id, or a sales channel still to be resolved.
struct ValidatedScope {
  int32_t stock_id = 0;       // > 0 when given directly
  std::string sales_channel;  // non-empty when given as a channel
};

struct ValidatedItem {
  std::string sku;
  std::optional<core::Qty> quantity;
};

struct ValidatedQuery {
  ValidatedScope scope;
  std::vector<ValidatedItem> items;
  uint32_t max_alternatives = 0;
};

absl::StatusOr<ValidatedScope> ValidateScope(const v1::Scope& scope,
                                             absl::string_view field);

absl::StatusOr<ValidatedQuery> ValidateGet(
    const v1::GetAvailabilityRequest& request);

absl::StatusOr<ValidatedQuery> ValidateBatch(
    const v1::BatchGetAvailabilityRequest& request);

// A requested quantity: > 0, finite, at most 4 decimals.
absl::StatusOr<core::Qty> ValidateRequestedQuantity(double value,
                                                    absl::string_view field);

absl::StatusOr<ValidatedQuery> ValidateSubscription(
    const v1::BackInStockSubscription& request);

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_REQUEST_VALIDATION_H_
