// Streaming reactors that finish at once with a given status: what a
// streaming handler returns when it refuses a call before any message moves
// (an unauthenticated caller, a bad request). The unary handlers do the same
// with their default reactor.
//
//   if (grpc::Status s = auth.Check(*context); !s.ok()) {
//     return new FinishedWriteReactor<v1::InventoryEvent>(s);
//   }
//
// Each deletes itself in OnDone, like every reactor of the server.
#ifndef AVAILABILITY_SERVER_FINISHED_REACTOR_H_
#define AVAILABILITY_SERVER_FINISHED_REACTOR_H_

#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"

namespace availability::server {

template <typename Request>
class FinishedReadReactor final : public grpc::ServerReadReactor<Request> {
 public:
  explicit FinishedReadReactor(const grpc::Status& status) {
    this->Finish(status);
  }
  void OnDone() override { delete this; }
};

template <typename Response>
class FinishedWriteReactor final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit FinishedWriteReactor(const grpc::Status& status) {
    this->Finish(status);
  }
  void OnDone() override { delete this; }
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_FINISHED_REACTOR_H_
