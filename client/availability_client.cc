#include "client/availability_client.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/channel_arguments.h>

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"

namespace av::client {
namespace {

namespace v1 = ::availability::v1;

// Service config durations are JSON strings of seconds, e.g. "0.020s".
std::string JsonDuration(absl::Duration d) {
  return absl::StrFormat("\"%.3fs\"", absl::ToDoubleSeconds(d));
}

int ToMillis(absl::Duration d) {
  return static_cast<int>(absl::ToInt64Milliseconds(d));
}

void SetDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

}  // namespace

std::string RetryServiceConfigJson(const ChannelOptions& options) {
  const std::string names = R"([{"service":"availability.v1.Availability"},)"
                            R"({"service":"availability.v1.InventorySync"}])";
  if (options.max_attempts <= 1) {
    return absl::StrCat(R"({"methodConfig":[{"name":)", names, "}]}");
  }
  return absl::StrCat(R"({"methodConfig":[{"name":)", names,
                      R"(,"retryPolicy":{"maxAttempts":)", options.max_attempts,
                      R"(,"initialBackoff":)",
                      JsonDuration(options.initial_backoff),
                      R"(,"maxBackoff":)", JsonDuration(options.max_backoff),
                      R"(,"backoffMultiplier":)", options.backoff_multiplier,
                      R"(,"retryableStatusCodes":["UNAVAILABLE"]}}]})");
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const ChannelOptions& options) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, ToMillis(options.keepalive_time));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
              ToMillis(options.keepalive_timeout));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS,
              options.keepalive_permit_without_calls ? 1 : 0);
  args.SetMaxSendMessageSize(options.max_send_message_bytes);
  args.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, options.max_attempts > 1 ? 1 : 0);
  args.SetServiceConfigJSON(RetryServiceConfigJson(options));
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      options.credentials ? options.credentials
                          : grpc::InsecureChannelCredentials();
  return grpc::CreateCustomChannel(target, credentials, args);
}

absl::Status ToAbslStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // grpc::StatusCode and absl::StatusCode share the canonical numbers.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

namespace {

// Reads a server stream into `on_message` until it ends or `on_message`
// returns false (then the call is cancelled and counts as OK).
template <typename Message>
absl::Status ReadStream(grpc::ClientContext& context,
                        grpc::ClientReader<Message>& reader,
                        absl::FunctionRef<bool(const Message&)> on_message) {
  Message message;
  while (reader.Read(&message)) {
    if (!on_message(message)) {
      context.TryCancel();
      reader.Finish();
      return absl::OkStatus();
    }
  }
  return ToAbslStatus(reader.Finish());
}

}  // namespace

// ---------------------------------------------------------------------------
// AvailabilityClient

AvailabilityClient::AvailabilityClient(
    std::shared_ptr<grpc::ChannelInterface> channel)
    : AvailabilityClient(std::move(channel), Options()) {}

AvailabilityClient::AvailabilityClient(
    std::shared_ptr<grpc::ChannelInterface> channel, Options options)
    : stub_(v1::Availability::NewStub(std::move(channel))), options_(options) {}

absl::StatusOr<v1::ProductAvailability> AvailabilityClient::GetAvailability(
    const v1::GetAvailabilityRequest& request) const {
  grpc::ClientContext context;
  SetDeadline(context, options_.read_timeout);
  v1::ProductAvailability response;
  grpc::Status status = stub_->GetAvailability(&context, request, &response);
  if (!status.ok()) return ToAbslStatus(status);
  return response;
}

absl::StatusOr<v1::BatchGetAvailabilityResponse>
AvailabilityClient::BatchGetAvailability(
    const v1::BatchGetAvailabilityRequest& request) const {
  grpc::ClientContext context;
  SetDeadline(context, options_.read_timeout);
  v1::BatchGetAvailabilityResponse response;
  grpc::Status status =
      stub_->BatchGetAvailability(&context, request, &response);
  if (!status.ok()) return ToAbslStatus(status);
  return response;
}

absl::Status AvailabilityClient::WatchAvailability(
    const v1::WatchAvailabilityRequest& request, absl::Duration duration,
    absl::FunctionRef<bool(const v1::ProductAvailability&)> on_answer) const {
  grpc::ClientContext context;
  SetDeadline(context, duration);
  std::unique_ptr<grpc::ClientReader<v1::ProductAvailability>> reader =
      stub_->WatchAvailability(&context, request);
  return ReadStream(context, *reader, on_answer);
}

absl::StatusOr<bool> AvailabilityClient::SubscribeBackInStock(
    const v1::BackInStockSubscription& subscription) const {
  grpc::ClientContext context;
  SetDeadline(context, options_.write_timeout);
  v1::SubscribeBackInStockResponse response;
  grpc::Status status =
      stub_->SubscribeBackInStock(&context, subscription, &response);
  if (!status.ok()) return ToAbslStatus(status);
  return response.created();
}

absl::StatusOr<bool> AvailabilityClient::UnsubscribeBackInStock(
    const v1::BackInStockSubscription& subscription) const {
  grpc::ClientContext context;
  SetDeadline(context, options_.write_timeout);
  v1::UnsubscribeBackInStockResponse response;
  grpc::Status status =
      stub_->UnsubscribeBackInStock(&context, subscription, &response);
  if (!status.ok()) return ToAbslStatus(status);
  return response.removed();
}

// ---------------------------------------------------------------------------
// SyncClient

SyncClient::SyncClient(std::shared_ptr<grpc::ChannelInterface> channel,
                       std::string bearer_token)
    : SyncClient(std::move(channel), std::move(bearer_token), Options()) {}

SyncClient::SyncClient(std::shared_ptr<grpc::ChannelInterface> channel,
                       std::string bearer_token, Options options)
    : stub_(v1::InventorySync::NewStub(std::move(channel))),
      authorization_(absl::StrCat("Bearer ", bearer_token)),
      options_(options) {}

void SyncClient::Prepare(grpc::ClientContext& context,
                         absl::Duration timeout) const {
  SetDeadline(context, timeout);
  context.AddMetadata("authorization", authorization_);
}

// Unary calls share one shape: prepare, call, map the status.
#define AV_SYNC_UNARY(method, request, response)                     \
  grpc::ClientContext context;                                       \
  Prepare(context, options_.write_timeout);                          \
  grpc::Status status = stub_->method(&context, request, &response); \
  if (!status.ok()) return ToAbslStatus(status)

absl::StatusOr<v1::UpsertRecordsResponse> SyncClient::UpsertRecords(
    const v1::UpsertRecordsRequest& request) const {
  v1::UpsertRecordsResponse response;
  AV_SYNC_UNARY(UpsertRecords, request, response);
  return response;
}

absl::StatusOr<v1::UpsertRecordsResponse> SyncClient::StreamUpsertRecords(
    absl::FunctionRef<bool(v1::UpsertRecordsRequest*)> next_batch) const {
  grpc::ClientContext context;
  Prepare(context, options_.stream_timeout);
  v1::UpsertRecordsResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::UpsertRecordsRequest>> writer =
      stub_->StreamUpsertRecords(&context, &response);
  v1::UpsertRecordsRequest batch;
  while (true) {
    batch.Clear();
    if (!next_batch(&batch)) break;
    // A failed write means the stream is broken; Finish() says why.
    if (!writer->Write(batch)) break;
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) return ToAbslStatus(status);
  return response;
}

absl::StatusOr<v1::DeleteRecordsResponse> SyncClient::DeleteRecords(
    const v1::DeleteRecordsRequest& request) const {
  v1::DeleteRecordsResponse response;
  AV_SYNC_UNARY(DeleteRecords, request, response);
  return response;
}

absl::StatusOr<v1::FinishSnapshotResponse> SyncClient::FinishSnapshot(
    const v1::FinishSnapshotRequest& request) const {
  v1::FinishSnapshotResponse response;
  AV_SYNC_UNARY(FinishSnapshot, request, response);
  return response;
}

absl::Status SyncClient::PutStoreConfig(
    const v1::PutStoreConfigRequest& request) const {
  v1::PutStoreConfigResponse response;
  AV_SYNC_UNARY(PutStoreConfig, request, response);
  return absl::OkStatus();
}

absl::StatusOr<v1::StoreConfig> SyncClient::GetStoreConfig(
    const v1::GetStoreConfigRequest& request) const {
  v1::StoreConfig response;
  AV_SYNC_UNARY(GetStoreConfig, request, response);
  return response;
}

absl::Status SyncClient::PutSalesChannels(
    const v1::PutSalesChannelsRequest& request) const {
  v1::PutSalesChannelsResponse response;
  AV_SYNC_UNARY(PutSalesChannels, request, response);
  return absl::OkStatus();
}

absl::Status SyncClient::PutCategoryRanking(
    const v1::PutCategoryRankingRequest& request) const {
  v1::PutCategoryRankingResponse response;
  AV_SYNC_UNARY(PutCategoryRanking, request, response);
  return absl::OkStatus();
}

absl::StatusOr<v1::ClaimNotificationJobsResponse>
SyncClient::ClaimNotificationJobs(
    const v1::ClaimNotificationJobsRequest& request) const {
  v1::ClaimNotificationJobsResponse response;
  AV_SYNC_UNARY(ClaimNotificationJobs, request, response);
  return response;
}

absl::StatusOr<v1::AckNotificationJobsResponse> SyncClient::AckNotificationJobs(
    const v1::AckNotificationJobsRequest& request) const {
  v1::AckNotificationJobsResponse response;
  AV_SYNC_UNARY(AckNotificationJobs, request, response);
  return response;
}

absl::StatusOr<v1::DemandReport> SyncClient::GetDemandReport(
    const v1::GetDemandReportRequest& request) const {
  v1::DemandReport response;
  AV_SYNC_UNARY(GetDemandReport, request, response);
  return response;
}

#undef AV_SYNC_UNARY

absl::Status SyncClient::TailEvents(
    const v1::TailEventsRequest& request, absl::Duration duration,
    absl::FunctionRef<bool(const v1::InventoryEvent&)> on_event) const {
  grpc::ClientContext context;
  Prepare(context, duration);
  std::unique_ptr<grpc::ClientReader<v1::InventoryEvent>> reader =
      stub_->TailEvents(&context, request);
  return ReadStream(context, *reader, on_event);
}

// ---------------------------------------------------------------------------
// Health checking

absl::string_view HealthStatusName(HealthStatus status) {
  switch (status) {
    case HealthStatus::kUnknown:
      return "UNKNOWN";
    case HealthStatus::kServing:
      return "SERVING";
    case HealthStatus::kNotServing:
      return "NOT_SERVING";
    case HealthStatus::kServiceUnknown:
      return "SERVICE_UNKNOWN";
  }
  return "UNKNOWN";
}

namespace {

using google::protobuf::internal::WireFormatLite;

// HealthCheckRequest { string service = 1; }
std::string EncodeHealthCheckRequest(absl::string_view service) {
  std::string out;
  if (service.empty()) return out;  // proto3: default values are not sent
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.WriteTag(
        WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    coded.WriteVarint32(static_cast<uint32_t>(service.size()));
    coded.WriteRaw(service.data(), static_cast<int>(service.size()));
  }  // The coded stream flushes into `out` when destroyed.
  return out;
}

// HealthCheckResponse { ServingStatus status = 1; } (unknown fields skipped).
absl::StatusOr<HealthStatus> DecodeHealthCheckResponse(
    const std::string& bytes) {
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(bytes.data()),
      static_cast<int>(bytes.size()));
  int status = 0;
  while (uint32_t tag = in.ReadTag()) {
    if (tag == WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_VARINT)) {
      uint32_t value = 0;
      if (!in.ReadVarint32(&value)) break;
      status = static_cast<int>(value);
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return absl::DataLossError("malformed HealthCheckResponse");
    }
  }
  if (!in.ConsumedEntireMessage()) {
    return absl::DataLossError("malformed HealthCheckResponse");
  }
  if (status < 0 || status > 3) return HealthStatus::kUnknown;
  return static_cast<HealthStatus>(status);
}

}  // namespace

absl::StatusOr<HealthStatus> CheckHealth(
    const std::shared_ptr<grpc::ChannelInterface>& channel,
    absl::string_view service, absl::Duration timeout) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  SetDeadline(context, timeout);

  std::string request_bytes = EncodeHealthCheckRequest(service);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request, &response, [&status, &done](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return ToAbslStatus(status);

  std::vector<grpc::Slice> slices;
  grpc::Status dump = response.Dump(&slices);
  if (!dump.ok()) return ToAbslStatus(dump);
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return DecodeHealthCheckResponse(bytes);
}

}  // namespace av::client
