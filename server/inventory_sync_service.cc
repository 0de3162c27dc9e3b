#include "server/inventory_sync_service.h"

#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "server/demand_report.h"
#include "server/finished_reactor.h"
#include "server/grpc_status.h"
#include "server/stream_upsert_reactor.h"
#include "server/sync_call.h"
#include "server/sync_mapping.h"
#include "server/tail_events_reactor.h"

namespace availability::server {
namespace {

namespace v1 = ::availability::v1;

// `reactor`, finished with `status` (a unary handler's early answer).
grpc::ServerUnaryReactor* Finished(grpc::ServerUnaryReactor* reactor,
                                   const grpc::Status& status) {
  reactor->Finish(status);
  return reactor;
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
      WriteOutcomeToApi(w, response->mutable_outcomes(positions[k]));
      count(w);
    }
    reactor->Finish(grpc::Status::OK);
  };
}

// The callback of a write that answers nothing but success: finishes the
// call OK, or with the cache error, saying it happened while `doing`.
cache::RecordWriter::StatusCallback FinishWrite(
    grpc::ServerUnaryReactor* reactor, const char* doing) {
  return [reactor, doing](absl::Status s) {
    reactor->Finish(s.ok() ? grpc::Status::OK : CacheError(s, doing));
  };
}

// The methods the read-only token may call: they change no inventory,
// configuration or ranking. Every other method, one added later included,
// needs full rights.
constexpr absl::string_view kReadMethods[] = {
    "TailEvents", "GetStoreConfig", "ClaimNotificationJobs",
    "AckNotificationJobs", "GetDemandReport"};

SyncAccess AccessOf(absl::string_view method) {
  for (absl::string_view read : kReadMethods) {
    if (method == read) return SyncAccess::kRead;
  }
  return SyncAccess::kWrite;
}

// OK, or FailedPrecondition naming `what` (never the token) when `token` is
// empty, shorter than kMinTokenBytes or holds whitespace/control characters.
absl::Status ValidateToken(const std::string& token, absl::string_view what) {
  if (token.size() < InventorySyncService::kMinTokenBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, " ", token.empty() ? "is not set" : "is too short",
                     ": the sync listener needs a bearer token of at least ",
                     InventorySyncService::kMinTokenBytes,
                     " bytes and will not start without one"));
  }
  for (char c : token) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return absl::FailedPreconditionError(absl::StrCat(
          what,
          " holds whitespace or control characters; it must be a single "
          "printable word to travel in an authorization header"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

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
  if (!identities_only) {
    AV_RETURN_IF_ERROR(ValidateToken(options.token, "sync API token"));
  }
  if (!options.read_token.empty()) {
    AV_RETURN_IF_ERROR(
        ValidateToken(options.read_token, "sync API read-only token"));
    if (options.read_token == options.token) {
      return absl::FailedPreconditionError(
          "sync API read-only token equals the full token; give it its own "
          "value");
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

InventorySyncService::InventorySyncService(
    Options options, cache::RecordWriter& writer,
    cache::CatalogSettingsWriter& settings, cache::RedisClient& client,
    const core::Clock& clock)
    : ParsedRequestService(v1::InventorySync::service_full_name()),
      options_(std::move(options)),
      authorizer_({options_.token, options_.read_token,
                   options_.allowed_client_subjects}),
      writer_(writer),
      settings_(settings),
      client_(client),
      clock_(clock),
      jobs_(client, writer.keys()) {
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
  ServeUnary("ClaimNotificationJobs", this,
             &InventorySyncService::ClaimNotificationJobs);
  ServeUnary("AckNotificationJobs", this,
             &InventorySyncService::AckNotificationJobs);
  ServeUnary("GetDemandReport", this, &InventorySyncService::GetDemandReport);
}

InventorySyncService::~InventorySyncService() = default;

grpc::Status InventorySyncService::Admit(
    const grpc::CallbackServerContext& context, absl::string_view method,
    const absl::Status& parsed) const {
  static const std::string* const read_methods =
      new std::string(absl::StrJoin(kReadMethods, ", "));
  if (grpc::Status s =
          authorizer_.Check(context, method, AccessOf(method), *read_methods);
      !s.ok()) {
    return s;
  }
  return ToGrpcStatus(parsed);
}

grpc::ServerUnaryReactor* InventorySyncService::UpsertRecords(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::UpsertRecordsRequest>* parsed,
    v1::UpsertRecordsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status s =
          Admit(*context, "UpsertRecords", parsed->StatusOutside("records"));
      !s.ok()) {
    return Finished(reactor, s);
  }
  const v1::UpsertRecordsRequest* request = &parsed->message();
  if (absl::Status s = ValidateUpsertRequest(*request); !s.ok()) {
    return Finished(reactor, ToGrpcStatus(s));
  }
  const RequestProblems::ElementErrorMap unreadable =
      parsed->ElementErrors("records");
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
  if (batch.valid.empty()) return Finished(reactor, grpc::Status::OK);
  writer_.Upsert(std::move(batch.valid), request->snapshot_id(), clock_.Now(),
                 SyncCallDeadline(*context, options_.write_timeout),
                 FinishBatchWrite(reactor, response, std::move(batch.positions),
                                  "writing records",
                                  [response](const cache::WriteOutcome& w) {
                                    CountWriteOutcome(w, *response);
                                  }));
  return reactor;
}

grpc::ServerReadReactor<ParsedRequest<v1::UpsertRecordsRequest>>*
InventorySyncService::StreamUpsertRecords(grpc::CallbackServerContext* context,
                                          v1::UpsertRecordsResponse* response) {
  if (grpc::Status s = Admit(*context, "StreamUpsertRecords", absl::OkStatus());
      !s.ok()) {
    response->Clear();
    return new FinishedReadReactor<ParsedRequest<v1::UpsertRecordsRequest>>(s);
  }
  return new StreamUpsertReactor(
      {options_.write_timeout, options_.max_stream_outcomes}, writer_, clock_,
      *context, *response);
}

grpc::ServerUnaryReactor* InventorySyncService::DeleteRecords(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::DeleteRecordsRequest>* parsed,
    v1::DeleteRecordsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status s =
          Admit(*context, "DeleteRecords", parsed->StatusOutside("keys"));
      !s.ok()) {
    return Finished(reactor, s);
  }
  const v1::DeleteRecordsRequest* request = &parsed->message();
  if (absl::Status s = ValidateBatchSize(request->keys_size(), "keys");
      !s.ok()) {
    return Finished(reactor, ToGrpcStatus(s));
  }
  const RequestProblems::ElementErrorMap unreadable =
      parsed->ElementErrors("keys");
  response->Clear();
  ValidatedBatch<cache::DeleteKey> batch = ValidateBatch(
      request->keys(),
      [&unreadable](const v1::RecordKey& key,
                    int i) -> absl::StatusOr<cache::DeleteKey> {
        AV_RETURN_IF_ERROR(ElementError(unreadable, i));
        return DeleteKeyFromApi(key, i);
      },
      *response);
  if (batch.valid.empty()) return Finished(reactor, grpc::Status::OK);
  writer_.Delete(
      std::move(batch.valid),
      SyncCallDeadline(*context, options_.write_timeout),
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
  if (grpc::Status s = Admit(*context, "FinishSnapshot", parsed->status());
      !s.ok()) {
    return Finished(reactor, s);
  }
  const v1::FinishSnapshotRequest& request = parsed->message();
  absl::StatusOr<cache::DeleteLimit> limit = SnapshotFinishFromApi(request);
  if (!limit.ok()) return Finished(reactor, ToGrpcStatus(limit.status()));
  writer_.FinishSnapshot(
      request.stock_id(), request.snapshot_id(), cache::EmptySnapshot::kRefuse,
      *limit, SyncCallDeadline(*context, options_.snapshot_timeout),
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
  if (grpc::Status s = Admit(*context, "PutStoreConfig", parsed->status());
      !s.ok()) {
    return Finished(reactor, s);
  }
  absl::StatusOr<core::StoreConfig> config =
      StoreConfigFromApi(parsed->message());
  if (!config.ok()) return Finished(reactor, ToGrpcStatus(config.status()));
  settings_.PutStoreConfig(*config,
                           SyncCallDeadline(*context, options_.write_timeout),
                           FinishWrite(reactor, "storing config"));
  return reactor;
}

grpc::ServerUnaryReactor* InventorySyncService::GetStoreConfig(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::GetStoreConfigRequest>* parsed,
    v1::StoreConfig* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status s = Admit(*context, "GetStoreConfig", parsed->status());
      !s.ok()) {
    return Finished(reactor, s);
  }
  const int32_t stock_id = parsed->message().stock_id();
  if (absl::Status s = ValidateStockId(stock_id, "stock_id"); !s.ok()) {
    return Finished(reactor, ToGrpcStatus(s));
  }
  settings_.ReadStoreConfig(
      stock_id, SyncCallDeadline(*context, options_.write_timeout),
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
  if (grpc::Status s = Admit(*context, "PutSalesChannels", parsed->status());
      !s.ok()) {
    return Finished(reactor, s);
  }
  absl::StatusOr<std::map<std::string, int32_t>> channels =
      SalesChannelsFromApi(parsed->message());
  if (!channels.ok()) return Finished(reactor, ToGrpcStatus(channels.status()));
  settings_.PutSalesChannels(*std::move(channels), parsed->message().replace(),
                             SyncCallDeadline(*context, options_.write_timeout),
                             FinishWrite(reactor, "storing sales channels"));
  return reactor;
}

grpc::ServerUnaryReactor* InventorySyncService::PutCategoryRanking(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::PutCategoryRankingRequest>* parsed,
    v1::PutCategoryRankingResponse* /*response*/) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status s = Admit(*context, "PutCategoryRanking", parsed->status());
      !s.ok()) {
    return Finished(reactor, s);
  }
  const v1::PutCategoryRankingRequest& request = parsed->message();
  absl::StatusOr<std::vector<std::string>> skus =
      CategoryRankingFromApi(request);
  if (!skus.ok()) return Finished(reactor, ToGrpcStatus(skus.status()));
  settings_.PutCategoryRanking(
      request.stock_id(), request.category_id(), *std::move(skus),
      SyncCallDeadline(*context, options_.write_timeout),
      FinishWrite(reactor, "storing category ranking"));
  return reactor;
}

grpc::ServerWriteReactor<v1::InventoryEvent>* InventorySyncService::TailEvents(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::TailEventsRequest>* parsed) {
  grpc::Status admitted = Admit(*context, "TailEvents", parsed->status());
  const v1::TailEventsRequest& request = parsed->message();
  if (admitted.ok()) {
    admitted = ToGrpcStatus(ValidateTailEventsRequest(request));
  }
  if (!admitted.ok()) {
    return new FinishedWriteReactor<v1::InventoryEvent>(admitted);
  }
  return new TailEventsReactor(
      {options_.write_timeout, options_.tail_poll_interval,
       options_.tail_batch},
      client_, writer_.keys().Events(request.stock_id()), request.after_id());
}

grpc::ServerUnaryReactor* InventorySyncService::ClaimNotificationJobs(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::ClaimNotificationJobsRequest>* parsed,
    v1::ClaimNotificationJobsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status s =
          Admit(*context, "ClaimNotificationJobs", parsed->status());
      !s.ok()) {
    return Finished(reactor, s);
  }
  absl::StatusOr<JobClaim> claim = JobClaimFromApi(parsed->message());
  if (!claim.ok()) return Finished(reactor, ToGrpcStatus(claim.status()));
  jobs_.Claim(claim->stock_id, std::move(claim->consumer), claim->max_jobs,
              claim->lease, SyncCallDeadline(*context, options_.write_timeout),
              [reactor, response](
                  absl::StatusOr<std::vector<cache::NotificationJob>> jobs) {
                if (!jobs.ok()) {
                  reactor->Finish(CacheError(jobs.status(), "claiming jobs"));
                  return;
                }
                for (const cache::NotificationJob& job : *jobs) {
                  NotificationJobToApi(job, response->add_jobs());
                }
                reactor->Finish(grpc::Status::OK);
              });
  return reactor;
}

grpc::ServerUnaryReactor* InventorySyncService::AckNotificationJobs(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::AckNotificationJobsRequest>* parsed,
    v1::AckNotificationJobsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status s = Admit(*context, "AckNotificationJobs", parsed->status());
      !s.ok()) {
    return Finished(reactor, s);
  }
  absl::StatusOr<std::vector<std::string>> ids =
      JobIdsFromApi(parsed->message());
  if (!ids.ok()) return Finished(reactor, ToGrpcStatus(ids.status()));
  jobs_.Ack(parsed->message().stock_id(), *std::move(ids),
            SyncCallDeadline(*context, options_.write_timeout),
            [reactor, response](absl::StatusOr<int64_t> acknowledged) {
              if (!acknowledged.ok()) {
                reactor->Finish(
                    CacheError(acknowledged.status(), "acknowledging jobs"));
                return;
              }
              response->set_acknowledged(*acknowledged);
              reactor->Finish(grpc::Status::OK);
            });
  return reactor;
}

grpc::ServerUnaryReactor* InventorySyncService::GetDemandReport(
    grpc::CallbackServerContext* context,
    const ParsedRequest<v1::GetDemandReportRequest>* parsed,
    v1::DemandReport* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status s = Admit(*context, "GetDemandReport", parsed->status());
      !s.ok()) {
    return Finished(reactor, s);
  }
  if (options_.demand_report == nullptr) {
    return Finished(
        reactor, grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                              "GetDemandReport: not enabled on this server"));
  }
  options_.demand_report->Run(
      parsed->message(), SyncCallDeadline(*context, options_.write_timeout),
      response, [reactor](grpc::Status s) { reactor->Finish(s); });
  return reactor;
}

}  // namespace availability::server
