// The real availability-server binary for end-to-end tests: started with
// free loopback ports and the usual flags, waited for until its gRPC health
// service says SERVING, reachable through channels and stubs it makes, and
// stopped (SIGTERM), killed or paused on request. On destruction it is
// killed, and its stderr is printed when the test has failed.
//
//   testing::ServerProcess::Options options;
//   options.redis_port = redis->port();
//   options.sync = true;                   // a sync listener, token file
//   auto server = testing::ServerProcess::Start(options);
//   ASSERT_TRUE(server.ok()) << server.status();
//   auto stub = (*server)->NewStub();
//   EXPECT_EQ((*server)->Stop(), 0);
//
// Not thread-safe; owned by one test. The channels it makes are.
#ifndef AVAILABILITY_TESTING_SERVER_PROCESS_H_
#define AVAILABILITY_TESTING_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "availability/v1/inventory_sync.grpc.pb.h"
#include "client/availability_client.h"
#include "grpcpp/grpcpp.h"
#include "testing/subprocess.h"

namespace availability::testing {

class ServerProcess {
 public:
  // How far Start() waits.
  enum class Ready {
    // The service "availability.v1.Availability" is SERVING (Redis
    // answered a health ping; both listeners and /metrics are up).
    kServing,
    // A channel connects to the storefront listener, nothing is called (the
    // test counts calls, or Redis is not meant to answer).
    kListening,
    // Not at all: the test expects the process to exit.
    kStarted,
  };

  struct Options {
    // --redis_port (0: not passed) and --redis_socket ("": not passed).
    int redis_port = 0;
    std::string redis_socket;
    // A sync listener on a free port (else --sync_listen=). Its token:
    // `sync_token` is written to a file in dir() (mode 600) and passed as
    // --sync_token_file, unless `sync_token_file` names one; NewSyncClient()
    // sends `sync_token`.
    bool sync = false;
    std::string sync_token;
    std::string sync_token_file;
    // A metrics listener on a free port (else --metrics_listen=).
    bool metrics = false;
    // --tls_cert_file / --tls_key_file when named.
    std::string tls_cert_file;
    std::string tls_key_file;
    // --near_cache=true/false when set (else the binary's default).
    std::optional<bool> near_cache;
    // Passed when set, e.g. absl::Milliseconds(200).
    std::optional<absl::Duration> health_interval;
    // More flags, after all of the above (a later flag wins).
    std::vector<std::string> flags;
    // "NAME=value" added to the environment.
    std::vector<std::string> env;
    // A command the binary runs under, e.g. {"/usr/bin/prlimit", ...,
    // "--"}; it must exec the binary (same pid).
    std::vector<std::string> prefix;
    // How the harness's own channels connect (the health check, Channel(),
    // stubs): insecure unless given, e.g. SSL with the test CA.
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    Ready ready = Ready::kServing;
    absl::Duration ready_timeout = absl::Seconds(20);
  };

  // Starts the binary and waits as `options.ready` says. A port taken
  // between its choice and the bind is retried on other ports. Errors:
  // Internal when it cannot be spawned, Unavailable when it exits or is not
  // ready in time (its stderr in the message).
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(Options options);
  ~ServerProcess();

  int port() const { return port_; }
  int sync_port() const { return sync_port_; }        // 0 without sync
  int metrics_port() const { return metrics_port_; }  // 0 without metrics
  std::string address() const;                        // "127.0.0.1:<port>"
  std::string sync_address() const;                   // "127.0.0.1:<sync_port>"

  // A new channel to the storefront / sync listener with the options'
  // credentials, and stubs on new channels.
  std::shared_ptr<grpc::Channel> Channel() const;
  std::shared_ptr<grpc::Channel> SyncChannel() const;
  std::unique_ptr<v1::Availability::Stub> NewStub() const;
  std::unique_ptr<v1::InventorySync::Stub> NewSyncStub() const;
  // The project's client library on av::client::MakeChannel (insecure).
  std::unique_ptr<av::client::AvailabilityClient> NewClient(
      av::client::AvailabilityClient::Options options = {}) const;
  std::unique_ptr<av::client::SyncClient> NewSyncClient(
      av::client::SyncClient::Options options = {}) const;

  // A temporary directory of this server's own (files for the test, the
  // token file), removed on destruction.
  const std::string& dir() const { return dir_; }
  // The --sync_token_file passed ("" when none).
  const std::string& sync_token_file() const { return sync_token_file_; }

  // The /metrics text (Options::metrics); "" and a test failure when it
  // cannot be fetched.
  std::string Metrics() const;
  // The value of the /metrics sample line that starts with `series`
  // ("name" or "name{labels}"), -1 when there is none.
  double MetricSample(const std::string& series) const;

  // Polls the health service until "availability.v1.Availability" is
  // SERVING. Errors: Unavailable when the process exited or `timeout`
  // passed.
  absl::Status WaitUntilServing(absl::Duration timeout);

  // SIGTERM, then the exit code (nullopt when not exited within `timeout`).
  std::optional<int> Stop(absl::Duration timeout = absl::Seconds(10));
  // SIGKILL and reap.
  void Kill();
  // SIGSTOP / SIGCONT.
  void Pause();
  void Resume();

  // The process itself: signals, exit code, output.
  pid_t pid() const { return process_->pid(); }
  void Signal(int signal_number) { process_->Signal(signal_number); }
  std::optional<int> Wait(absl::Duration timeout) {
    return process_->Wait(timeout);
  }
  bool Running() { return process_->Running(); }
  std::string Stderr() const { return process_->Stderr(); }

 private:
  ServerProcess() = default;
  absl::Status Launch();
  absl::Status WaitUntilReady();
  std::shared_ptr<grpc::Channel> ChannelTo(int port) const;

  Options options_;
  int port_ = 0;
  int sync_port_ = 0;
  int metrics_port_ = 0;
  std::string dir_;
  std::string sync_token_file_;
  std::unique_ptr<Subprocess> process_;
};

// The path of the availability-server binary this build made.
std::string ServerBinary();

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTING_SERVER_PROCESS_H_
