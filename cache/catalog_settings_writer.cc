#include "cache/catalog_settings_writer.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cache/key_scan.h"
#include "cache/record_codec.h"
#include "cache/redis_reply.h"
#include "cache/scripts.h"

namespace availability::cache {

CatalogSettingsWriter::CatalogSettingsWriter(RedisClient& client,
                                             KeySchema keys)
    : CatalogSettingsWriter(client, std::move(keys), Options()) {}

CatalogSettingsWriter::CatalogSettingsWriter(RedisClient& client,
                                             KeySchema keys, Options options)
    : client_(client), keys_(std::move(keys)), options_(options) {}

void CatalogSettingsWriter::ReadStoreConfig(int32_t stock_id,
                                            absl::Time deadline,
                                            Callback<core::StoreConfig> done) {
  client_.Execute(
      {"GET", keys_.StoreConfig(stock_id)}, deadline,
      [stock_id, done = std::move(done)](absl::StatusOr<RedisReply> reply) {
        if (absl::Status s = ReplyStatus(reply, "store config"); !s.ok()) {
          done(s);
          return;
        }
        if (reply->is_nil()) {
          done(DefaultStoreConfig(stock_id));
          return;
        }
        done(DecodeStoreConfig(reply->str, stock_id));
      });
}

namespace {

// Adapts a plain command's reply to a status callback.
RedisClient::Callback StatusOnly(std::string what,
                                 CatalogSettingsWriter::StatusCallback done) {
  return [what = std::move(what),
          done = std::move(done)](absl::StatusOr<RedisReply> reply) {
    done(ReplyStatus(reply, what));
  };
}

}  // namespace

void CatalogSettingsWriter::PutStoreConfig(const core::StoreConfig& config,
                                           absl::Time deadline,
                                           StatusCallback done) {
  client_.Execute(
      {"SET", keys_.StoreConfig(config.stock_id), EncodeStoreConfig(config)},
      deadline, StatusOnly("store config", std::move(done)));
}

void CatalogSettingsWriter::PutSalesChannels(
    std::map<std::string, int32_t> channels, bool replace, absl::Time deadline,
    StatusCallback done) {
  std::vector<std::string> cmd;
  if (replace) {
    cmd = {"EVAL", kReplaceHashLua, "1", keys_.SalesChannels()};
  } else {
    if (channels.empty()) {
      done(absl::OkStatus());
      return;
    }
    cmd = {"HSET", keys_.SalesChannels()};
  }
  for (const auto& [code, stock] : channels) {
    cmd.push_back(code);
    cmd.push_back(absl::StrCat(stock));
  }
  client_.Execute(std::move(cmd), deadline,
                  StatusOnly("sales channels", std::move(done)));
}

void CatalogSettingsWriter::PutCategoryRanking(int32_t stock_id,
                                               int64_t category_id,
                                               std::vector<std::string> skus,
                                               absl::Time deadline,
                                               StatusCallback done) {
  std::vector<std::string> cmd = {"EVAL", kReplaceListLua, "1",
                                  keys_.CategoryRanking(stock_id, category_id)};
  for (std::string& sku : skus) cmd.push_back(std::move(sku));
  client_.Execute(std::move(cmd), deadline,
                  StatusOnly("category ranking", std::move(done)));
}

void CatalogSettingsWriter::ListCategoryRankings(
    int32_t stock_id, absl::Time deadline,
    Callback<std::vector<int64_t>> done) {
  ListCategoryRankings(
      std::vector<int32_t>{stock_id}, deadline,
      [stock_id, done = std::move(done)](
          absl::StatusOr<std::map<int32_t, std::vector<int64_t>>> ids) {
        if (!ids.ok()) {
          done(ids.status());
          return;
        }
        done(std::move((*ids)[stock_id]));
      });
}

void CatalogSettingsWriter::ListCategoryRankings(
    std::vector<int32_t> stocks, absl::Time deadline,
    Callback<std::map<int32_t, std::vector<int64_t>>> done) {
  auto ids = std::make_shared<std::map<int32_t, std::vector<int64_t>>>();
  for (int32_t stock : stocks) (*ids)[stock];
  ScanKeys(
      client_, absl::StrCat(GlobEscape(keys_.StockKeyStart()), "*}:cat:*"),
      options_.scan_count, deadline,
      [this, ids](std::vector<std::string> keys, StatusCallback next) {
        for (const std::string& key : keys) {
          const auto split = keys_.SplitStockKey(key);
          if (!split.has_value()) continue;
          const auto stock = ids->find(split->first);
          if (stock == ids->end()) continue;
          absl::string_view rest = split->second;
          int64_t id = 0;
          // Not "<prefix>:{<stock>}:cat:<number>": not a ranking of ours.
          if (absl::ConsumePrefix(&rest, "cat:") &&
              absl::SimpleAtoi(rest, &id)) {
            stock->second.push_back(id);
          }
        }
        next(absl::OkStatus());
      },
      [ids, done = std::move(done)](absl::Status s) {
        if (!s.ok()) {
          done(s);
          return;
        }
        for (auto& [stock, list] : *ids) {
          // SCAN may return a key more than once.
          std::sort(list.begin(), list.end());
          list.erase(std::unique(list.begin(), list.end()), list.end());
        }
        done(std::move(*ids));
      });
}

void CatalogSettingsWriter::ReadManagedStocks(
    absl::string_view owner, absl::Time deadline,
    Callback<std::vector<int32_t>> done) {
  client_.Execute(
      {"SMEMBERS", keys_.ManagedStocks(owner)}, deadline,
      [done = std::move(done)](absl::StatusOr<RedisReply> reply) {
        if (absl::Status s = ReplyStatus(reply, "managed stocks"); !s.ok()) {
          done(s);
          return;
        }
        std::vector<int32_t> stocks;
        for (const RedisReply& member : reply->elements) {
          int32_t stock = 0;
          if (!absl::SimpleAtoi(member.str, &stock)) {
            done(absl::DataLossError(absl::StrCat(
                "managed stocks: \"", member.str, "\" is not a stock id")));
            return;
          }
          stocks.push_back(stock);
        }
        std::sort(stocks.begin(), stocks.end());
        done(std::move(stocks));
      });
}

void CatalogSettingsWriter::AddManagedStocks(absl::string_view owner,
                                             std::vector<int32_t> stocks,
                                             absl::Time deadline,
                                             StatusCallback done) {
  ChangeManagedStocks("SADD", owner, std::move(stocks), deadline,
                      std::move(done));
}

void CatalogSettingsWriter::RemoveManagedStocks(absl::string_view owner,
                                                std::vector<int32_t> stocks,
                                                absl::Time deadline,
                                                StatusCallback done) {
  ChangeManagedStocks("SREM", owner, std::move(stocks), deadline,
                      std::move(done));
}

void CatalogSettingsWriter::ChangeManagedStocks(const char* command,
                                                absl::string_view owner,
                                                std::vector<int32_t> stocks,
                                                absl::Time deadline,
                                                StatusCallback done) {
  if (stocks.empty()) {
    done(absl::OkStatus());
    return;
  }
  std::vector<std::string> cmd = {command, keys_.ManagedStocks(owner)};
  for (int32_t stock : stocks) cmd.push_back(absl::StrCat(stock));
  client_.Execute(std::move(cmd), deadline,
                  StatusOnly("managed stocks", std::move(done)));
}

}  // namespace availability::cache
