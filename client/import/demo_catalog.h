// GenerateDemoCatalog: a deterministic demo catalog for one stock, with
// every availability status (docs/domain.md §3) and the well-known DEMO-* SKUs
// the demo script shows. Same options, same catalog, byte for byte; dates
// are relative to `today`, so a catalog made today shows future receipts.
//
//   DemoCatalogOptions options;
//   options.today = absl::CivilDay(2026, 3, 4);
//   DemoCatalog catalog = GenerateDemoCatalog(options);
//   // catalog.records -> records.jsonl, catalog.rankings -> rankings
//
// Category ids are CategoryIdForPath of Luma-style Magento paths, so a
// Magento export of the same categories maps to the same ids. Thread-safe
// (pure functions).
#ifndef CLIENT_IMPORT_DEMO_CATALOG_H_
#define CLIENT_IMPORT_DEMO_CATALOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "availability/v1/inventory_sync.pb.h"

namespace av::client {

struct DemoCatalogOptions {
  // Generated SKUs besides the fixed DEMO-* ones, 0..100000.
  int sku_count = 1200;
  uint64_t seed = 1;
  // The store's today; receipts and release dates are days after it.
  absl::CivilDay today = absl::CivilDay(2026, 1, 1);
  int32_t stock_id = 1;
  // Version of every record; 0: today as YYYYMMDD (so a catalog made on a
  // later day replaces the older one, and a rerun the same day is stale).
  int64_t version = 0;
};

// What kind of product a generated SKU is; every kind appears in a catalog
// of at least kDemoKindCount SKUs.
enum class DemoKind {
  kInStock,
  kOnlyFewLeft,              // in stock, below the "only X left" threshold
  kBackorderDated,           // nothing on hand, receipts on known dates
  kBackorderUnknownEta,      // backorderable, no receipt, no lead time
  kBackorderLeadTime,        // backorderable, ETA from the lead time
  kPreorder,                 // release date in the future
  kOutWithRestock,           // out of stock, receipt => restock date,
                             // in-stock alternatives
  kOutNoEta,                 // out of stock, nothing expected
  kOutManual,                // quantity on hand, but is_in_stock = false
  kDiscontinued,             // sold out for good, successor in stock
  kDiscontinuedSellThrough,  // discontinued, selling its last units
  kNoManageStock,            // manage_stock = false
  kCartRules,                // min_sale_qty 2, increments of 6, max 60
  kDecimal,                  // sold by the meter (is_qty_decimal)
};
inline constexpr int kDemoKindCount = 14;

// A fixed SKU the demo prints, with what it shows.
struct DemoSku {
  std::string sku;
  std::string shows;
};

struct DemoCatalog {
  // Fixed DEMO-* records first, then the generated ones.
  std::vector<availability::v1::InventoryRecord> records;
  // The kind of each generated record (records[featured.size() + i]).
  std::vector<DemoKind> kinds;
  // Per category: its SKUs, most popular first (at most 1000).
  std::vector<availability::v1::PutCategoryRankingRequest> rankings;
  std::vector<DemoSku> featured;
};

DemoCatalog GenerateDemoCatalog(const DemoCatalogOptions& options);

// The demo store's configuration of `stock_id`: Europe/Berlin, handling 1
// day, only-X-left at 5, alternatives for backorders more than 14 days
// away, Monday to Friday shipping.
availability::v1::StoreConfig DemoStoreConfig(int32_t stock_id);

// The Magento category paths of the demo catalog.
std::vector<std::string> DemoCategoryPaths();

}  // namespace av::client

#endif  // CLIENT_IMPORT_DEMO_CATALOG_H_
