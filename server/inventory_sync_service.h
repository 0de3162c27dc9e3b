// The sync/admin write API (availability.v1.InventorySync) over the cache:
// versioned upserts and deletes, snapshot reconciliation, store
// configuration, sales channels, category rankings, a tail of the
// transition events and the back-in-stock notification jobs. Serve it on its
// own listener, never the storefront's.
//
// Wiring (server/main.cc):
//
//   cache::RecordWriter writer(*redis, cache::KeySchema(prefix));
//   cache::CatalogSettingsWriter settings(*redis, cache::KeySchema(prefix));
//   InventorySyncService::Options options;
//   options.token = sync_token;               // required, >= 16 bytes
//   AV_RETURN_IF_ERROR(InventorySyncService::ValidateOptions(options));
//   auto sync = std::make_unique<InventorySyncService>(
//       options, writer, settings, *redis, core::SystemClock::Get());
//   grpc::ServerBuilder b;
//   b.AddListeningPort(sync_address, creds);
//   b.RegisterService(sync.get());
//   ...
//   server->Shutdown();   // first: ends every call (TailEvents included)
//   // then destroy sync, settings, writer, redis (in that order)
//
// Authentication (server/sync_auth.h, checked first by every handler):
// every call must carry `authorization: Bearer <token>` metadata; the token
// is compared in constant time over its full length. Alternatively, with
// allowed_client_subjects, a caller whose verified client certificate (mTLS)
// has one of those identities needs no token. Neither: UNAUTHENTICATED
// ("missing or invalid bearer token"), and nothing is read or changed.
// ValidateOptions refuses an empty or short token unless identities are
// configured, so a sync listener never starts open; a service constructed with
// neither refuses every call. The token is never logged nor put in an error.
//
// Requests are parsed by the service (server/request_parsing.h): a string
// field that is not valid UTF-8 rejects just its record (RESULT_REJECTED
// "records[2].alternatives[0].sku: not valid UTF-8") in UpsertRecords and
// DeleteRecords, fails StreamUpsertRecords with INVALID_ARGUMENT naming the
// message, counted from 1, and the field within it ("message 12: records[3].
// sku: not valid UTF-8"; neither it nor anything after it is written, writes
// of earlier messages in flight finish first), and fails every other call
// with INVALID_ARGUMENT naming it.
//
// Limits and errors (grpc::Status): 1..1000 records (keys) per message,
// else INVALID_ARGUMENT "records: 1..1000 per request, got N". A record that
// breaks a rule is RESULT_REJECTED with "records[i].<field>: <rule>" (see
// sync_mapping.h) while the rest of the batch applies; a version not newer
// than the stored one (or a delete's tombstone) is RESULT_STALE with
// stored_version. Cache failures: UNAVAILABLE / DEADLINE_EXCEEDED (retry the
// same batch: versioned writes are idempotent).
//
// Requests are checked by server/sync_mapping.h; the streaming calls run in
// their own reactors (server/stream_upsert_reactor.h,
// server/tail_events_reactor.h).
//
// ClaimNotificationJobs / AckNotificationJobs hand out the stock's
// back-in-stock notification jobs at least once (cache/job_queue.h), each
// call within write_timeout (capped by its deadline).
//
// TailEvents polls the stock's events stream with non-blocking XREAD on the
// given client (no XREAD BLOCK: the connection is shared with the writes)
// every `tail_poll_interval` while there is nothing new, and writes events as
// they come, until the caller cancels or its deadline passes. The initial
// metadata is sent once the start position is fixed, so a caller that waits
// for it (WaitForInitialMetadata) gets every event appended afterwards, also
// with after_id "". A cache failure ends it with UNAVAILABLE; resume with
// after_id = the last id seen.
//
// Thread safety: reactions never block; every call hands its work to the
// Redis client and finishes from the reply. Safe for gRPC's concurrent use.
// The writers, client and clock must outlive the service, and the service
// must outlive the grpc::Server that serves it.
#ifndef AVAILABILITY_SERVER_INVENTORY_SYNC_SERVICE_H_
#define AVAILABILITY_SERVER_INVENTORY_SYNC_SERVICE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "availability/v1/inventory_sync.grpc.pb.h"
#include "cache/catalog_settings_writer.h"
#include "cache/job_queue.h"
#include "cache/record_writer.h"
#include "cache/redis_client.h"
#include "core/clock.h"
#include "server/request_parsing.h"
#include "server/sync_auth.h"

namespace availability::server {

class DemandReport;

class InventorySyncService final
    : public ParsedRequestService<::availability::v1::InventorySync::Service> {
 public:
  struct Options {
    // The bearer token callers must present. Required (ValidateOptions)
    // unless allowed_client_subjects is set.
    std::string token;
    // Optional second bearer token with read rights only: TailEvents,
    // GetStoreConfig, ClaimNotificationJobs, AckNotificationJobs and
    // GetDemandReport; every
    // other method answers it PERMISSION_DENIED naming the rule. Same rules
    // as `token`, and different from it.
    std::string read_token;
    // Client certificate identities accepted instead of the token, each
    // "CN=<common name>" or "SAN=<subject alternative name>" (e.g.
    // "CN=sync-worker", "SAN=spiffe://shop/sync"). Only a peer whose
    // certificate the listener verified (mTLS) can match; serve over
    // ServerCredentialsFromFiles with a client CA.
    std::vector<std::string> allowed_client_subjects;
    // Budget of one write round trip set (a batch), capped by the call's
    // own deadline.
    absl::Duration write_timeout = absl::Seconds(5);
    // Budget of FinishSnapshot (it scans the whole stock).
    absl::Duration snapshot_timeout = absl::Minutes(10);
    // TailEvents: pause between polls that found nothing new, and the most
    // events read per poll.
    absl::Duration tail_poll_interval = absl::Milliseconds(200);
    int tail_batch = 100;
    // StreamUpsertRecords lists at most this many stale/rejected outcomes
    // (the counts stay exact), to keep the answer a sane size.
    int max_stream_outcomes = 10000;
    // Serves GetDemandReport (server/demand_report.h); null: UNIMPLEMENTED.
    // Must outlive the service.
    DemandReport* demand_report = nullptr;
  };

  static constexpr size_t kMinTokenBytes = 16;

  // OK, or FailedPrecondition when the token is empty (and no client
  // subjects are allowed), shorter than kMinTokenBytes or holds
  // whitespace/control characters, or the read token (when set) breaks the
  // same rules or equals the token; InvalidArgument for an allowed subject
  // that is not CN=... or SAN=..., or for non-positive timeouts or sizes.
  // The message never contains the token.
  static absl::Status ValidateOptions(const Options& options);

  // Does not validate: call ValidateOptions first (with an empty token,
  // every call is UNAUTHENTICATED). `client` serves TailEvents; it may be
  // the writer's own client. `settings` serves the store configuration,
  // sales channels and category rankings. `clock` gives "now" for each
  // store's today.
  InventorySyncService(Options options, cache::RecordWriter& writer,
                       cache::CatalogSettingsWriter& settings,
                       cache::RedisClient& client, const core::Clock& clock);
  ~InventorySyncService() override;

  // The methods' handlers (registered by the constructor).
  grpc::ServerUnaryReactor* UpsertRecords(
      grpc::CallbackServerContext* context,
      const ParsedRequest<::availability::v1::UpsertRecordsRequest>* parsed,
      ::availability::v1::UpsertRecordsResponse* response);
  grpc::ServerReadReactor<
      ParsedRequest<::availability::v1::UpsertRecordsRequest>>*
  StreamUpsertRecords(grpc::CallbackServerContext* context,
                      ::availability::v1::UpsertRecordsResponse* response);
  grpc::ServerUnaryReactor* DeleteRecords(
      grpc::CallbackServerContext* context,
      const ParsedRequest<::availability::v1::DeleteRecordsRequest>* parsed,
      ::availability::v1::DeleteRecordsResponse* response);
  grpc::ServerUnaryReactor* FinishSnapshot(
      grpc::CallbackServerContext* context,
      const ParsedRequest<::availability::v1::FinishSnapshotRequest>* parsed,
      ::availability::v1::FinishSnapshotResponse* response);
  grpc::ServerUnaryReactor* PutStoreConfig(
      grpc::CallbackServerContext* context,
      const ParsedRequest<::availability::v1::PutStoreConfigRequest>* parsed,
      ::availability::v1::PutStoreConfigResponse* response);
  grpc::ServerUnaryReactor* GetStoreConfig(
      grpc::CallbackServerContext* context,
      const ParsedRequest<::availability::v1::GetStoreConfigRequest>* parsed,
      ::availability::v1::StoreConfig* response);
  grpc::ServerUnaryReactor* PutSalesChannels(
      grpc::CallbackServerContext* context,
      const ParsedRequest<::availability::v1::PutSalesChannelsRequest>* parsed,
      ::availability::v1::PutSalesChannelsResponse* response);
  grpc::ServerUnaryReactor* PutCategoryRanking(
      grpc::CallbackServerContext* context,
      const ParsedRequest<::availability::v1::PutCategoryRankingRequest>*
          parsed,
      ::availability::v1::PutCategoryRankingResponse* response);
  grpc::ServerWriteReactor<::availability::v1::InventoryEvent>* TailEvents(
      grpc::CallbackServerContext* context,
      const ParsedRequest<::availability::v1::TailEventsRequest>* parsed);
  grpc::ServerUnaryReactor* ClaimNotificationJobs(
      grpc::CallbackServerContext* context,
      const ParsedRequest<::availability::v1::ClaimNotificationJobsRequest>*
          parsed,
      ::availability::v1::ClaimNotificationJobsResponse* response);
  grpc::ServerUnaryReactor* AckNotificationJobs(
      grpc::CallbackServerContext* context,
      const ParsedRequest<::availability::v1::AckNotificationJobsRequest>*
          parsed,
      ::availability::v1::AckNotificationJobsResponse* response);
  grpc::ServerUnaryReactor* GetDemandReport(
      grpc::CallbackServerContext* context,
      const ParsedRequest<::availability::v1::GetDemandReportRequest>* parsed,
      ::availability::v1::DemandReport* response);

 private:
  // The one check every handler runs first: the caller's credentials
  // (UNAUTHENTICATED), then the request's parse (INVALID_ARGUMENT naming the
  // field that is not valid UTF-8).
  // `method` is the RPC's name; it decides the rights needed (TailEvents,
  // GetStoreConfig, ClaimNotificationJobs, AckNotificationJobs and
  // GetDemandReport read; any other writes).
  grpc::Status Admit(const grpc::CallbackServerContext& context,
                     absl::string_view method,
                     const absl::Status& parsed) const;

  const Options options_;
  const SyncAuthorizer authorizer_;
  cache::RecordWriter& writer_;
  cache::CatalogSettingsWriter& settings_;
  cache::RedisClient& client_;
  const core::Clock& clock_;
  cache::NotificationJobQueue jobs_;
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_INVENTORY_SYNC_SERVICE_H_
