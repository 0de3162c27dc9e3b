#include "cache/record_writer.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/log.h"
#include "cache/key_scan.h"
#include "cache/record_codec.h"
#include "cache/redis_reply.h"
#include "cache/redis_script.h"
#include "cache/scripts.h"
#include "core/composite.h"
#include "core/decision.h"

namespace availability::cache {
namespace {

// The write script's per-item result codes (the first element of each
// item's reply).
// ARGV slot (1-based) of the fencing token (cache/scripts/write_records.lua).
constexpr size_t kFenceTokenArg = 5;
constexpr int kScriptApplied = 1;
constexpr int kScriptStale = 2;
// X only: the snapshot holds the SKU; the record stays.
constexpr int kScriptKept = 3;
// X only: the record is already gone.
constexpr int kScriptAbsent = 4;
// S only: the parent or one of its components changed since the summary was
// derived; nothing written.
constexpr int kScriptChanged = 5;

// A write script with the named constants (reply codes, summary statuses)
// and the prelude (cache/scripts/write_prelude.lua) both write scripts use,
// after the script's "#!lua" line.
std::string WithWriteConstants(absl::string_view lua) {
  return LuaWithConstants(lua,
                          {{"APPLIED", kScriptApplied},
                           {"STALE", kScriptStale},
                           {"KEPT", kScriptKept},
                           {"ABSENT", kScriptAbsent},
                           {"CHANGED", kScriptChanged},
                           {"S_UNKNOWN", kSummaryUnknown},
                           {"S_IN_STOCK", kSummaryInStock},
                           {"S_BACKORDERABLE", kSummaryBackorderable},
                           {"S_PREORDER", kSummaryPreorder},
                           {"S_DISCONTINUED", kSummaryDiscontinued}},
                          kWritePreludeLua);
}

// The write script (cache/scripts/write_records.lua).
const std::string& WriteScriptText() {
  static const std::string* const text =
      new std::string(WithWriteConstants(kWriteRecordsLua));
  return *text;
}

// The bulk upsert script for simple records (cache/scripts/upsert_simple.lua).
const std::string& UpsertSimpleScriptText() {
  static const std::string* const text =
      new std::string(WithWriteConstants(kUpsertSimpleLua));
  return *text;
}

// upsert_simple.lua's answer when a record of its batch was a composite:
// nothing written, the batch goes to the write script.
constexpr absl::string_view kScriptGeneral = "GENERAL";

std::string VersionBytes(int64_t version) {
  std::string out(8, '\0');
  const uint64_t v = static_cast<uint64_t>(version);
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>((v >> (56 - 8 * i)) & 0xff);
  }
  return out;
}

int64_t VersionFromBytes(absl::string_view b) {
  if (b.size() != 8) return 0;
  uint64_t v = 0;
  for (unsigned char c : b) v = (v << 8) | c;
  return static_cast<int64_t>(v);
}

int ToSummaryStatus(core::Status status) {
  switch (status) {
    case core::Status::kUnknown:
      return kSummaryUnknown;
    case core::Status::kInStock:
      return kSummaryInStock;
    case core::Status::kBackorderable:
      return kSummaryBackorderable;
    case core::Status::kPreorder:
      return kSummaryPreorder;
    case core::Status::kOutOfStock:
      return kSummaryOutOfStock;
    case core::Status::kDiscontinued:
      return kSummaryDiscontinued;
  }
  return kSummaryUnknown;
}

// A component list as the write script keeps it: each SKU as one length
// byte, then its bytes (SKUs are at most core::kMaxSkuBytes < 256 bytes).
std::string EncodeSkuList(const std::vector<std::string>& skus) {
  std::string out;
  for (const std::string& sku : skus) {
    out.push_back(static_cast<char>(static_cast<unsigned char>(sku.size())));
    out.append(sku);
  }
  return out;
}

std::vector<std::string> DecodeSkuList(absl::string_view list) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < list.size()) {
    const size_t len = static_cast<unsigned char>(list[pos]);
    out.emplace_back(list.substr(pos + 1, len));
    pos += 1 + len;
  }
  return out;
}

// What a stock's script call was doing, for its errors.
std::string WritingStock(int32_t stock_id) {
  return absl::StrCat("writing stock ", stock_id);
}

// Decodes one stock's script reply into outcomes at `indices` of `out`, and
// the composites whose summary must be derived again into `parents` (SKU ->
// component list). Errors (nothing of `out` changed): the script's error
// reply, mapped (cache/redis_reply.h); Internal for a reply of an
// unexpected shape.
absl::Status DecodeOutcomes(const RedisReply& reply, int32_t stock_id,
                            const std::vector<size_t>& indices,
                            std::vector<WriteOutcome>& out,
                            std::map<std::string, std::string>& parents) {
  const std::string what = WritingStock(stock_id);
  if (reply.is_error()) return RedisErrorStatus(reply.str, what);
  if (reply.type != RedisReply::Type::kArray ||
      reply.elements.size() != indices.size()) {
    return UnexpectedReply(what);
  }
  for (const RedisReply& item : reply.elements) {
    if (item.type != RedisReply::Type::kArray || item.elements.size() < 4 ||
        item.elements.size() > 5 ||
        item.elements[0].type != RedisReply::Type::kInteger ||
        item.elements[2].type != RedisReply::Type::kInteger ||
        item.elements[3].type != RedisReply::Type::kInteger) {
      return UnexpectedReply(what);
    }
    const int64_t code = item.elements[0].integer;
    if (code != kScriptApplied && code != kScriptStale && code != kScriptKept &&
        code != kScriptAbsent && code != kScriptChanged) {
      return UnexpectedReply(what);
    }
    if (item.elements.size() == 5 &&
        (item.elements[4].type != RedisReply::Type::kArray ||
         item.elements[4].elements.size() % 2 != 0)) {
      return UnexpectedReply(what);
    }
  }
  for (size_t i = 0; i < indices.size(); ++i) {
    const RedisReply& item = reply.elements[i];
    WriteOutcome& o = out[indices[i]];
    o.result = item.elements[0].integer == kScriptApplied
                   ? WriteResult::kApplied
                   : WriteResult::kStale;
    o.stored_version = VersionFromBytes(item.elements[1].str);
    o.events_appended = static_cast<int>(item.elements[2].integer);
    o.notifications_queued = static_cast<int>(item.elements[3].integer);
    if (item.elements.size() == 5) {
      const auto& flat = item.elements[4].elements;
      for (size_t k = 0; k + 1 < flat.size(); k += 2) {
        parents[flat[k].str] = flat[k + 1].str;
      }
    }
  }
  return absl::OkStatus();
}

// The same for upsert_simple.lua's compact reply {codes, versions, events,
// jobs, parents} (see the script).
absl::Status DecodeSimpleOutcomes(const RedisReply& reply, int32_t stock_id,
                                  const std::vector<size_t>& indices,
                                  std::vector<WriteOutcome>& out,
                                  std::map<std::string, std::string>& parents) {
  const std::string what = WritingStock(stock_id);
  if (reply.is_error()) return RedisErrorStatus(reply.str, what);
  const size_t n = indices.size();
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() != 5) {
    return UnexpectedReply(what);
  }
  const std::string& codes = reply.elements[0].str;
  const std::string& versions = reply.elements[1].str;
  const std::string& events = reply.elements[2].str;
  const RedisReply& jobs = reply.elements[3];
  const RedisReply& derive = reply.elements[4];
  if (codes.size() != n || versions.size() != 8 * n || events.size() != n ||
      jobs.type != RedisReply::Type::kArray || jobs.elements.size() % 2 != 0 ||
      derive.type != RedisReply::Type::kArray ||
      derive.elements.size() % 2 != 0) {
    return UnexpectedReply(what);
  }
  for (char c : codes) {
    if (c != 'A' && c != 'S') return UnexpectedReply(what);
  }
  for (size_t k = 0; k < jobs.elements.size(); k += 2) {
    if (jobs.elements[k].type != RedisReply::Type::kInteger ||
        jobs.elements[k].integer < 0 ||
        static_cast<size_t>(jobs.elements[k].integer) >= n ||
        jobs.elements[k + 1].type != RedisReply::Type::kInteger) {
      return UnexpectedReply(what);
    }
  }
  for (size_t k = 0; k < derive.elements.size(); k += 2) {
    if (derive.elements[k].type != RedisReply::Type::kInteger ||
        derive.elements[k + 1].type != RedisReply::Type::kArray ||
        derive.elements[k + 1].elements.size() % 2 != 0) {
      return UnexpectedReply(what);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    WriteOutcome& o = out[indices[i]];
    o.result = codes[i] == 'A' ? WriteResult::kApplied : WriteResult::kStale;
    o.stored_version =
        VersionFromBytes(absl::string_view(versions).substr(8 * i, 8));
    o.events_appended = static_cast<unsigned char>(events[i]);
    o.notifications_queued = 0;
  }
  for (size_t k = 0; k < jobs.elements.size(); k += 2) {
    out[indices[jobs.elements[k].integer]].notifications_queued =
        static_cast<int>(jobs.elements[k + 1].integer);
  }
  for (size_t k = 0; k < derive.elements.size(); k += 2) {
    const auto& flat = derive.elements[k + 1].elements;
    for (size_t j = 0; j + 1 < flat.size(); j += 2) {
      parents[flat[j].str] = flat[j + 1].str;
    }
  }
  return absl::OkStatus();
}

// A stock's store configuration from its GET reply (nil: Magento's
// defaults). Errors: the reply's error, DataLoss when undecodable.
absl::StatusOr<core::StoreConfig> ConfigFromReply(const RedisReply& r,
                                                  int32_t stock_id) {
  const std::string what =
      absl::StrCat("reading store config of stock ", stock_id);
  if (r.is_error()) return RedisErrorStatus(r.str, what);
  if (r.is_nil()) return DefaultStoreConfig(stock_id);
  absl::StatusOr<core::StoreConfig> config = DecodeStoreConfig(r.str, stock_id);
  if (!config.ok()) return UndecodableData(what, config.status().message());
  return config;
}

// Marks the outcomes at `indices` finish with `error`.
void FailOutcomes(const absl::Status& error, const std::vector<size_t>& indices,
                  std::vector<WriteOutcome>& out) {
  for (size_t i : indices) {
    out[i] = WriteOutcome();
    out[i].result = WriteResult::kFailed;
    out[i].error = error;
  }
}

}  // namespace

struct RecordWriter::ScriptItem {
  char op = 'U';
  std::string sku;
  int64_t version = 0;
  // U: the encoded record; S: the versions the summary was derived from.
  std::string value;
  RecordSummary summary;
  // U of a composite: the stored summary stays until an S derives it.
  bool derived_later = false;
  // The record's component list (EncodeSkuList; "" for a simple product).
  std::string components;
};

struct RecordWriter::SnapshotState {
  int32_t stock_id = 0;
  std::string snapshot_id;
  std::string snapshot_key;
  // The guard's count: records on the stock, and those the set lacks.
  int64_t counted = 0;
  int64_t absent = 0;
  // The SKUs the counting pass found absent, so that the delete pass needs
  // no second SCAN; given up (cleared, absent_listed false) past
  // Options::max_listed_absent, when the delete pass scans again.
  std::vector<std::string> absent_skus;
  bool absent_listed = true;
  size_t prefix_size = 0;
  SnapshotResult result;
  absl::Time deadline;
};

namespace {

// The status and first ship (or restock) date of a display decision.
RecordSummary SummaryOf(const core::Decision& d) {
  RecordSummary s;
  s.status = ToSummaryStatus(d.status);
  std::optional<absl::CivilDay> eta;
  switch (d.status) {
    case core::Status::kBackorderable:
    case core::Status::kPreorder:
      eta = d.first_ship_date;
      break;
    case core::Status::kOutOfStock:
      eta = d.restock_date;
      break;
    default:
      break;
  }
  s.eta_days =
      eta ? static_cast<int64_t>(*eta - absl::CivilDay(1970, 1, 1)) : -1;
  return s;
}

}  // namespace

RecordSummary SummarizeRecord(const core::Record& record,
                              const core::StoreConfig& config,
                              absl::CivilDay today) {
  RecordSummary s =
      SummaryOf(core::Decide(record, config, today, std::nullopt));
  s.net = record.source_qty + record.reserved_qty;
  const core::ResolvedSettings settings = core::ResolveSettings(record, config);
  s.low = settings.manage_stock && s.net < settings.notify_stock_qty;
  return s;
}

absl::StatusOr<TransitionEvent> ParseTransitionEvent(const RedisReply& entry) {
  if (entry.type != RedisReply::Type::kArray || entry.elements.size() != 2 ||
      entry.elements[0].type != RedisReply::Type::kString ||
      entry.elements[1].type != RedisReply::Type::kArray ||
      entry.elements[1].elements.size() % 2 != 0) {
    return absl::DataLossError("event: not a stream entry");
  }
  TransitionEvent e;
  e.id = entry.elements[0].str;
  const auto& f = entry.elements[1].elements;
  for (size_t i = 0; i + 1 < f.size(); i += 2) {
    const std::string& name = f[i].str;
    const std::string& value = f[i + 1].str;
    bool ok = true;
    if (name == "type") {
      e.type = value;
    } else if (name == "sku") {
      e.sku = value;
    } else if (name == "stock") {
      ok = absl::SimpleAtoi(value, &e.stock_id);
    } else if (name == "version") {
      ok = absl::SimpleAtoi(value, &e.version);
    } else if (name == "old_status") {
      ok = absl::SimpleAtoi(value, &e.old_status);
    } else if (name == "new_status") {
      ok = absl::SimpleAtoi(value, &e.new_status);
    } else if (name == "eta") {
      ok = absl::SimpleAtoi(value, &e.eta_days);
    } else if (name == "net") {
      ok = absl::SimpleAtoi(value, &e.net);
    }
    if (!ok) {
      return absl::DataLossError(
          absl::StrCat("event ", e.id, ": field ", name, " is not a number"));
    }
  }
  if (e.type.empty() || e.sku.empty()) {
    return absl::DataLossError(
        absl::StrCat("event ", e.id, ": missing type or sku"));
  }
  return e;
}

absl::Status FirstFailure(const std::vector<WriteOutcome>& outcomes) {
  for (const WriteOutcome& o : outcomes) {
    if (o.result == WriteResult::kFailed) return o.error;
  }
  return absl::OkStatus();
}

const char* RecordWriter::WriteScript() { return WriteScriptText().c_str(); }

const char* RecordWriter::UpsertSimpleScript() {
  return UpsertSimpleScriptText().c_str();
}

RecordWriter::RecordWriter(RedisClient& client, KeySchema keys)
    : RecordWriter(client, std::move(keys), Options()) {}

RecordWriter::RecordWriter(RedisClient& client, KeySchema keys, Options options)
    : client_(client),
      keys_(std::move(keys)),
      options_(options),
      script_(WriteScriptText()),
      simple_script_(UpsertSimpleScriptText()) {}

void RecordWriter::RunScripts(std::vector<std::vector<std::string>> calls,
                              absl::Time deadline,
                              Callback<std::vector<RedisReply>> done) {
  RunScripts(script_, std::move(calls), deadline, std::move(done));
}

void RecordWriter::RunScripts(const RedisScript& script,
                              std::vector<std::vector<std::string>> calls,
                              absl::Time deadline,
                              Callback<std::vector<RedisReply>> done) {
  if (!options_.fence_key.empty()) {
    // Fenced: the token goes into ARGV[5] of each call (after numkeys and
    // the KEYS); without a valid lease nothing is sent.
    absl::StatusOr<int64_t> token =
        options_.fencing_token
            ? options_.fencing_token()
            : absl::FailedPreconditionError("writer lease not held");
    if (!token.ok()) {
      done(absl::FailedPreconditionError(
          absl::StrCat("write refused: ", token.status().message())));
      return;
    }
    for (std::vector<std::string>& call : calls) {
      size_t numkeys = 0;
      if (!absl::SimpleAtoi(call[0], &numkeys)) continue;
      call[1 + numkeys + kFenceTokenArg - 1] = absl::StrCat(*token);
    }
  }
  script.Run(client_, std::move(calls), /*read_only=*/false, deadline,
             std::move(done));
}

std::vector<std::string> RecordWriter::CallHead(
    int32_t stock_id, const std::string& snapshot_key,
    const std::string& snapshot_ttl_arg, const std::vector<ScriptItem>& items,
    size_t per_item) const {
  std::vector<std::string> call;
  call.reserve(1 + 5 + 2 * items.size() + 5 + per_item * items.size());
  call.push_back(absl::StrCat(5 + 2 * items.size()));
  call.push_back(keys_.Events(stock_id));
  call.push_back(keys_.NotificationJobs(stock_id));
  call.push_back(keys_.Summaries(stock_id));
  call.push_back(snapshot_key.empty() ? keys_.Summaries(stock_id)
                                      : snapshot_key);
  // KEYS[5]: the fencing token counter (the summaries hash again, unread,
  // when not fenced); RunScripts fills ARGV[5].
  call.push_back(options_.fence_key.empty() ? keys_.Summaries(stock_id)
                                            : options_.fence_key);
  for (const ScriptItem& item : items) {
    call.push_back(keys_.Record(stock_id, item.sku));
    call.push_back(keys_.Subscriptions(stock_id, item.sku));
  }
  call.push_back(absl::StrCat(std::max<int64_t>(options_.events_max_len, 0)));
  call.push_back(absl::StrCat(std::max<int64_t>(options_.jobs_max_len, 0)));
  call.push_back(snapshot_ttl_arg);
  call.push_back(absl::StrCat(stock_id));
  call.push_back("");  // ARGV[5], the fencing token: "" = not fenced
  return call;
}

std::vector<std::string> RecordWriter::ScriptCall(
    int32_t stock_id, const std::string& snapshot_key,
    const std::string& snapshot_ttl_arg,
    const std::vector<ScriptItem>& items) const {
  std::vector<std::string> call =
      CallHead(stock_id, snapshot_key, snapshot_ttl_arg, items, 9);
  for (const ScriptItem& item : items) {
    call.push_back(std::string(1, item.op));
    call.push_back(item.sku);
    call.push_back(VersionBytes(item.version));
    call.push_back(item.value);
    call.push_back(item.derived_later ? std::string()
                                      : absl::StrCat(item.summary.status));
    call.push_back(absl::StrCat(item.summary.eta_days));
    call.push_back(absl::StrCat(item.summary.net));
    call.push_back(item.summary.low ? "1" : "0");
    call.push_back(item.components);
  }
  return call;
}

std::vector<std::string> RecordWriter::SimpleCall(
    int32_t stock_id, const std::string& snapshot_key,
    const std::string& snapshot_ttl_arg,
    const std::vector<ScriptItem>& items) const {
  std::vector<std::string> call =
      CallHead(stock_id, snapshot_key, snapshot_ttl_arg, items, 8);
  for (const ScriptItem& item : items) {
    call.push_back(item.sku);
    call.push_back(VersionBytes(item.version));
    call.push_back(absl::StrCat(item.version));
    call.push_back(item.value);
    call.push_back(absl::StrCat(item.summary.status));
    call.push_back(absl::StrCat(item.summary.eta_days));
    call.push_back(absl::StrCat(item.summary.net));
    call.push_back(item.summary.low ? "1" : "0");
  }
  return call;
}

void RecordWriter::Upsert(std::vector<core::Record> records,
                          std::string snapshot_id, absl::Time now,
                          absl::Time deadline,
                          Callback<std::vector<WriteOutcome>> done) {
  if (records.empty()) {
    done(std::vector<WriteOutcome>());
    return;
  }
  std::vector<int32_t> stocks;
  for (const core::Record& r : records) stocks.push_back(r.stock_id);
  std::sort(stocks.begin(), stocks.end());
  stocks.erase(std::unique(stocks.begin(), stocks.end()), stocks.end());
  std::vector<std::vector<std::string>> gets;
  for (int32_t stock : stocks)
    gets.push_back({"GET", keys_.StoreConfig(stock)});
  client_.ExecutePipeline(
      std::move(gets), deadline,
      [this, stocks = std::move(stocks), records = std::move(records),
       snapshot_id = std::move(snapshot_id), now, deadline,
       done = std::move(done)](
          absl::StatusOr<std::vector<RedisReply>> replies) mutable {
        if (!replies.ok()) {
          done(ReplyStatus(replies.status(), "reading store configs"));
          return;
        }
        // A stock whose configuration cannot be read fails alone.
        std::map<int32_t, absl::StatusOr<core::StoreConfig>> configs;
        for (size_t i = 0; i < stocks.size(); ++i) {
          configs.emplace(stocks[i], ConfigFromReply((*replies)[i], stocks[i]));
        }
        ApplyUpserts(std::move(records), std::move(snapshot_id), now, deadline,
                     std::move(configs), std::move(done));
      });
}

void RecordWriter::ApplyUpserts(
    std::vector<core::Record> records, std::string snapshot_id, absl::Time now,
    absl::Time deadline,
    std::map<int32_t, absl::StatusOr<core::StoreConfig>> configs,
    Callback<std::vector<WriteOutcome>> done) {
  struct Group {
    std::vector<ScriptItem> items;
    std::vector<size_t> indices;
    // No composite among the items: upsert_simple.lua can write them.
    bool simple = true;
  };
  std::map<int32_t, Group> groups;
  if (!records.empty()) {
    groups[records.front().stock_id].items.reserve(records.size());
  }
  for (size_t i = 0; i < records.size(); ++i) {
    core::Record& r = records[i];
    const absl::StatusOr<core::StoreConfig>& config = configs[r.stock_id];
    ScriptItem item;
    item.op = 'U';
    if (core::IsComposite(r)) {
      item.derived_later = true;
      item.components = EncodeSkuList(core::ComponentSkus(r));
    } else if (config.ok()) {
      item.summary =
          SummarizeRecord(r, *config, core::StoreToday(*config, now));
    }
    item.value = EncodeRecord(r);
    item.version = r.version;
    item.sku = std::move(r.sku);
    Group& g = groups[r.stock_id];
    if (item.derived_later) g.simple = false;
    g.items.push_back(std::move(item));
    g.indices.push_back(i);
  }
  const std::string ttl =
      snapshot_id.empty()
          ? std::string()
          : absl::StrCat(std::max<int64_t>(
                1, absl::ToInt64Seconds(options_.snapshot_ttl)));
  std::vector<StockCall> calls;
  for (auto& [stock, group] : groups) {
    StockCall call;
    call.stock_id = stock;
    call.indices = std::move(group.indices);
    call.error = configs[stock].status();
    if (call.error.ok()) {
      const std::string snapshot_key =
          snapshot_id.empty() ? "" : keys_.Snapshot(stock, snapshot_id);
      if (group.simple && options_.bulk_upserts) {
        // Kept for write_records.lua, should the script answer GENERAL.
        call.args = SimpleCall(stock, snapshot_key, ttl, group.items);
        call.simple = true;
        call.snapshot_key = snapshot_key;
        call.snapshot_ttl = ttl;
        call.items = std::move(group.items);
      } else {
        call.args = ScriptCall(stock, snapshot_key, ttl, group.items);
      }
    }
    calls.push_back(std::move(call));
  }
  RunStockCalls(std::move(calls), records.size(), now, deadline,
                std::move(done));
}

void RecordWriter::RunStockCalls(std::vector<StockCall> calls, size_t n,
                                 absl::Time now, absl::Time deadline,
                                 Callback<std::vector<WriteOutcome>> done) {
  // The simple calls first, in one pipeline; then, in another, the write
  // script for the rest and for those answered GENERAL.
  std::vector<std::vector<std::string>> scripts;
  std::vector<size_t> ran;  // scripts[k] is calls[ran[k]]
  for (size_t c = 0; c < calls.size(); ++c) {
    if (!calls[c].error.ok() || !calls[c].simple) continue;
    scripts.push_back(std::move(calls[c].args));
    ran.push_back(c);
  }
  if (scripts.empty()) {
    RunGeneralCalls(std::move(calls), n, now, deadline, std::move(done));
    return;
  }
  RunScripts(
      simple_script_, std::move(scripts), deadline,
      [this, calls = std::move(calls), ran, n, now, deadline,
       done = std::move(done)](
          absl::StatusOr<std::vector<RedisReply>> replies) mutable {
        for (size_t k = 0; k < ran.size(); ++k) {
          StockCall& call = calls[ran[k]];
          if (!replies.ok()) {
            call.error =
                ReplyStatus(replies.status(), WritingStock(call.stock_id));
            continue;
          }
          RedisReply& reply = (*replies)[k];
          if (reply.type == RedisReply::Type::kStatus &&
              reply.str == kScriptGeneral) {
            call.simple = false;
            call.args = ScriptCall(call.stock_id, call.snapshot_key,
                                   call.snapshot_ttl, call.items);
            continue;
          }
          call.reply = std::move(reply);
          call.replied = true;
        }
        RunGeneralCalls(std::move(calls), n, now, deadline, std::move(done));
      });
}

void RecordWriter::RunGeneralCalls(std::vector<StockCall> calls, size_t n,
                                   absl::Time now, absl::Time deadline,
                                   Callback<std::vector<WriteOutcome>> done) {
  std::vector<std::vector<std::string>> scripts;
  std::vector<size_t> ran;  // scripts[k] is calls[ran[k]]
  for (size_t c = 0; c < calls.size(); ++c) {
    if (!calls[c].error.ok() || calls[c].replied) continue;
    scripts.push_back(std::move(calls[c].args));
    ran.push_back(c);
  }
  auto finish = [this, n, calls = std::move(calls), ran, now, deadline,
                 done = std::move(done)](
                    absl::StatusOr<std::vector<RedisReply>> replies) mutable {
    std::vector<WriteOutcome> out(n);
    ParentsToDerive parents;
    for (size_t k = 0; k < ran.size(); ++k) {
      StockCall& call = calls[ran[k]];
      if (!replies.ok()) {
        call.error = ReplyStatus(replies.status(), WritingStock(call.stock_id));
        continue;
      }
      call.reply = std::move((*replies)[k]);
      call.replied = true;
    }
    for (StockCall& call : calls) {
      if (!call.error.ok() || !call.replied) continue;
      call.error =
          call.simple
              ? DecodeSimpleOutcomes(call.reply, call.stock_id, call.indices,
                                     out, parents[call.stock_id])
              : DecodeOutcomes(call.reply, call.stock_id, call.indices, out,
                               parents[call.stock_id]);
    }
    bool any_ok = false;
    for (const StockCall& call : calls) {
      if (call.error.ok()) {
        any_ok = true;
      } else {
        FailOutcomes(call.error, call.indices, out);
      }
    }
    if (!any_ok) {
      // Nothing was written: the call fails as a whole (the first stock's
      // error; the others' are alike or as transient).
      done(calls.front().error);
      return;
    }
    // The records are written: their outcomes stand whether or not the
    // parents' summaries can be derived now.
    DeriveParents(std::move(parents), now, deadline,
                  [out = std::move(out), done = std::move(done)](
                      absl::Status) mutable { done(std::move(out)); });
  };
  if (scripts.empty()) {
    finish(std::vector<RedisReply>());
    return;
  }
  RunScripts(std::move(scripts), deadline, std::move(finish));
}

void RecordWriter::Delete(std::vector<DeleteKey> keys, absl::Time deadline,
                          Callback<std::vector<WriteOutcome>> done) {
  if (keys.empty()) {
    done(std::vector<WriteOutcome>());
    return;
  }
  std::map<int32_t, std::pair<std::vector<ScriptItem>, std::vector<size_t>>>
      groups;
  for (size_t i = 0; i < keys.size(); ++i) {
    ScriptItem item;
    item.op = 'D';
    item.sku = std::move(keys[i].sku);
    item.version = keys[i].version;
    auto& g = groups[keys[i].stock_id];
    g.first.push_back(std::move(item));
    g.second.push_back(i);
  }
  std::vector<StockCall> calls;
  for (auto& [stock, group] : groups) {
    StockCall call;
    call.stock_id = stock;
    call.args = ScriptCall(stock, "", "", group.first);
    call.indices = std::move(group.second);
    calls.push_back(std::move(call));
  }
  RunStockCalls(std::move(calls), keys.size(), absl::Now(), deadline,
                std::move(done));
}

void RecordWriter::FinishSnapshot(int32_t stock_id, std::string snapshot_id,
                                  absl::Time deadline,
                                  Callback<SnapshotResult> done) {
  FinishSnapshot(stock_id, std::move(snapshot_id), EmptySnapshot::kRefuse,
                 deadline, std::move(done));
}

void RecordWriter::FinishSnapshot(int32_t stock_id, std::string snapshot_id,
                                  EmptySnapshot if_empty, absl::Time deadline,
                                  Callback<SnapshotResult> done) {
  FinishSnapshot(stock_id, std::move(snapshot_id), if_empty, DeleteLimit(),
                 deadline, std::move(done));
}

void RecordWriter::FinishSnapshot(int32_t stock_id, std::string snapshot_id,
                                  EmptySnapshot if_empty, DeleteLimit limit,
                                  absl::Time deadline,
                                  Callback<SnapshotResult> done) {
  std::shared_ptr<SnapshotState> state =
      NewSnapshotState(stock_id, std::move(snapshot_id), deadline);
  client_.Execute(
      {"SCARD", state->snapshot_key}, deadline,
      [this, state, if_empty, limit,
       done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
        if (absl::Status s = ReplyStatus(reply, "snapshot"); !s.ok()) {
          done(s);
          return;
        }
        if (reply->integer <= 0 && if_empty == EmptySnapshot::kRefuse) {
          done(EmptySnapshotError(*state));
          return;
        }
        state->result.kept = std::max<int64_t>(reply->integer, 0);
        if (!limit.any()) {
          DeleteAbsentRecords(state, std::move(done));
          return;
        }
        // Count first, delete only within the limit: nothing is deleted
        // before the guard has passed. The count lists the absent SKUs, so
        // the deletes need no second pass over the keyspace.
        CountAbsentRecords(
            state, limit,
            [this, state, done = std::move(done)](absl::Status within) mutable {
              if (!within.ok()) {
                done(within);
                return;
              }
              if (state->absent_listed) {
                DeleteListedRecords(state, 0, std::move(done));
              } else {
                DeleteAbsentRecords(state, std::move(done));
              }
            });
      });
}

std::shared_ptr<RecordWriter::SnapshotState> RecordWriter::NewSnapshotState(
    int32_t stock_id, std::string snapshot_id, absl::Time deadline) const {
  auto state = std::make_shared<SnapshotState>();
  state->stock_id = stock_id;
  state->snapshot_id = std::move(snapshot_id);
  state->snapshot_key = keys_.Snapshot(stock_id, state->snapshot_id);
  state->prefix_size = keys_.RecordPrefix(stock_id).size();
  state->deadline = deadline;
  return state;
}

absl::Status RecordWriter::EmptySnapshotError(
    const SnapshotState& state) const {
  return absl::FailedPreconditionError(absl::StrCat(
      "snapshot \"", state.snapshot_id, "\" of stock ", state.stock_id,
      " holds no records (unknown id, expired after ",
      absl::FormatDuration(options_.snapshot_ttl),
      ", or already finished); nothing deleted"));
}

void RecordWriter::FinishSnapshots(
    std::vector<StockToFinish> stocks, std::string snapshot_id,
    absl::Time deadline,
    Callback<std::vector<absl::StatusOr<SnapshotResult>>> done) {
  std::vector<std::shared_ptr<SnapshotState>> states;
  std::vector<std::vector<std::string>> scards;
  for (const StockToFinish& stock : stocks) {
    std::shared_ptr<SnapshotState> state =
        NewSnapshotState(stock.stock_id, snapshot_id, deadline);
    scards.push_back({"SCARD", state->snapshot_key});
    states.push_back(std::move(state));
  }
  if (states.empty()) {
    done(std::vector<absl::StatusOr<SnapshotResult>>());
    return;
  }
  client_.ExecutePipeline(
      std::move(scards), deadline,
      [this, stocks = std::move(stocks), states = std::move(states), deadline,
       done = std::move(done)](
          absl::StatusOr<std::vector<RedisReply>> replies) mutable {
        if (!replies.ok()) {
          done(ReplyStatus(replies.status(), "snapshot"));
          return;
        }
        auto results =
            std::make_shared<std::vector<absl::StatusOr<SnapshotResult>>>(
                states.size(), SnapshotResult());
        // The stocks in the walk, and their place in `results`.
        auto walking = std::make_shared<std::map<int32_t, size_t>>();
        for (size_t i = 0; i < states.size(); ++i) {
          const RedisReply& r = (*replies)[i];
          SnapshotState& state = *states[i];
          if (r.is_error()) {
            (*results)[i] = RedisErrorStatus(r.str, "snapshot");
          } else if (r.integer <= 0 &&
                     stocks[i].if_empty == EmptySnapshot::kRefuse) {
            (*results)[i] = EmptySnapshotError(state);
          } else {
            state.result.kept = std::max<int64_t>(r.integer, 0);
            walking->emplace(state.stock_id, i);
          }
        }
        if (walking->empty()) {
          done(std::move(*results));
          return;
        }
        StatusCallback finish = [this, states, walking, results,
                                 done](absl::Status walked) mutable {
          std::vector<std::shared_ptr<SnapshotState>> ending;
          std::vector<size_t> index;
          for (const auto& [stock, i] : *walking) {
            if (!walked.ok()) {
              (*results)[i] = walked;
              continue;
            }
            ending.push_back(states[i]);
            index.push_back(i);
          }
          EndSnapshots(std::move(ending), std::move(index), 0, results,
                       std::move(done));
        };
        // Each SCAN step's keys, by stock, go through the stocks' chunks
        // together (SMISMEMBER, then the delete script for the absent ones).
        ScanMatch(
            absl::StrCat(GlobEscape(keys_.StockKeyStart()), "*}:r:*"), deadline,
            [this, states, walking](std::vector<std::string> keys,
                                    StatusCallback next) {
              std::vector<std::pair<size_t, std::vector<std::string>>> by_stock;
              std::map<size_t, size_t> slot;  // states index -> by_stock
              for (std::string& key : keys) {
                const std::optional<int32_t> stock = keys_.RecordKeyStock(key);
                if (!stock.has_value()) continue;
                const auto it = walking->find(*stock);
                if (it == walking->end()) continue;
                auto [s, added] = slot.emplace(it->second, by_stock.size());
                if (added) by_stock.push_back({it->second, {}});
                by_stock[s->second].second.push_back(std::move(key));
              }
              ChunkStocks(states, std::move(by_stock), std::move(next));
            },
            std::move(finish));
      });
}

void RecordWriter::ChunkStocks(
    const std::vector<std::shared_ptr<SnapshotState>>& states,
    std::vector<std::pair<size_t, std::vector<std::string>>> by_stock,
    StatusCallback next) {
  if (by_stock.empty()) {
    next(absl::OkStatus());
    return;
  }
  // The stocks' chunks go out together (their sets and keys are apart);
  // the last one through answers.
  struct Join {
    Join(size_t n, StatusCallback done) : left(n), next(std::move(done)) {}
    absl::Mutex mu;
    size_t left ABSL_GUARDED_BY(mu);
    absl::Status first ABSL_GUARDED_BY(mu);
    const StatusCallback next;
  };
  auto join = std::make_shared<Join>(by_stock.size(), std::move(next));
  for (const auto& [i, keys] : by_stock) {
    SnapshotChunk(states[i], keys, [join](absl::Status s) {
      absl::Status first;
      {
        absl::MutexLock lock(&join->mu);
        join->first.Update(s);
        if (--join->left > 0) return;
        first = join->first;
      }
      join->next(first);
    });
  }
}

void RecordWriter::EndSnapshots(
    std::vector<std::shared_ptr<SnapshotState>> states,
    std::vector<size_t> index, size_t from,
    std::shared_ptr<std::vector<absl::StatusOr<SnapshotResult>>> results,
    Callback<std::vector<absl::StatusOr<SnapshotResult>>> done) {
  if (from >= states.size()) {
    done(std::move(*results));
    return;
  }
  std::shared_ptr<SnapshotState> state = states[from];
  EndSnapshot(state,
              [this, states = std::move(states), index = std::move(index), from,
               results, done = std::move(done)](
                  absl::StatusOr<SnapshotResult> r) mutable {
                (*results)[index[from]] = std::move(r);
                EndSnapshots(std::move(states), std::move(index), from + 1,
                             results, std::move(done));
              });
}

void RecordWriter::EndSnapshot(std::shared_ptr<SnapshotState> state,
                               Callback<SnapshotResult> done) {
  if (options_.fence_key.empty()) {
    DropSnapshotSet(std::move(state), std::move(done));
    return;
  }
  // A fenced writer's finish ends with the script's fence check (no items):
  // a deposed writer is refused (FENCED), its set kept, rather than finish
  // quietly when it had nothing (more) to delete. Chunks with nothing absent
  // run no script.
  DeleteAbsent(state, {},
               [this, state, done = std::move(done)](absl::Status s) mutable {
                 if (!s.ok()) {
                   done(s);
                   return;
                 }
                 DropSnapshotSet(std::move(state), std::move(done));
               });
}

void RecordWriter::DropSnapshotSet(std::shared_ptr<SnapshotState> state,
                                   Callback<SnapshotResult> done) {
  // After the last chunk the set goes: finishing again is refused.
  client_.Execute(
      {"DEL", state->snapshot_key}, state->deadline,
      [state, done = std::move(done)](absl::StatusOr<RedisReply> del) {
        if (!del.ok()) {
          done(del.status());
          return;
        }
        done(state->result);
      });
}

void RecordWriter::DeleteListedRecords(std::shared_ptr<SnapshotState> state,
                                       size_t from,
                                       Callback<SnapshotResult> done) {
  if (from >= state->absent_skus.size()) {
    EndSnapshot(state, std::move(done));
    return;
  }
  const size_t size = static_cast<size_t>(std::max(options_.scan_count, 1));
  const size_t to = std::min(from + size, state->absent_skus.size());
  std::vector<std::string> chunk(
      std::make_move_iterator(state->absent_skus.begin() + from),
      std::make_move_iterator(state->absent_skus.begin() + to));
  DeleteAbsent(
      state, std::move(chunk),
      [this, state, to, done = std::move(done)](absl::Status s) mutable {
        if (!s.ok()) {
          done(s);
          return;
        }
        if (to >= state->absent_skus.size()) {
          EndSnapshot(state, std::move(done));
        } else {
          DeleteListedRecords(state, to, std::move(done));
        }
      });
}

void RecordWriter::DeleteAbsentRecords(std::shared_ptr<SnapshotState> state,
                                       Callback<SnapshotResult> done) {
  StatusCallback finish = [this, state,
                           done = std::move(done)](absl::Status scanned) {
    if (!scanned.ok()) {
      done(scanned);
      return;
    }
    EndSnapshot(state, std::move(done));
  };
  ScanPrefix(
      keys_.RecordPrefix(state->stock_id), state->deadline,
      [this, state](std::vector<std::string> keys, StatusCallback next) {
        SnapshotChunk(state, keys, std::move(next));
      },
      std::move(finish));
}

namespace {

// "58 %", "0.5 %": a share for messages, at most one decimal.
std::string Percent(double fraction) {
  const int64_t tenths = std::llround(fraction * 1000);
  std::string text = absl::StrCat(tenths / 10);
  if (tenths % 10 != 0) absl::StrAppend(&text, ".", tenths % 10);
  return absl::StrCat(text, " %");
}

}  // namespace

void RecordWriter::CountAbsentRecords(std::shared_ptr<SnapshotState> state,
                                      DeleteLimit limit, StatusCallback done) {
  StatusCallback judge = [state, limit,
                          done = std::move(done)](absl::Status scanned) {
    if (!scanned.ok()) {
      done(scanned);
      return;
    }
    const int64_t absent = state->absent;
    const int64_t total = state->counted;
    const double fraction =
        total > 0 ? static_cast<double>(absent) / static_cast<double>(total)
                  : 0.0;
    std::string limit_text;
    if (limit.max_fraction.has_value() && absent > 0 &&
        fraction > *limit.max_fraction) {
      limit_text = Percent(*limit.max_fraction);
    } else if (limit.max_count.has_value() && absent > *limit.max_count) {
      limit_text = absl::StrCat(*limit.max_count, " records");
    }
    if (limit_text.empty()) {
      done(absl::OkStatus());
      return;
    }
    done(absl::FailedPreconditionError(absl::StrCat(
        "would delete ", absent, " of ", total, " records of stock ",
        state->stock_id, " (", Percent(fraction), "), above the limit of ",
        limit_text, "; nothing deleted (snapshot \"", state->snapshot_id,
        "\" is kept until it expires)")));
  };
  ScanPrefix(
      keys_.RecordPrefix(state->stock_id), state->deadline,
      [this, state](std::vector<std::string> keys, StatusCallback next) {
        std::vector<std::string> argv = {"SMISMEMBER", state->snapshot_key};
        for (const std::string& key : keys) {
          if (key.size() <= state->prefix_size) continue;
          argv.push_back(key.substr(state->prefix_size));
        }
        const int64_t n = static_cast<int64_t>(argv.size()) - 2;
        if (n == 0) {
          next(absl::OkStatus());
          return;
        }
        std::vector<std::string> skus(argv.begin() + 2, argv.end());
        client_.Execute(
            std::move(argv), state->deadline,
            [state, n, skus = std::move(skus), max = options_.max_listed_absent,
             next = std::move(next)](absl::StatusOr<RedisReply> reply) mutable {
              if (absl::Status s = ReplyStatus(reply, "snapshot count");
                  !s.ok()) {
                next(s);
                return;
              }
              if (reply->type != RedisReply::Type::kArray ||
                  static_cast<int64_t>(reply->elements.size()) != n) {
                next(absl::InternalError("snapshot count: unexpected reply"));
                return;
              }
              state->counted += n;
              for (int64_t i = 0; i < n; ++i) {
                if (reply->elements[i].integer != 0) continue;
                ++state->absent;
                if (!state->absent_listed) continue;
                if (state->absent_skus.size() >= max) {
                  state->absent_listed = false;
                  state->absent_skus = {};
                  continue;
                }
                state->absent_skus.push_back(std::move(skus[i]));
              }
              next(absl::OkStatus());
            });
      },
      std::move(judge));
}

void RecordWriter::ScanPrefix(const std::string& prefix, absl::Time deadline,
                              ScanChunk chunk, StatusCallback done) {
  ScanMatch(absl::StrCat(GlobEscape(prefix), "*"), deadline, std::move(chunk),
            std::move(done));
}

void RecordWriter::ScanMatch(std::string match, absl::Time deadline,
                             ScanChunk chunk, StatusCallback done) {
  ScanKeys(client_, std::move(match), options_.scan_count, deadline,
           std::move(chunk), std::move(done));
}

void RecordWriter::SnapshotChunk(const std::shared_ptr<SnapshotState>& state,
                                 const std::vector<std::string>& keys,
                                 StatusCallback next) {
  std::vector<std::string> skus;
  for (const std::string& key : keys) {
    if (key.size() <= state->prefix_size) continue;
    skus.push_back(key.substr(state->prefix_size));
  }
  if (skus.empty()) {
    next(absl::OkStatus());
    return;
  }
  // The SKUs the snapshot holds stay: only the others go to the script
  // (which checks the set again, atomically, before deleting).
  std::vector<std::string> argv = {"SMISMEMBER", state->snapshot_key};
  argv.insert(argv.end(), skus.begin(), skus.end());
  client_.Execute(
      std::move(argv), state->deadline,
      [this, state, skus = std::move(skus),
       next = std::move(next)](absl::StatusOr<RedisReply> reply) mutable {
        if (absl::Status s = ReplyStatus(reply, "snapshot"); !s.ok()) {
          next(s);
          return;
        }
        if (reply->type != RedisReply::Type::kArray ||
            reply->elements.size() != skus.size()) {
          next(UnexpectedReply("snapshot"));
          return;
        }
        std::vector<std::string> absent;
        for (size_t i = 0; i < skus.size(); ++i) {
          if (reply->elements[i].integer == 0) {
            absent.push_back(std::move(skus[i]));
          }
        }
        if (absent.empty()) {
          next(absl::OkStatus());
          return;
        }
        DeleteAbsent(state, std::move(absent), std::move(next));
      });
}

void RecordWriter::DeleteAbsent(const std::shared_ptr<SnapshotState>& state,
                                std::vector<std::string> skus,
                                StatusCallback next) {
  std::vector<ScriptItem> items;
  for (std::string& sku : skus) {
    ScriptItem item;
    item.op = 'X';
    item.sku = std::move(sku);
    items.push_back(std::move(item));
  }
  // A fenced writer runs the script even without items (EndSnapshot's
  // fence check): a deposed one is refused (FENCED).
  if (items.empty() && options_.fence_key.empty()) {
    next(absl::OkStatus());
    return;
  }
  const size_t n = items.size();
  std::vector<std::vector<std::string>> calls;
  calls.push_back(ScriptCall(state->stock_id, state->snapshot_key, "", items));
  RunScripts(
      std::move(calls), state->deadline,
      [this, state, n, next = std::move(next)](
          absl::StatusOr<std::vector<RedisReply>> replies) {
        if (!replies.ok()) {
          next(ReplyStatus(replies.status(), WritingStock(state->stock_id)));
          return;
        }
        std::vector<size_t> indices(n);
        for (size_t i = 0; i < n; ++i) indices[i] = i;
        std::vector<WriteOutcome> out(n);
        ParentsToDerive parents;
        absl::Status s = DecodeOutcomes((*replies)[0], state->stock_id, indices,
                                        out, parents[state->stock_id]);
        if (!s.ok()) {
          next(s);
          return;
        }
        for (const WriteOutcome& o : out) {
          if (o.result != WriteResult::kApplied) continue;
          ++state->result.deleted;
          state->result.events_appended += o.events_appended;
        }
        DeriveParents(std::move(parents), absl::Now(), state->deadline,
                      [next](absl::Status) { next(absl::OkStatus()); });
      });
}

namespace {

// The part of a summaries-hash value a parent's derivation depends on:
// "<status>,<eta>,<net>" (the value is 8 version bytes, then
// "<status>,<eta>,<net>,<low>"); "" when there is none. The write script's
// derivation_current() cuts the same part.
std::string DerivationInputs(const RedisReply& summary) {
  if (summary.type != RedisReply::Type::kString || summary.str.size() <= 8) {
    return std::string();
  }
  absl::string_view s = absl::string_view(summary.str).substr(8);
  const size_t low = s.rfind(',');
  return std::string(low == absl::string_view::npos ? s : s.substr(0, low));
}

bool IsArrayOf(const RedisReply& r, size_t n) {
  return r.type == RedisReply::Type::kArray && r.elements.size() == n;
}

// DeriveParents' commands per stock: GET config, MULTI, HMGET summaries,
// MGET records, EXEC.
constexpr size_t kCommandsPerStock = 5;

}  // namespace

void RecordWriter::DeriveParents(ParentsToDerive parents, absl::Time now,
                                 absl::Time deadline, StatusCallback done) {
  // Per stock: its parents first, then their components, each SKU once.
  struct StockRead {
    int32_t stock_id = 0;
    std::vector<std::string> skus;
    size_t parents = 0;
  };
  std::vector<StockRead> reads;
  std::vector<std::vector<std::string>> commands;
  for (auto& [stock, list] : parents) {
    if (list.empty()) continue;
    StockRead read;
    read.stock_id = stock;
    std::set<std::string> seen;
    for (const auto& entry : list) {
      read.skus.push_back(entry.first);
      seen.insert(entry.first);
    }
    read.parents = read.skus.size();
    for (const auto& entry : list) {
      for (std::string& c : DecodeSkuList(entry.second)) {
        if (seen.insert(c).second) read.skus.push_back(std::move(c));
      }
    }
    // The records and their summaries read at one instant (a transaction):
    // the script stores a derivation only while the components' summaries
    // are still those of the records it was derived from.
    std::vector<std::string> hmget = {"HMGET", keys_.Summaries(stock)};
    std::vector<std::string> mget = {"MGET"};
    for (const std::string& sku : read.skus) {
      hmget.push_back(sku);
      mget.push_back(keys_.Record(stock, sku));
    }
    commands.push_back({"GET", keys_.StoreConfig(stock)});
    commands.push_back({"MULTI"});
    commands.push_back(std::move(hmget));
    commands.push_back(std::move(mget));
    commands.push_back({"EXEC"});
    reads.push_back(std::move(read));
  }
  if (reads.empty()) {
    done(absl::OkStatus());
    return;
  }
  auto finish = [done](absl::Status s) {
    if (!s.ok()) {
      base::Log(base::LogLevel::kWarning,
                "composite summaries not derived; the next write of a "
                "component derives them",
                {{"error", s.ToString()}});
    }
    done(s);
  };
  client_.ExecutePipeline(
      std::move(commands), deadline,
      [this, reads = std::move(reads), now, deadline,
       finish](absl::StatusOr<std::vector<RedisReply>> replies) {
        if (!replies.ok()) {
          finish(ReplyStatus(replies.status(), "reading composite parents"));
          return;
        }
        std::vector<std::vector<std::string>> calls;
        absl::Status first_error;
        for (size_t k = 0; k < reads.size(); ++k) {
          const StockRead& read = reads[k];
          absl::StatusOr<core::StoreConfig> config =
              ConfigFromReply((*replies)[kCommandsPerStock * k], read.stock_id);
          const RedisReply& exec = (*replies)[kCommandsPerStock * k + 4];
          if (config.ok() && exec.is_error()) {
            config = RedisErrorStatus(exec.str, "reading composite parents");
          }
          if (config.ok() && (!IsArrayOf(exec, 2) ||
                              !IsArrayOf(exec.elements[0], read.skus.size()) ||
                              !IsArrayOf(exec.elements[1], read.skus.size()))) {
            config = UnexpectedReply("reading composite parents");
          }
          if (!config.ok()) {
            if (first_error.ok()) first_error = config.status();
            continue;
          }
          std::vector<ScriptItem> items = DerivedSummaries(
              read.stock_id, read.skus, read.parents, exec.elements[1].elements,
              exec.elements[0].elements, *config, now);
          if (!items.empty()) {
            calls.push_back(ScriptCall(read.stock_id, "", "", items));
          }
        }
        if (calls.empty()) {
          finish(first_error);
          return;
        }
        RunScripts(
            std::move(calls), deadline,
            [finish,
             first_error](absl::StatusOr<std::vector<RedisReply>> stored) {
              absl::Status s = first_error;
              if (!stored.ok()) {
                s = ReplyStatus(stored.status(), "storing composite summaries");
              } else {
                for (const RedisReply& r : *stored) {
                  if (r.is_error() && s.ok()) {
                    s = RedisErrorStatus(r.str, "storing composite summaries");
                  }
                }
              }
              finish(s);
            });
      });
}

std::vector<RecordWriter::ScriptItem> RecordWriter::DerivedSummaries(
    int32_t stock_id, const std::vector<std::string>& skus, size_t parents,
    const std::vector<RedisReply>& values,
    const std::vector<RedisReply>& summaries, const core::StoreConfig& config,
    absl::Time now) const {
  std::map<absl::string_view, const RedisReply*> summary_of;
  std::vector<core::Record> components;
  for (size_t i = 0; i < skus.size(); ++i) {
    summary_of[skus[i]] = &summaries[i];
    if (i < parents || values[i].type != RedisReply::Type::kString) continue;
    // An undecodable component counts as not found, as on the read path.
    absl::StatusOr<core::Record> r =
        DecodeRecord(values[i].str, stock_id, skus[i]);
    if (r.ok()) components.push_back(*std::move(r));
  }
  const absl::CivilDay today = core::StoreToday(config, now);
  std::vector<ScriptItem> items;
  for (size_t i = 0; i < parents; ++i) {
    if (values[i].type != RedisReply::Type::kString) continue;  // deleted
    absl::StatusOr<core::Record> parent =
        DecodeRecord(values[i].str, stock_id, skus[i]);
    // Gone simple or undecodable: its own write announced it.
    if (!parent.ok() || !core::IsComposite(*parent)) continue;
    ScriptItem item;
    item.op = 'S';
    item.sku = skus[i];
    item.version = parent->version;
    bool complete = true;
    for (const std::string& c : core::ComponentSkus(*parent)) {
      auto it = summary_of.find(c);
      // Rewritten since the script listed its components: that write
      // derives it again.
      if (it == summary_of.end()) {
        complete = false;
        break;
      }
      item.value.append(EncodeSkuList({c, DerivationInputs(*it->second)}));
    }
    if (!complete) continue;
    item.summary = SummaryOf(
        core::DecideComposite(*parent, config, components, today, std::nullopt)
            .decision);
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace availability::cache
