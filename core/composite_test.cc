// docs/domain.md §10: configurable, grouped and bundle parents answered from
// their components' records.
#include "core/composite.h"

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace availability::core {
namespace {

using absl::CivilDay;

constexpr Qty U(int64_t units) { return QtyFromUnits(units); }
const CivilDay kToday(2024, 3, 1);  // a Friday

Record Simple(const std::string& sku, Qty qty) {
  Record r;
  r.sku = sku;
  r.stock_id = 1;
  r.version = 1;
  r.source_qty = qty;
  return r;
}

// Out of stock now, backorderable, receipt on `date` (ships that day: no
// handling days in the default config).
Record Backorderable(const std::string& sku, CivilDay date) {
  Record r = Simple(sku, 0);
  r.backorders = Backorders::kYes;
  r.inbound.push_back(Receipt{date, U(100)});
  return r;
}

Record OutWithRestock(const std::string& sku, CivilDay date) {
  Record r = Simple(sku, 0);
  r.inbound.push_back(Receipt{date, U(100)});
  return r;
}

Record Preorder(const std::string& sku, CivilDay release) {
  Record r = Simple(sku, 0);
  r.lifecycle = Lifecycle::kPreorder;
  r.release_date = release;
  return r;
}

Record Parent(ProductType type, std::vector<std::string> components) {
  Record r = Simple("PARENT", 0);
  r.product_type = type;
  r.components = std::move(components);
  return r;
}

Record Bundle(std::vector<BundleOption> options) {
  Record r = Simple("BUNDLE", 0);
  r.product_type = ProductType::kBundle;
  r.bundle_options = std::move(options);
  return r;
}

BundleOption Option(bool required, std::vector<BundleSelection> selections) {
  BundleOption o;
  o.required = required;
  o.selections = std::move(selections);
  return o;
}

CompositeDecision Answer(const Record& parent, const std::vector<Record>& found,
                         std::optional<Qty> q = std::nullopt) {
  return DecideComposite(parent, StoreConfig{}, found, kToday, q);
}

TEST(ComponentSkusTest, ListsEachComponentOnceInOrder) {
  EXPECT_TRUE(ComponentSkus(Simple("A", 0)).empty());
  EXPECT_EQ(ComponentSkus(Parent(ProductType::kConfigurable, {"B", "A", "B"})),
            (std::vector<std::string>{"B", "A"}));
  const Record bundle = Bundle({Option(true, {{"X", U(1)}, {"Y", U(2)}}),
                                Option(false, {{"Y", U(1)}, {"Z", U(1)}})});
  EXPECT_EQ(ComponentSkus(bundle), (std::vector<std::string>{"X", "Y", "Z"}));
}

TEST(CompositeTest, SimpleRecordIsDecide) {
  const Record r = Simple("A", U(3));
  const CompositeDecision d = Answer(r, {});
  EXPECT_EQ(d.decision, Decide(r, StoreConfig{}, kToday, std::nullopt));
  EXPECT_TRUE(d.components.empty());
}

// ---------------------------------------------------------------------------
// Configurable.

TEST(ConfigurableTest, BestVariantDecides) {
  const Record parent = Parent(ProductType::kConfigurable, {"S", "M", "L"});
  const CompositeDecision d =
      Answer(parent, {Simple("S", 0), Backorderable("M", CivilDay(2024, 3, 10)),
                      Simple("L", U(2))});
  EXPECT_EQ(d.decision.status, Status::kInStock);
  EXPECT_EQ(d.decision.display_status, Status::kInStock);
  EXPECT_TRUE(d.decision.orderable);
  ASSERT_EQ(d.components.size(), 3u);
  EXPECT_EQ(d.components[0].sku, "S");
  EXPECT_EQ(d.components[0].decision.display_status, Status::kOutOfStock);
  EXPECT_EQ(d.components[1].decision.display_status, Status::kBackorderable);
  EXPECT_EQ(d.components[2].decision.display_status, Status::kInStock);
  EXPECT_EQ(d.decision.feed.merchant, "in_stock");
}

TEST(ConfigurableTest, ParentOutOfStockFlagWins) {
  Record parent = Parent(ProductType::kConfigurable, {"S"});
  parent.is_in_stock = false;
  const CompositeDecision d = Answer(parent, {Simple("S", U(5))});
  EXPECT_EQ(d.decision.status, Status::kOutOfStock);
  EXPECT_FALSE(d.decision.orderable);
  EXPECT_FALSE(d.decision.restock_date.has_value());
  ASSERT_EQ(d.components.size(), 1u);
  EXPECT_EQ(d.components[0].decision.status, Status::kInStock);
}

TEST(ConfigurableTest, ParentOwnQuantityIsIgnored) {
  Record parent = Parent(ProductType::kConfigurable, {"S"});
  parent.source_qty = U(100);
  EXPECT_EQ(Answer(parent, {Simple("S", 0)}).decision.status,
            Status::kOutOfStock);
}

TEST(ConfigurableTest, BackorderableEarliestFirstShipDate) {
  const Record parent = Parent(ProductType::kConfigurable, {"A", "B", "C"});
  const CompositeDecision d =
      Answer(parent, {Backorderable("A", CivilDay(2024, 3, 20)),
                      Backorderable("B", CivilDay(2024, 3, 5)),
                      Preorder("C", CivilDay(2024, 3, 2))});
  EXPECT_EQ(d.decision.status, Status::kBackorderable);
  EXPECT_EQ(d.decision.first_ship_date, CivilDay(2024, 3, 5));
  EXPECT_EQ(d.decision.feed.merchant, "backorder");
  EXPECT_EQ(d.decision.feed.merchant_date, CivilDay(2024, 3, 5));
}

TEST(ConfigurableTest, BackorderableBeatsPreorder) {
  const Record parent = Parent(ProductType::kConfigurable, {"P", "B"});
  const CompositeDecision d =
      Answer(parent, {Preorder("P", CivilDay(2024, 3, 2)),
                      Backorderable("B", CivilDay(2024, 4, 1))});
  EXPECT_EQ(d.decision.status, Status::kBackorderable);
}

TEST(ConfigurableTest, PreorderCarriesReleaseDateForFeeds) {
  const Record parent = Parent(ProductType::kConfigurable, {"P1", "P2"});
  const CompositeDecision d =
      Answer(parent, {Preorder("P1", CivilDay(2024, 5, 1)),
                      Preorder("P2", CivilDay(2024, 4, 1))});
  EXPECT_EQ(d.decision.status, Status::kPreorder);
  EXPECT_EQ(d.decision.first_ship_date, CivilDay(2024, 4, 1));
  EXPECT_EQ(d.decision.feed.merchant, "preorder");
  EXPECT_EQ(d.decision.feed.merchant_date, CivilDay(2024, 4, 1));
}

TEST(ConfigurableTest, DiscontinuedVariantRanksAsOutOfStock) {
  Record gone = Simple("D", 0);
  gone.lifecycle = Lifecycle::kDiscontinued;
  const Record parent = Parent(ProductType::kConfigurable, {"D", "O"});
  const CompositeDecision d =
      Answer(parent, {gone, OutWithRestock("O", CivilDay(2024, 3, 9))});
  EXPECT_EQ(d.decision.status, Status::kOutOfStock);
  EXPECT_EQ(d.decision.display_status, Status::kOutOfStock);
  EXPECT_EQ(d.components[0].decision.status, Status::kDiscontinued);
}

TEST(ConfigurableTest, RestockDateIsEarliestVariantRestock) {
  const Record parent = Parent(ProductType::kConfigurable, {"A", "B", "C"});
  const CompositeDecision d = Answer(
      parent, {OutWithRestock("A", CivilDay(2024, 3, 20)), Simple("B", 0),
               OutWithRestock("C", CivilDay(2024, 3, 8))});
  EXPECT_EQ(d.decision.status, Status::kOutOfStock);
  EXPECT_EQ(d.decision.restock_date, CivilDay(2024, 3, 8));
  EXPECT_EQ(d.decision.feed.merchant, "out_of_stock");
}

TEST(ConfigurableTest, NoOnlyXLeftOnParent) {
  StoreConfig config;
  config.only_x_left_threshold = U(5);
  const Record parent = Parent(ProductType::kConfigurable, {"A"});
  const std::vector<Record> found = {Simple("A", U(2))};
  const CompositeDecision d =
      DecideComposite(parent, config, found, kToday, std::nullopt);
  EXPECT_EQ(d.decision.status, Status::kInStock);
  EXPECT_FALSE(d.decision.only_x_left.has_value());
  EXPECT_EQ(d.components[0].decision.only_x_left, U(2));
  EXPECT_EQ(d.decision.feed.schema_org, "https://schema.org/InStock");
}

TEST(ConfigurableTest, MissingVariantsAreNotFound) {
  const Record parent = Parent(ProductType::kConfigurable, {"GONE", "A"});
  const CompositeDecision d = Answer(parent, {Simple("A", U(1))});
  ASSERT_EQ(d.components.size(), 2u);
  EXPECT_FALSE(d.components[0].found);
  EXPECT_EQ(d.components[0].decision.status, Status::kUnknown);
  EXPECT_TRUE(d.components[1].found);
  EXPECT_EQ(d.decision.status, Status::kInStock);

  const CompositeDecision none = Answer(parent, {});
  EXPECT_EQ(none.decision.status, Status::kOutOfStock);
  EXPECT_FALSE(none.decision.orderable);
  EXPECT_EQ(none.decision.unavailable_qty, U(1));
}

TEST(ConfigurableTest, NoVariantsIsOutOfStock) {
  const CompositeDecision d =
      Answer(Parent(ProductType::kConfigurable, {}), {});
  EXPECT_EQ(d.decision.status, Status::kOutOfStock);
  EXPECT_TRUE(d.components.empty());
}

TEST(ConfigurableTest, RequestedQuantityNeedsOneVariantThatSuppliesIt) {
  const Record parent = Parent(ProductType::kConfigurable, {"S", "M"});
  const std::vector<Record> found = {Simple("S", U(3)),
                                     Backorderable("M", CivilDay(2024, 3, 6))};
  // 3 units: S supplies them.
  EXPECT_EQ(Answer(parent, found, U(3)).decision.status, Status::kInStock);
  // 5 units: no variant has 5 in stock; M can backorder them. The split is
  // M's, not S + M's.
  const CompositeDecision d = Answer(parent, found, U(5));
  EXPECT_EQ(d.decision.status, Status::kBackorderable);
  EXPECT_EQ(d.decision.display_status, Status::kInStock);
  EXPECT_EQ(d.decision.feed.merchant, "in_stock");
  EXPECT_EQ(d.decision.requested, U(5));
  EXPECT_EQ(d.decision.backorder_qty, U(5));
  EXPECT_EQ(d.decision.first_ship_date, CivilDay(2024, 3, 6));
  EXPECT_EQ(d.components[0].decision.status, Status::kOutOfStock);
  EXPECT_EQ(d.components[0].decision.display_status, Status::kInStock);
}

TEST(ConfigurableTest, RequestedQuantityNoVariantSuppliesIt) {
  const Record parent = Parent(ProductType::kConfigurable, {"S", "M"});
  const CompositeDecision d =
      Answer(parent, {Simple("S", U(3)), Simple("M", U(4))}, U(5));
  EXPECT_EQ(d.decision.status, Status::kOutOfStock);
  EXPECT_EQ(d.decision.display_status, Status::kInStock);
  EXPECT_EQ(d.decision.unavailable_qty, U(5));
  EXPECT_FALSE(d.decision.orderable);
}

TEST(ConfigurableTest, CartRuleBreakingVariantsRankLast) {
  Record tens = Simple("TENS", U(100));
  tens.qty_increments = U(10);
  tens.enable_qty_increments = true;
  // 5 of TENS breaks its increments; OUT cannot supply them: out of stock,
  // whatever the order of the variants.
  for (const auto& order : {std::vector<std::string>{"TENS", "OUT"},
                            std::vector<std::string>{"OUT", "TENS"}}) {
    const CompositeDecision d =
        Answer(Parent(ProductType::kConfigurable, order),
               {tens, Simple("OUT", U(1))}, U(5));
    EXPECT_EQ(d.decision.status, Status::kOutOfStock);
    EXPECT_EQ(d.decision.broken_rule, CartRule::kNone);
  }
  // Only rule breakers: the parent answers with the first one's rule.
  const CompositeDecision only =
      Answer(Parent(ProductType::kConfigurable, {"TENS"}), {tens}, U(5));
  EXPECT_EQ(only.decision.broken_rule, CartRule::kQtyIncrements);
  EXPECT_FALSE(only.decision.orderable);
}

// ---------------------------------------------------------------------------
// Grouped.

TEST(GroupedTest, LikeConfigurable) {
  const Record parent = Parent(ProductType::kGrouped, {"A", "B"});
  const CompositeDecision d = Answer(
      parent, {Simple("A", 0), Backorderable("B", CivilDay(2024, 3, 4))});
  EXPECT_EQ(d.decision.status, Status::kBackorderable);
  EXPECT_EQ(d.decision.first_ship_date, CivilDay(2024, 3, 4));
  EXPECT_EQ(d.components.size(), 2u);
  Record flagged = parent;
  flagged.is_in_stock = false;
  EXPECT_EQ(Answer(flagged, {Simple("A", U(1))}).decision.status,
            Status::kOutOfStock);
}

// ---------------------------------------------------------------------------
// Bundle.

TEST(BundleTest, WorstRequiredOptionEachServedByItsBest) {
  const Record bundle = Bundle({Option(true, {{"CPU1", U(1)}, {"CPU2", U(1)}}),
                                Option(true, {{"RAM", U(2)}})});
  // CPU1 out, CPU2 in stock: the option is in stock. RAM backorderable.
  const CompositeDecision d =
      Answer(bundle, {Simple("CPU1", 0), Simple("CPU2", U(1)),
                      Backorderable("RAM", CivilDay(2024, 3, 7))});
  EXPECT_EQ(d.decision.status, Status::kBackorderable);
  EXPECT_EQ(d.decision.first_ship_date, CivilDay(2024, 3, 7));
  EXPECT_EQ(d.decision.backorder_qty, U(1));
  ASSERT_EQ(d.components.size(), 2u);
  EXPECT_EQ(d.components[0].sku, "CPU2");
  EXPECT_EQ(d.components[0].option_index, 0);
  EXPECT_EQ(d.components[1].sku, "RAM");
  EXPECT_EQ(d.components[1].decision.requested, U(2));
}

TEST(BundleTest, SelectionMustSupplyQTimesItsQty) {
  const Record bundle = Bundle({Option(true, {{"A", U(2)}})});
  const std::vector<Record> found = {Simple("A", U(5))};
  EXPECT_EQ(Answer(bundle, found, U(2)).decision.status, Status::kInStock);
  const CompositeDecision three = Answer(bundle, found, U(3));  // needs 6
  EXPECT_EQ(three.decision.status, Status::kOutOfStock);
  EXPECT_EQ(three.decision.display_status, Status::kInStock);
  EXPECT_EQ(three.components[0].decision.requested, U(6));
}

TEST(BundleTest, ShipsWhenSlowestRequiredOptionShips) {
  const Record bundle =
      Bundle({Option(true, {{"A", U(1)}}), Option(true, {{"B", U(1)}}),
              Option(false, {{"C", U(1)}})});
  const CompositeDecision d = Answer(
      bundle, {Backorderable("A", CivilDay(2024, 3, 5)),
               Backorderable("B", CivilDay(2024, 3, 12)), Simple("C", 0)});
  EXPECT_EQ(d.decision.status, Status::kBackorderable);
  EXPECT_EQ(d.decision.first_ship_date, CivilDay(2024, 3, 12));
  EXPECT_TRUE(d.decision.eta_known);
}

TEST(BundleTest, BestSelectionIsEarliestAmongEqualStatus) {
  const Record bundle =
      Bundle({Option(true, {{"LATE", U(1)}, {"SOON", U(1)}})});
  const CompositeDecision d =
      Answer(bundle, {Backorderable("LATE", CivilDay(2024, 4, 1)),
                      Backorderable("SOON", CivilDay(2024, 3, 3))});
  ASSERT_EQ(d.components.size(), 1u);
  EXPECT_EQ(d.components[0].sku, "SOON");
  EXPECT_EQ(d.decision.first_ship_date, CivilDay(2024, 3, 3));
}

TEST(BundleTest, OptionalOptionsDoNotLimit) {
  const Record bundle =
      Bundle({Option(true, {{"A", U(1)}}), Option(false, {{"GONE", U(1)}})});
  const CompositeDecision d = Answer(bundle, {Simple("A", U(1))});
  EXPECT_EQ(d.decision.status, Status::kInStock);
  ASSERT_EQ(d.components.size(), 2u);
  EXPECT_FALSE(d.components[1].required);
  EXPECT_FALSE(d.components[1].found);
}

TEST(BundleTest, MissingRequiredSelectionMakesItOutOfStock) {
  const Record bundle =
      Bundle({Option(true, {{"A", U(1)}}), Option(true, {{"GONE", U(1)}})});
  const CompositeDecision d = Answer(bundle, {Simple("A", U(1))});
  EXPECT_EQ(d.decision.status, Status::kOutOfStock);
  EXPECT_FALSE(d.decision.orderable);
}

TEST(BundleTest, PreorderIsWorseThanBackorderable) {
  const Record bundle =
      Bundle({Option(true, {{"B", U(1)}}), Option(true, {{"P", U(1)}})});
  const CompositeDecision d =
      Answer(bundle, {Backorderable("B", CivilDay(2024, 3, 5)),
                      Preorder("P", CivilDay(2024, 3, 9))});
  EXPECT_EQ(d.decision.status, Status::kPreorder);
  EXPECT_EQ(d.decision.release_date, CivilDay(2024, 3, 9));
  EXPECT_EQ(d.decision.first_ship_date, CivilDay(2024, 3, 9));
  EXPECT_EQ(d.decision.feed.merchant, "preorder");
}

TEST(BundleTest, RestockIsLatestOfOutOptions) {
  const Record bundle =
      Bundle({Option(true, {{"A", U(1)}}), Option(true, {{"B", U(1)}}),
              Option(true, {{"C", U(1)}})});
  const CompositeDecision d = Answer(
      bundle, {OutWithRestock("A", CivilDay(2024, 3, 5)),
               OutWithRestock("B", CivilDay(2024, 3, 15)), Simple("C", U(9))});
  EXPECT_EQ(d.decision.status, Status::kOutOfStock);
  EXPECT_EQ(d.decision.restock_date, CivilDay(2024, 3, 15));
  // One out option without a restock date: none for the bundle.
  const CompositeDecision never =
      Answer(bundle, {OutWithRestock("A", CivilDay(2024, 3, 5)), Simple("B", 0),
                      Simple("C", U(9))});
  EXPECT_FALSE(never.decision.restock_date.has_value());
}

TEST(BundleTest, NoRequiredOptionNeedsOneServableOption) {
  const Record bundle =
      Bundle({Option(false, {{"A", U(1)}}), Option(false, {{"B", U(1)}})});
  EXPECT_EQ(Answer(bundle, {Simple("A", 0), Simple("B", U(1))}).decision.status,
            Status::kInStock);
  EXPECT_EQ(Answer(bundle, {Simple("A", 0), Simple("B", 0)}).decision.status,
            Status::kOutOfStock);
  EXPECT_EQ(Answer(Bundle({}), {}).decision.status, Status::kOutOfStock);
}

TEST(BundleTest, ParentOutOfStockFlagWins) {
  Record bundle = Bundle({Option(true, {{"A", U(1)}})});
  bundle.is_in_stock = false;
  EXPECT_EQ(Answer(bundle, {Simple("A", U(3))}).decision.status,
            Status::kOutOfStock);
}

// ---------------------------------------------------------------------------
// Property: a configurable parent's display status is the best of its
// variants' (ranked as §10 says), whatever the variants.

TEST(CompositePropertyTest, ConfigurableIsBestVariant) {
  std::mt19937 rng(15);
  auto rank = [](Status s) {
    switch (s) {
      case Status::kInStock:
        return 0;
      case Status::kBackorderable:
        return 1;
      case Status::kPreorder:
        return 2;
      default:
        return 3;
    }
  };
  for (int round = 0; round < 500; ++round) {
    std::vector<Record> found;
    std::vector<std::string> skus;
    const int n = 1 + static_cast<int>(rng() % 6);
    int best = 3;
    for (int i = 0; i < n; ++i) {
      const std::string sku = "V" + std::to_string(i);
      skus.push_back(sku);
      Record r;
      switch (rng() % 5) {
        case 0:
          r = Simple(sku, U(rng() % 3));
          break;
        case 1:
          r = Backorderable(sku, kToday + static_cast<int>(rng() % 30));
          break;
        case 2:
          r = Preorder(sku, kToday + 1 + static_cast<int>(rng() % 30));
          break;
        case 3:
          r = Simple(sku, U(rng() % 2));
          r.lifecycle = Lifecycle::kDiscontinued;
          break;
        default:
          continue;  // not found
      }
      best = std::min(
          best,
          rank(Decide(r, StoreConfig{}, kToday, std::nullopt).display_status));
      found.push_back(r);
    }
    const CompositeDecision d =
        Answer(Parent(ProductType::kConfigurable, skus), found);
    ASSERT_EQ(rank(d.decision.display_status), best) << "round " << round;
    ASSERT_NE(d.decision.status, Status::kDiscontinued);
    ASSERT_EQ(d.components.size(), skus.size());
    ASSERT_FALSE(d.decision.only_x_left.has_value());
  }
}

}  // namespace
}  // namespace availability::core
