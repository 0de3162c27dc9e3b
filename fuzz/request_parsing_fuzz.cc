// Fuzzes the services' own request parsing (server/request_parsing.h,
// server/wire_check.h): the first byte picks a request type of either
// service, the rest is its wire form, as a client may send it. Checks:
// the walk agrees with protobuf (the bytes parse exactly when the walk
// accepts them and finds no string that is not valid UTF-8); every path it
// reports names a real string field, step by step from the request type;
// the repaired bytes parse, hold no bad string and are no longer than the
// input; the ParsedRequest a service sees is OK exactly when protobuf
// parses the bytes, and otherwise carries an INVALID_ARGUMENT that names a
// field or says the bytes are no message.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "availability/v1/availability.pb.h"
#include "availability/v1/inventory_sync.pb.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "server/request_parsing.h"
#include "server/wire_check.h"

namespace availability::server {
namespace {

namespace pb = ::google::protobuf;
namespace v1 = ::availability::v1;

// The request types of both services, in the order the first byte picks.
const std::vector<const pb::Message*>& RequestTypes() {
  static const auto* types = new std::vector<const pb::Message*>{
      &v1::GetAvailabilityRequest::default_instance(),
      &v1::BatchGetAvailabilityRequest::default_instance(),
      &v1::WatchAvailabilityRequest::default_instance(),
      &v1::BackInStockSubscription::default_instance(),
      &v1::UpsertRecordsRequest::default_instance(),
      &v1::DeleteRecordsRequest::default_instance(),
      &v1::FinishSnapshotRequest::default_instance(),
      &v1::PutStoreConfigRequest::default_instance(),
      &v1::GetStoreConfigRequest::default_instance(),
      &v1::PutSalesChannelsRequest::default_instance(),
      &v1::PutCategoryRankingRequest::default_instance(),
      &v1::TailEventsRequest::default_instance(),
  };
  return *types;
}

void CheckPath(const InvalidUtf8Field& found, const pb::Descriptor& type) {
  FUZZ_CHECK(!found.path.empty());
  const pb::Descriptor* within = &type;
  for (size_t i = 0; i < found.path.size(); ++i) {
    const WireFieldStep& step = found.path[i];
    FUZZ_CHECK(within != nullptr) << found.Path();
    FUZZ_CHECK(step.field != nullptr && step.field->containing_type() == within)
        << found.Path();
    FUZZ_CHECK((step.index >= 0) == step.field->is_repeated()) << found.Path();
    const bool last = i + 1 == found.path.size();
    FUZZ_CHECK(step.field->type() == (last ? pb::FieldDescriptor::TYPE_STRING
                                           : pb::FieldDescriptor::TYPE_MESSAGE))
        << found.Path();
    within = step.field->message_type();
  }
}

// Equal field by field; a NaN equals a NaN (the bytes may hold one).
bool SameMessage(const pb::Message& a, const pb::Message& b) {
  pb::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  pb::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  return differencer.Compare(a, b);
}

}  // namespace
}  // namespace availability::server

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The parse failures fuzzing provokes would fill the output otherwise.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace availability::server;  // NOLINT: the fuzz entry point
  if (size < 1) return 0;
  const auto& types = RequestTypes();
  const pb::Message& prototype = *types[data[0] % types.size()];
  const pb::Descriptor& type = *prototype.GetDescriptor();
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::unique_ptr<pb::Message> direct(prototype.New());
  const bool protobuf_parses = direct->ParseFromString(bytes);

  absl::StatusOr<WireCheck> check = CheckWireUtf8(bytes, type);
  if (protobuf_parses) {
    FUZZ_CHECK(check.ok()) << check.status().ToString();
    FUZZ_CHECK(check->invalid_utf8.empty()) << check->invalid_utf8[0].Path();
    FUZZ_CHECK(check->repaired == bytes);
  }
  if (check.ok()) {
    FUZZ_CHECK(protobuf_parses || !check->invalid_utf8.empty())
        << "the walk accepts what protobuf refuses";
    for (const InvalidUtf8Field& found : check->invalid_utf8) {
      CheckPath(found, type);
    }
    FUZZ_CHECK(check->repaired.size() <= bytes.size());
    std::unique_ptr<pb::Message> repaired(prototype.New());
    FUZZ_CHECK(repaired->ParseFromString(check->repaired))
        << "the repaired bytes do not parse";
    absl::StatusOr<WireCheck> again = CheckWireUtf8(check->repaired, type);
    FUZZ_CHECK(again.ok() && again->invalid_utf8.empty());
  } else {
    FUZZ_CHECK(absl::StrContains(check.status().message(), "not a valid"));
  }

  // What a service sees, through the gRPC byte buffer.
  grpc::Slice slice(bytes);
  grpc::ByteBuffer buffer(&slice, 1);
  std::unique_ptr<pb::Message> parsed(prototype.New());
  RequestProblems problems = RequestProblems::Parse(&buffer, parsed.get());
  FUZZ_CHECK(!buffer.Valid()) << "the buffer must be consumed";
  const absl::Status status = problems.status();
  FUZZ_CHECK(status.ok() == protobuf_parses) << status.ToString();
  if (protobuf_parses) {
    FUZZ_CHECK(SameMessage(*parsed, *direct));
  } else {
    FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(absl::StartsWith(status.message(), "request: not a valid ") ||
               absl::StrContains(status.message(), ": not valid UTF-8"))
        << status.ToString();
  }
  return 0;
}
