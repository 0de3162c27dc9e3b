// A small C++ client for the availability API (proto/availability/v1).
//
// MakeChannel() builds a channel with keepalive, message-size limits and a
// retry policy for UNAVAILABLE on both services. AvailabilityClient (storefront
// reads) and SyncClient (admin writes, bearer token) put a deadline on every
// call and return absl::Status / absl::StatusOr, keeping gRPC's code and
// message.
//
//   auto channel = av::client::MakeChannel("127.0.0.1:50051");
//   av::client::AvailabilityClient client(channel);
//   availability::v1::GetAvailabilityRequest request;
//   request.set_sku("24-MB01");
//   request.mutable_scope()->set_stock_id(1);
//   absl::StatusOr<availability::v1::ProductAvailability> answer =
//       client.GetAvailability(request);
//   if (absl::IsNotFound(answer.status())) { ... }
//
// Thread safety: channels, AvailabilityClient and SyncClient are immutable
// after construction and safe for concurrent use from any number of threads
// without external synchronization; share one per process and target.
#ifndef CLIENT_AVAILABILITY_CLIENT_H_
#define CLIENT_AVAILABILITY_CLIENT_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "availability/v1/inventory_sync.grpc.pb.h"

namespace av::client {

// How a channel connects and retries. The defaults suit a storefront talking
// to the server inside one cluster.
struct ChannelOptions {
  // Ping an idle-but-open connection this often, and drop it when the ping is
  // not answered in keepalive_timeout. No pings without calls in flight
  // (servers reject too-frequent pings with GOAWAY "too_many_pings").
  absl::Duration keepalive_time = absl::Seconds(30);
  absl::Duration keepalive_timeout = absl::Seconds(10);
  bool keepalive_permit_without_calls = false;
  // Largest message sent or accepted, in bytes. A batch of 500 answers with
  // alternatives stays well below the default.
  int max_send_message_bytes = 4 << 20;
  int max_receive_message_bytes = 16 << 20;
  // Retries of calls that failed with UNAVAILABLE, within the call's deadline.
  // max_attempts counts the first attempt; 1 disables retries.
  int max_attempts = 3;
  absl::Duration initial_backoff = absl::Milliseconds(20);
  absl::Duration max_backoff = absl::Milliseconds(500);
  double backoff_multiplier = 2.0;
  // Null: plaintext (inside the cluster). Otherwise e.g. grpc::SslCredentials.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
};

// The gRPC service config JSON with the retry policy of `options` for the
// Availability and InventorySync services (empty "methodConfig" retry policy
// when max_attempts <= 1).
std::string RetryServiceConfigJson(const ChannelOptions& options);

// A channel to `target` ("host:port" or any gRPC target URI). Connects lazily
// on the first call; never fails (errors show up on calls).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const ChannelOptions& options = {});

// The absl::Status with the same canonical code and message.
absl::Status ToAbslStatus(const grpc::Status& status);

// Storefront reads (service availability.v1.Availability).
class AvailabilityClient {
 public:
  struct Options {
    // Deadline of GetAvailability and BatchGetAvailability.
    absl::Duration read_timeout = absl::Milliseconds(250);
    // Deadline of Subscribe/UnsubscribeBackInStock.
    absl::Duration write_timeout = absl::Seconds(2);
  };

  explicit AvailabilityClient(std::shared_ptr<grpc::ChannelInterface> channel);
  AvailabilityClient(std::shared_ptr<grpc::ChannelInterface> channel,
                     Options options);

  // The answer for one SKU. NotFound when the SKU is unknown on the stock,
  // InvalidArgument naming the field, Unavailable / DeadlineExceeded when the
  // server or its cache cannot answer in time.
  absl::StatusOr<availability::v1::ProductAvailability> GetAvailability(
      const availability::v1::GetAvailabilityRequest& request) const;

  // One answer per item, in request order; unknown SKUs come back as
  // STATUS_UNKNOWN. Errors as for GetAvailability, never NotFound.
  absl::StatusOr<availability::v1::BatchGetAvailabilityResponse>
  BatchGetAvailability(
      const availability::v1::BatchGetAvailabilityRequest& request) const;

  // Streams answers to `on_answer` until it returns false (then OK), the
  // stream ends, or `duration` passes (then DeadlineExceeded). Blocks.
  absl::Status WatchAvailability(
      const availability::v1::WatchAvailabilityRequest& request,
      absl::Duration duration,
      absl::FunctionRef<bool(const availability::v1::ProductAvailability&)>
          on_answer) const;

  // True when a new subscription was created (false: it already existed).
  absl::StatusOr<bool> SubscribeBackInStock(
      const availability::v1::BackInStockSubscription& subscription) const;
  // True when an open subscription was removed.
  absl::StatusOr<bool> UnsubscribeBackInStock(
      const availability::v1::BackInStockSubscription& subscription) const;

 private:
  std::unique_ptr<availability::v1::Availability::Stub> stub_;
  Options options_;
};

// Admin writes (service availability.v1.InventorySync). Every call carries
// `authorization: Bearer <token>`; the token is kept only in memory and never
// logged or put in an error message.
class SyncClient {
 public:
  struct Options {
    // Deadline of unary calls.
    absl::Duration write_timeout = absl::Seconds(10);
    // Deadline of a whole StreamUpsertRecords bulk load.
    absl::Duration stream_timeout = absl::Minutes(30);
  };

  SyncClient(std::shared_ptr<grpc::ChannelInterface> channel,
             std::string bearer_token);
  SyncClient(std::shared_ptr<grpc::ChannelInterface> channel,
             std::string bearer_token, Options options);

  // Per-record outcomes in request order. Unauthenticated without a valid
  // token; InvalidArgument when the request as a whole is malformed.
  absl::StatusOr<availability::v1::UpsertRecordsResponse> UpsertRecords(
      const availability::v1::UpsertRecordsRequest& request) const;

  // Bulk load: calls `next_batch` for each message to send until it returns
  // false (the message it was given is then not sent), and returns the
  // server's summary. Blocks; flow-controlled by the server.
  absl::StatusOr<availability::v1::UpsertRecordsResponse> StreamUpsertRecords(
      absl::FunctionRef<bool(availability::v1::UpsertRecordsRequest*)>
          next_batch) const;

  absl::StatusOr<availability::v1::DeleteRecordsResponse> DeleteRecords(
      const availability::v1::DeleteRecordsRequest& request) const;
  absl::StatusOr<availability::v1::FinishSnapshotResponse> FinishSnapshot(
      const availability::v1::FinishSnapshotRequest& request) const;
  absl::Status PutStoreConfig(
      const availability::v1::PutStoreConfigRequest& request) const;
  absl::StatusOr<availability::v1::StoreConfig> GetStoreConfig(
      const availability::v1::GetStoreConfigRequest& request) const;
  absl::Status PutSalesChannels(
      const availability::v1::PutSalesChannelsRequest& request) const;
  absl::Status PutCategoryRanking(
      const availability::v1::PutCategoryRankingRequest& request) const;

  // Streams events to `on_event` until it returns false (then OK), the
  // stream ends, or `duration` passes (then DeadlineExceeded). Blocks.
  absl::Status TailEvents(
      const availability::v1::TailEventsRequest& request,
      absl::Duration duration,
      absl::FunctionRef<bool(const availability::v1::InventoryEvent&)> on_event)
      const;

  // Back-in-stock notification jobs, at least once: claim under a lease, send,
  // then acknowledge (see inventory_sync.proto). InvalidArgument naming the
  // field for a bad request.
  absl::StatusOr<availability::v1::ClaimNotificationJobsResponse>
  ClaimNotificationJobs(
      const availability::v1::ClaimNotificationJobsRequest& request) const;
  absl::StatusOr<availability::v1::AckNotificationJobsResponse>
  AckNotificationJobs(
      const availability::v1::AckNotificationJobsRequest& request) const;

  // Demand signals of a stock (read-only token accepted). InvalidArgument
  // naming the field for a bad request.
  absl::StatusOr<availability::v1::DemandReport> GetDemandReport(
      const availability::v1::GetDemandReportRequest& request) const;

 private:
  // Sets the deadline and the authorization metadata on `context`.
  void Prepare(grpc::ClientContext& context, absl::Duration timeout) const;

  std::unique_ptr<availability::v1::InventorySync::Stub> stub_;
  std::string authorization_;  // "Bearer <token>"; never logged.
  Options options_;
};

// grpc.health.v1 serving status (numbers as in the standard health proto).
enum class HealthStatus : int {
  kUnknown = 0,
  kServing = 1,
  kNotServing = 2,
  kServiceUnknown = 3,
};

// "SERVING", "NOT_SERVING", ...
absl::string_view HealthStatusName(HealthStatus status);

// Calls grpc.health.v1.Health/Check for `service` ("" = the whole server)
// with the given deadline. The standard health proto is not shipped as C++
// by Debian, so the two tiny messages are encoded by hand through a generic
// stub. Unimplemented when the server has no health service.
absl::StatusOr<HealthStatus> CheckHealth(
    const std::shared_ptr<grpc::ChannelInterface>& channel,
    absl::string_view service, absl::Duration timeout);

}  // namespace av::client

#endif  // CLIENT_AVAILABILITY_CLIENT_H_
