// Limits every gRPC listener of the server applies: the largest message a
// client may send; keepalive enforcement so a client pinging more often
// than allowed is sent GOAWAY (ENHANCE_YOUR_CALM) instead of costing the
// server a wake-up per ping; the HTTP/2 streams one connection may have
// open at once (advertised in SETTINGS_MAX_CONCURRENT_STREAMS); and how
// long a connection may stay idle, or live at all, before the server sends
// GOAWAY (so idle connections do not hold descriptors forever and clients
// rebalance across replicas).
//
//   ListenerHardening limits;
//   limits.max_receive_message_bytes = 1 << 20;
//   ApplyHardening(limits, builder);   // before BuildAndStart
//
// Thread-compatible.
#ifndef AVAILABILITY_SERVER_LISTENER_HARDENING_H_
#define AVAILABILITY_SERVER_LISTENER_HARDENING_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/server_builder.h"

namespace availability::server {

struct ListenerHardening {
  // Larger requests fail RESOURCE_EXHAUSTED before any handler runs.
  int max_receive_message_bytes = 4 << 20;
  // Client pings closer together than this count as strikes (also while no
  // call is open: idle keepalive is permitted at this rate).
  absl::Duration min_ping_interval = absl::Seconds(10);
  // Strikes tolerated before the connection is closed (GOAWAY).
  int max_ping_strikes = 2;
  // Streams (calls) open at once on one connection; a client's further
  // streams wait for one to finish.
  int max_concurrent_streams = 100;
  // A connection that has not completed its handshakes (TLS, HTTP/2
  // preface and SETTINGS) within this is closed: a client that connects
  // and says nothing holds a descriptor this long at most.
  absl::Duration handshake_timeout = absl::Seconds(10);
  // A connection without a call for this long is closed (GOAWAY);
  // InfiniteDuration: never.
  absl::Duration max_connection_idle = absl::Minutes(5);
  // A connection this old is sent GOAWAY and its calls get
  // `max_connection_age_grace` to finish; InfiniteDuration: never.
  absl::Duration max_connection_age = absl::InfiniteDuration();
  absl::Duration max_connection_age_grace = absl::Seconds(30);
};

// OK, or InvalidArgument naming the bad value (message size < 1 KiB, a
// negative interval or strike count, fewer than 1 stream, a handshake
// timeout, connection idle time or age not positive, a negative grace).
absl::Status ValidateHardening(const ListenerHardening& limits);

// Sets the limits on `builder`.
void ApplyHardening(const ListenerHardening& limits,
                    grpc::ServerBuilder& builder);

// The process's open-files limit (RLIMIT_NOFILE) before and after
// RaiseOpenFilesLimit.
struct OpenFilesLimit {
  uint64_t soft_before = 0;
  uint64_t soft = 0;
  uint64_t hard = 0;
};

// Raises the soft open-files limit to the hard one, so every connection
// the hard limit allows can be accepted (container runtimes often start
// processes with soft 1024). Errors: Internal naming the failed call.
// Call once at startup, before threads open descriptors.
absl::StatusOr<OpenFilesLimit> RaiseOpenFilesLimit();

// Routes gRPC core's own log lines (gpr_log), which it would print to
// stderr as text, into the JSON log as {"msg":"grpc","detail":...,
// "source":"file:line"}, and calls `on_accept_failure` once when gRPC logs
// that a listener failed to accept a connection: gRPC 1.51's listener
// (tcp_server_posix) then never accepts on that port again, e.g. after the
// process ran out of file descriptors (EMFILE), so the process should be
// replaced. gRPC must log errors for this to work (GRPC_VERBOSITY=NONE
// hides the failure). `on_accept_failure` runs on a gRPC thread and must
// not block (e.g. kill(getpid(), SIGTERM)). Call once at startup, before
// gRPC runs.
void InstallGrpcLogHandler(void (*on_accept_failure)());

// A readiness check for HTTP /readyz that asks the server's own gRPC
// health service over `channel` (an in-process channel:
// grpc::Server::InProcessChannel) for `service` ("" = the whole server):
// true only for SERVING. Blocks up to `timeout`; call it from the HTTP
// thread, never from a gRPC reaction.
std::function<bool()> GrpcHealthProbe(std::shared_ptr<grpc::Channel> channel,
                                      std::string service,
                                      absl::Duration timeout);

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_LISTENER_HARDENING_H_
