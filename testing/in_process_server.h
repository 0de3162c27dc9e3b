// A grpc::Server inside the test process on 127.0.0.1 (a port the kernel
// picks), serving services the test wired itself (e.g. with a fake clock):
// the in-process counterpart of ServerProcess.
//
//   auto server = testing::InProcessServer::Start({service.get()});
//   ASSERT_TRUE(server.ok()) << server.status();
//   auto stub = v1::Availability::NewStub((*server)->Channel());
//
// Stopped (Shutdown with a 2 s grace, then Wait) on destruction unless
// Stop() came first. Not thread-safe; owned by one test.
#ifndef AVAILABILITY_TESTING_IN_PROCESS_SERVER_H_
#define AVAILABILITY_TESTING_IN_PROCESS_SERVER_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace availability::testing {

class InProcessServer {
 public:
  // Errors: Unavailable when gRPC cannot listen on loopback.
  static absl::StatusOr<std::unique_ptr<InProcessServer>> Start(
      const std::vector<grpc::Service*>& services);
  ~InProcessServer();

  int port() const { return port_; }
  // A new insecure channel to it.
  std::shared_ptr<grpc::Channel> Channel() const;
  grpc::Server& server() { return *server_; }

  // Shuts down (calls in flight get `grace`) and waits; idempotent.
  void Stop(absl::Duration grace = absl::Seconds(2));

 private:
  InProcessServer() = default;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTING_IN_PROCESS_SERVER_H_
