#include "client/import/demo_catalog.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <random>
#include <utility>

#include "absl/strings/str_format.h"
#include "client/import/magento_csv_reader.h"

namespace av::client {
namespace {

using availability::v1::InventoryRecord;

struct Category {
  const char* path;
  const char* sku_prefix;
};

// Luma-style categories; the last one is a collection that products join
// besides their own category.
constexpr Category kCategories[] = {
    {"Default Category/Gear/Bags", "BAG"},
    {"Default Category/Gear/Fitness Equipment", "FIT"},
    {"Default Category/Gear/Watches", "WAT"},
    {"Default Category/Men/Tops/Jackets", "MJ"},
    {"Default Category/Men/Tops/Hoodies & Sweatshirts", "MH"},
    {"Default Category/Men/Tops/Tees", "MT"},
    {"Default Category/Men/Bottoms/Pants", "MP"},
    {"Default Category/Women/Tops/Jackets", "WJ"},
    {"Default Category/Women/Tops/Bras & Tanks", "WB"},
    {"Default Category/Women/Bottoms/Shorts", "WSH"},
    {"Default Category/Fabrics", "FAB"},
    {"Default Category/Collections/Eco Friendly", "ECO"},
};
constexpr int kBags = 0;
constexpr int kWatches = 2;
constexpr int kFabrics = 10;
constexpr int kEcoCollection = 11;
constexpr int kOwnCategories = 10;  // product categories before Fabrics

// Kinds by weight out of 100.
constexpr std::pair<DemoKind, int> kKindWeights[] = {
    {DemoKind::kInStock, 45},
    {DemoKind::kOnlyFewLeft, 8},
    {DemoKind::kBackorderDated, 8},
    {DemoKind::kBackorderUnknownEta, 4},
    {DemoKind::kBackorderLeadTime, 3},
    {DemoKind::kPreorder, 5},
    {DemoKind::kOutWithRestock, 8},
    {DemoKind::kOutNoEta, 2},
    {DemoKind::kOutManual, 2},
    {DemoKind::kDiscontinued, 4},
    {DemoKind::kDiscontinuedSellThrough, 2},
    {DemoKind::kNoManageStock, 3},
    {DemoKind::kCartRules, 4},
    {DemoKind::kDecimal, 2},
};

// Deterministic on every platform: std::mt19937_64's sequence is fixed by
// the standard (the standard distributions are not, so none is used).
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  // Uniform in [lo, hi].
  int64_t Between(int64_t lo, int64_t hi) {
    return lo +
           static_cast<int64_t>(engine_() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Percent(int percent) { return Between(1, 100) <= percent; }

 private:
  std::mt19937_64 engine_;
};

DemoKind PickKind(Random& random) {
  int64_t roll = random.Between(0, 99);
  for (const auto& [kind, weight] : kKindWeights) {
    if (roll < weight) return kind;
    roll -= weight;
  }
  return DemoKind::kInStock;
}

void SetDate(absl::CivilDay day, availability::v1::Date* date) {
  date->set_year(static_cast<int32_t>(day.year()));
  date->set_month(day.month());
  date->set_day(day.day());
}

void AddReceipt(absl::CivilDay day, double quantity, InventoryRecord& record) {
  availability::v1::Receipt* receipt = record.add_inbound();
  SetDate(day, receipt->mutable_date());
  receipt->set_quantity(quantity);
}

void AddLink(const std::string& sku, availability::v1::Relation relation,
             InventoryRecord& record) {
  availability::v1::AlternativeLink* link = record.add_alternatives();
  link->set_sku(sku);
  link->set_relation(relation);
}

// A record with the catalog-wide fields set.
InventoryRecord NewRecord(const std::string& sku, int category,
                          const DemoCatalogOptions& options, int64_t version) {
  InventoryRecord record;
  record.set_sku(sku);
  record.set_stock_id(options.stock_id);
  record.set_version(version);
  const absl::Time midnight =
      absl::FromCivil(absl::CivilSecond(options.today), absl::UTCTimeZone());
  record.mutable_source_time()->set_seconds(absl::ToUnixSeconds(midnight));
  record.add_category_ids(CategoryIdForPath(kCategories[category].path));
  return record;
}

}  // namespace

std::vector<std::string> DemoCategoryPaths() {
  std::vector<std::string> paths;
  for (const Category& category : kCategories)
    paths.emplace_back(category.path);
  return paths;
}

availability::v1::StoreConfig DemoStoreConfig(int32_t stock_id) {
  availability::v1::StoreConfig config;
  config.set_stock_id(stock_id);
  config.set_time_zone("Europe/Berlin");
  config.set_handling_days(1);
  config.set_only_x_left_threshold(5);
  config.set_alternatives_backorder_days(14);
  config.mutable_calendar()->add_weekend_days(6);  // Saturday
  config.mutable_calendar()->add_weekend_days(7);  // Sunday
  return config;
}

DemoCatalog GenerateDemoCatalog(const DemoCatalogOptions& options) {
  const absl::CivilDay today = options.today;
  const int64_t version =
      options.version > 0
          ? options.version
          : today.year() * 10000 + today.month() * 100 + today.day();
  Random random(options.seed);
  const int count = std::clamp(options.sku_count, 0, 100000);

  // Pass 1: kind, category and popularity of every generated SKU. The first
  // kDemoKindCount SKUs take each kind once, so even a tiny catalog has all.
  struct Planned {
    std::string sku;
    DemoKind kind;
    int category;
    bool eco;
    int64_t popularity;
  };
  std::vector<Planned> planned;
  planned.reserve(count);
  std::vector<std::vector<int>> in_stock_by_category(std::size(kCategories));
  for (int i = 0; i < count; ++i) {
    Planned p;
    p.kind = i < kDemoKindCount ? static_cast<DemoKind>(i) : PickKind(random);
    p.category = p.kind == DemoKind::kDecimal
                     ? kFabrics
                     : static_cast<int>(random.Between(0, kOwnCategories - 1));
    p.eco = random.Percent(15);
    p.popularity = random.Between(0, 1000000);
    p.sku =
        absl::StrFormat("%s-%05d", kCategories[p.category].sku_prefix, i + 1);
    if (p.kind == DemoKind::kInStock) {
      in_stock_by_category[p.category].push_back(i);
    }
    planned.push_back(std::move(p));
  }

  DemoCatalog catalog;
  catalog.records.reserve(static_cast<size_t>(count) + 8);
  // Category index -> (popularity, sku), for the rankings.
  std::map<int, std::vector<std::pair<int64_t, std::string>>> members;
  auto join = [&members](int category, int64_t popularity,
                         const std::string& sku) {
    members[category].emplace_back(popularity, sku);
  };

  // The fixed SKUs, all in Bags but the preorder, ranked on top.
  constexpr int64_t kTop = 2000000;
  auto featured = [&](const std::string& sku, int category,
                      const std::string& shows) -> InventoryRecord& {
    catalog.featured.push_back({sku, shows});
    catalog.records.push_back(NewRecord(sku, category, options, version));
    join(category, kTop - static_cast<int64_t>(catalog.records.size()), sku);
    return catalog.records.back();
  };
  {
    InventoryRecord& low =
        featured("DEMO-INSTOCK-LOW", kBags, "in stock, only 3 left");
    low.set_source_quantity(3);
    low.set_backorders(availability::v1::BACKORDERS_NO);

    InventoryRecord& backorder =
        featured("DEMO-BACKORDER", kBags,
                 "backorderable: 5 arrive in 4 days, 10 more in 18 days");
    backorder.set_backorders(availability::v1::BACKORDERS_YES);
    AddReceipt(today + 4, 5, backorder);
    AddReceipt(today + 18, 10, backorder);

    InventoryRecord& preorder =
        featured("DEMO-PREORDER", kWatches, "preorder, released in 30 days");
    preorder.set_lifecycle(availability::v1::LIFECYCLE_PREORDER);
    SetDate(today + 30, preorder.mutable_release_date());
    preorder.set_backorders(availability::v1::BACKORDERS_YES);

    InventoryRecord& out =
        featured("DEMO-OUT", kBags,
                 "out of stock, restock in 12 days, in-stock alternatives");
    out.set_backorders(availability::v1::BACKORDERS_NO);
    AddReceipt(today + 12, 20, out);
    // Two in-stock bags (same category), then the successor below.
    const std::vector<int>& bags = in_stock_by_category[kBags];
    if (!bags.empty()) {
      AddLink(planned[bags[0]].sku, availability::v1::RELATION_UPSELL, out);
    }
    if (bags.size() > 1) {
      AddLink(planned[bags[1]].sku, availability::v1::RELATION_RELATED, out);
    }
    AddLink("DEMO-SUCCESSOR", availability::v1::RELATION_RELATED, out);

    InventoryRecord& discontinued =
        featured("DEMO-DISCONTINUED", kBags,
                 "discontinued, successor DEMO-SUCCESSOR in stock");
    discontinued.set_lifecycle(availability::v1::LIFECYCLE_DISCONTINUED);
    discontinued.set_successor_sku("DEMO-SUCCESSOR");

    InventoryRecord& successor =
        featured("DEMO-SUCCESSOR", kBags, "in stock, 40 on hand");
    successor.set_source_quantity(40);
  }

  // Pass 2: the generated records.
  auto in_stock_peer = [&](int category, int self, int nth) -> const char* {
    const std::vector<int>& peers = in_stock_by_category[category];
    int seen = 0;
    for (int index : peers) {
      if (index == self) continue;
      if (seen++ == nth) return planned[index].sku.c_str();
    }
    return nullptr;
  };
  for (int i = 0; i < count; ++i) {
    const Planned& p = planned[i];
    InventoryRecord record = NewRecord(p.sku, p.category, options, version);
    join(p.category, p.popularity, p.sku);
    if (p.eco) {
      record.add_category_ids(
          CategoryIdForPath(kCategories[kEcoCollection].path));
      join(kEcoCollection, p.popularity, p.sku);
    }
    // In-stock alternatives of the same category, chosen at random.
    auto add_alternatives = [&](int how_many) {
      const size_t peers = in_stock_by_category[p.category].size();
      if (peers == 0) return;
      const int start =
          static_cast<int>(random.Between(0, static_cast<int64_t>(peers) - 1));
      for (int n = 0; n < how_many; ++n) {
        const char* sku =
            in_stock_peer(p.category, i, static_cast<int>((start + n) % peers));
        if (sku == nullptr) break;
        AddLink(sku,
                n == 0 ? availability::v1::RELATION_UPSELL
                       : availability::v1::RELATION_RELATED,
                record);
      }
    };
    switch (p.kind) {
      case DemoKind::kInStock:
        record.set_source_quantity(
            static_cast<double>(random.Between(10, 200)));
        if (random.Percent(30)) {
          record.set_reserved_quantity(
              -static_cast<double>(random.Between(1, 5)));
        }
        break;
      case DemoKind::kOnlyFewLeft:
        record.set_source_quantity(static_cast<double>(random.Between(1, 5)));
        record.set_backorders(availability::v1::BACKORDERS_NO);
        break;
      case DemoKind::kBackorderDated: {
        record.set_backorders(random.Percent(50)
                                  ? availability::v1::BACKORDERS_YES
                                  : availability::v1::BACKORDERS_YES_NOTIFY);
        const int receipts = static_cast<int>(random.Between(1, 3));
        int64_t day = 0;
        for (int r = 0; r < receipts; ++r) {
          day += random.Between(2, 15);
          AddReceipt(today + day, static_cast<double>(random.Between(5, 50)),
                     record);
        }
        break;
      }
      case DemoKind::kBackorderUnknownEta:
        record.set_backorders(availability::v1::BACKORDERS_YES);
        break;
      case DemoKind::kBackorderLeadTime:
        record.set_backorders(availability::v1::BACKORDERS_YES);
        record.set_lead_time_days(static_cast<int32_t>(random.Between(7, 21)));
        break;
      case DemoKind::kPreorder:
        record.set_lifecycle(availability::v1::LIFECYCLE_PREORDER);
        SetDate(today + random.Between(7, 90), record.mutable_release_date());
        record.set_backorders(availability::v1::BACKORDERS_YES);
        break;
      case DemoKind::kOutWithRestock:
        record.set_backorders(availability::v1::BACKORDERS_NO);
        AddReceipt(today + random.Between(5, 30),
                   static_cast<double>(random.Between(10, 60)), record);
        add_alternatives(static_cast<int>(random.Between(2, 3)));
        break;
      case DemoKind::kOutNoEta:
        record.set_backorders(availability::v1::BACKORDERS_NO);
        add_alternatives(1);
        break;
      case DemoKind::kOutManual:
        record.set_source_quantity(static_cast<double>(random.Between(5, 20)));
        record.set_is_in_stock(false);
        add_alternatives(2);
        break;
      case DemoKind::kDiscontinued:
      case DemoKind::kDiscontinuedSellThrough: {
        record.set_lifecycle(availability::v1::LIFECYCLE_DISCONTINUED);
        if (p.kind == DemoKind::kDiscontinuedSellThrough) {
          record.set_source_quantity(static_cast<double>(random.Between(2, 8)));
        }
        const char* successor = in_stock_peer(p.category, i, 0);
        record.set_successor_sku(successor != nullptr ? successor
                                                      : "DEMO-SUCCESSOR");
        break;
      }
      case DemoKind::kNoManageStock:
        record.set_manage_stock(false);
        break;
      case DemoKind::kCartRules:
        record.set_source_quantity(
            static_cast<double>(6 * random.Between(4, 20)));
        record.set_min_sale_qty(2);
        record.set_max_sale_qty(60);
        record.set_enable_qty_increments(true);
        record.set_qty_increments(6);
        break;
      case DemoKind::kDecimal:
        record.set_is_qty_decimal(true);
        record.set_source_quantity(0.25 *
                                   static_cast<double>(random.Between(4, 400)));
        record.set_min_sale_qty(0.5);
        break;
    }
    if (p.kind == DemoKind::kInStock && random.Percent(20)) {
      // Accessories shown in the cart.
      const int other = static_cast<int>(random.Between(0, count - 1));
      if (other != i) {
        AddLink(planned[other].sku, availability::v1::RELATION_CROSSSELL,
                record);
      }
    }
    catalog.records.push_back(std::move(record));
    catalog.kinds.push_back(p.kind);
  }

  for (auto& [category, skus] : members) {
    std::stable_sort(
        skus.begin(), skus.end(),
        [](const auto& a, const auto& b) { return a.first > b.first; });
    availability::v1::PutCategoryRankingRequest ranking;
    ranking.set_stock_id(options.stock_id);
    ranking.set_category_id(CategoryIdForPath(kCategories[category].path));
    for (size_t n = 0; n < skus.size() && n < 1000; ++n) {
      ranking.add_skus(skus[n].second);
    }
    catalog.rankings.push_back(std::move(ranking));
  }
  return catalog;
}

}  // namespace av::client
