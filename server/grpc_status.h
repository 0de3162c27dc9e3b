// absl::Status -> grpc::Status at the edge of the server. The canonical codes
// share their numbers, so the code and the message carry over unchanged.
#ifndef AVAILABILITY_SERVER_GRPC_STATUS_H_
#define AVAILABILITY_SERVER_GRPC_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace availability::server {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_GRPC_STATUS_H_
