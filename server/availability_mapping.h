// Maps core decisions to the storefront API's answer messages.
//
// Pure functions; safe from any thread.
#ifndef AVAILABILITY_SERVER_AVAILABILITY_MAPPING_H_
#define AVAILABILITY_SERVER_AVAILABILITY_MAPPING_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "availability/v1/availability.pb.h"
#include "core/composite.h"
#include "core/decision.h"
#include "core/record.h"

namespace availability::server {

v1::Status StatusToApi(core::Status status);
v1::Relation RelationToApi(core::Relation relation);
v1::Lifecycle LifecycleToApi(core::Lifecycle lifecycle);
v1::CartRule CartRuleToApi(core::CartRule rule);
v1::ProductType ProductTypeToApi(core::ProductType type);

// Fills `out` (empty: new or Clear()ed) from the decision for `record`
// (nullptr: the SKU is unknown on the stock), its product_type included; a
// composite parent's components are ComponentsToApi's. Alternatives are not
// touched.
void DecisionToApi(absl::string_view sku, int32_t stock_id,
                   const core::Record* record, const core::Decision& decision,
                   bool stale, v1::ProductAvailability* out);

// Adds the components of a composite parent's answer (docs/domain.md §10)
// to `out->components`.
void ComponentsToApi(absl::Span<const core::ComponentAnswer> components,
                     v1::ProductAvailability* out);

void CompactToApi(const core::Decision& decision, v1::CompactAvailability* out);

// Makes `out` the answer of a batch item that cannot be answered: every
// field but `sku` cleared, `error` = {code of `error`, its message}. The one
// place an ItemError is filled (broken records, invalid items). `error`
// must not be OK.
void ItemErrorToApi(const absl::Status& error, v1::ProductAvailability* out);

// The status an ItemError stands for (GetAvailability fails with it).
absl::Status ItemErrorFromApi(const v1::ItemError& error);

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_AVAILABILITY_MAPPING_H_
