#include "server/demand_counter.h"

#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace availability::server {
namespace {

using ::testing::IsEmpty;

v1::ProductAvailability Answer(const std::string& sku, v1::Status status,
                               v1::Status display, double backorder = 0) {
  v1::ProductAvailability a;
  a.set_sku(sku);
  a.set_stock_id(1);
  a.set_status(status);
  a.set_display_status(display);
  if (backorder > 0) a.mutable_split()->set_backorder_quantity(backorder);
  return a;
}

// Take() as (stock, sku) -> counts.
std::map<std::pair<int32_t, std::string>, cache::DemandCounts> Taken(
    DemandCounter& counter) {
  std::map<std::pair<int32_t, std::string>, cache::DemandCounts> out;
  for (cache::DemandIncrement& inc : counter.Take()) {
    out[{inc.stock_id, inc.sku}] = inc.counts;
  }
  return out;
}

struct StatusCase {
  const char* name;
  v1::Status status;
  v1::Status display;
  double backorder;
  cache::DemandCounts page;  // what one product-page answer counts
};

class DemandCounterStatusTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(DemandCounterStatusTest, CountsWhatTheAnswerShowed) {
  const StatusCase& c = GetParam();
  DemandCounter counter({100});
  counter.CountProductPage(Answer("A", c.status, c.display, c.backorder));
  google::protobuf::RepeatedPtrField<v1::ProductAvailability> listing;
  *listing.Add() = Answer("A", c.status, c.display, c.backorder);
  counter.CountListing(listing);
  auto taken = Taken(counter);
  if (c.page.empty()) {
    EXPECT_THAT(taken, IsEmpty());
    EXPECT_EQ(counter.entries(), 0u);
    return;
  }
  cache::DemandCounts both = c.page;
  both.listing_views = c.page.product_page_views;
  both.backorder_qty = 2 * c.page.backorder_qty;
  EXPECT_EQ(taken[std::make_pair(1, std::string("A"))], both);
}

INSTANTIATE_TEST_SUITE_P(
    Statuses, DemandCounterStatusTest,
    ::testing::Values(
        StatusCase{"InStock", v1::STATUS_IN_STOCK, v1::STATUS_IN_STOCK, 0, {}},
        StatusCase{"Unknown", v1::STATUS_UNKNOWN, v1::STATUS_UNKNOWN, 0, {}},
        StatusCase{"Discontinued",
                   v1::STATUS_DISCONTINUED,
                   v1::STATUS_DISCONTINUED,
                   0,
                   {}},
        StatusCase{"OutOfStock",
                   v1::STATUS_OUT_OF_STOCK,
                   v1::STATUS_OUT_OF_STOCK,
                   0,
                   {1, 0, 0}},
        StatusCase{
            "Preorder", v1::STATUS_PREORDER, v1::STATUS_PREORDER, 1, {1, 0, 0}},
        StatusCase{"Backorderable",
                   v1::STATUS_BACKORDERABLE,
                   v1::STATUS_BACKORDERABLE,
                   2.5,
                   {1, 0, 25000}},
        // 10 asked, 3 in stock: the badge says in stock, 7 are backordered.
        StatusCase{"BackorderedBeyondStock",
                   v1::STATUS_BACKORDERABLE,
                   v1::STATUS_IN_STOCK,
                   7,
                   {0, 0, 70000}}),
    [](const auto& row) { return std::string(row.param.name); });

TEST(DemandCounterTest, TakeZeroesThenForgetsIdleEntries) {
  DemandCounter counter({100});
  const auto oos =
      Answer("A", v1::STATUS_OUT_OF_STOCK, v1::STATUS_OUT_OF_STOCK);
  counter.CountProductPage(oos);
  counter.CountProductPage(oos);
  EXPECT_EQ(counter.entries(), 1u);
  auto first = Taken(counter);
  EXPECT_EQ(first[std::make_pair(1, std::string("A"))],
            (cache::DemandCounts{2, 0, 0}));
  // Held, zeroed: nothing more to take.
  EXPECT_EQ(counter.entries(), 1u);
  EXPECT_THAT(Taken(counter), IsEmpty());
  // Idle for a whole round: forgotten.
  EXPECT_EQ(counter.entries(), 0u);
}

TEST(DemandCounterTest, StocksAreCountedApart) {
  DemandCounter counter({100});
  counter.Add(1, "A", {1, 0, 0});
  counter.Add(2, "A", {0, 3, 0});
  auto taken = Taken(counter);
  EXPECT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[std::make_pair(2, std::string("A"))],
            (cache::DemandCounts{0, 3, 0}));
}

TEST(DemandCounterTest, TheBoundDropsNewSkusAndCountsThem) {
  DemandCounter counter({10});
  for (int i = 0; i < 25; ++i) counter.Add(1, absl::StrCat("S", i), {1, 0, 0});
  EXPECT_EQ(counter.entries(), 10u);
  EXPECT_EQ(counter.dropped(), 15u);
  // SKUs already held still count.
  auto taken = Taken(counter);
  ASSERT_EQ(taken.size(), 10u);
  for (const auto& [key, counts] : taken) {
    counter.Add(key.first, key.second, {1, 0, 0});
  }
  EXPECT_EQ(counter.dropped(), 15u);
  // Room comes back once idle entries are forgotten.
  Taken(counter);  // takes the 10 again
  Taken(counter);  // forgets them
  counter.Add(1, "new", {1, 0, 0});
  EXPECT_EQ(counter.entries(), 1u);
}

TEST(DemandCounterTest, ConcurrentCountsAddUpExactly) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  constexpr int kSkus = 50;
  DemandCounter counter({1000});
  std::vector<std::thread> threads;
  uint64_t taken_views = 0;
  std::thread taker([&] {
    for (int i = 0; i < 50; ++i) {
      for (const auto& inc : counter.Take()) {
        taken_views += inc.counts.product_page_views;
      }
    }
  });
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&counter, t] {
      for (int i = 0; i < kPerThread; ++i) {
        counter.Add(1, absl::StrCat("SKU-", (i + t) % kSkus), {1, 0, 0});
      }
    });
  }
  for (auto& t : threads) t.join();
  taker.join();
  for (const auto& inc : counter.Take()) {
    taken_views += inc.counts.product_page_views;
  }
  EXPECT_EQ(taken_views, uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(counter.dropped(), 0u);
}

}  // namespace
}  // namespace availability::server
