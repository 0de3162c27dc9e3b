#include "server/inventory_sync_service.h"

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "cache/redis_reply.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/alarm.h"
#include "grpcpp/security/auth_context.h"
#include "core/status_macros.h"
#include "server/api_convert.h"
#include "server/grpc_status.h"
#include "server/reactor_lock.h"
#include "server/sync_mapping.h"

namespace availability::server {
namespace {

namespace v1 = ::availability::v1;

grpc::Status Unauthenticated() {
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "missing or invalid bearer token (send metadata "
                      "\"authorization: Bearer <token>\")");
}

grpc::Status InvalidArgument(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

// A cache failure, with what was being done.
grpc::Status CacheError(const absl::Status& status, absl::string_view doing) {
  return ToGrpcStatus(absl::Status(
      status.code(), absl::StrCat(doing, ": ", status.message())));
}

absl::Status CheckBatchSize(int n, absl::string_view field) {
  if (n < 1 || n > InventorySyncService::kMaxRecordsPerRequest) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": 1..", InventorySyncService::kMaxRecordsPerRequest,
                     " per request, got ", n,
                     n > 0 ? " (split the batch)" : ""));
  }
  return absl::OkStatus();
}

// OK, or InvalidArgument with the parse error of element `index` of a
// batch (a field that is not valid UTF-8): that element is rejected on its
// own.
absl::Status ElementError(const RequestProblems::ElementErrorMap& errors,
                          int index) {
  auto it = errors.find(index);
  if (it == errors.end()) return absl::OkStatus();
  return absl::InvalidArgumentError(it->second);
}

void SetOutcome(const cache::WriteOutcome& w, v1::RecordOutcome* o) {
  switch (w.result) {
    case cache::WriteResult::kApplied:
      o->set_result(v1::RecordOutcome::RESULT_APPLIED);
      break;
    case cache::WriteResult::kStale:
      o->set_result(v1::RecordOutcome::RESULT_STALE);
      o->set_stored_version(w.stored_version);
      break;
    case cache::WriteResult::kFailed:
      // "UNAVAILABLE: writing stock 3: redis error: OOM ...".
      o->set_result(v1::RecordOutcome::RESULT_FAILED);
      o->set_error(absl::StrCat(absl::StatusCodeToString(w.error.code()),
                                ": ", w.error.message()));
      break;
  }
}

// Adds one written record to the response's totals: applied, stale or
// failed, and the events and notification jobs its write appended.
void CountOutcome(const cache::WriteOutcome& w,
                  v1::UpsertRecordsResponse& response) {
  switch (w.result) {
    case cache::WriteResult::kApplied:
      response.set_applied(response.applied() + 1);
      break;
    case cache::WriteResult::kStale:
      response.set_stale(response.stale() + 1);
      break;
    case cache::WriteResult::kFailed:
      response.set_failed(response.failed() + 1);
      break;
  }
  response.set_events_appended(response.events_appended() +
                               w.events_appended);
  response.set_notifications_queued(response.notifications_queued() +
                                    w.notifications_queued);
}

// What ValidateBatch keeps of a unary write request: the items to write, in
// request order, and where each one's outcome stands in the response.
template <typename Valid>
struct ValidatedBatch {
  std::vector<Valid> valid;
  std::vector<int> positions;  // valid[k]'s outcome: outcomes(positions[k])
};

// Adds one outcome per item of `items` to `response` (index, SKU, stock) and
// converts each item with `validate(item, index)`, which returns
// absl::StatusOr<Valid>; a failed item's outcome is RESULT_REJECTED with the
// error, which names the field and the rule. Returns the items to write.
template <typename Items, typename Response, typename Validate,
          typename Valid = typename std::invoke_result_t<
              Validate&, const typename Items::value_type&, int>::value_type>
ValidatedBatch<Valid> ValidateBatch(const Items& items, Validate validate,
                                    Response& response) {
  ValidatedBatch<Valid> batch;
  for (int i = 0; i < items.size(); ++i) {
    const typename Items::value_type& item = items.Get(i);
    v1::RecordOutcome* o = response.add_outcomes();
    o->set_index(i);
    o->set_sku(item.sku());
    o->set_stock_id(item.stock_id());
    absl::StatusOr<Valid> v = validate(item, i);
    if (!v.ok()) {
      o->set_result(v1::RecordOutcome::RESULT_REJECTED);
      o->set_error(std::string(v.status().message()));
      continue;
    }
    batch.valid.push_back(*std::move(v));
    batch.positions.push_back(i);
  }
  return batch;
}

// The write callback of a ValidateBatch batch: sets each written item's
// outcome (RESULT_FAILED with the error for the records of a stock the
// cache failed on), passes it to `count` (the response's totals) and
// finishes the call OK; a write that stored nothing (every stock failed)
// finishes it with the cache error, saying it happened while `doing`.
template <typename Response, typename Count>
cache::RecordWriter::Callback<std::vector<cache::WriteOutcome>>
FinishBatchWrite(grpc::ServerUnaryReactor* reactor, Response* response,
                 std::vector<int> positions, const char* doing, Count count) {
  return [reactor, response, positions = std::move(positions), doing,
          count](absl::StatusOr<std::vector<cache::WriteOutcome>> result) {
    if (!result.ok()) {
      reactor->Finish(CacheError(result.status(), doing));
      return;
    }
    for (size_t k = 0; k < positions.size(); ++k) {
      const cache::WriteOutcome& w = (*result)[k];
      SetOutcome(w, response->mutable_outcomes(positions[k]));
      count(w);
    }
    reactor->Finish(grpc::Status::OK);
  };
}

// keys[index] of a DeleteRecordsRequest, checked.
absl::StatusOr<cache::DeleteKey> DeleteKeyFromApi(const v1::RecordKey& key,
                                                  int index) {
  const std::string field = absl::StrCat("keys[", index, "]");
  if (absl::Status s = ValidateSku(key.sku(), absl::StrCat(field, ".sku"));
      !s.ok()) {
    return s;
  }
  if (key.stock_id() < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".stock_id: must be >= 1"));
  }
  if (key.version() < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".version: must be >= 1"));
  }
  return cache::DeleteKey{key.stock_id(), key.sku(), key.version()};
}

v1::InventoryEvent::Type EventTypeToApi(absl::string_view type) {
  if (type == "BACK_IN_STOCK") return v1::InventoryEvent::TYPE_BACK_IN_STOCK;
  if (type == "OUT_OF_STOCK") return v1::InventoryEvent::TYPE_OUT_OF_STOCK;
  if (type == "BACKORDER_STARTED") {
    return v1::InventoryEvent::TYPE_BACKORDER_STARTED;
  }
  if (type == "ETA_CHANGED") return v1::InventoryEvent::TYPE_ETA_CHANGED;
  if (type == "DISCONTINUED") return v1::InventoryEvent::TYPE_DISCONTINUED;
  if (type == "LOW_STOCK") return v1::InventoryEvent::TYPE_LOW_STOCK;
  return v1::InventoryEvent::TYPE_UNSPECIFIED;
}

void EventToApi(const cache::TransitionEvent& e, v1::InventoryEvent* out) {
  out->set_id(e.id);
  out->set_type(EventTypeToApi(e.type));
  out->set_sku(e.sku);
  out->set_stock_id(e.stock_id);
  out->set_version(e.version);
  out->set_old_status(e.old_status);
  out->set_new_status(e.new_status);
  if (e.eta_days >= 0) {
    DateToApi(absl::CivilDay(1970, 1, 1) + e.eta_days,
              out->mutable_first_ship_date());
  }
  out->set_net_quantity(QtyToApi(e.net));
}

// "" (only new), "0", "<ms>" or "<ms>-<seq>".
bool IsStreamId(absl::string_view id) {
  std::vector<absl::string_view> parts = absl::StrSplit(id, '-');
  if (parts.empty() || parts.size() > 2) return false;
  for (absl::string_view p : parts) {
    uint64_t v;
    if (p.empty() || !absl::SimpleAtoi(p, &v) ||
        !absl::ascii_isdigit(static_cast<unsigned char>(p[0]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ConstantTimeEquals(absl::string_view given, absl::string_view expected) {
  // No early exit: the loop always runs over all of `expected`.
  unsigned int diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g =
        i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= g ^ static_cast<unsigned char>(expected[i]);
  }
  return diff == 0;
}

absl::Status InventorySyncService::ValidateOptions(const Options& options) {
  for (const std::string& subject : options.allowed_client_subjects) {
    const bool cn = absl::StartsWith(subject, "CN=") && subject.size() > 3;
    const bool san = absl::StartsWith(subject, "SAN=") && subject.size() > 4;
    if (!cn && !san) {
      return absl::InvalidArgumentError(absl::StrCat(
          "allowed client subject \"", subject,
          "\": expected CN=<common name> or SAN=<subject alternative name>"));
    }
  }
  const bool identities_only =
      options.token.empty() && !options.allowed_client_subjects.empty();
  if (!identities_only && options.token.size() < kMinTokenBytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sync API token ",
        options.token.empty() ? "is not set" : "is too short",
        ": the sync listener needs a bearer token of at least ",
        kMinTokenBytes, " bytes and will not start without one"));
  }
  for (char c : options.token) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return absl::FailedPreconditionError(
          "sync API token holds whitespace or control characters; it must "
          "be a single printable word to travel in an authorization header");
    }
  }
  if (options.write_timeout <= absl::ZeroDuration() ||
      options.snapshot_timeout <= absl::ZeroDuration() ||
      options.tail_poll_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "sync service timeouts and poll interval must be > 0");
  }
  if (options.tail_batch < 1 || options.max_stream_outcomes < 0) {
    return absl::InvalidArgumentError(
        "sync service tail_batch must be >= 1 and max_stream_outcomes >= 0");
  }
  return absl::OkStatus();
}

InventorySyncService::InventorySyncService(Options options,
                                           cache::RecordWriter& writer,
                                           cache::RedisClient& client,
                                           const core::Clock& clock)
    : ParsedRequestService(v1::InventorySync::service_full_name()),
      options_(std::move(options)),
      writer_(writer),
      client_(client),
      clock_(clock) {
  ServeUnary("UpsertRecords", this, &InventorySyncService::UpsertRecords);
  ServeClientStreaming("StreamUpsertRecords", this,
                       &InventorySyncService::StreamUpsertRecords);
  ServeUnary("DeleteRecords", this, &InventorySyncService::DeleteRecords);
  ServeUnary("FinishSnapshot", this, &InventorySyncService::FinishSnapshot);
  ServeUnary("PutStoreConfig", this, &InventorySyncService::PutStoreConfig);
  ServeUnary("GetStoreConfig", this, &InventorySyncService::GetStoreConfig);
  ServeUnary("PutSalesChannels", this, &InventorySyncService::PutSalesChannels);
  ServeUnary("PutCategoryRanking", this,
             &InventorySyncService::PutCategoryRanking);
  ServeServerStreaming("TailEvents", this, &InventorySyncService::TailEvents);
}

InventorySyncService::~InventorySyncService() = default;

bool InventorySyncService::Authorized(
    const grpc::CallbackServerContext& context) const {
  if (!options_.allowed_client_subjects.empty()) {
    std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
    if (auth != nullptr && auth->IsPeerAuthenticated()) {
      for (const std::string& allowed : options_.allowed_client_subjects) {
        const bool cn = absl::StartsWith(allowed, "CN=");
        const absl::string_view want =
            absl::string_view(allowed).substr(cn ? 3 : 4);
        for (const grpc::string_ref& value : auth->FindPropertyValues(
                 cn ? GRPC_X509_CN_PROPERTY_NAME
                    : GRPC_X509_SAN_PROPERTY_NAME)) {
          if (absl::string_view(value.data(), value.size()) == want) {
            return true;
          }
        }
      }
    }
  }
  if (options_.token.empty()) return false;
  bool ok = false;
  auto range = context.client_metadata().equal_range("authorization");
  for (auto it = range.first; it != range.second; ++it) {
    absl::string_view value(it->second.data(), it->second.size());
    constexpr absl::string_view kScheme = "bearer ";
    if (value.size() <= kScheme.size() ||
        !absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
      continue;
    }
    value = absl::StripAsciiWhitespace(value.substr(kScheme.size()));
    // Every header is compared, so timing does not tell which one matched.
    ok |= ConstantTimeEquals(value, options_.token);
  }
  return ok;
}

absl::Time InventorySyncService::DeadlineFor(
    const grpc::CallbackServerContext& context, absl::Duration budget) {
  const auto now = std::chrono::system_clock::now();
  const auto call_deadline = context.deadline();
  const absl::Time by_budget = absl::Now() + budget;
  if (call_deadline <= now) return absl::Now();
  const auto remaining = call_deadline - now;
  if (remaining >= absl::ToChronoNanoseconds(budget)) return by_budget;
  return absl::Now() + absl::FromChrono(
                           std::chrono::duration_cast<std::chrono::nanoseconds>(
                               remaining));
}

grpc::ServerUnaryReactor* InventorySyncService::UpsertRecords(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::UpsertRecordsRequest>* parsed,
    v1::UpsertRecordsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Authorized(*context)) {
    reactor->Finish(Unauthenticated());
    return reactor;
  }
  if (absl::Status s = parsed->StatusOutside("records"); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  const v1::UpsertRecordsRequest* request = &parsed->message();
  const RequestProblems::ElementErrorMap unreadable =
      parsed->ElementErrors("records");
  if (absl::Status s = CheckBatchSize(request->records_size(), "records");
      !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  if (!request->snapshot_id().empty()) {
    if (absl::Status s = ValidateSnapshotId(request->snapshot_id(),
                                            "snapshot_id");
        !s.ok()) {
      reactor->Finish(ToGrpcStatus(s));
      return reactor;
    }
  }
  response->Clear();
  ValidatedBatch<core::Record> batch = ValidateBatch(
      request->records(),
      [&unreadable](const v1::InventoryRecord& in,
                    int i) -> absl::StatusOr<core::Record> {
        AV_RETURN_IF_ERROR(ElementError(unreadable, i));
        return RecordFromApi(in, absl::StrCat("records[", i, "]"));
      },
      *response);
  response->set_rejected(request->records_size() -
                         static_cast<int64_t>(batch.valid.size()));
  if (batch.valid.empty()) {
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  writer_.Upsert(std::move(batch.valid), request->snapshot_id(), clock_.Now(),
                 DeadlineFor(*context, options_.write_timeout),
                 FinishBatchWrite(reactor, response, std::move(batch.positions),
                                  "writing records",
                                  [response](const cache::WriteOutcome& w) {
                                    CountOutcome(w, *response);
                                  }));
  return reactor;
}

// Reads the next batch while earlier ones are still being written, up to
// kMaxWritesInFlight (flow control for bulk loads: the client is held back
// once that many batches wait for Redis). Reactions run on gRPC threads and
// write callbacks on the Redis loop thread, so the shared state is locked.
// The call finishes once reading is over and no write is in flight (write
// callbacks refer to the reactor, which lives until OnDone).
class InventorySyncService::StreamUpsertReactor
    : public grpc::ServerReadReactor<ParsedRequest<v1::UpsertRecordsRequest>> {
 public:
  static constexpr int kMaxWritesInFlight = 4;

  StreamUpsertReactor(InventorySyncService& service,
                      grpc::CallbackServerContext& context,
                      v1::UpsertRecordsResponse& response)
      : service_(service), context_(context), response_(response) {
    response_.Clear();
    if (!service_.Authorized(context_)) {
      finished_ = true;
      Finish(Unauthenticated());
      return;
    }
    ReactorLock lock(&mutex_);
    ReadNext();
  }

  void OnReadDone(bool ok) override {
    ReactorLock lock(&mutex_);
    read_pending_ = false;
    if (!ok) reading_done_ = true;  // half-closed or cancelled
    if (!ok || !error_.ok()) {
      MaybeFinish();
      return;
    }
    ++messages_;
    // A message with a field that is not valid UTF-8 stops the stream like
    // any other bad message: neither it nor anything after it is written.
    absl::Status check = parsed_.status();
    const v1::UpsertRecordsRequest& request = parsed_.message();
    const int n = request.records_size();
    if (check.ok()) check = CheckBatchSize(n, "records");
    if (check.ok() && !request.snapshot_id().empty()) {
      check = ValidateSnapshotId(request.snapshot_id(), "snapshot_id");
    }
    if (!check.ok()) {
      Fail(InvalidArgument(absl::StrCat("message ", messages_, ": ",
                                        check.message(),
                                        "; earlier messages were applied")));
      return;
    }
    std::vector<core::Record> valid;
    std::vector<int64_t> indices;
    for (int i = 0; i < n; ++i) {
      const v1::InventoryRecord& in = request.records(i);
      const int64_t index = next_index_ + i;
      absl::StatusOr<core::Record> r =
          RecordFromApi(in, absl::StrCat("records[", index, "]"));
      if (!r.ok()) {
        response_.set_rejected(response_.rejected() + 1);
        if (v1::RecordOutcome* o = AddOutcome(index, in.sku(), in.stock_id())) {
          o->set_result(v1::RecordOutcome::RESULT_REJECTED);
          o->set_error(std::string(r.status().message()));
        }
        continue;
      }
      valid.push_back(*std::move(r));
      indices.push_back(index);
    }
    next_index_ += n;
    if (!valid.empty()) Write(std::move(valid), std::move(indices));
    if (writes_in_flight_ < kMaxWritesInFlight) {
      ReadNext();
    } else {
      read_waits_for_write_ = true;
    }
  }

  void OnDone() override { delete this; }

 private:
  void Write(std::vector<core::Record> valid, std::vector<int64_t> indices)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    std::vector<std::pair<std::string, int32_t>> keys;
    keys.reserve(valid.size());
    for (const core::Record& r : valid) keys.emplace_back(r.sku, r.stock_id);
    ++writes_in_flight_;
    const int64_t message = messages_;
    service_.writer_.Upsert(
        std::move(valid), parsed_.message().snapshot_id(),
        service_.clock_.Now(),
        DeadlineFor(context_, service_.options_.write_timeout),
        [this, message, indices = std::move(indices), keys = std::move(keys)](
            absl::StatusOr<std::vector<cache::WriteOutcome>> result) {
          ReactorLock lock(&mutex_);
          --writes_in_flight_;
          if (!result.ok()) {
            Fail(CacheError(result.status(),
                            absl::StrCat("writing message ", message,
                                         " (earlier messages were applied)")));
            return;
          }
          // A stock the cache failed on stops the stream like a failed
          // write: a bulk load (a snapshot import) must not go on to
          // FinishSnapshot, which would delete the records that failed.
          if (absl::Status failed = cache::FirstFailure(*result);
              !failed.ok()) {
            Fail(CacheError(
                failed, absl::StrCat("writing message ", message,
                                     " (earlier messages and this message's "
                                     "other stocks were applied)")));
            return;
          }
          for (size_t k = 0; k < indices.size(); ++k) {
            const cache::WriteOutcome& w = (*result)[k];
            CountOutcome(w, response_);
            if (w.result == cache::WriteResult::kApplied) continue;
            if (v1::RecordOutcome* o =
                    AddOutcome(indices[k], keys[k].first, keys[k].second)) {
              SetOutcome(w, o);
            }
          }
          if (read_waits_for_write_) {
            read_waits_for_write_ = false;
            ReadNext();
          }
          MaybeFinish();
        });
  }

  void ReadNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    read_pending_ = true;
    mutex_.Defer([this] { StartRead(&parsed_); });
  }

  // Remembers the first error and reads no further; the call ends with it
  // once no read and no write is outstanding.
  void Fail(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (error_.ok()) error_ = std::move(status);
    read_waits_for_write_ = false;
    MaybeFinish();
  }

  // Finishes once nothing is outstanding and either the caller is done
  // sending or an error stopped the stream.
  void MaybeFinish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (finished_ || read_pending_ || writes_in_flight_ > 0) return;
    if (!reading_done_ && error_.ok()) return;
    finished_ = true;
    // After the lock is released: OnDone may delete `this` at once.
    mutex_.Defer([this, status = error_] { Finish(status); });
  }

  // A new outcome, or null once max_stream_outcomes are listed.
  v1::RecordOutcome* AddOutcome(int64_t index, const std::string& sku,
                                int32_t stock_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (response_.outcomes_size() >= service_.options_.max_stream_outcomes) {
      return nullptr;
    }
    v1::RecordOutcome* o = response_.add_outcomes();
    o->set_index(static_cast<int32_t>(index));
    o->set_sku(sku);
    o->set_stock_id(stock_id);
    return o;
  }

  InventorySyncService& service_;
  grpc::CallbackServerContext& context_;
  ReactorMutex mutex_;
  v1::UpsertRecordsResponse& response_ ABSL_GUARDED_BY(mutex_);
  // Filled by StartRead; read only in OnReadDone, before the next StartRead.
  ParsedRequest<v1::UpsertRecordsRequest> parsed_;
  int64_t next_index_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t messages_ ABSL_GUARDED_BY(mutex_) = 0;
  int writes_in_flight_ ABSL_GUARDED_BY(mutex_) = 0;
  bool read_pending_ ABSL_GUARDED_BY(mutex_) = false;
  bool read_waits_for_write_ ABSL_GUARDED_BY(mutex_) = false;
  bool reading_done_ ABSL_GUARDED_BY(mutex_) = false;
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
  grpc::Status error_ ABSL_GUARDED_BY(mutex_);
};

grpc::ServerReadReactor<ParsedRequest<v1::UpsertRecordsRequest>>*
InventorySyncService::StreamUpsertRecords(grpc::CallbackServerContext* context,
                                          v1::UpsertRecordsResponse* response) {
  return new StreamUpsertReactor(*this, *context, *response);
}

grpc::ServerUnaryReactor* InventorySyncService::DeleteRecords(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::DeleteRecordsRequest>* parsed,
    v1::DeleteRecordsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Authorized(*context)) {
    reactor->Finish(Unauthenticated());
    return reactor;
  }
  if (absl::Status s = parsed->StatusOutside("keys"); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  const v1::DeleteRecordsRequest* request = &parsed->message();
  const RequestProblems::ElementErrorMap unreadable =
      parsed->ElementErrors("keys");
  if (absl::Status s = CheckBatchSize(request->keys_size(), "keys"); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  response->Clear();
  ValidatedBatch<cache::DeleteKey> batch =
      ValidateBatch(request->keys(),
                    [&unreadable](const v1::RecordKey& key,
                                  int i) -> absl::StatusOr<cache::DeleteKey> {
                      AV_RETURN_IF_ERROR(ElementError(unreadable, i));
                      return DeleteKeyFromApi(key, i);
                    },
                    *response);
  if (batch.valid.empty()) {
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  writer_.Delete(
      std::move(batch.valid), DeadlineFor(*context, options_.write_timeout),
      FinishBatchWrite(reactor, response, std::move(batch.positions),
                       "deleting records",
                       [response](const cache::WriteOutcome& w) {
                         response->set_events_appended(
                             response->events_appended() + w.events_appended);
                       }));
  return reactor;
}

grpc::ServerUnaryReactor* InventorySyncService::FinishSnapshot(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::FinishSnapshotRequest>* parsed,
    v1::FinishSnapshotResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Authorized(*context)) {
    reactor->Finish(Unauthenticated());
    return reactor;
  }
  if (absl::Status s = parsed->status(); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  const v1::FinishSnapshotRequest* request = &parsed->message();
  if (request->stock_id() < 1) {
    reactor->Finish(InvalidArgument("stock_id: must be >= 1"));
    return reactor;
  }
  if (absl::Status s = ValidateSnapshotId(request->snapshot_id(), "snapshot_id");
      !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  cache::DeleteLimit limit;
  if (request->has_max_delete_fraction()) {
    const double fraction = request->max_delete_fraction();
    if (!(fraction >= 0 && fraction <= 1)) {  // also NaN
      reactor->Finish(InvalidArgument(absl::StrCat(
          "max_delete_fraction: must be 0..1 (0.1 = 10 %), got ", fraction)));
      return reactor;
    }
    limit.max_fraction = fraction;
  }
  if (request->has_max_delete_count()) {
    if (request->max_delete_count() < 0) {
      reactor->Finish(InvalidArgument(absl::StrCat(
          "max_delete_count: must be >= 0, got ",
          request->max_delete_count())));
      return reactor;
    }
    limit.max_count = request->max_delete_count();
  }
  writer_.FinishSnapshot(
      request->stock_id(), request->snapshot_id(),
      cache::EmptySnapshot::kRefuse, limit,
      DeadlineFor(*context, options_.snapshot_timeout),
      [reactor, response](absl::StatusOr<cache::SnapshotResult> result) {
        if (!result.ok()) {
          reactor->Finish(CacheError(result.status(), "finishing snapshot"));
          return;
        }
        response->set_deleted(result->deleted);
        response->set_kept(result->kept);
        response->set_events_appended(result->events_appended);
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* InventorySyncService::PutStoreConfig(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::PutStoreConfigRequest>* parsed,
    v1::PutStoreConfigResponse* /*response*/) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Authorized(*context)) {
    reactor->Finish(Unauthenticated());
    return reactor;
  }
  if (absl::Status s = parsed->status(); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  const v1::PutStoreConfigRequest* request = &parsed->message();
  if (!request->has_config()) {
    reactor->Finish(InvalidArgument("config: missing"));
    return reactor;
  }
  absl::StatusOr<core::StoreConfig> config =
      StoreConfigFromApi(request->config(), "config");
  if (!config.ok()) {
    reactor->Finish(ToGrpcStatus(config.status()));
    return reactor;
  }
  writer_.PutStoreConfig(*config, DeadlineFor(*context, options_.write_timeout),
                         [reactor](absl::Status s) {
                           reactor->Finish(
                               s.ok() ? grpc::Status::OK
                                      : CacheError(s, "storing config"));
                         });
  return reactor;
}

grpc::ServerUnaryReactor* InventorySyncService::GetStoreConfig(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::GetStoreConfigRequest>* parsed, v1::StoreConfig* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Authorized(*context)) {
    reactor->Finish(Unauthenticated());
    return reactor;
  }
  if (absl::Status s = parsed->status(); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  const v1::GetStoreConfigRequest* request = &parsed->message();
  if (request->stock_id() < 1) {
    reactor->Finish(InvalidArgument("stock_id: must be >= 1"));
    return reactor;
  }
  writer_.ReadStoreConfig(
      request->stock_id(), DeadlineFor(*context, options_.write_timeout),
      [reactor, response](absl::StatusOr<core::StoreConfig> config) {
        if (!config.ok()) {
          reactor->Finish(CacheError(config.status(), "reading config"));
          return;
        }
        StoreConfigToApi(*config, response);
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* InventorySyncService::PutSalesChannels(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::PutSalesChannelsRequest>* parsed,
    v1::PutSalesChannelsResponse* /*response*/) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Authorized(*context)) {
    reactor->Finish(Unauthenticated());
    return reactor;
  }
  if (absl::Status s = parsed->status(); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  const v1::PutSalesChannelsRequest* request = &parsed->message();
  std::map<std::string, int32_t> channels;
  for (const auto& [code, stock] : request->channels()) {
    if (code.empty() || code.size() > 64) {
      reactor->Finish(InvalidArgument(absl::StrCat(
          "channels[\"", absl::CHexEscape(code), "\"]: code must be 1..64 bytes")));
      return reactor;
    }
    if (stock < 1) {
      reactor->Finish(InvalidArgument(
          absl::StrCat("channels[\"", absl::CHexEscape(code),
                       "\"]: stock id must be >= 1")));
      return reactor;
    }
    channels[code] = stock;
  }
  writer_.PutSalesChannels(
      std::move(channels), request->replace(),
      DeadlineFor(*context, options_.write_timeout), [reactor](absl::Status s) {
        reactor->Finish(s.ok() ? grpc::Status::OK
                               : CacheError(s, "storing sales channels"));
      });
  return reactor;
}

grpc::ServerUnaryReactor* InventorySyncService::PutCategoryRanking(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::PutCategoryRankingRequest>* parsed,
    v1::PutCategoryRankingResponse* /*response*/) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!Authorized(*context)) {
    reactor->Finish(Unauthenticated());
    return reactor;
  }
  if (absl::Status s = parsed->status(); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  const v1::PutCategoryRankingRequest* request = &parsed->message();
  if (request->stock_id() < 1) {
    reactor->Finish(InvalidArgument("stock_id: must be >= 1"));
    return reactor;
  }
  if (request->category_id() < 1) {
    reactor->Finish(InvalidArgument("category_id: must be >= 1"));
    return reactor;
  }
  if (request->skus_size() > kMaxRankingSkus) {
    reactor->Finish(InvalidArgument(
        absl::StrCat("skus: more than ", kMaxRankingSkus)));
    return reactor;
  }
  std::vector<std::string> skus;
  for (int i = 0; i < request->skus_size(); ++i) {
    if (absl::Status s =
            ValidateSku(request->skus(i), absl::StrCat("skus[", i, "]"));
        !s.ok()) {
      reactor->Finish(ToGrpcStatus(s));
      return reactor;
    }
    skus.push_back(request->skus(i));
  }
  writer_.PutCategoryRanking(
      request->stock_id(), request->category_id(), std::move(skus),
      DeadlineFor(*context, options_.write_timeout), [reactor](absl::Status s) {
        reactor->Finish(s.ok() ? grpc::Status::OK
                               : CacheError(s, "storing category ranking"));
      });
  return reactor;
}

// Polls the stream: XREAD (non-blocking) -> write each event -> XREAD again;
// when a poll finds nothing, an alarm schedules the next one. At most one of
// {Redis read, alarm, write} is in flight at a time; Finish is called once,
// when the call is cancelled or failed and none is in flight, so no callback
// can reach the reactor after OnDone.
class InventorySyncService::TailReactor
    : public grpc::ServerWriteReactor<v1::InventoryEvent> {
 public:
  TailReactor(InventorySyncService& service,
              grpc::CallbackServerContext& context,
              const ParsedRequest<v1::TailEventsRequest>& parsed)
      : service_(service),
        key_(service.writer_.keys().Events(parsed.message().stock_id())) {
    if (!service_.Authorized(context)) {
      Finish(Unauthenticated());
      return;
    }
    if (absl::Status s = parsed.status(); !s.ok()) {
      Finish(ToGrpcStatus(s));
      return;
    }
    const v1::TailEventsRequest& request = parsed.message();
    if (request.stock_id() < 1) {
      Finish(InvalidArgument("stock_id: must be >= 1"));
      return;
    }
    if (!request.after_id().empty() && !IsStreamId(request.after_id())) {
      Finish(InvalidArgument(
          "after_id: not a stream id (\"\", \"0\", \"<ms>\" or "
          "\"<ms>-<seq>\")"));
      return;
    }
    ReactorLock lock(&mu_);
    busy_ = true;
    if (request.after_id().empty()) {
      ResolveLastId();
    } else {
      after_id_ = request.after_id();
      Started();
    }
  }

  void OnSendInitialMetadataDone(bool ok) override {
    ReactorLock lock(&mu_);
    if (!ok) stopping_ = true;
    if (stopping_) {
      busy_ = false;
      MaybeFinish();
      return;
    }
    Poll();
  }

  void OnWriteDone(bool ok) override {
    ReactorLock lock(&mu_);
    if (!ok) stopping_ = true;
    if (stopping_) {
      busy_ = false;
      MaybeFinish();
      return;
    }
    if (!queue_.empty()) {
      WriteNext();
    } else {
      Poll();
    }
  }

  void OnCancel() override {
    ReactorLock lock(&mu_);
    stopping_ = true;
    if (alarm_ != nullptr && alarm_pending_) alarm_->Cancel();
    MaybeFinish();
  }

  void OnDone() override { delete this; }

 private:
  absl::Time ReadDeadline() const {
    return absl::Now() + service_.options_.write_timeout;
  }

  // Starts after the newest event now in the stream ("only new events").
  void ResolveLastId() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    mu_.Defer([this] {
      service_.client_.Execute(
          {"XREVRANGE", key_, "+", "-", "COUNT", "1"}, ReadDeadline(),
          [this](absl::StatusOr<cache::RedisReply> reply) {
            ReactorLock lock(&mu_);
            if (absl::Status s = cache::ReplyStatus(reply, "events stream");
                !s.ok()) {
              Fail(s);
              return;
            }
            after_id_ = "0-0";
            if (!reply->elements.empty() &&
                !reply->elements[0].elements.empty()) {
              after_id_ = reply->elements[0].elements[0].str;
            }
            if (stopping_) {
              busy_ = false;
              MaybeFinish();
              return;
            }
            Started();
          });
    });
  }

  // The start position is fixed: tell the caller (initial metadata), then
  // poll.
  void Started() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    mu_.Defer([this] { StartSendInitialMetadata(); });
  }

  void Poll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::string after = after_id_;
    mu_.Defer([this, after] {
      service_.client_.Execute(
          {"XREAD", "COUNT", absl::StrCat(service_.options_.tail_batch),
           "STREAMS", key_, after},
          ReadDeadline(), [this](absl::StatusOr<cache::RedisReply> reply) {
            ReactorLock lock(&mu_);
            OnPolled(std::move(reply));
          });
    });
  }

  void OnPolled(absl::StatusOr<cache::RedisReply> reply)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (absl::Status s = cache::ReplyStatus(reply, "events stream");
        !s.ok()) {
      Fail(s);
      return;
    }
    if (stopping_) {
      busy_ = false;
      MaybeFinish();
      return;
    }
    // [[key, [entry, ...]]] or nil when nothing is new.
    if (!reply->is_nil() && !reply->elements.empty() &&
        reply->elements[0].elements.size() == 2) {
      for (const cache::RedisReply& entry :
           reply->elements[0].elements[1].elements) {
        absl::StatusOr<cache::TransitionEvent> e =
            cache::ParseTransitionEvent(entry);
        if (!entry.elements.empty()) after_id_ = entry.elements[0].str;
        if (!e.ok()) continue;  // Not ours to announce; skip it.
        v1::InventoryEvent event;
        EventToApi(*e, &event);
        queue_.push_back(std::move(event));
      }
    }
    if (!queue_.empty()) {
      WriteNext();
      return;
    }
    alarm_ = std::make_unique<grpc::Alarm>();
    alarm_pending_ = true;
    grpc::Alarm* alarm = alarm_.get();
    const auto when =
        std::chrono::system_clock::now() +
        absl::ToChronoNanoseconds(service_.options_.tail_poll_interval);
    mu_.Defer([this, alarm, when] {
      alarm->Set(when, [this](bool fired) {
        ReactorLock lock(&mu_);
        alarm_pending_ = false;
        if (!fired || stopping_) {
          busy_ = false;
          MaybeFinish();
          return;
        }
        Poll();
      });
    });
  }

  void WriteNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    current_ = std::move(queue_.front());
    queue_.pop_front();
    mu_.Defer([this] { StartWrite(&current_); });
  }

  void Fail(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!stopping_) {
      final_status_ = CacheError(
          status, absl::StrCat("reading events (resume with after_id = \"",
                               after_id_, "\")"));
    }
    stopping_ = true;
    busy_ = false;
    MaybeFinish();
  }

  void MaybeFinish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || busy_ || !stopping_) return;
    finished_ = true;
    grpc::Status status = final_status_;
    mu_.Defer([this, status] { Finish(status); });
  }

  InventorySyncService& service_;
  const std::string key_;

  ReactorMutex mu_;
  std::string after_id_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::InventoryEvent> queue_ ABSL_GUARDED_BY(mu_);
  // The event being written (StartWrite keeps a pointer to it).
  v1::InventoryEvent current_;
  std::unique_ptr<grpc::Alarm> alarm_ ABSL_GUARDED_BY(mu_);
  bool alarm_pending_ ABSL_GUARDED_BY(mu_) = false;
  // A read, alarm or write is in flight.
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
};

grpc::ServerWriteReactor<v1::InventoryEvent>* InventorySyncService::TailEvents(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::TailEventsRequest>* parsed) {
  return new TailReactor(*this, *context, *parsed);
}

}  // namespace availability::server
