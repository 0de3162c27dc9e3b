#include "client/import/demo_catalog.h"

#include <map>
#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "client/import/magento_csv_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace av::client {
namespace {

using availability::v1::InventoryRecord;

DemoCatalogOptions Options() {
  DemoCatalogOptions options;
  options.today = absl::CivilDay(2026, 3, 4);
  return options;
}

absl::CivilDay Day(const availability::v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

bool ShipsNow(const InventoryRecord& r) {
  return (!r.has_is_in_stock() || r.is_in_stock()) &&
         r.lifecycle() != availability::v1::LIFECYCLE_PREORDER &&
         r.source_quantity() + r.reserved_quantity() > 0;
}

TEST(DemoCatalogTest, DeterministicForTheSameOptions) {
  DemoCatalog a = GenerateDemoCatalog(Options());
  DemoCatalog b = GenerateDemoCatalog(Options());
  ASSERT_EQ(a.records.size(), b.records.size());
  for (size_t i = 0; i < a.records.size(); ++i) {
    ASSERT_EQ(a.records[i].SerializeAsString(),
              b.records[i].SerializeAsString())
        << a.records[i].sku();
  }
  DemoCatalogOptions other = Options();
  other.seed = 2;
  DemoCatalog c = GenerateDemoCatalog(other);
  EXPECT_NE(a.records.back().SerializeAsString(),
            c.records.back().SerializeAsString());
}

TEST(DemoCatalogTest, CoversEveryKindAndTheFixedSkus) {
  DemoCatalog catalog = GenerateDemoCatalog(Options());
  EXPECT_GE(catalog.records.size(), 1200u);
  std::map<DemoKind, int> kinds;
  for (DemoKind kind : catalog.kinds) ++kinds[kind];
  EXPECT_EQ(kinds.size(), static_cast<size_t>(kDemoKindCount));
  for (const auto& [kind, n] : kinds) {
    EXPECT_GE(n, 10) << static_cast<int>(kind);
  }
  std::vector<std::string> featured;
  for (const DemoSku& sku : catalog.featured) featured.push_back(sku.sku);
  EXPECT_THAT(featured,
              ::testing::ElementsAre("DEMO-INSTOCK-LOW", "DEMO-BACKORDER",
                                     "DEMO-PREORDER", "DEMO-OUT",
                                     "DEMO-DISCONTINUED", "DEMO-SUCCESSOR"));
  // Even a tiny catalog has every kind.
  DemoCatalogOptions tiny = Options();
  tiny.sku_count = kDemoKindCount;
  std::set<DemoKind> tiny_kinds;
  for (DemoKind kind : GenerateDemoCatalog(tiny).kinds) tiny_kinds.insert(kind);
  EXPECT_EQ(tiny_kinds.size(), static_cast<size_t>(kDemoKindCount));
}

TEST(DemoCatalogTest, RecordsKeepTheServersRules) {
  DemoCatalog catalog = GenerateDemoCatalog(Options());
  absl::flat_hash_map<std::string, const InventoryRecord*> by_sku;
  for (const InventoryRecord& r : catalog.records) {
    EXPECT_TRUE(by_sku.emplace(r.sku(), &r).second) << "duplicate " << r.sku();
  }
  const absl::CivilDay today(2026, 3, 4);
  for (const InventoryRecord& r : catalog.records) {
    SCOPED_TRACE(r.sku());
    EXPECT_EQ(r.stock_id(), 1);
    EXPECT_EQ(r.version(), 20260304);
    EXPECT_LE(r.sku().size(), 64u);
    EXPECT_LE(r.alternatives_size(), 50);
    for (const auto& receipt : r.inbound()) {
      EXPECT_GT(Day(receipt.date()), today);
      EXPECT_GT(receipt.quantity(), 0);
    }
    if (r.lifecycle() == availability::v1::LIFECYCLE_PREORDER) {
      ASSERT_TRUE(r.has_release_date());
      EXPECT_GT(Day(r.release_date()), today);
    }
    if (!r.is_qty_decimal()) {
      EXPECT_EQ(r.source_quantity(), static_cast<int64_t>(r.source_quantity()));
    }
    for (const auto& link : r.alternatives()) {
      EXPECT_NE(link.sku(), r.sku());
      ASSERT_TRUE(by_sku.contains(link.sku())) << link.sku();
    }
    const bool out =
        !ShipsNow(r) && r.backorders() != availability::v1::BACKORDERS_YES &&
        r.backorders() != availability::v1::BACKORDERS_YES_NOTIFY &&
        r.lifecycle() == availability::v1::LIFECYCLE_UNSPECIFIED &&
        !r.has_manage_stock();
    if (out && r.alternatives_size() > 0) {
      // Out-of-stock products point at products that ship now.
      EXPECT_TRUE(ShipsNow(*by_sku[r.alternatives(0).sku()]));
    }
    if (!r.successor_sku().empty()) {
      ASSERT_TRUE(by_sku.contains(r.successor_sku()));
      EXPECT_TRUE(ShipsNow(*by_sku[r.successor_sku()]));
    }
  }
}

TEST(DemoCatalogTest, FixedSkusShowWhatTheDemoSays) {
  DemoCatalog catalog = GenerateDemoCatalog(Options());
  absl::flat_hash_map<std::string, const InventoryRecord*> by_sku;
  for (const InventoryRecord& r : catalog.records) by_sku[r.sku()] = &r;
  EXPECT_EQ(by_sku["DEMO-INSTOCK-LOW"]->source_quantity(), 3);
  const InventoryRecord& backorder = *by_sku["DEMO-BACKORDER"];
  ASSERT_EQ(backorder.inbound_size(), 2);
  EXPECT_EQ(Day(backorder.inbound(0).date()), absl::CivilDay(2026, 3, 8));
  const InventoryRecord& out = *by_sku["DEMO-OUT"];
  EXPECT_EQ(out.source_quantity(), 0);
  ASSERT_GE(out.alternatives_size(), 2);
  int in_stock_same_category = 0;
  for (const auto& link : out.alternatives()) {
    const InventoryRecord& alt = *by_sku[link.sku()];
    if (ShipsNow(alt) && alt.category_ids(0) == out.category_ids(0)) {
      ++in_stock_same_category;
    }
  }
  EXPECT_GE(in_stock_same_category, 2);
  EXPECT_EQ(by_sku["DEMO-DISCONTINUED"]->successor_sku(), "DEMO-SUCCESSOR");
}

TEST(DemoCatalogTest, RankingsCoverTheCategoriesMostPopularFirst) {
  DemoCatalog catalog = GenerateDemoCatalog(Options());
  std::set<int64_t> ids;
  for (const std::string& path : DemoCategoryPaths()) {
    ids.insert(CategoryIdForPath(path));
  }
  ASSERT_EQ(catalog.rankings.size(), ids.size());
  for (const auto& ranking : catalog.rankings) {
    EXPECT_TRUE(ids.count(ranking.category_id()));
    EXPECT_GT(ranking.skus_size(), 0);
    EXPECT_LE(ranking.skus_size(), 1000);
    EXPECT_EQ(ranking.stock_id(), 1);
  }
  // Bags: the fixed SKUs first.
  const int64_t bags = CategoryIdForPath("Default Category/Gear/Bags");
  for (const auto& ranking : catalog.rankings) {
    if (ranking.category_id() == bags) {
      EXPECT_EQ(ranking.skus(0), "DEMO-INSTOCK-LOW");
    }
  }
}

TEST(DemoStoreConfigTest, MondayToFridayBerlin) {
  availability::v1::StoreConfig config = DemoStoreConfig(1);
  EXPECT_EQ(config.time_zone(), "Europe/Berlin");
  EXPECT_EQ(config.handling_days(), 1);
  EXPECT_EQ(config.only_x_left_threshold(), 5);
  EXPECT_EQ(config.alternatives_backorder_days(), 14);
  EXPECT_THAT(config.calendar().weekend_days(), ::testing::ElementsAre(6, 7));
}

}  // namespace
}  // namespace av::client
