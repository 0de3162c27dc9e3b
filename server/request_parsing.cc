#include "server/request_parsing.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/slice.h"

namespace availability::server {
namespace {

namespace pb = ::google::protobuf;

constexpr absl::string_view kNotUtf8 = ": not valid UTF-8";

// True when `field` is an element of the top-level repeated field `name`.
bool InElementOf(const InvalidUtf8Field& field, absl::string_view name) {
  return !field.path.empty() && field.path[0].index >= 0 &&
         field.path[0].field->name() == name;
}

absl::Status FirstOf(const std::vector<const InvalidUtf8Field*>& fields) {
  if (fields.empty()) return absl::OkStatus();
  std::string message = absl::StrCat(fields[0]->Path(), kNotUtf8);
  if (fields.size() > 1) {
    absl::StrAppend(&message, " (and ", fields.size() - 1, " more field",
                    fields.size() > 2 ? "s" : "", ")");
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace

RequestProblems RequestProblems::Parse(grpc::ByteBuffer* buffer,
                                       pb::Message* message) {
  RequestProblems problems;
  if (buffer == nullptr || !buffer->Valid()) {
    // No message at all: an empty request, which the handler's rules judge.
    message->Clear();
    return problems;
  }
  // The fast path: what gRPC's own deserializer does (Parse* clears first).
  bool parsed;
  {
    grpc::ProtoBufferReader reader(buffer);
    parsed = reader.status().ok() && message->ParseFromZeroCopyStream(&reader);
  }
  if (parsed) {
    buffer->Clear();
    return problems;
  }
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (buffer->Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  buffer->Clear();
  message->Clear();
  absl::StatusOr<WireCheck> check =
      CheckWireUtf8(bytes, *message->GetDescriptor());
  if (!check.ok() || check->invalid_utf8.empty() ||
      !message->ParseFromString(check->repaired)) {
    // Not a message of this type in wire form (or a rule of protobuf's
    // parser that the walk does not know: then also not one it can read).
    message->Clear();
    problems.not_a_message_ =
        absl::StrCat("request: not a valid ",
                     message->GetDescriptor()->full_name(), " message");
    return problems;
  }
  problems.invalid_utf8_ = std::move(check->invalid_utf8);
  return problems;
}

absl::Status RequestProblems::status() const {
  if (!not_a_message_.empty()) {
    return absl::InvalidArgumentError(not_a_message_);
  }
  std::vector<const InvalidUtf8Field*> fields;
  for (const InvalidUtf8Field& f : invalid_utf8_) fields.push_back(&f);
  return FirstOf(fields);
}

absl::Status RequestProblems::StatusOutside(absl::string_view field) const {
  if (!not_a_message_.empty()) {
    return absl::InvalidArgumentError(not_a_message_);
  }
  std::vector<const InvalidUtf8Field*> fields;
  for (const InvalidUtf8Field& f : invalid_utf8_) {
    if (!InElementOf(f, field)) fields.push_back(&f);
  }
  return FirstOf(fields);
}

RequestProblems::ElementErrorMap RequestProblems::ElementErrors(
    absl::string_view field) const {
  ElementErrorMap errors;
  for (const InvalidUtf8Field& f : invalid_utf8_) {
    if (InElementOf(f, field)) {
      errors.try_emplace(f.path[0].index, absl::StrCat(f.Path(), kNotUtf8));
    }
  }
  return errors;
}

int MethodIndexOrDie(absl::string_view service_full_name,
                     absl::string_view method, const pb::Descriptor& request,
                     const pb::Descriptor& response, bool client_streaming,
                     bool server_streaming) {
  const pb::ServiceDescriptor* service =
      pb::DescriptorPool::generated_pool()->FindServiceByName(
          std::string(service_full_name));
  const pb::MethodDescriptor* m =
      service == nullptr ? nullptr
                         : service->FindMethodByName(std::string(method));
  if (m == nullptr || m->input_type() != &request ||
      m->output_type() != &response ||
      m->client_streaming() != client_streaming ||
      m->server_streaming() != server_streaming) {
    std::fprintf(stderr,
                 "ParsedRequestService: %s/%s is not a method with these "
                 "request, response and streaming kinds\n",
                 std::string(service_full_name).c_str(),
                 std::string(method).c_str());
    std::abort();
  }
  return m->index();
}

}  // namespace availability::server
