#include "testing/server_process.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/test_http_get.h"
#include "testing/redis_server.h"

namespace availability::testing {
namespace {

// The most of the server's stderr an error message carries.
constexpr size_t kStderrTail = 4000;

std::string Tail(const std::string& text) {
  return text.size() <= kStderrTail ? text
                                    : text.substr(text.size() - kStderrTail);
}

}  // namespace

std::string ServerBinary() { return AVAILABILITY_SERVER_BINARY; }

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    Options options) {
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->options_ = std::move(options);
  std::string dir_template =
      (std::filesystem::temp_directory_path() / "av-server-XXXXXX").string();
  if (mkdtemp(dir_template.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  server->dir_ = dir_template;
  server->sync_token_file_ = server->options_.sync_token_file;
  if (server->sync_token_file_.empty() &&
      !server->options_.sync_token.empty()) {
    server->sync_token_file_ = server->dir_ + "/sync-token";
    std::ofstream(server->sync_token_file_)
        << server->options_.sync_token << "\n";
    chmod(server->sync_token_file_.c_str(), 0600);
  }
  absl::Status last;
  // A free port can be taken between PickFreePort and the bind: retry.
  for (int attempt = 0; attempt < 3; ++attempt) {
    last = server->Launch();
    if (!last.ok()) return last;
    last = server->WaitUntilReady();
    if (last.ok()) return server;
    const bool port_taken =
        !server->process_->Running() &&
        absl::StrContains(server->process_->Stderr(), "cannot listen");
    if (!port_taken) break;
  }
  return last;
}

ServerProcess::~ServerProcess() {
  if (process_ != nullptr) {
    // A failure is often the server's: show what it said (a sanitizer
    // report, a fatal log line).
    if (::testing::Test::HasFailure()) {
      std::fprintf(stderr, "--- availability-server stderr (pid %d) ---\n%s\n",
                   static_cast<int>(process_->pid()),
                   process_->Stderr().c_str());
    }
    Kill();
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

absl::Status ServerProcess::Launch() {
  port_ = PickFreePort();
  sync_port_ = options_.sync ? PickFreePort() : 0;
  metrics_port_ = options_.metrics ? PickFreePort() : 0;
  std::vector<std::string> argv = options_.prefix;
  argv.push_back(ServerBinary());
  argv.push_back(absl::StrCat("--listen=127.0.0.1:", port_));
  argv.push_back(options_.sync
                     ? absl::StrCat("--sync_listen=127.0.0.1:", sync_port_)
                     : "--sync_listen=");
  argv.push_back(options_.metrics ? absl::StrCat("--metrics_listen=127.0.0.1:",
                                                 metrics_port_)
                                  : "--metrics_listen=");
  if (options_.redis_port != 0) {
    argv.push_back(absl::StrCat("--redis_port=", options_.redis_port));
  }
  if (!options_.redis_socket.empty()) {
    argv.push_back("--redis_socket=" + options_.redis_socket);
  }
  if (!sync_token_file_.empty()) {
    argv.push_back("--sync_token_file=" + sync_token_file_);
  }
  if (!options_.tls_cert_file.empty()) {
    argv.push_back("--tls_cert_file=" + options_.tls_cert_file);
  }
  if (!options_.tls_key_file.empty()) {
    argv.push_back("--tls_key_file=" + options_.tls_key_file);
  }
  if (options_.near_cache.has_value()) {
    argv.push_back(
        absl::StrCat("--near_cache=", *options_.near_cache ? "true" : "false"));
  }
  if (options_.health_interval.has_value()) {
    argv.push_back(absl::StrCat(
        "--health_interval=", absl::FormatDuration(*options_.health_interval)));
  }
  argv.insert(argv.end(), options_.flags.begin(), options_.flags.end());
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(std::move(argv), options_.env);
  if (!process.ok()) return process.status();
  process_ = *std::move(process);
  return absl::OkStatus();
}

absl::Status ServerProcess::WaitUntilReady() {
  switch (options_.ready) {
    case Ready::kStarted:
      return absl::OkStatus();
    case Ready::kServing:
      return WaitUntilServing(options_.ready_timeout);
    case Ready::kListening: {
      const absl::Time give_up = absl::Now() + options_.ready_timeout;
      const std::shared_ptr<grpc::Channel> channel = Channel();
      while (absl::Now() < give_up) {
        if (!process_->Running()) break;
        if (channel->WaitForConnected(absl::ToChronoTime(
                std::min(give_up, absl::Now() + absl::Milliseconds(200))))) {
          return absl::OkStatus();
        }
      }
      return absl::UnavailableError(
          absl::StrCat("availability-server does not listen on ", address(),
                       ": ", Tail(process_->Stderr())));
    }
  }
  return absl::OkStatus();
}

absl::Status ServerProcess::WaitUntilServing(absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  const std::shared_ptr<grpc::Channel> channel = Channel();
  absl::Status last = absl::UnavailableError("not asked yet");
  while (process_->Running()) {
    // "" is SERVING as soon as gRPC starts; the service's own name only
    // once the server's first health ping reached Redis.
    absl::StatusOr<av::client::HealthStatus> health = av::client::CheckHealth(
        channel, "availability.v1.Availability", absl::Milliseconds(500));
    if (health.ok() && *health == av::client::HealthStatus::kServing) {
      return absl::OkStatus();
    }
    last = health.ok()
               ? absl::UnavailableError(av::client::HealthStatusName(*health))
               : health.status();
    if (absl::Now() >= give_up) {
      return absl::UnavailableError(
          absl::StrCat("availability-server on ", address(),
                       " not SERVING within ", absl::FormatDuration(timeout),
                       " (", last.ToString(), "): ", Tail(process_->Stderr())));
    }
    absl::SleepFor(absl::Milliseconds(20));  // the health status is polled
  }
  return absl::UnavailableError(absl::StrCat(
      "availability-server exited (", *process_->Wait(absl::ZeroDuration()),
      "): ", Tail(process_->Stderr())));
}

std::string ServerProcess::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::string ServerProcess::sync_address() const {
  return absl::StrCat("127.0.0.1:", sync_port_);
}

std::shared_ptr<grpc::Channel> ServerProcess::ChannelTo(int port) const {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                             options_.credentials != nullptr
                                 ? options_.credentials
                                 : grpc::InsecureChannelCredentials());
}

std::shared_ptr<grpc::Channel> ServerProcess::Channel() const {
  return ChannelTo(port_);
}

std::shared_ptr<grpc::Channel> ServerProcess::SyncChannel() const {
  return ChannelTo(sync_port_);
}

std::unique_ptr<v1::Availability::Stub> ServerProcess::NewStub() const {
  return v1::Availability::NewStub(Channel());
}

std::unique_ptr<v1::InventorySync::Stub> ServerProcess::NewSyncStub() const {
  return v1::InventorySync::NewStub(SyncChannel());
}

std::string ServerProcess::Metrics() const {
  absl::StatusOr<server::HttpAnswer> answer =
      server::HttpGet(metrics_port_, "/metrics");
  EXPECT_TRUE(answer.ok()) << answer.status();
  return answer.ok() ? answer->body : "";
}

double ServerProcess::MetricSample(const std::string& series) const {
  const std::string text = Metrics();
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  at += series.size() + 2;
  double value = -1;
  absl::SimpleAtod(text.substr(at, text.find('\n', at) - at), &value);
  return value;
}

std::unique_ptr<av::client::AvailabilityClient> ServerProcess::NewClient(
    av::client::AvailabilityClient::Options options) const {
  return std::make_unique<av::client::AvailabilityClient>(
      av::client::MakeChannel(address()), options);
}

std::unique_ptr<av::client::SyncClient> ServerProcess::NewSyncClient(
    av::client::SyncClient::Options options) const {
  return std::make_unique<av::client::SyncClient>(
      av::client::MakeChannel(sync_address()), options_.sync_token, options);
}

std::optional<int> ServerProcess::Stop(absl::Duration timeout) {
  process_->Signal(SIGCONT);  // a paused server cannot drain
  process_->Signal(SIGTERM);
  return process_->Wait(timeout);
}

void ServerProcess::Kill() {
  process_->Signal(SIGKILL);
  process_->Wait(absl::Seconds(10));
}

void ServerProcess::Pause() { process_->Signal(SIGSTOP); }

void ServerProcess::Resume() { process_->Signal(SIGCONT); }

}  // namespace availability::testing
