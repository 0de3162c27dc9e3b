#include "sync/magento/record_builder.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace availability::sync::magento {
namespace {

constexpr char kManageStock[] = "cataloginventory/item_options/manage_stock";
constexpr char kBackorders[] = "cataloginventory/item_options/backorders";
constexpr char kMinQty[] = "cataloginventory/item_options/min_qty";
constexpr char kMinSaleQty[] = "cataloginventory/item_options/min_sale_qty";
constexpr char kMaxSaleQty[] = "cataloginventory/item_options/max_sale_qty";
constexpr char kNotifyStockQty[] =
    "cataloginventory/item_options/notify_stock_qty";
constexpr char kEnableQtyIncrements[] =
    "cataloginventory/item_options/enable_qty_increments";
constexpr char kQtyIncrements[] = "cataloginventory/item_options/qty_increments";
constexpr char kStockThresholdQty[] =
    "cataloginventory/options/stock_threshold_qty";

// Magento's GroupManagement::CUST_GROUP_ALL.
constexpr absl::string_view kAllCustomerGroups = "32000";

struct StockTotals {
  core::Qty source_qty = 0;
  bool in_stock = false;
};

// The quantity after `"32000"` (JSON) or `i:32000;` (PHP serialize) in a
// per-customer-group min_sale_qty value.
std::optional<core::Qty> AllGroupsMinSaleQty(absl::string_view value) {
  size_t at = value.find(absl::StrCat("\"", kAllCustomerGroups, "\""));
  size_t skip = kAllCustomerGroups.size() + 2;
  if (at == absl::string_view::npos) {
    at = value.find(absl::StrCat("i:", kAllCustomerGroups, ";"));
    skip = kAllCustomerGroups.size() + 3;
  }
  if (at == absl::string_view::npos) return std::nullopt;
  absl::string_view rest = value.substr(at + skip);
  // JSON: :"2" or :2 ; PHP: s:1:"2"; or i:2; or d:2.5;
  rest = absl::StripLeadingAsciiWhitespace(rest);
  if (absl::ConsumePrefix(&rest, ":")) {
    rest = absl::StripLeadingAsciiWhitespace(rest);
  } else if (absl::ConsumePrefix(&rest, "s:")) {
    const size_t colon = rest.find(':');
    if (colon == absl::string_view::npos) return std::nullopt;
    rest.remove_prefix(colon + 1);
  } else if (!absl::ConsumePrefix(&rest, "i:") &&
             !absl::ConsumePrefix(&rest, "d:")) {
    return std::nullopt;
  }
  absl::ConsumePrefix(&rest, "\"");
  const size_t end = rest.find_first_not_of("0123456789.-");
  absl::StatusOr<core::Qty> qty = ParseDecimalQty(rest.substr(0, end));
  if (!qty.ok()) return std::nullopt;
  return *qty;
}

std::optional<core::Qty> ConfigQty(
    const std::map<std::string, std::string>& values, const char* path) {
  auto it = values.find(path);
  if (it == values.end()) return std::nullopt;
  absl::StatusOr<core::Qty> qty =
      ParseDecimalQty(absl::StripAsciiWhitespace(it->second));
  if (!qty.ok()) return std::nullopt;
  return *qty;
}

std::optional<int64_t> ConfigInt(
    const std::map<std::string, std::string>& values, const char* path) {
  auto it = values.find(path);
  int64_t value = 0;
  if (it == values.end() ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(it->second), &value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

absl::StatusOr<core::Qty> ParseDecimalQty(absl::string_view text) {
  absl::string_view rest = text;
  const bool negative = absl::ConsumePrefix(&rest, "-");
  if (!negative) absl::ConsumePrefix(&rest, "+");
  const size_t dot = rest.find('.');
  absl::string_view whole = rest.substr(0, dot);
  absl::string_view fraction =
      dot == absl::string_view::npos ? absl::string_view() : rest.substr(dot + 1);
  // Magento's decimals always carry 4 places; trailing zeros beyond that are
  // harmless.
  while (fraction.size() > 4 && fraction.back() == '0') {
    fraction.remove_suffix(1);
  }
  if ((whole.empty() && fraction.empty()) || whole.size() > 8 ||
      fraction.size() > 4 ||
      whole.find_first_not_of("0123456789") != absl::string_view::npos ||
      fraction.find_first_not_of("0123456789") != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a decimal(12,4): \"", text, "\""));
  }
  int64_t units = 0;
  for (char c : whole) units = units * 10 + (c - '0');
  int64_t frac = 0;
  for (size_t i = 0; i < 4; ++i) {
    frac = frac * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  const core::Qty qty = units * core::kQtyScale + frac;
  return negative ? -qty : qty;
}

core::Backorders BackordersFromInt(int64_t value) {
  switch (value) {
    case 1:
      return core::Backorders::kYes;
    case 2:
      return core::Backorders::kYesNotify;
    default:
      return core::Backorders::kNo;
  }
}

std::vector<core::Record> BuildRecords(const CatalogChunk& chunk,
                                       int64_t version,
                                       absl::Time source_time) {
  // entity -> stock -> totals / reservations; ordered stocks for a stable
  // output.
  absl::flat_hash_map<int64_t, std::map<int32_t, StockTotals>> totals;
  for (const SourceItemRow& item : chunk.source_items) {
    StockTotals& t = totals[item.entity_id][item.stock_id];
    if (item.in_stock && item.source_enabled) {
      t.source_qty += item.quantity;
      t.in_stock = true;
    }
  }
  absl::flat_hash_map<std::pair<int64_t, int32_t>, core::Qty> reserved;
  for (const ReservationSum& r : chunk.reservations) {
    reserved[{r.entity_id, r.stock_id}] += r.quantity;
  }

  std::vector<core::Record> records;
  for (const ProductData& product : chunk.products) {
    auto stocks = totals.find(product.entity_id);
    if (stocks == totals.end() || product.sku.empty() ||
        product.sku.size() > core::kMaxSkuBytes) {
      continue;
    }
    std::vector<core::AlternativeLink> alternatives;
    absl::flat_hash_set<std::string> seen = {product.sku};
    for (const core::AlternativeLink& link : product.alternatives) {
      if (seen.insert(link.sku).second) alternatives.push_back(link);
    }
    std::vector<int64_t> categories = product.category_ids;
    std::sort(categories.begin(), categories.end());
    categories.erase(std::unique(categories.begin(), categories.end()),
                     categories.end());

    for (const auto& [stock_id, t] : stocks->second) {
      core::Record r;
      r.sku = product.sku;
      r.stock_id = stock_id;
      r.version = version;
      r.source_time = source_time;
      r.manage_stock = product.manage_stock;
      r.is_in_stock = t.in_stock;
      r.source_qty = t.source_qty;
      auto res = reserved.find({product.entity_id, stock_id});
      r.reserved_qty = res == reserved.end() ? 0 : res->second;
      r.min_qty = product.min_qty;
      r.backorders = product.backorders;
      r.min_sale_qty = product.min_sale_qty;
      r.max_sale_qty = product.max_sale_qty;
      r.enable_qty_increments = product.enable_qty_increments;
      r.qty_increments = product.qty_increments;
      r.is_qty_decimal = product.is_qty_decimal;
      r.notify_stock_qty = product.notify_stock_qty;
      r.alternatives = alternatives;
      r.category_ids = categories;
      records.push_back(std::move(r));
    }
  }
  return records;
}

const std::vector<std::string>& InventoryConfigPaths() {
  static const auto* paths = new std::vector<std::string>{
      kManageStock,    kBackorders,          kMinQty,
      kMinSaleQty,     kMaxSaleQty,          kNotifyStockQty,
      kEnableQtyIncrements, kQtyIncrements,  kStockThresholdQty};
  return *paths;
}

void ApplyInventoryConfig(const std::map<std::string, std::string>& values,
                          core::StoreConfig* config) {
  const core::StoreConfig defaults;
  config->manage_stock =
      ConfigInt(values, kManageStock).value_or(defaults.manage_stock ? 1 : 0) !=
      0;
  config->backorders = BackordersFromInt(
      ConfigInt(values, kBackorders)
          .value_or(static_cast<int64_t>(defaults.backorders)));
  config->min_qty = ConfigQty(values, kMinQty).value_or(defaults.min_qty);
  config->min_sale_qty = defaults.min_sale_qty;
  if (auto it = values.find(kMinSaleQty); it != values.end()) {
    absl::StatusOr<core::Qty> plain =
        ParseDecimalQty(absl::StripAsciiWhitespace(it->second));
    if (plain.ok()) {
      config->min_sale_qty = *plain;
    } else if (std::optional<core::Qty> all = AllGroupsMinSaleQty(it->second)) {
      config->min_sale_qty = *all;
    }
  }
  config->max_sale_qty =
      ConfigQty(values, kMaxSaleQty).value_or(defaults.max_sale_qty);
  config->notify_stock_qty =
      ConfigQty(values, kNotifyStockQty).value_or(defaults.notify_stock_qty);
  config->enable_qty_increments =
      ConfigInt(values, kEnableQtyIncrements)
          .value_or(defaults.enable_qty_increments ? 1 : 0) != 0;
  config->qty_increments =
      ConfigQty(values, kQtyIncrements).value_or(defaults.qty_increments);
  config->only_x_left_threshold = ConfigQty(values, kStockThresholdQty)
                                      .value_or(defaults.only_x_left_threshold);
}

}  // namespace availability::sync::magento
