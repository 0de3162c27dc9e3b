// Requests parsed by the services themselves rather than by gRPC, so that a
// request gRPC cannot parse gets an answer that names the field
// (INVALID_ARGUMENT "items[3].sku: not valid UTF-8") instead of gRPC's own
// UNIMPLEMENTED "" (unary) or a silent end of stream (client streaming).
//
// ParsedRequest<M> is the request type of a method served through
// ParsedRequestService: gRPC hands it the wire bytes (its SerializationTraits
// below), it parses them with protobuf exactly as gRPC would (same cost),
// and only when that fails runs CheckWireUtf8 (server/wire_check.h) to find
// the fields that are not valid UTF-8 and parse the message with those
// strings emptied. The handler then answers the problems it finds:
//
//   if (absl::Status s = request->status(); !s.ok()) -> INVALID_ARGUMENT
//   // or, answering the elements of a batch one by one:
//   request->StatusOutside("items"); request->ElementErrors("items");
//
// Responses are typed as before (call metrics see them). Not thread-safe:
// gRPC fills a request before the handler sees it; handlers only read it.
#ifndef AVAILABILITY_SERVER_REQUEST_PARSING_H_
#define AVAILABILITY_SERVER_REQUEST_PARSING_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/message_allocator.h"
#include "grpcpp/support/server_callback.h"
#include "server/wire_check.h"

namespace availability::server {

// What went wrong while parsing one request; empty when nothing did.
class RequestProblems {
 public:
  // The elements of a repeated field with a problem: index -> the first
  // problem of that element, e.g. {3, "items[3].sku: not valid UTF-8"}.
  using ElementErrorMap = std::map<int, std::string>;

  // Parses the bytes in `buffer` into `message` (cleared first) and empties
  // `buffer`. A string field that is not valid UTF-8 is emptied in `message`
  // and recorded; bytes that are not a message at all leave `message` empty
  // and record "request: not a valid <type> message".
  static RequestProblems Parse(grpc::ByteBuffer* buffer,
                               google::protobuf::Message* message);

  // OK, or INVALID_ARGUMENT naming the first field ("sku: not valid
  // UTF-8", with " (and N more fields)" when there are more).
  absl::Status status() const;
  // As status(), leaving out the problems inside elements of the top-level
  // repeated field `field` (the caller answers those one by one).
  absl::Status StatusOutside(absl::string_view field) const;
  // The elements of top-level repeated field `field` with a problem.
  ElementErrorMap ElementErrors(absl::string_view field) const;

 private:
  std::string not_a_message_;  // non-empty: the bytes were not a message
  std::vector<InvalidUtf8Field> invalid_utf8_;
};

// A request of type Message as parsed by the service (see the file comment).
template <typename Message>
class ParsedRequest {
 public:
  // The request; strings that were not valid UTF-8 are empty.
  const Message& message() const { return message_; }
  const RequestProblems& problems() const { return problems_; }

  absl::Status status() const { return problems_.status(); }
  absl::Status StatusOutside(absl::string_view field) const {
    return problems_.StatusOutside(field);
  }
  RequestProblems::ElementErrorMap ElementErrors(
      absl::string_view field) const {
    return problems_.ElementErrors(field);
  }

  void ParseFrom(grpc::ByteBuffer* buffer) {
    problems_ = RequestProblems::Parse(buffer, &message_);
  }
  // Empties the request (the call limiter does this to a refused call).
  void Clear() {
    message_.Clear();
    problems_ = RequestProblems();
  }

 private:
  Message message_;
  RequestProblems problems_;
};

// Index of `method` of the service `service_full_name` in the generated
// grpc::Service, after checking that its request and response types and
// streaming kind are the ones given; aborts on a mismatch (a programming
// error, found at startup).
int MethodIndexOrDie(absl::string_view service_full_name,
                     absl::string_view method,
                     const google::protobuf::Descriptor& request,
                     const google::protobuf::Descriptor& response,
                     bool client_streaming, bool server_streaming);

// A generated service (its `Service` class, e.g. v1::Availability::Service)
// whose methods the derived class serves on the callback API with
// ParsedRequest requests. Every method must be registered with one of the
// Serve* calls in the derived class's constructor.
template <typename GeneratedService>
class ParsedRequestService : public GeneratedService {
 protected:
  explicit ParsedRequestService(std::string service_full_name)
      : service_full_name_(std::move(service_full_name)) {}

  // Serve*(method, this, &Derived::Handler): `method` of the generated
  // service calls `self->*handler`; Request and Response come from the
  // handler's signature. A unary method may get its request and response
  // objects from `allocator` (e.g. server/reused_messages.h) instead of
  // new ones per call; it must outlive the server.
  template <typename Derived, typename Request, typename Response>
  void ServeUnary(absl::string_view method, Derived* self,
                  grpc::ServerUnaryReactor* (Derived::*handler)(
                      grpc::CallbackServerContext*,
                      const ParsedRequest<Request>*, Response*),
                  grpc::MessageAllocator<ParsedRequest<Request>, Response>*
                      allocator = nullptr) {
    auto* unary =
        new grpc::internal::CallbackUnaryHandler<ParsedRequest<Request>,
                                                 Response>(
            [self, handler](grpc::CallbackServerContext* context,
                            const ParsedRequest<Request>* request,
                            Response* response) {
              return (self->*handler)(context, request, response);
            });
    if (allocator != nullptr) unary->SetMessageAllocator(allocator);
    this->MarkMethodCallback(Index<Request, Response>(method, false, false),
                             unary);
  }

  template <typename Derived, typename Request, typename Response>
  void ServeServerStreaming(
      absl::string_view method, Derived* self,
      grpc::ServerWriteReactor<Response>* (Derived::*handler)(
          grpc::CallbackServerContext*, const ParsedRequest<Request>*)) {
    this->MarkMethodCallback(
        Index<Request, Response>(method, false, true),
        new grpc::internal::CallbackServerStreamingHandler<
            ParsedRequest<Request>, Response>(
            [self, handler](grpc::CallbackServerContext* context,
                            const ParsedRequest<Request>* request) {
              return (self->*handler)(context, request);
            }));
  }

  template <typename Derived, typename Request, typename Response>
  void ServeClientStreaming(absl::string_view method, Derived* self,
                            grpc::ServerReadReactor<ParsedRequest<Request>>* (
                                Derived::*handler)(grpc::CallbackServerContext*,
                                                   Response*)) {
    this->MarkMethodCallback(
        Index<Request, Response>(method, true, false),
        new grpc::internal::CallbackClientStreamingHandler<
            ParsedRequest<Request>, Response>(
            [self, handler](grpc::CallbackServerContext* context,
                            Response* response) {
              return (self->*handler)(context, response);
            }));
  }

 private:
  template <typename Request, typename Response>
  int Index(absl::string_view method, bool client_streaming,
            bool server_streaming) const {
    return MethodIndexOrDie(service_full_name_, method, *Request::descriptor(),
                            *Response::descriptor(), client_streaming,
                            server_streaming);
  }

  const std::string service_full_name_;
};

}  // namespace availability::server

namespace grpc {

// gRPC's (de)serialization of a ParsedRequest: never fails, the problems
// are kept in the request for the handler to answer.
template <typename Message>
class SerializationTraits<::availability::server::ParsedRequest<Message>,
                          void> {
 public:
  static Status Deserialize(
      ByteBuffer* buffer,
      ::availability::server::ParsedRequest<Message>* request) {
    request->ParseFrom(buffer);
    return Status::OK;
  }
  static Status Serialize(
      const ::availability::server::ParsedRequest<Message>& request,
      ByteBuffer* buffer, bool* own_buffer) {
    return SerializationTraits<Message>::Serialize(request.message(), buffer,
                                                   own_buffer);
  }
};

}  // namespace grpc

#endif  // AVAILABILITY_SERVER_REQUEST_PARSING_H_
