// Turns rows read from a Magento 2.4 MSI database into cache records, the way
// Magento computes a stock's salable quantity (docs/domain.md §1-§2). Pure
// functions over plain structs: no I/O, so every rule is unit-tested without
// a database.
//
//   CatalogChunk chunk = ...;  // filled by magento_reader.h
//   BuiltRecords built = BuildRecords(chunk, /*stocks=*/{1, 2},
//                                     /*version=*/v, /*source_time=*/t);
//   // built.records to write, built.skipped to log and count
//
// Rules (where Magento leaves a choice, the choice is ours and said here):
// - A product gets a record on every stock that has a source item of it in a
//   source linked to the stock, enabled or not, and that sells it: Magento
//   sells a product on a website it is assigned to and enabled on
//   (SoldOnWebsite); a stock with sales channels needs one of its websites to
//   sell it, a stock without any (asked for by id only) does not. A
//   composite (configurable, bundle, grouped; no source items) gets a record
//   on every stock with a website that sells it, with its components and
//   its own is_in_stock (the legacy stock item's); a simple product without
//   source items gets none, like Magento's stock index.
// - source_qty = Σ quantity of the source items with status 1 (in stock) in
//   ENABLED sources linked to the stock (Magento counts an out-of-stock source
//   item as 0).
// - is_in_stock = some such source item (status 1, enabled source) exists:
//   Magento's IsAnySourceItemInStockCondition. The legacy
//   cataloginventory_stock_item.is_in_stock mirrors the default source's
//   status in Magento and is not read separately. A product only in disabled
//   sources is therefore on the stock but out of stock (not unknown).
// - reserved_qty = Σ inventory_reservation.quantity of (stock, sku).
// - Settings come from the product's legacy stock item (Magento keeps one per
//   product, website 0, for every stock); use_config_* = 1 leaves the
//   record's optional unset (the store config decides at read time). No
//   stock item row: every setting from the config, is_qty_decimal false.
// - alternatives: catalog_product_link relation -> RELATED, up_sell ->
//   UPSELL, cross_sell -> CROSSSELL, in that order of types, each by its
//   position (then link id) as the reader sorted them; the product itself,
//   repeated SKUs and SKUs that are not IsValidSku (refused as products
//   themselves) are dropped; "super" links are a grouped product's
//   components, not alternatives.
// - components / bundle selections: the parent itself, repeats and SKUs
//   that are not IsValidSku are dropped, at most core::kMaxComponents (and
//   core::kMaxBundleOptions options); an optional option left without
//   selections is dropped, a required one kept (empty: never served).
// - notify_stock_qty: with per-source low-stock levels for the SKU, their
//   sum over the source items that count (NULL: the stock's configured
//   level; no row: nothing), else the legacy stock item's.
// - category_ids: catalog_category_product, ascending.
// - Refused (never written, reported in BuiltRecords::skipped, one entry per
//   (product, stock) record): a SKU that is empty, longer than 64 bytes or
//   not valid UTF-8 (the API could never name it); a stock not in
//   inventory_stock (`stocks`); a value the reader could not take
//   (CatalogChunk::bad_values); a sum beyond kMaxSummedQty. Sums are never
//   clamped: below the bound they are exact, above it the record is refused.
//
// Thread safety: plain functions; safe from any thread.
#ifndef AVAILABILITY_SYNC_MAGENTO_RECORD_BUILDER_H_
#define AVAILABILITY_SYNC_MAGENTO_RECORD_BUILDER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/quantity.h"
#include "core/record.h"

namespace availability::sync::magento {

// The largest magnitude of a summed quantity the connector stores:
// 99,999,999,999.9999 (15 significant digits, the most the API's double
// quantities carry exactly; the engine's int64 ten-thousandths hold far
// more). Σ over sources and reservations of Magento's decimal(12,4) values
// may exceed core::kMaxQty (99,999,999.9999) and is kept exactly up to this
// bound: 1,000 sources at the column maximum still fit.
inline constexpr core::Qty kMaxSummedQty = int64_t{1000000000000000} - 1;

// Why a record is not written. Stable names (SkipReasonName) appear in logs
// and in the reconcile summary.
enum class SkipReason {
  kSkuEmpty = 0,  // "sku_empty"
  kSkuTooLong,    // "sku_too_long": more than core::kMaxSkuBytes bytes
  kSkuNotUtf8,    // "sku_not_utf8"
  kUnknownStock,  // "unknown_stock": linked stock not in inventory_stock
  kBadNumber,     // "bad_number": a quantity column that does not parse
  kOutOfRange,    // "out_of_range": a value or sum beyond what is stored
};
inline constexpr int kSkipReasonCount = 6;
absl::string_view SkipReasonName(SkipReason reason);

// A value the reader could not take. It does not fail the read: the
// product's record on `stock_id` (on every stock when 0) is refused.
struct BadValue {
  int64_t entity_id = 0;
  int32_t stock_id = 0;
  SkipReason reason = SkipReason::kBadNumber;
  // The column, e.g. "inventory_source_item.quantity".
  std::string field;
  // The source item's source_code, when the value is one source item's.
  std::string source;
  // What is wrong, e.g. "not a decimal(12,4): \"abc\"".
  std::string rule;
};

// A (product, stock) record BuildRecords refused, and why.
struct SkippedRecord {
  SkipReason reason = SkipReason::kBadNumber;
  int64_t entity_id = 0;
  // As read: may be too long or not UTF-8 (log it through LogSafeText).
  std::string sku;
  int32_t stock_id = 0;
  std::string field;
  std::string source;
  std::string rule;
};

// A catalog product with its legacy stock item settings (nullopt = use
// config), its links and categories.
struct ProductData {
  int64_t entity_id = 0;
  std::string sku;
  std::optional<bool> manage_stock;
  std::optional<core::Backorders> backorders;
  std::optional<core::Qty> min_qty;
  std::optional<core::Qty> min_sale_qty;
  std::optional<core::Qty> max_sale_qty;
  std::optional<core::Qty> notify_stock_qty;
  std::optional<bool> enable_qty_increments;
  std::optional<core::Qty> qty_increments;
  bool is_qty_decimal = false;
  // In the order they become alternatives.
  std::vector<core::AlternativeLink> alternatives;
  std::vector<int64_t> category_ids;
  // catalog_category_product.position of each of category_ids (the
  // category rankings' order).
  std::vector<int64_t> category_positions;
  // catalog_product_entity.type_id: configurable, bundle and grouped are
  // composites (docs/domain.md §10); anything else has stock of its own.
  core::ProductType type = core::ProductType::kSimple;
  // The legacy stock item's is_in_stock: a composite's own stock status (no
  // stock item row: in stock).
  bool own_is_in_stock = true;
  // catalog_product_website: the websites the product is assigned to.
  std::vector<int32_t> websites;
  // The status attribute (1 enabled, 2 disabled) at the default scope and
  // per store view; absent values fall back to the default, then to 1.
  std::optional<int64_t> default_status;
  std::map<int64_t, int64_t> store_status;
  // Configurable variants / grouped products, in Magento's order.
  std::vector<std::string> components;
  // Bundle options, in Magento's order, with their selections.
  std::vector<core::BundleOption> bundle_options;
};

// One source item of a product as seen by one stock linked to its source.
struct SourceItemRow {
  int64_t entity_id = 0;
  int32_t stock_id = 0;
  core::Qty quantity = 0;
  bool in_stock = false;        // status = 1
  bool source_enabled = false;  // inventory_source.enabled = 1
  // inventory_low_stock_notification_configuration of the source item:
  // `has_notify_config` when a row exists, `notify_stock_qty` unset when
  // its value is NULL (use the configuration).
  bool has_notify_config = false;
  std::optional<core::Qty> notify_stock_qty;
};

struct ReservationSum {
  int64_t entity_id = 0;
  int32_t stock_id = 0;
  core::Qty quantity = 0;
};

// Everything read for a set of products (one snapshot of the database).
struct CatalogChunk {
  // Ascending entity_id.
  std::vector<ProductData> products;
  std::vector<SourceItemRow> source_items;
  std::vector<ReservationSum> reservations;
  // Values the reader could not take, any order.
  std::vector<BadValue> bad_values;
};

struct BuiltRecords {
  // Ordered by product, then stock.
  std::vector<core::Record> records;
  // In the same order; at most one entry per (product, stock).
  std::vector<SkippedRecord> skipped;
};

// Where each stock sells: its sales channels' websites, and what the
// configuration says where records need it.
struct SalesScope {
  // stock -> website ids of its sales channels (a stock absent has none: it
  // is asked for by stock id only, where website assignment does not apply).
  std::map<int32_t, std::vector<int32_t>> websites_of_stock;
  // website id -> its store views (store_id > 0).
  std::map<int32_t, std::vector<int64_t>> stores_of_website;
  // stock -> the configuration's notify_stock_qty for that stock (default
  // 1), for source items whose low-stock level is NULL.
  std::map<int32_t, core::Qty> config_notify_stock_qty;
};

// The records of every (stock, product) of `chunk`, all with `version` and
// `source_time`, and those refused (see the file comment). `stocks`: the
// stock ids of inventory_stock, ascending.
BuiltRecords BuildRecords(const CatalogChunk& chunk,
                          const std::vector<int32_t>& stocks,
                          const SalesScope& scope, int64_t version,
                          absl::Time source_time);

// True when Magento sells `product` on `website_id`: assigned to it and its
// status is enabled (1) in at least one of the website's store views (the
// store view's value, else the default scope's, else enabled).
bool SoldOnWebsite(const ProductData& product, int32_t website_id,
                   const SalesScope& scope);

// True when `sku` is 1..core::kMaxSkuBytes bytes of valid UTF-8: a SKU the
// API can name.
bool IsValidSku(absl::string_view sku);

// A Magento decimal(12,4) column ("12.3400", "-0.75", "3") as a Qty,
// exactly. Errors: InvalidArgument "not a decimal(12,4): \"<text>\"" for
// anything but a decimal with at most 4 decimals; OutOfRange for a
// well-formed one with more than 8 integer digits.
absl::StatusOr<core::Qty> ParseDecimalQty(absl::string_view text);

// A SUM() of decimal columns as a Qty, exactly. Errors: InvalidArgument as
// ParseDecimalQty; OutOfRange when its magnitude is above kMaxSummedQty.
absl::StatusOr<core::Qty> ParseDecimalSum(absl::string_view text);

// `qty` as a decimal with 4 places: "299999999.9997", "-0.7500".
std::string FormatDecimalQty(core::Qty qty);

// `text` (a SKU, a value read from the database) fit for a JSON log line:
// at most its first 64 bytes, its well-formed UTF-8 characters kept, every
// other byte, every control character and the backslash written as \xNN,
// and " ... (N bytes)" appended when it was cut.
std::string LogSafeText(absl::string_view text);

// cataloginventory/item_options/backorders and the stock item's backorders
// column: 0 NO, 1 YES, 2 YES_NOTIFY (IsBackorders); anything else: NO.
bool IsBackorders(int64_t value);
inline constexpr char kNotBackorders[] =
    "not 0 (no), 1 (yes) or 2 (yes, notify)";
core::Backorders BackordersFromInt(int64_t value);

// The configuration paths the connector reads from core_config_data
// (default and website scope).
const std::vector<std::string>& InventoryConfigPaths();

// core_config_data values of InventoryConfigPaths(), path -> value.
struct InventoryConfigValues {
  std::map<std::string, std::string> defaults;
  // website id -> its website-scope values.
  std::map<int32_t, std::map<std::string, std::string>> websites;
};

// A configuration value locked in app/etc/env.php or config.php (invisible
// to the database), given to the connector: `path=value` (default scope) or
// `path=value@website_code`.
struct ConfigOverride {
  std::string path;
  std::string value;
  // Empty: default scope.
  std::string website_code;
};
// Parses one override. Errors: InvalidArgument naming the rule ("no '='",
// "path is not one of the inventory paths the connector reads: <path>").
absl::StatusOr<ConfigOverride> ParseConfigOverride(absl::string_view text);

// The values that apply to a sales channel on `website_id` (0: none, the
// default scope): Magento's order, lowest first: default scope in the
// database, default-scope overrides, website scope in the database,
// website-scope overrides (for the website of that id in `website_ids`).
std::map<std::string, std::string> EffectiveConfigValues(
    const InventoryConfigValues& values,
    const std::vector<ConfigOverride>& overrides,
    const std::map<std::string, int32_t>& website_ids, int32_t website_id);

// A core_config_data value ApplyInventoryConfig could not take.
struct ConfigProblem {
  std::string path;
  // LogSafeText of the value.
  std::string value;
  std::string rule;
};

// Overwrites the Magento-derived fields of `config` (the item options and
// only_x_left_threshold) from default-scope core_config_data values, path ->
// value. A path that is absent, or a value that does not parse, gives
// Magento's default, never the previous value; each value that does not
// parse is returned (for the caller to log). min_sale_qty is also read in
// Magento's per-customer-group form ({"32000":"2"} JSON or PHP-serialized):
// the "all groups" (32000) entry counts; no such entry: 1.
std::vector<ConfigProblem> ApplyInventoryConfig(
    const std::map<std::string, std::string>& values,
    core::StoreConfig* config);

}  // namespace availability::sync::magento

#endif  // AVAILABILITY_SYNC_MAGENTO_RECORD_BUILDER_H_
