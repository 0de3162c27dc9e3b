#include "sync/magento/record_builder.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/utf8.h"

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
constexpr char kQtyIncrements[] =
    "cataloginventory/item_options/qty_increments";
constexpr char kStockThresholdQty[] =
    "cataloginventory/options/stock_threshold_qty";

// Magento's GroupManagement::CUST_GROUP_ALL.
constexpr absl::string_view kAllCustomerGroups = "32000";

struct StockTotals {
  core::Qty source_qty = 0;
  bool in_stock = false;
  // False once the sum left ±kMaxSummedQty (source_qty stops there).
  bool within_bound = true;
  // The whole sum, for the log line of a refused one; false if it left
  // int64 (millions of sources: not seen in practice).
  core::Qty exact_sum = 0;
  bool exact = true;
  // Low-stock levels of the counted source items: Σ of their own levels,
  // how many use the configuration's (NULL), and whether any has a row in
  // inventory_low_stock_notification_configuration.
  core::Qty notify_sum = 0;
  int64_t notify_from_config = 0;
  bool notify_configured = false;
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

void AddProblem(const std::string& path, absl::string_view value,
                absl::string_view rule, std::vector<ConfigProblem>* problems) {
  problems->push_back({path, LogSafeText(value), std::string(rule)});
}

std::optional<core::Qty> ConfigQty(
    const std::map<std::string, std::string>& values, const char* path,
    std::vector<ConfigProblem>* problems) {
  auto it = values.find(path);
  if (it == values.end()) return std::nullopt;
  absl::StatusOr<core::Qty> qty =
      ParseDecimalQty(absl::StripAsciiWhitespace(it->second));
  if (!qty.ok()) {
    AddProblem(it->first, it->second, qty.status().message(), problems);
    return std::nullopt;
  }
  return *qty;
}

std::optional<int64_t> ConfigInt(
    const std::map<std::string, std::string>& values, const char* path,
    std::vector<ConfigProblem>* problems) {
  auto it = values.find(path);
  if (it == values.end()) return std::nullopt;
  int64_t value = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(it->second), &value)) {
    AddProblem(it->first, it->second, "not an integer", problems);
    return std::nullopt;
  }
  return value;
}

// A decimal with at most 4 decimals and `max_whole_digits` integer digits
// (leading zeros aside). Errors: InvalidArgument for anything else,
// OutOfRange (message `too_large`) for more integer digits.
absl::StatusOr<core::Qty> ParseDecimal(absl::string_view text,
                                       size_t max_whole_digits,
                                       absl::string_view too_large) {
  absl::string_view rest = text;
  const bool negative = absl::ConsumePrefix(&rest, "-");
  if (!negative) absl::ConsumePrefix(&rest, "+");
  const size_t dot = rest.find('.');
  absl::string_view whole = rest.substr(0, dot);
  absl::string_view fraction = dot == absl::string_view::npos
                                   ? absl::string_view()
                                   : rest.substr(dot + 1);
  // Magento's decimals always carry 4 places; trailing zeros beyond that are
  // harmless.
  while (fraction.size() > 4 && fraction.back() == '0') {
    fraction.remove_suffix(1);
  }
  if ((whole.empty() && fraction.empty()) || fraction.size() > 4 ||
      whole.find_first_not_of("0123456789") != absl::string_view::npos ||
      fraction.find_first_not_of("0123456789") != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a decimal(12,4): \"", LogSafeText(text), "\""));
  }
  while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
  if (whole.size() > max_whole_digits) {
    return absl::OutOfRangeError(
        absl::StrCat("\"", LogSafeText(text), "\" is ", too_large));
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

// Adds `add` to `*sum` unless the result leaves ±kMaxSummedQty; false then
// (and `*sum` is left as it was).
bool AddWithinBound(core::Qty* sum, core::Qty add) {
  core::Qty result;
  if (__builtin_add_overflow(*sum, add, &result) || result > kMaxSummedQty ||
      result < -kMaxSummedQty) {
    return false;
  }
  *sum = result;
  return true;
}

}  // namespace

absl::StatusOr<core::Qty> ParseDecimalQty(absl::string_view text) {
  return ParseDecimal(text, /*max_whole_digits=*/8,
                      "above 99999999.9999 in magnitude (decimal(12,4))");
}

absl::StatusOr<core::Qty> ParseDecimalSum(absl::string_view text) {
  // 11 integer digits and 4 decimals: within ±kMaxSummedQty.
  absl::StatusOr<core::Qty> qty =
      ParseDecimal(text, /*max_whole_digits=*/11, "");
  if (absl::IsOutOfRange(qty.status())) {
    return absl::OutOfRangeError(absl::StrCat(
        LogSafeText(text), " is above ", FormatDecimalQty(kMaxSummedQty),
        " in magnitude, the largest sum stored exactly"));
  }
  return qty;
}

std::string FormatDecimalQty(core::Qty qty) {
  // Unsigned: the magnitude of INT64_MIN too.
  const uint64_t magnitude =
      qty < 0 ? ~static_cast<uint64_t>(qty) + 1 : static_cast<uint64_t>(qty);
  const uint64_t scale = static_cast<uint64_t>(core::kQtyScale);
  return absl::StrCat(qty < 0 ? "-" : "", magnitude / scale, ".",
                      absl::Dec(magnitude % scale, absl::kZeroPad4));
}

std::string LogSafeText(absl::string_view text) {
  constexpr size_t kShown = core::kMaxSkuBytes;
  std::string out;
  size_t i = 0;
  while (i < text.size() && i < kShown) {
    const absl::string_view rest = text.substr(i);
    const size_t len = core::Utf8CharLength(rest);
    const unsigned char c = static_cast<unsigned char>(rest[0]);
    // A backslash too, so that "\xff" always means one escaped byte.
    if (len == 0 || (len == 1 && (c < 0x20 || c == 0x7F || c == '\\')) ||
        i + len > kShown) {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
      ++i;
    } else {
      out.append(rest.data(), len);
      i += len;
    }
  }
  if (i < text.size()) {
    absl::StrAppend(&out, " ... (", text.size(), " bytes)");
  }
  return out;
}

bool IsValidSku(absl::string_view text) {
  return !text.empty() && text.size() <= core::kMaxSkuBytes &&
         core::IsValidUtf8(text);
}

absl::string_view SkipReasonName(SkipReason reason) {
  switch (reason) {
    case SkipReason::kSkuEmpty:
      return "sku_empty";
    case SkipReason::kSkuTooLong:
      return "sku_too_long";
    case SkipReason::kSkuNotUtf8:
      return "sku_not_utf8";
    case SkipReason::kUnknownStock:
      return "unknown_stock";
    case SkipReason::kBadNumber:
      return "bad_number";
    case SkipReason::kOutOfRange:
      return "out_of_range";
  }
  return "unknown";
}

bool IsBackorders(int64_t value) { return value >= 0 && value <= 2; }

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

bool SoldOnWebsite(const ProductData& product, int32_t website_id,
                   const SalesScope& scope) {
  if (std::find(product.websites.begin(), product.websites.end(), website_id) ==
      product.websites.end()) {
    return false;
  }
  constexpr int64_t kEnabled = 1;
  const int64_t fallback = product.default_status.value_or(kEnabled);
  auto stores = scope.stores_of_website.find(website_id);
  if (stores == scope.stores_of_website.end() || stores->second.empty()) {
    return fallback == kEnabled;
  }
  for (int64_t store : stores->second) {
    auto it = product.store_status.find(store);
    if ((it == product.store_status.end() ? fallback : it->second) ==
        kEnabled) {
      return true;
    }
  }
  return false;
}

BuiltRecords BuildRecords(const CatalogChunk& chunk,
                          const std::vector<int32_t>& stocks,
                          const SalesScope& scope, int64_t version,
                          absl::Time source_time) {
  // entity -> stock -> totals / reservations; ordered stocks for a stable
  // output.
  absl::flat_hash_map<int64_t, std::map<int32_t, StockTotals>> totals;
  for (const SourceItemRow& item : chunk.source_items) {
    StockTotals& t = totals[item.entity_id][item.stock_id];
    if (item.in_stock && item.source_enabled) {
      if (t.exact &&
          __builtin_add_overflow(t.exact_sum, item.quantity, &t.exact_sum)) {
        t.exact = false;
      }
      if (t.within_bound && !AddWithinBound(&t.source_qty, item.quantity)) {
        t.within_bound = false;
      }
      t.in_stock = true;
      t.notify_configured = t.notify_configured || item.has_notify_config;
      // MSI's low-stock report joins the configuration rows: a source item
      // without one has no level of its own and adds nothing.
      if (item.notify_stock_qty.has_value()) {
        // Bounded by kMaxSummedQty like source_qty; beyond it the level
        // stops growing (an alert level, not a quantity sold).
        AddWithinBound(&t.notify_sum, *item.notify_stock_qty);
      } else if (item.has_notify_config) {
        ++t.notify_from_config;
      }
    }
  }
  struct Reserved {
    core::Qty qty = 0;
    bool within_bound = true;
  };
  absl::flat_hash_map<std::pair<int64_t, int32_t>, Reserved> reserved;
  for (const ReservationSum& r : chunk.reservations) {
    Reserved& sum = reserved[{r.entity_id, r.stock_id}];
    if (sum.within_bound && !AddWithinBound(&sum.qty, r.quantity)) {
      sum.within_bound = false;
    }
  }
  // entity -> its bad values (stock 0: every stock).
  absl::flat_hash_map<int64_t, std::vector<const BadValue*>> bad;
  for (const BadValue& b : chunk.bad_values) bad[b.entity_id].push_back(&b);

  BuiltRecords built;
  const std::map<int32_t, StockTotals> no_totals;
  for (const ProductData& product : chunk.products) {
    const bool composite = product.type != core::ProductType::kSimple;
    auto found = totals.find(product.entity_id);
    // Sold on a stock: on one of its websites; a stock without websites is
    // asked for by id only, where assignment does not apply.
    auto sold_on = [&](int32_t stock) {
      auto websites = scope.websites_of_stock.find(stock);
      if (websites == scope.websites_of_stock.end() ||
          websites->second.empty()) {
        return !composite;
      }
      for (int32_t website : websites->second) {
        if (SoldOnWebsite(product, website, scope)) return true;
      }
      return false;
    };
    // A simple product: the stocks its source items are linked to; a
    // composite (no source items): every stock that sells it.
    std::map<int32_t, StockTotals> product_stocks;
    if (composite) {
      for (int32_t stock : stocks) {
        if (sold_on(stock)) product_stocks[stock];
      }
    } else if (found != totals.end()) {
      for (const auto& [stock, t] : found->second) {
        if (sold_on(stock)) product_stocks.emplace(stock, t);
      }
    }
    if (product_stocks.empty()) continue;
    // The product-wide refusal, if any.
    std::optional<SkippedRecord> product_skip;
    auto skip = [&product](SkipReason reason, std::string field,
                           std::string rule, std::string source = "") {
      SkippedRecord s;
      s.reason = reason;
      s.entity_id = product.entity_id;
      s.sku = product.sku;
      s.field = std::move(field);
      s.source = std::move(source);
      s.rule = std::move(rule);
      return s;
    };
    if (product.sku.empty()) {
      product_skip = skip(SkipReason::kSkuEmpty, "sku", "empty");
    } else if (product.sku.size() > core::kMaxSkuBytes) {
      product_skip = skip(SkipReason::kSkuTooLong, "sku",
                          absl::StrCat("longer than ", core::kMaxSkuBytes,
                                       " bytes (", product.sku.size(), ")"));
    } else if (!core::IsValidUtf8(product.sku)) {
      product_skip = skip(SkipReason::kSkuNotUtf8, "sku", "not valid UTF-8");
    }
    const std::vector<const BadValue*>* product_bad = nullptr;
    if (auto it = bad.find(product.entity_id); it != bad.end()) {
      product_bad = &it->second;
    }

    std::vector<core::AlternativeLink> alternatives;
    absl::flat_hash_set<std::string> seen = {product.sku};
    for (const core::AlternativeLink& link : product.alternatives) {
      // A linked SKU the API cannot name is refused as a product itself.
      if (IsValidSku(link.sku) && seen.insert(link.sku).second) {
        alternatives.push_back(link);
      }
    }
    std::vector<int64_t> categories = product.category_ids;
    std::sort(categories.begin(), categories.end());
    categories.erase(std::unique(categories.begin(), categories.end()),
                     categories.end());

    std::vector<std::string> components;
    std::vector<core::BundleOption> bundle_options;
    if (composite) {
      absl::flat_hash_set<std::string> seen_components = {product.sku};
      for (const std::string& sku : product.components) {
        if (components.size() < core::kMaxComponents && IsValidSku(sku) &&
            seen_components.insert(sku).second) {
          components.push_back(sku);
        }
      }
      for (const core::BundleOption& option : product.bundle_options) {
        if (bundle_options.size() >= core::kMaxBundleOptions) break;
        core::BundleOption kept;
        kept.required = option.required;
        for (const core::BundleSelection& selection : option.selections) {
          if (kept.selections.size() < core::kMaxComponents &&
              IsValidSku(selection.sku) && selection.sku != product.sku) {
            kept.selections.push_back(selection);
          }
        }
        // An option without a selection the API can name cannot be served:
        // kept (empty) when required, so the bundle is not sold.
        if (!kept.selections.empty() || kept.required) {
          bundle_options.push_back(std::move(kept));
        }
      }
    }

    for (const auto& [stock_id, t] : product_stocks) {
      auto res = reserved.find({product.entity_id, stock_id});
      std::optional<SkippedRecord> refused = product_skip;
      if (!refused &&
          !std::binary_search(stocks.begin(), stocks.end(), stock_id)) {
        refused = skip(SkipReason::kUnknownStock, "stock_id",
                       absl::StrCat("stock ", stock_id,
                                    " (inventory_source_stock_link) is not "
                                    "in inventory_stock"));
      }
      if (!refused && product_bad != nullptr) {
        for (const BadValue* b : *product_bad) {
          if (b->stock_id == 0 || b->stock_id == stock_id) {
            refused = skip(b->reason, b->field, b->rule, b->source);
            break;
          }
        }
      }
      if (!refused && !t.within_bound) {
        refused =
            skip(SkipReason::kOutOfRange, "source_qty",
                 absl::StrCat("sum of inventory_source_item.quantity ",
                              t.exact ? FormatDecimalQty(t.exact_sum)
                                      : std::string("(beyond int64)"),
                              " is above ", FormatDecimalQty(kMaxSummedQty),
                              " in magnitude, the largest sum stored exactly"));
      }
      if (!refused && res != reserved.end() && !res->second.within_bound) {
        refused = skip(SkipReason::kOutOfRange, "reserved_qty",
                       absl::StrCat("sum of inventory_reservation.quantity is "
                                    "above ",
                                    FormatDecimalQty(kMaxSummedQty),
                                    " in magnitude, the largest sum stored "
                                    "exactly"));
      }
      if (refused) {
        refused->stock_id = stock_id;
        built.skipped.push_back(*std::move(refused));
        continue;
      }

      core::Record r;
      r.sku = product.sku;
      r.stock_id = stock_id;
      r.version = version;
      r.source_time = source_time;
      r.manage_stock = product.manage_stock;
      r.is_in_stock = composite ? product.own_is_in_stock : t.in_stock;
      r.source_qty = t.source_qty;
      r.reserved_qty = res == reserved.end() ? 0 : res->second.qty;
      r.min_qty = product.min_qty;
      r.backorders = product.backorders;
      r.min_sale_qty = product.min_sale_qty;
      r.max_sale_qty = product.max_sale_qty;
      r.enable_qty_increments = product.enable_qty_increments;
      r.qty_increments = product.qty_increments;
      r.is_qty_decimal = product.is_qty_decimal;
      r.notify_stock_qty = product.notify_stock_qty;
      if (t.notify_configured) {
        // MSI's per-source levels, summed over the sources that count
        // (docs/domain.md §8): NULL ones at the stock's configured level.
        auto config = scope.config_notify_stock_qty.find(stock_id);
        const core::Qty per_source_default =
            config == scope.config_notify_stock_qty.end()
                ? core::StoreConfig().notify_stock_qty
                : config->second;
        core::Qty level = t.notify_sum;
        for (int64_t i = 0; i < t.notify_from_config; ++i) {
          AddWithinBound(&level, per_source_default);
        }
        r.notify_stock_qty = level;
      }
      r.product_type = product.type;
      r.components = components;
      r.bundle_options = bundle_options;
      r.alternatives = alternatives;
      r.category_ids = categories;
      built.records.push_back(std::move(r));
    }
  }
  return built;
}

const std::vector<std::string>& InventoryConfigPaths() {
  static const auto* paths = new std::vector<std::string>{
      kManageStock,         kBackorders,    kMinQty,
      kMinSaleQty,          kMaxSaleQty,    kNotifyStockQty,
      kEnableQtyIncrements, kQtyIncrements, kStockThresholdQty};
  return *paths;
}

std::vector<ConfigProblem> ApplyInventoryConfig(
    const std::map<std::string, std::string>& values,
    core::StoreConfig* config) {
  const core::StoreConfig defaults;
  std::vector<ConfigProblem> problems;
  config->manage_stock = ConfigInt(values, kManageStock, &problems)
                             .value_or(defaults.manage_stock ? 1 : 0) != 0;
  config->backorders = defaults.backorders;
  if (std::optional<int64_t> b = ConfigInt(values, kBackorders, &problems)) {
    if (IsBackorders(*b)) {
      config->backorders = BackordersFromInt(*b);
    } else {
      AddProblem(kBackorders, values.at(kBackorders), kNotBackorders,
                 &problems);
    }
  }
  config->min_qty =
      ConfigQty(values, kMinQty, &problems).value_or(defaults.min_qty);
  config->min_sale_qty = defaults.min_sale_qty;
  if (auto it = values.find(kMinSaleQty); it != values.end()) {
    absl::StatusOr<core::Qty> plain =
        ParseDecimalQty(absl::StripAsciiWhitespace(it->second));
    if (plain.ok()) {
      config->min_sale_qty = *plain;
    } else if (std::optional<core::Qty> all = AllGroupsMinSaleQty(it->second)) {
      config->min_sale_qty = *all;
    } else if (!absl::StrContains(it->second, "{")) {
      // Not the per-group form either (that form without an all-groups
      // entry means 1, as in Magento).
      AddProblem(kMinSaleQty, it->second,
                 "neither a decimal nor Magento's per-customer-group form",
                 &problems);
    }
  }
  config->max_sale_qty =
      ConfigQty(values, kMaxSaleQty, &problems).value_or(defaults.max_sale_qty);
  config->notify_stock_qty = ConfigQty(values, kNotifyStockQty, &problems)
                                 .value_or(defaults.notify_stock_qty);
  config->enable_qty_increments =
      ConfigInt(values, kEnableQtyIncrements, &problems)
          .value_or(defaults.enable_qty_increments ? 1 : 0) != 0;
  config->qty_increments = ConfigQty(values, kQtyIncrements, &problems)
                               .value_or(defaults.qty_increments);
  config->only_x_left_threshold =
      ConfigQty(values, kStockThresholdQty, &problems)
          .value_or(defaults.only_x_left_threshold);
  return problems;
}

absl::StatusOr<ConfigOverride> ParseConfigOverride(absl::string_view text) {
  const size_t eq = text.find('=');
  if (eq == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--config_override \"", LogSafeText(text),
        "\": no '=' (expected path=value or path=value@website_code)"));
  }
  ConfigOverride o;
  o.path = std::string(absl::StripAsciiWhitespace(text.substr(0, eq)));
  absl::string_view value = text.substr(eq + 1);
  if (const size_t at = value.rfind('@'); at != absl::string_view::npos) {
    o.website_code = std::string(value.substr(at + 1));
    value = value.substr(0, at);
    if (o.website_code.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--config_override \"", LogSafeText(text),
                       "\": empty website code after '@'"));
    }
  }
  o.value = std::string(value);
  const std::vector<std::string>& paths = InventoryConfigPaths();
  if (std::find(paths.begin(), paths.end(), o.path) == paths.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--config_override \"", LogSafeText(text), "\": path \"",
        LogSafeText(o.path),
        "\" is not one the connector reads (cataloginventory/item_options/* "
        "or cataloginventory/options/stock_threshold_qty)"));
  }
  return o;
}

std::map<std::string, std::string> EffectiveConfigValues(
    const InventoryConfigValues& values,
    const std::vector<ConfigOverride>& overrides,
    const std::map<std::string, int32_t>& website_ids, int32_t website_id) {
  std::map<std::string, std::string> out = values.defaults;
  for (const ConfigOverride& o : overrides) {
    if (o.website_code.empty()) out[o.path] = o.value;
  }
  if (website_id == 0) return out;
  if (auto it = values.websites.find(website_id); it != values.websites.end()) {
    for (const auto& [path, value] : it->second) out[path] = value;
  }
  for (const ConfigOverride& o : overrides) {
    auto code = website_ids.find(o.website_code);
    if (code != website_ids.end() && code->second == website_id) {
      out[o.path] = o.value;
    }
  }
  return out;
}

}  // namespace availability::sync::magento
