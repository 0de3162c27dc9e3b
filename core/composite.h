// The availability of a composite product (docs/domain.md §10): Magento's
// configurable, bundle and grouped parents, derived from their components'
// own records on the same stock.
//
//   std::vector<std::string> need = core::ComponentSkus(parent);
//   ... fetch those records (a missing one is "not found") ...
//   core::CompositeDecision d =
//       core::DecideComposite(parent, config, found, today, std::nullopt);
//   d.decision.display_status;  // the parent's badge
//   d.components;               // per variant / per bundle option
//
// Pure functions of their arguments; safe from any thread.
#ifndef AVAILABILITY_CORE_COMPOSITE_H_
#define AVAILABILITY_CORE_COMPOSITE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "core/decision.h"
#include "core/quantity.h"
#include "core/record.h"

namespace availability::core {

// True for kConfigurable, kBundle and kGrouped.
bool IsComposite(const Record& record);

// The SKUs whose records `record`'s answer is derived from: the variants /
// associated products, or every bundle selection, each once, in the order
// they first appear. Empty for a simple product.
std::vector<std::string> ComponentSkus(const Record& record);

// The answer for one component, as the parent's answer lists it.
struct ComponentAnswer {
  std::string sku;
  // Bundles: the index of the option in parent.bundle_options this
  // selection serves (its best selection); -1 for configurable / grouped.
  int option_index = -1;
  // Bundles: whether that option is required.
  bool required = true;
  // False when the component's record was not found on the stock (its
  // decision is then DecideUnknown's).
  bool found = false;
  // The component's own decision: configurable / grouped for the requested
  // quantity (or its display quantity); bundles for q × the selection's qty.
  // Its display_status is the component's badge (the swatch).
  Decision decision;
};

struct CompositeDecision {
  // The parent's answer. No only_x_left, no derived quantities.
  Decision decision;
  // Configurable / grouped: every component in ComponentSkus order. Bundle:
  // one per option that has a selection, in option order.
  std::vector<ComponentAnswer> components;
};

// Finds a component's record by SKU; nullptr when it is not on the stock.
using ComponentFinder = absl::FunctionRef<const Record*(absl::string_view)>;

// The decision for a composite `parent` (docs/domain.md §10), its
// components looked up through `find`. `requested` empty: the display
// answer; else q parents (> 0, validated by the caller). Configurable and
// grouped: the best component; bundle: the worst required option, each
// option served by its best selection for q × its qty. A parent with
// is_in_stock = false is OUT_OF_STOCK. For a simple `parent` it is
// Decide()'s answer with no components.
CompositeDecision DecideComposite(const Record& parent,
                                  const StoreConfig& config,
                                  ComponentFinder find, absl::CivilDay today,
                                  std::optional<Qty> requested);

// The same, the components given as the records found (any order; a SKU
// of ComponentSkus(parent) that has none here is not found).
CompositeDecision DecideComposite(const Record& parent,
                                  const StoreConfig& config,
                                  absl::Span<const Record> components,
                                  absl::CivilDay today,
                                  std::optional<Qty> requested);

}  // namespace availability::core

#endif  // AVAILABILITY_CORE_COMPOSITE_H_
