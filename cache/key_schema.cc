#include "cache/key_schema.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace availability::cache {

KeySchema::KeySchema(std::string prefix) : prefix_(std::move(prefix)) {
  // A brace in the prefix would move the Redis Cluster hash tag away from
  // the stock; drop them rather than silently spread a stock over slots.
  std::string clean;
  clean.reserve(prefix_.size());
  for (char c : prefix_) {
    if (c != '{' && c != '}') clean.push_back(c);
  }
  prefix_ = std::move(clean);
  stock_key_start_ = prefix_.empty() ? "{" : absl::StrCat(prefix_, ":{");
}

std::string KeySchema::StockTag(int32_t stock_id) const {
  return absl::StrCat(stock_key_start_, stock_id, "}");
}

std::string KeySchema::Record(int32_t stock_id, absl::string_view sku) const {
  return absl::StrCat(StockTag(stock_id), ":r:", sku);
}

std::string KeySchema::RecordPrefix(int32_t stock_id) const {
  return absl::StrCat(StockTag(stock_id), ":r:");
}

std::optional<std::pair<int32_t, absl::string_view>> KeySchema::SplitStockKey(
    absl::string_view key) const {
  if (!absl::ConsumePrefix(&key, stock_key_start_)) return std::nullopt;
  const size_t close = key.find('}');
  int32_t stock = 0;
  if (close == absl::string_view::npos ||
      !absl::SimpleAtoi(key.substr(0, close), &stock)) {
    return std::nullopt;
  }
  key.remove_prefix(close + 1);
  if (!absl::ConsumePrefix(&key, ":")) return std::nullopt;
  return std::make_pair(stock, key);
}

std::optional<int32_t> KeySchema::RecordKeyStock(absl::string_view key) const {
  const auto split = SplitStockKey(key);
  if (!split.has_value() || !absl::StartsWith(split->second, "r:")) {
    return std::nullopt;
  }
  return split->first;
}

std::string KeySchema::StoreConfig(int32_t stock_id) const {
  return absl::StrCat(StockTag(stock_id), ":config");
}

std::string KeySchema::SalesChannels() const {
  if (prefix_.empty()) return "channels";
  return absl::StrCat(prefix_, ":channels");
}

std::string KeySchema::CategoryRanking(int32_t stock_id,
                                       int64_t category_id) const {
  return absl::StrCat(CategoryRankingPrefix(stock_id), category_id);
}

std::string KeySchema::CategoryRankingPrefix(int32_t stock_id) const {
  return absl::StrCat(StockTag(stock_id), ":cat:");
}

std::string KeySchema::Events(int32_t stock_id) const {
  return absl::StrCat(StockTag(stock_id), ":events");
}

std::string KeySchema::DemandBucket(int32_t stock_id,
                                    absl::string_view day) const {
  return absl::StrCat(StockTag(stock_id), ":demand:", day);
}

std::string KeySchema::NotificationJobs(int32_t stock_id) const {
  return absl::StrCat(StockTag(stock_id), ":jobs");
}

std::string KeySchema::Parents(int32_t stock_id,
                               absl::string_view component) const {
  return absl::StrCat(StockTag(stock_id), ":parents:", component);
}

std::string KeySchema::ComponentList(int32_t stock_id,
                                     absl::string_view parent) const {
  return absl::StrCat(StockTag(stock_id), ":comp:", parent);
}

std::string KeySchema::Subscriptions(int32_t stock_id,
                                     absl::string_view sku) const {
  return absl::StrCat(StockTag(stock_id), ":sub:", sku);
}

std::string KeySchema::SubscriberIndex(int32_t stock_id,
                                       absl::string_view subscriber) const {
  return absl::StrCat(StockTag(stock_id), ":subscriber:", subscriber);
}

std::string KeySchema::Snapshot(int32_t stock_id,
                                absl::string_view snapshot_id) const {
  return absl::StrCat(StockTag(stock_id), ":snap:", snapshot_id);
}

std::string KeySchema::Summaries(int32_t stock_id) const {
  return absl::StrCat(StockTag(stock_id), ":sum");
}

std::string KeySchema::ManagedStocks(absl::string_view owner) const {
  if (prefix_.empty()) return absl::StrCat("stocks:", owner);
  return absl::StrCat(prefix_, ":stocks:", owner);
}

}  // namespace availability::cache
