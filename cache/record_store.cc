#include "cache/record_store.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cache/record_codec.h"
#include "cache/redis_reply.h"

namespace availability::cache {
namespace {

// Read-only (EVAL_RO works on replicas). KEYS: `n` record keys, then the
// category ranking keys. ARGV: n, per_category, record key prefix of the
// stock. Returns {MGET of the n keys, then per category a flat list
// sku1, value1, sku2, value2, ... of its ranked SKUs that have a record}.
// The record keys of ranked SKUs are built here, not passed in KEYS: they
// share the stock's hash tag, so they live in the same cluster slot.
constexpr absl::string_view kCandidatesScript = R"lua(
local n = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local prefix = ARGV[3]
local result = {}
if n > 0 then
  result[1] = redis.call('MGET', unpack(KEYS, 1, n))
else
  result[1] = {}
end
for i = n + 1, #KEYS do
  local found = {}
  if per > 0 then
    local skus = redis.call('LRANGE', KEYS[i], 0, per - 1)
    if #skus > 0 then
      local keys = {}
      for j = 1, #skus do keys[j] = prefix .. skus[j] end
      local values = redis.call('MGET', unpack(keys))
      for j = 1, #skus do
        if values[j] then
          found[#found + 1] = skus[j]
          found[#found + 1] = values[j]
        end
      end
    end
  end
  result[#result + 1] = found
end
return result
)lua";

// An error reply, mapped as every cache error is (cache/redis_reply.h).
absl::Status ReplyError(const RedisReply& reply, absl::string_view what) {
  return RedisErrorStatus(reply.str, what);
}

// A GET-style reply: nil = absent, string = the record.
absl::StatusOr<std::optional<core::Record>> RecordFromReply(
    const RedisReply& reply, int32_t stock_id, absl::string_view sku) {
  if (reply.is_nil()) return std::nullopt;
  if (reply.type != RedisReply::Type::kString) {
    return UnexpectedReply("record");
  }
  absl::StatusOr<core::Record> record = DecodeRecord(reply.str, stock_id, sku);
  if (!record.ok()) {
    return absl::DataLossError(absl::StrCat(
        "stock ", stock_id, " sku \"", sku, "\": ", record.status().message()));
  }
  return std::move(*record);
}

absl::StatusOr<std::vector<std::optional<core::Record>>> RecordsFromReply(
    const RedisReply& reply, int32_t stock_id,
    const std::vector<std::string>& skus) {
  if (reply.is_error()) return ReplyError(reply, "records");
  if (reply.type != RedisReply::Type::kArray ||
      reply.elements.size() != skus.size()) {
    return UnexpectedReply("records");
  }
  std::vector<std::optional<core::Record>> records;
  records.reserve(skus.size());
  for (size_t i = 0; i < skus.size(); ++i) {
    absl::StatusOr<std::optional<core::Record>> record =
        RecordFromReply(reply.elements[i], stock_id, skus[i]);
    if (!record.ok()) return record.status();
    records.push_back(std::move(*record));
  }
  return records;
}

}  // namespace

RecordStore::RecordStore(RedisClient& client, KeySchema keys)
    : client_(client),
      keys_(std::move(keys)),
      candidates_script_(std::string(kCandidatesScript)) {}

void RecordStore::ReadStock(
    int32_t stock_id, std::vector<std::string> skus, absl::Time deadline,
    std::function<void(absl::StatusOr<StockSnapshot>)> done) {
  std::vector<std::vector<std::string>> commands;
  commands.push_back({"GET", keys_.StoreConfig(stock_id)});
  if (!skus.empty()) {
    std::vector<std::string> mget;
    mget.reserve(skus.size() + 1);
    mget.push_back("MGET");
    for (const std::string& sku : skus) {
      mget.push_back(keys_.Record(stock_id, sku));
    }
    commands.push_back(std::move(mget));
  }
  client_.ExecutePipeline(
      std::move(commands), deadline,
      [stock_id, skus = std::move(skus), done = std::move(done)](
          absl::StatusOr<std::vector<RedisReply>> replies) {
        if (!replies.ok()) {
          done(replies.status());
          return;
        }
        StockSnapshot snapshot;
        const RedisReply& config = replies->front();
        if (config.is_nil()) {
          snapshot.config.stock_id = stock_id;
        } else if (config.is_error()) {
          done(ReplyError(config, "store config"));
          return;
        } else if (config.type != RedisReply::Type::kString) {
          done(UnexpectedReply("store config"));
          return;
        } else {
          absl::StatusOr<core::StoreConfig> decoded =
              DecodeStoreConfig(config.str, stock_id);
          if (!decoded.ok()) {
            done(decoded.status());
            return;
          }
          snapshot.config = std::move(*decoded);
        }
        if (!skus.empty()) {
          absl::StatusOr<std::vector<std::optional<core::Record>>> records =
              RecordsFromReply((*replies)[1], stock_id, skus);
          if (!records.ok()) {
            done(records.status());
            return;
          }
          snapshot.records = std::move(*records);
        }
        done(std::move(snapshot));
      });
}

void RecordStore::ResolveSalesChannel(
    std::string code, absl::Time deadline,
    std::function<void(absl::StatusOr<std::optional<int32_t>>)> done) {
  client_.Execute(
      {"HGET", keys_.SalesChannels(), code}, deadline,
      [code, done = std::move(done)](absl::StatusOr<RedisReply> reply) {
        if (!reply.ok()) {
          done(reply.status());
          return;
        }
        if (reply->is_nil()) {
          done(std::optional<int32_t>());
          return;
        }
        if (reply->is_error()) {
          done(ReplyError(*reply, "sales channel"));
          return;
        }
        int32_t stock_id;
        if (reply->type != RedisReply::Type::kString ||
            !absl::SimpleAtoi(reply->str, &stock_id)) {
          done(absl::DataLossError(absl::StrCat(
              "sales channel \"", code, "\" maps to a non-numeric stock")));
          return;
        }
        done(std::optional<int32_t>(stock_id));
      });
}

void RecordStore::ReadCandidates(
    int32_t stock_id, std::vector<std::string> skus,
    std::vector<int64_t> category_ids, int per_category, absl::Time deadline,
    std::function<void(absl::StatusOr<Candidates>)> done) {
  if (skus.empty() && category_ids.empty()) {
    // Nothing to read; still answer on the loop thread's terms: at once.
    done(Candidates{});
    return;
  }
  // Arguments after the script name/body: numkeys, KEYS..., ARGV...
  std::vector<std::string> args;
  args.reserve(skus.size() + category_ids.size() + 4);
  args.push_back(absl::StrCat(skus.size() + category_ids.size()));
  for (const std::string& sku : skus) {
    args.push_back(keys_.Record(stock_id, sku));
  }
  for (int64_t id : category_ids) {
    args.push_back(keys_.CategoryRanking(stock_id, id));
  }
  args.push_back(absl::StrCat(skus.size()));
  args.push_back(absl::StrCat(per_category));
  args.push_back(keys_.RecordPrefix(stock_id));

  auto parse = [stock_id, skus = std::move(skus),
                category_ids = std::move(category_ids)](
                   const RedisReply& reply) -> absl::StatusOr<Candidates> {
    if (reply.is_error()) return ReplyError(reply, "candidates");
    if (reply.type != RedisReply::Type::kArray ||
        reply.elements.size() != 1 + category_ids.size()) {
      return UnexpectedReply("candidates");
    }
    Candidates out;
    absl::StatusOr<std::vector<std::optional<core::Record>>> records =
        RecordsFromReply(reply.elements[0], stock_id, skus);
    if (!records.ok()) return records.status();
    out.records = std::move(*records);
    for (size_t c = 1; c < reply.elements.size(); ++c) {
      const RedisReply& found = reply.elements[c];
      if (found.type != RedisReply::Type::kArray ||
          found.elements.size() % 2 != 0) {
        return UnexpectedReply("candidates");
      }
      for (size_t i = 0; i < found.elements.size(); i += 2) {
        const std::string& sku = found.elements[i].str;
        absl::StatusOr<std::optional<core::Record>> record =
            RecordFromReply(found.elements[i + 1], stock_id, sku);
        if (!record.ok()) return record.status();
        if (!record->has_value()) continue;
        out.by_category.push_back(RecordStore::CategoryCandidate{
            category_ids[c - 1], sku, std::move(**record)});
      }
    }
    return out;
  };
  RunCandidatesScript(std::move(args), deadline,
                      [parse = std::move(parse), done = std::move(done)](
                          absl::StatusOr<RedisReply> reply) {
                        if (!reply.ok()) {
                          done(reply.status());
                        } else {
                          done(parse(*reply));
                        }
                      });
}

void RecordStore::RunCandidatesScript(std::vector<std::string> args,
                                      absl::Time deadline,
                                      RedisClient::Callback done) {
  const bool read_only = read_only_scripts_.load(std::memory_order_relaxed);
  std::vector<std::vector<std::string>> calls = {args};
  candidates_script_.Run(
      client_, std::move(calls), read_only, deadline,
      [this, read_only, args = std::move(args), deadline,
       done = std::move(done)](
          absl::StatusOr<std::vector<RedisReply>> replies) mutable {
        if (!replies.ok()) {
          done(replies.status());
          return;
        }
        RedisReply& reply = (*replies)[0];
        if (read_only && reply.is_error() &&
            absl::StrContains(reply.str, "unknown command")) {
          // Redis before 7: no *_RO commands; use the plain ones.
          read_only_scripts_.store(false, std::memory_order_relaxed);
          RunCandidatesScript(std::move(args), deadline, std::move(done));
          return;
        }
        done(std::move(reply));
      });
}

absl::string_view RecordStore::CandidatesScriptForTest() {
  return kCandidatesScript;
}

}  // namespace availability::cache
