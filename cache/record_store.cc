#include "cache/record_store.h"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cache/record_codec.h"
#include "cache/redis_reply.h"
#include "cache/scripts.h"

namespace availability::cache {
namespace {

// An error reply, mapped as every cache error is (cache/redis_reply.h).
absl::Status ReplyError(const RedisReply& reply, absl::string_view what) {
  return RedisErrorStatus(reply.str, what);
}

// The error of a record key holding bytes that are not a record.
absl::Status UndecodableRecord(absl::string_view key, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("record \"", key,
                                          "\": not a valid stored record (",
                                          why, "); resync the SKU"));
}

// The error of a record key holding another Redis type (`type`, as TYPE
// names it): the write script's GET fails on it too, so it must go first.
absl::Status WrongTypeRecord(absl::string_view key, absl::string_view type) {
  return absl::DataLossError(absl::StrCat(
      "record \"", key, "\": holds a Redis ", type,
      ", not a stored record; delete the key, then resync the SKU"));
}

// One record read: absent, the record, or DataLoss naming its key.
using RecordRead = absl::StatusOr<std::optional<core::Record>>;

// A GET-style reply into `out`: nil = absent, string = the record
// (DataLoss when it does not decode). Internal for any other reply type.
absl::Status RecordFromReply(const RedisReply& reply, const KeySchema& keys,
                             int32_t stock_id, absl::string_view sku,
                             RecordRead* out) {
  if (reply.is_nil()) {
    *out = std::nullopt;
    return absl::OkStatus();
  }
  if (reply.type != RedisReply::Type::kString) {
    return UnexpectedReply("record");
  }
  absl::StatusOr<core::Record> record = DecodeRecord(reply.str, stock_id, sku);
  if (record.ok()) {
    *out = std::move(*record);
  } else {
    *out = UndecodableRecord(keys.Record(stock_id, sku),
                             record.status().message());
  }
  return absl::OkStatus();
}

// An MGET reply of the records of `skus`: one read per SKU. Fails whole
// only on an error reply or a malformed one.
absl::StatusOr<std::vector<RecordRead>> RecordsFromReply(
    const RedisReply& reply, const KeySchema& keys, int32_t stock_id,
    const std::vector<std::string>& skus) {
  if (reply.is_error()) return ReplyError(reply, "records");
  if (reply.type != RedisReply::Type::kArray ||
      reply.elements.size() != skus.size()) {
    return UnexpectedReply("records");
  }
  std::vector<RecordRead> records(skus.size());
  for (size_t i = 0; i < skus.size(); ++i) {
    absl::Status parsed = RecordFromReply(reply.elements[i], keys, stock_id,
                                          skus[i], &records[i]);
    if (!parsed.ok()) return parsed;
  }
  return records;
}

// Asks the type of each record of `snapshot` that MGET found absent, in one
// pipeline of TYPE, and turns those of another type than string into
// DataLoss; then calls `done`. A key that is a string or gone by now was
// written or deleted since the MGET: it keeps the MGET's answer (absent).
void ReadTypesOfAbsent(
    RedisClient& client, const KeySchema& keys, int32_t stock_id,
    std::vector<std::string> skus, StockSnapshot snapshot, absl::Time deadline,
    std::function<void(absl::StatusOr<StockSnapshot>)> done) {
  std::vector<size_t> absent;
  std::vector<std::vector<std::string>> commands;
  for (size_t i = 0; i < skus.size(); ++i) {
    const RecordRead& read = snapshot.records[i];
    if (read.ok() && !read->has_value()) {
      absent.push_back(i);
      commands.push_back({"TYPE", keys.Record(stock_id, skus[i])});
    }
  }
  if (commands.empty()) {
    done(std::move(snapshot));
    return;
  }
  client.ExecutePipeline(
      std::move(commands), deadline,
      [keys, stock_id, skus = std::move(skus), absent = std::move(absent),
       snapshot = std::move(snapshot), done = std::move(done)](
          absl::StatusOr<std::vector<RedisReply>> replies) mutable {
        if (!replies.ok()) {
          done(replies.status());
          return;
        }
        if (replies->size() != absent.size()) {
          done(UnexpectedReply("record type"));
          return;
        }
        for (size_t k = 0; k < absent.size(); ++k) {
          const RedisReply& type = (*replies)[k];
          if (type.is_error()) {
            done(ReplyError(type, "record type"));
            return;
          }
          if (type.type != RedisReply::Type::kStatus &&
              type.type != RedisReply::Type::kString) {
            done(UnexpectedReply("record type"));
            return;
          }
          if (type.str == "none" || type.str == "string") continue;
          const size_t i = absent[k];
          snapshot.records[i] =
              WrongTypeRecord(keys.Record(stock_id, skus[i]), type.str);
        }
        done(std::move(snapshot));
      });
}

}  // namespace

RecordStore::RecordStore(RedisClient& client, KeySchema keys)
    : client_(client),
      keys_(std::move(keys)),
      candidates_script_(std::string(kCandidatesLua)) {}

absl::StatusOr<std::shared_ptr<const core::StoreConfig>>
RecordStore::DecodedConfigs::Get(int32_t stock_id, absl::string_view bytes) {
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(stock_id);
    if (it != entries_.end() && it->second.bytes == bytes) {
      return it->second.config;
    }
  }
  // Decoded outside the lock; a racing decode of the same bytes is as good.
  absl::StatusOr<core::StoreConfig> decoded =
      DecodeStoreConfig(bytes, stock_id);
  if (!decoded.ok()) return decoded.status();
  auto config = std::make_shared<const core::StoreConfig>(*std::move(decoded));
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[stock_id];
  entry.bytes = std::string(bytes);
  entry.config = config;
  return config;
}

void RecordStore::ReadStock(
    int32_t stock_id, std::vector<std::string> skus, absl::Time deadline,
    std::function<void(absl::StatusOr<StockSnapshot>)> done) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(3);
  commands.push_back({"GET", keys_.StoreConfig(stock_id)});
  if (skus.size() == 1) {
    // One SKU (a product page): GET answers WRONGTYPE for a key of another
    // type, so no EXISTS is needed beside it.
    commands.push_back({"GET", keys_.Record(stock_id, skus.front())});
  } else if (!skus.empty()) {
    std::vector<std::string> mget;
    mget.reserve(skus.size() + 1);
    mget.push_back("MGET");
    for (const std::string& sku : skus) {
      mget.push_back(keys_.Record(stock_id, sku));
    }
    // EXISTS counts keys of any type, MGET finds strings only: more keys
    // than records found means a record key of another type.
    std::vector<std::string> exists = mget;
    exists.front() = "EXISTS";
    commands.push_back(std::move(mget));
    commands.push_back(std::move(exists));
  }
  // The client and a copy of the schema, not `this`: the reply may outlive
  // the store at shutdown (the client outlives the store).
  client_.ExecutePipeline(
      std::move(commands), deadline,
      [client = &client_, keys = keys_, configs = configs_, stock_id, deadline,
       skus = std::move(skus), done = std::move(done)](
          absl::StatusOr<std::vector<RedisReply>> replies) mutable {
        if (!replies.ok()) {
          done(replies.status());
          return;
        }
        StockSnapshot snapshot;
        const RedisReply& config = replies->front();
        if (config.is_error()) {
          done(ReplyError(config, "store config"));
          return;
        }
        if (config.is_nil()) {
          // Not kept: any stock id may be asked for, stored ones are few.
          snapshot.config = std::make_shared<const core::StoreConfig>(
              DefaultStoreConfig(stock_id));
        } else if (config.type != RedisReply::Type::kString) {
          done(UnexpectedReply("store config"));
          return;
        } else {
          absl::StatusOr<std::shared_ptr<const core::StoreConfig>> decoded =
              configs->Get(stock_id, config.str);
          if (!decoded.ok()) {
            done(decoded.status());
            return;
          }
          snapshot.config = *std::move(decoded);
        }
        if (skus.empty()) {
          done(std::move(snapshot));
          return;
        }
        if (skus.size() == 1) {
          const RedisReply& record = (*replies)[1];
          snapshot.records.resize(1);
          if (record.is_error() && absl::StartsWith(record.str, "WRONGTYPE")) {
            // Ask its type (absent again if it changed meanwhile).
            snapshot.records[0] = std::nullopt;
            ReadTypesOfAbsent(*client, keys, stock_id, std::move(skus),
                              std::move(snapshot), deadline, std::move(done));
            return;
          }
          if (record.is_error()) {
            done(ReplyError(record, "records"));
            return;
          }
          absl::Status parsed = RecordFromReply(record, keys, stock_id, skus[0],
                                                &snapshot.records[0]);
          if (!parsed.ok()) {
            done(parsed);
            return;
          }
          done(std::move(snapshot));
          return;
        }
        absl::StatusOr<std::vector<RecordRead>> records =
            RecordsFromReply((*replies)[1], keys, stock_id, skus);
        if (!records.ok()) {
          done(records.status());
          return;
        }
        snapshot.records = std::move(*records);
        const RedisReply& exists = (*replies)[2];
        if (exists.is_error()) {
          done(ReplyError(exists, "records"));
          return;
        }
        if (exists.type != RedisReply::Type::kInteger) {
          done(UnexpectedReply("records"));
          return;
        }
        int64_t found = 0;
        for (const RecordRead& read : snapshot.records) {
          if (!read.ok() || read->has_value()) ++found;
        }
        if (exists.integer <= found) {
          done(std::move(snapshot));
          return;
        }
        ReadTypesOfAbsent(*client, keys, stock_id, std::move(skus),
                          std::move(snapshot), deadline, std::move(done));
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

  auto parse = [keys = keys_, stock_id, skus = std::move(skus),
                category_ids = std::move(category_ids)](
                   const RedisReply& reply) -> absl::StatusOr<Candidates> {
    if (reply.is_error()) return ReplyError(reply, "candidates");
    if (reply.type != RedisReply::Type::kArray ||
        reply.elements.size() != 1 + category_ids.size()) {
      return UnexpectedReply("candidates");
    }
    Candidates out;
    // A broken candidate is skipped (absent), and listed.
    auto keep = [&](RecordRead read,
                    absl::string_view sku) -> std::optional<core::Record> {
      if (read.ok()) return std::move(*read);
      out.broken.push_back({keys.Record(stock_id, sku), read.status()});
      return std::nullopt;
    };
    absl::StatusOr<std::vector<RecordRead>> records =
        RecordsFromReply(reply.elements[0], keys, stock_id, skus);
    if (!records.ok()) return records.status();
    out.records.reserve(skus.size());
    for (size_t i = 0; i < skus.size(); ++i) {
      out.records.push_back(keep(std::move((*records)[i]), skus[i]));
    }
    for (size_t c = 1; c < reply.elements.size(); ++c) {
      const RedisReply& found = reply.elements[c];
      if (found.type != RedisReply::Type::kArray ||
          found.elements.size() % 2 != 0) {
        return UnexpectedReply("candidates");
      }
      for (size_t i = 0; i < found.elements.size(); i += 2) {
        const std::string& sku = found.elements[i].str;
        RecordRead read;
        absl::Status parsed =
            RecordFromReply(found.elements[i + 1], keys, stock_id, sku, &read);
        if (!parsed.ok()) return parsed;
        std::optional<core::Record> record = keep(std::move(read), sku);
        if (!record.has_value()) continue;
        out.by_category.push_back(RecordStore::CategoryCandidate{
            category_ids[c - 1], sku, std::move(*record)});
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
  return kCandidatesLua;
}

}  // namespace availability::cache
