#include "server/listener_hardening.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "grpc/grpc.h"
#include "grpc/support/log.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"

namespace availability::server {
using ::availability::base::Log;
using ::availability::base::LogEnabled;
using ::availability::base::LogLevel;

absl::Status ValidateHardening(const ListenerHardening& limits) {
  if (limits.max_receive_message_bytes < 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("max message size ", limits.max_receive_message_bytes,
                     " bytes: must be at least 1024"));
  }
  if (limits.min_ping_interval < absl::ZeroDuration() ||
      limits.max_ping_strikes < 0) {
    return absl::InvalidArgumentError(
        "keepalive: the minimum ping interval and the ping strikes must not "
        "be negative");
  }
  if (limits.max_concurrent_streams < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max concurrent streams ", limits.max_concurrent_streams,
                     ": must be at least 1"));
  }
  if (limits.handshake_timeout <= absl::ZeroDuration() ||
      limits.handshake_timeout == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        "handshake timeout: must be positive and finite");
  }
  if (limits.max_connection_idle <= absl::ZeroDuration() ||
      limits.max_connection_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "max connection idle time and age: must be positive (inf: never)");
  }
  if (limits.max_connection_age_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "max connection age grace: must not be negative");
  }
  return absl::OkStatus();
}

namespace {

// `d` in milliseconds as a gRPC int argument (at most INT_MAX, ~24 days).
int ToArgMilliseconds(absl::Duration d) {
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d),
                                            std::numeric_limits<int>::max()));
}

}  // namespace

void ApplyHardening(const ListenerHardening& limits,
                    grpc::ServerBuilder& builder) {
  builder.SetMaxReceiveMessageSize(limits.max_receive_message_bytes);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      static_cast<int>(absl::ToInt64Milliseconds(limits.min_ping_interval)));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES,
                             limits.max_ping_strikes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             limits.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                             ToArgMilliseconds(limits.handshake_timeout));
  if (limits.max_connection_idle != absl::InfiniteDuration()) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                               ToArgMilliseconds(limits.max_connection_idle));
  }
  if (limits.max_connection_age != absl::InfiniteDuration()) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               ToArgMilliseconds(limits.max_connection_age));
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
        ToArgMilliseconds(limits.max_connection_age_grace));
  }
}

absl::StatusOr<OpenFilesLimit> RaiseOpenFilesLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return absl::InternalError(
        absl::StrCat("getrlimit(RLIMIT_NOFILE): ", std::strerror(errno)));
  }
  OpenFilesLimit result;
  result.soft_before = limit.rlim_cur;
  result.hard = limit.rlim_max;
  if (limit.rlim_cur != limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return absl::InternalError(absl::StrCat("setrlimit(RLIMIT_NOFILE, ",
                                              limit.rlim_max,
                                              "): ", std::strerror(errno)));
    }
  }
  result.soft = limit.rlim_cur;
  return result;
}

namespace {

std::atomic<void (*)()> accept_failure_callback{nullptr};

void OnGrpcLog(gpr_log_func_args* args) {
  const LogLevel level =
      args->severity == GPR_LOG_SEVERITY_ERROR  ? LogLevel::kError
      : args->severity == GPR_LOG_SEVERITY_INFO ? LogLevel::kInfo
                                                : LogLevel::kDebug;
  const absl::string_view message =
      args->message == nullptr ? "" : args->message;
  // gRPC 1.51 tcp_server_posix.cc: "Failed accept4: <strerror>", after
  // which that listener stops accepting for good.
  const bool accept_failed = absl::StartsWith(message, "Failed accept");
  if (LogEnabled(level) || accept_failed) {
    Log(accept_failed ? LogLevel::kError : level, "grpc",
        {{"detail", std::string(message)},
         {"source", absl::StrCat(args->file == nullptr ? "" : args->file, ":",
                                 args->line)}});
  }
  if (accept_failed) {
    if (void (*callback)() = accept_failure_callback.exchange(nullptr)) {
      callback();
    }
  }
}

}  // namespace

void InstallGrpcLogHandler(void (*on_accept_failure)()) {
  accept_failure_callback.store(on_accept_failure);
  gpr_set_log_function(&OnGrpcLog);
}

std::function<bool()> GrpcHealthProbe(std::shared_ptr<grpc::Channel> channel,
                                      std::string service,
                                      absl::Duration timeout) {
  // grpc.health.v1.HealthCheckRequest{service}: field 1, length-delimited.
  std::string request;
  if (!service.empty() && service.size() < 128) {
    request.push_back(0x0a);
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  auto stub = std::make_shared<grpc::GenericStub>(std::move(channel));
  return [stub, request, timeout]() {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    grpc::Slice slice(request);
    grpc::ByteBuffer in(&slice, 1);
    grpc::ByteBuffer out;
    absl::Notification done;
    grpc::Status status;
    stub->UnaryCall(&context, "/grpc.health.v1.Health/Check",
                    grpc::StubOptions(), &in, &out, [&](grpc::Status s) {
                      status = std::move(s);
                      done.Notify();
                    });
    done.WaitForNotification();  // bounded by the deadline
    if (!status.ok()) return false;
    grpc::Slice reply;
    if (!out.DumpToSingleSlice(&reply).ok()) return false;
    // HealthCheckResponse{status = SERVING (1)}: field 1 varint 1.
    return reply.size() == 2 && reply.begin()[0] == 0x08 &&
           reply.begin()[1] == 0x01;
  };
}

}  // namespace availability::server
