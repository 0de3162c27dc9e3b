// docs/domain.md §5: when to offer alternatives, and which.
#include <algorithm>
#include <optional>
#include <vector>

#include "core/decision.h"

namespace availability::core {
namespace {

// The subject's first ETA that a backorderable candidate must beat.
// Empty: "never" (any known ETA beats it). Ambiguity decided: for a subject
// that ships today (IN_STOCK), no backorderable candidate is earlier, which
// is expressed as the earliest possible date.
struct SubjectEta {
  bool nothing_is_earlier = false;
  std::optional<absl::CivilDay> date;
};

SubjectEta EtaToBeat(const Decision& subject) {
  SubjectEta eta;
  switch (subject.status) {
    case Status::kInStock:
      eta.nothing_is_earlier = true;
      break;
    case Status::kBackorderable:
    case Status::kPreorder:
      eta.date = subject.first_ship_date;  // empty (undated) = never
      break;
    case Status::kOutOfStock:
    case Status::kDiscontinued:
    case Status::kUnknown:
      break;
  }
  return eta;
}

bool Qualifies(const Decision& candidate, const SubjectEta& eta) {
  if (candidate.status == Status::kInStock) return true;
  if (candidate.status != Status::kBackorderable) return false;
  if (!candidate.first_ship_date.has_value()) return false;
  if (eta.nothing_is_earlier) return false;
  return !eta.date.has_value() || *candidate.first_ship_date < *eta.date;
}

}  // namespace

bool WantsAlternatives(const Decision& decision, const StoreConfig& config,
                       absl::CivilDay today) {
  switch (decision.status) {
    case Status::kOutOfStock:
    case Status::kDiscontinued:
      return true;
    case Status::kBackorderable:
      if (config.alternatives_backorder_days <= 0) return false;
      // Ambiguity decided: an unknown first ETA is "more than N days away".
      if (!decision.first_ship_date.has_value()) return true;
      return *decision.first_ship_date - today >
             config.alternatives_backorder_days;
    case Status::kInStock:
    case Status::kPreorder:
    case Status::kUnknown:
      return false;
  }
  return false;
}

std::vector<PickedAlternative> PickAlternatives(
    absl::string_view subject_sku, const Decision& subject,
    absl::Span<const Candidate> candidates, size_t max) {
  std::vector<PickedAlternative> picked;
  if (max == 0) return picked;
  const SubjectEta eta = EtaToBeat(subject);
  // Every SKU seen in gathering order, kept or not: a duplicate is judged by
  // its first appearance only (its relation is the one that brought it).
  std::vector<absl::string_view> seen;
  seen.reserve(candidates.size());
  std::vector<size_t> in_stock;
  std::vector<size_t> backorderable;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    if (c.sku.empty() || c.sku == subject_sku) continue;
    if (std::find(seen.begin(), seen.end(), c.sku) != seen.end()) continue;
    seen.push_back(c.sku);
    if (!Qualifies(c.decision, eta)) continue;
    (c.decision.status == Status::kInStock ? in_stock : backorderable)
        .push_back(i);
  }
  for (const std::vector<size_t>* group : {&in_stock, &backorderable}) {
    for (size_t i : *group) {
      if (picked.size() == max) return picked;
      picked.push_back(
          PickedAlternative{candidates[i].sku, candidates[i].relation, i});
    }
  }
  return picked;
}

}  // namespace availability::core
