// Closes client connections that start HTTP/2 streams faster than the
// server retires them: the Rapid Reset attack (CVE-2023-44487, HEADERS then
// RST_STREAM in a tight loop). gRPC 1.51 frees a reset stream's slot among
// SETTINGS_MAX_CONCURRENT_STREAMS at once but keeps its call until its
// work has run, so one connection can pile up unbounded calls (1 GB in
// seconds) while the advertised limit is respected.
//
// gRPC's channelz counts, per connection, the streams the client started
// and those the server finished (succeeded or failed, counted when the
// call is destroyed). A well-behaved client has at most
// max_concurrent_streams unfinished; a connection with more than
// `max_unfinished_streams` is reset-flooding. Every `interval` the guard
// reads the calls started on every gRPC server of the process (one small
// rendering per server); when more than `max_unfinished_streams` started
// since its last look at the connections, or `full_scan_interval` passed,
// it reads each connection's counts (one rendering per connection) and
// shuts the socket of a flooding one down (shutdown(2) on the descriptor
// whose peer and local port match): gRPC sees the connection end and
// cancels its calls. Each closing is logged (warning, with the peer) and
// counted.
//
//   StreamFloodGuard::Options options;
//   options.listener_ports = {storefront_port, sync_port};
//   auto guard = StreamFloodGuard::Start(options);   // its own thread
//   ... guard->connections_closed() ...
//
// Thread-safe; the thread stops on destruction.
#ifndef AVAILABILITY_SERVER_STREAM_FLOOD_GUARD_H_
#define AVAILABILITY_SERVER_STREAM_FLOOD_GUARD_H_

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace availability::server {

class StreamFloodGuard {
 public:
  struct Options {
    // Streams a connection may have started and the server not yet
    // finished; more: the connection is closed. Keep it well above the
    // listeners' max_concurrent_streams.
    int64_t max_unfinished_streams = 500;
    absl::Duration interval = absl::Milliseconds(50);
    absl::Duration full_scan_interval = absl::Seconds(1);
    // Local ports of the server's listeners: only connections to them are
    // closed.
    std::vector<int> listener_ports;
  };

  static std::unique_ptr<StreamFloodGuard> Start(Options options);
  StreamFloodGuard(const StreamFloodGuard&) = delete;
  StreamFloodGuard& operator=(const StreamFloodGuard&) = delete;
  ~StreamFloodGuard();

  // Connections closed so far.
  uint64_t connections_closed() const { return closed_.load(); }

  // Parts, public for tests.
  struct SocketCounts {
    int64_t id = 0;
    std::string peer;  // "ipv4:127.0.0.1:53312", as ServerContext::peer()
    int64_t started = 0;
    int64_t succeeded = 0;
    int64_t failed = 0;
  };
  // The ids in a channelz servers listing (grpc_channelz_get_servers).
  static std::vector<int64_t> ParseServerIds(absl::string_view json);
  // The calls started on all the servers of that listing.
  static int64_t ParseCallsStarted(absl::string_view json);
  // The sockets of a channelz server sockets listing
  // (grpc_channelz_get_server_sockets): id and peer; whether it is the
  // last page in `end`.
  static std::vector<SocketCounts> ParseSocketRefs(absl::string_view json,
                                                   bool* end);
  // Fills the stream counts of `socket` from its channelz rendering
  // (grpc_channelz_get_socket).
  static void ParseSocketCounts(absl::string_view json, SocketCounts* socket);
  // A socket address in gRPC's peer notation ("ipv4:1.2.3.4:5",
  // "ipv6:[::1]:5"; IPv4-mapped IPv6 as ipv4); nullopt for other families.
  static std::optional<std::string> PeerString(const sockaddr* address);

 private:
  explicit StreamFloodGuard(Options options);
  void Loop();
  void CheckOnce();
  // Shuts down the process's socket connected to `peer` on a listener
  // port; whether one was found.
  bool ShutDownConnection(const std::string& peer) const;

  const Options options_;
  std::atomic<uint64_t> closed_{0};
  // The guard's thread only: sockets closed and still listed by channelz
  // (closed once); the calls started and the time at the last look at the
  // connections.
  absl::flat_hash_set<int64_t> closing_;
  int64_t calls_started_at_scan_ = 0;
  absl::Time scanned_at_ = absl::InfinitePast();
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_STREAM_FLOOD_GUARD_H_
