#include "server/request_validation.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "server/api_convert.h"

namespace availability::server {

absl::StatusOr<ValidatedScope> ValidateScope(const v1::Scope& scope,
                                             absl::string_view field) {
  ValidatedScope out;
  switch (scope.target_case()) {
    case v1::Scope::kSalesChannel:
      if (scope.sales_channel().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".sales_channel: empty"));
      }
      if (scope.sales_channel().size() > 64) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".sales_channel: longer than 64 bytes"));
      }
      out.sales_channel = scope.sales_channel();
      return out;
    case v1::Scope::kStockId:
      if (scope.stock_id() < 1) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".stock_id: must be >= 1"));
      }
      out.stock_id = scope.stock_id();
      return out;
    case v1::Scope::TARGET_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": sales_channel or stock_id required"));
}

absl::StatusOr<core::Qty> ValidateRequestedQuantity(double value,
                                                    absl::string_view field) {
  if (value < 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": negative"));
  }
  AV_ASSIGN_OR_RETURN(core::Qty q, QtyFromApi(value, field));
  if (q <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be greater than 0"));
  }
  return q;
}

namespace {

absl::Status ValidateMaxAlternatives(uint32_t value) {
  if (value > kMaxAskedAlternatives) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_alternatives: more than ", kMaxAskedAlternatives));
  }
  return absl::OkStatus();
}

absl::StatusOr<ValidatedItem> ValidateItem(const std::string& sku,
                                           bool has_quantity, double quantity,
                                           absl::string_view prefix) {
  ValidatedItem item;
  AV_RETURN_IF_ERROR(ValidateSku(sku, absl::StrCat(prefix, "sku")));
  item.sku = sku;
  if (has_quantity) {
    AV_ASSIGN_OR_RETURN(
        item.quantity,
        ValidateRequestedQuantity(quantity, absl::StrCat(prefix, "quantity")));
  }
  return item;
}

}  // namespace

absl::StatusOr<ValidatedQuery> ValidateGet(
    const v1::GetAvailabilityRequest& request) {
  ValidatedQuery query;
  AV_ASSIGN_OR_RETURN(ValidatedItem item,
                      ValidateItem(request.sku(), request.has_quantity(),
                                   request.quantity(), ""));
  AV_ASSIGN_OR_RETURN(query.scope, ValidateScope(request.scope(), "scope"));
  AV_RETURN_IF_ERROR(ValidateMaxAlternatives(request.max_alternatives()));
  query.items.push_back(std::move(item));
  query.max_alternatives = request.max_alternatives();
  return query;
}

absl::StatusOr<ValidatedQuery> ValidateBatch(
    const v1::BatchGetAvailabilityRequest& request) {
  if (request.items().empty()) {
    return absl::InvalidArgumentError("items: empty");
  }
  if (static_cast<size_t>(request.items_size()) > kMaxBatchItems) {
    return absl::InvalidArgumentError(
        absl::StrCat("items: more than ", kMaxBatchItems));
  }
  ValidatedQuery query;
  AV_ASSIGN_OR_RETURN(query.scope, ValidateScope(request.scope(), "scope"));
  AV_RETURN_IF_ERROR(ValidateMaxAlternatives(request.max_alternatives()));
  query.items.reserve(request.items_size());
  for (int i = 0; i < request.items_size(); ++i) {
    const auto& in = request.items(i);
    AV_ASSIGN_OR_RETURN(ValidatedItem item,
                        ValidateItem(in.sku(), in.has_quantity(), in.quantity(),
                                     absl::StrCat("items[", i, "].")));
    query.items.push_back(std::move(item));
  }
  query.max_alternatives = request.max_alternatives();
  return query;
}

absl::StatusOr<ValidatedQuery> ValidateSubscription(
    const v1::BackInStockSubscription& request) {
  ValidatedQuery query;
  AV_ASSIGN_OR_RETURN(ValidatedItem item,
                      ValidateItem(request.sku(), false, 0, ""));
  AV_ASSIGN_OR_RETURN(query.scope, ValidateScope(request.scope(), "scope"));
  if (request.subscriber_id().empty()) {
    return absl::InvalidArgumentError("subscriber_id: empty");
  }
  if (request.subscriber_id().size() > kMaxSubscriberIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "subscriber_id: longer than ", kMaxSubscriberIdBytes, " bytes"));
  }
  const std::string& proof = request.subscriber_proof();
  if (!proof.empty() && (proof.size() != kSubscriberProofHexDigits ||
                         !std::all_of(proof.begin(), proof.end(), [](char c) {
                           return (c >= '0' && c <= '9') ||
                                  (c >= 'a' && c <= 'f');
                         }))) {
    return absl::InvalidArgumentError(
        absl::StrCat("subscriber_proof: must be ", kSubscriberProofHexDigits,
                     " lowercase hex digits (HMAC-SHA256 of subscriber_id)"));
  }
  query.items.push_back(std::move(item));
  return query;
}

}  // namespace availability::server
