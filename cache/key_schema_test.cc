#include "cache/key_schema.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace availability::cache {
namespace {

// Redis Cluster's rule: the hash tag is between the first '{' and the first
// '}' after it, when non-empty; otherwise the whole key is hashed.
std::string HashTag(const std::string& key) {
  const size_t open = key.find('{');
  if (open == std::string::npos) return key;
  const size_t close = key.find('}', open + 1);
  if (close == std::string::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

TEST(KeySchemaTest, Layout) {
  KeySchema keys("av");
  EXPECT_EQ(keys.Record(1, "24-MB01"), "av:{1}:r:24-MB01");
  EXPECT_EQ(keys.RecordPrefix(1), "av:{1}:r:");
  EXPECT_EQ(keys.StoreConfig(2), "av:{2}:config");
  EXPECT_EQ(keys.SalesChannels(), "av:channels");
  EXPECT_EQ(keys.CategoryRanking(3, 42), "av:{3}:cat:42");
  EXPECT_EQ(keys.CategoryRankingPrefix(3), "av:{3}:cat:");
  EXPECT_EQ(keys.Events(3), "av:{3}:events");
  EXPECT_EQ(keys.NotificationJobs(3), "av:{3}:jobs");
  EXPECT_EQ(keys.Subscriptions(3, "X"), "av:{3}:sub:X");
  EXPECT_EQ(keys.SubscriberIndex(3, "c-1"), "av:{3}:subscriber:c-1");
  EXPECT_EQ(keys.Snapshot(3, "2024-01-01"), "av:{3}:snap:2024-01-01");
  EXPECT_EQ(keys.Parents(3, "X"), "av:{3}:parents:X");
  EXPECT_EQ(keys.ComponentList(3, "X"), "av:{3}:comp:X");
  EXPECT_EQ(keys.ManagedStocks("magento"), "av:stocks:magento");
}

TEST(KeySchemaTest, DefaultPrefixIsAv) {
  EXPECT_EQ(KeySchema().prefix(), "av");
}

TEST(KeySchemaTest, PrefixIsConfigurable) {
  EXPECT_EQ(KeySchema("shop-de").Record(1, "A"), "shop-de:{1}:r:A");
  EXPECT_EQ(KeySchema("").Record(1, "A"), "{1}:r:A");
  EXPECT_EQ(KeySchema("").SalesChannels(), "channels");
  EXPECT_EQ(KeySchema("").ManagedStocks("magento"), "stocks:magento");
  // Braces would move the hash tag into the prefix: they are dropped.
  EXPECT_EQ(KeySchema("a{b}").Record(1, "A"), "ab:{1}:r:A");
}

TEST(KeySchemaTest, EveryPerStockKeyHashesOnTheStock) {
  struct Case {
    const char* name;
    std::string sku;
  };
  const Case cases[] = {
      {"plain", "24-MB01"},          {"colon", "a:b:c"},
      {"braces", "{x}y{"},           {"closing_brace_first", "}a{b}"},
      {"utf8", "Kaffeemühle-Ø42-☕"}, {"empty_braces", "{}"},
  };
  for (const std::string& prefix : {std::string("av"), std::string("")}) {
    KeySchema keys(prefix);
    for (const Case& c : cases) {
      SCOPED_TRACE(c.name);
      for (const std::string& key :
           {keys.Record(7, c.sku), keys.RecordPrefix(7), keys.StoreConfig(7),
            keys.CategoryRanking(7, 9), keys.CategoryRankingPrefix(7),
            keys.Events(7), keys.NotificationJobs(7),
            keys.Subscriptions(7, c.sku), keys.Snapshot(7, c.sku),
            keys.Parents(7, c.sku), keys.ComponentList(7, c.sku)}) {
        EXPECT_EQ(HashTag(key), "7") << key;
      }
      EXPECT_EQ(keys.Record(7, c.sku), keys.RecordPrefix(7) + c.sku);
    }
  }
}

TEST(KeySchemaTest, NegativeStockIdsStayDistinct) {
  KeySchema keys;
  EXPECT_NE(keys.Record(-1, "A"), keys.Record(1, "A"));
  EXPECT_EQ(HashTag(keys.Record(-1, "A")), "-1");
}

TEST(KeySchemaTest, RecordKeyStockFindsTheStockOfRecordKeysOnly) {
  for (const std::string prefix : {"av", ""}) {
    SCOPED_TRACE(prefix);
    const KeySchema keys(prefix);
    EXPECT_EQ(keys.RecordKeyStock(keys.Record(7, "24-MB01")), 7);
    // SKUs are verbatim: braces and ":r:" inside one change nothing.
    EXPECT_EQ(keys.RecordKeyStock(keys.Record(12, "a}:r:{3}")), 12);
    EXPECT_EQ(keys.RecordKeyStock(keys.Record(5, "")), 5);
    EXPECT_EQ(keys.RecordKeyStock(keys.Record(-1, "A")), -1);
    EXPECT_EQ(keys.RecordKeyStock(keys.StoreConfig(7)), std::nullopt);
    EXPECT_EQ(keys.RecordKeyStock(keys.Summaries(7)), std::nullopt);
    EXPECT_EQ(keys.RecordKeyStock(keys.Snapshot(7, "r:x")), std::nullopt);
    EXPECT_EQ(keys.RecordKeyStock("other:{7}:r:x"), std::nullopt);
    EXPECT_EQ(keys.RecordKeyStock(keys.StockKeyStart() + "x}:r:y"),
              std::nullopt);
  }
}

}  // namespace
}  // namespace availability::cache
