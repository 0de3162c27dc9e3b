// The load generator's HTTP/2 transport: gRPC calls as h2load sends them
// (prepared request bodies, one thread, libnghttp2 framing), with the same
// closed and open loops, deadlines and counts as the gRPC transport. A call
// costs the client a few microseconds instead of gRPC's tens, so on a small
// machine the figures say more about the server and less about the client.
//
// Per call: a POST to /availability.v1.Availability/<method> with
// content-type application/grpc, te: trailers and grpc-timeout, the body
// one of RandomRequestBodies; its status is the grpc-status of the
// response's headers or trailers (UNKNOWN when there is none, UNAVAILABLE
// when the stream was refused or the connection lost). At its deadline a
// call is reset (RST_STREAM CANCEL) and counts as DEADLINE_EXCEEDED.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "bench/load_run_internal.h"

#ifdef AVAILABILITY_LOADGEN_HTTP2
#include <nghttp2/nghttp2.h>
#endif

namespace av::bench::internal {

#ifndef AVAILABILITY_LOADGEN_HTTP2

absl::StatusOr<LoadResult> RunHttp2Load(const LoadOptions&) {
  return absl::UnimplementedError(
      "--transport=h2: built without libnghttp2-dev (scripts/setup installs "
      "it); use --transport=grpc");
}

#else

namespace {

constexpr int kUnknown = 2;
constexpr int kDeadlineExceeded = 4;
constexpr int kInternal = 13;
constexpr int kUnavailable = 14;

// Bodies prepared per run: enough that consecutive calls ask for
// different SKUs.
constexpr size_t kBodies = 4096;

struct Call {
  absl::Time intended;
  absl::Time deadline;
  const std::string* body = nullptr;
  size_t sent = 0;
  int grpc_status = -1;
  // Counted as DEADLINE_EXCEEDED and reset; freed when nghttp2 closes it.
  bool expired = false;
};

class Http2Run;

struct Connection {
  Http2Run* run = nullptr;
  int fd = -1;
  nghttp2_session* session = nullptr;
  std::string out;  // framed by nghttp2, not written yet
  size_t out_pos = 0;
  bool dead = false;
  // Outstanding calls by stream id: ids grow with time, so the first is
  // the oldest (the deadline sweep looks there).
  std::map<int32_t, Call*> calls;
  // Reset at their deadline, waiting for nghttp2 to close their streams.
  std::map<int32_t, Call*> expired;
};

class Http2Run {
 public:
  explicit Http2Run(const LoadOptions& options) : options_(options) {
    for (auto& c : codes_) c.store(0);
    bodies_ = RandomRequestBodies(options, kBodies, options.seed);
    path_ = options.mode == LoadMode::kGet
                ? "/availability.v1.Availability/GetAvailability"
                : "/availability.v1.Availability/BatchGetAvailability";
    // grpc-timeout: at most 8 digits; milliseconds fit any sane deadline.
    timeout_ =
        absl::StrCat(std::min<int64_t>(
                         absl::ToInt64Milliseconds(options.deadline), 99999999),
                     "m");
  }

  ~Http2Run() {
    for (Connection& c : connections_) {
      for (auto* calls : {&c.calls, &c.expired}) {
        for (auto& [id, call] : *calls) {
          if (c.session != nullptr) {
            nghttp2_session_set_stream_user_data(c.session, id, nullptr);
          }
          delete call;
        }
      }
      if (c.session != nullptr) nghttp2_session_del(c.session);
      if (c.fd >= 0) close(c.fd);
    }
  }

  absl::StatusOr<LoadResult> Run() {
    connections_.resize(static_cast<size_t>(options_.channels));
    for (Connection& c : connections_) {
      if (absl::Status s = Open(c); !s.ok()) return s;
    }
    start_ = absl::Now();
    measure_start_ = start_ + options_.warmup;
    measure_end_ = measure_start_ + options_.duration;
    const absl::Time give_up =
        measure_end_ + options_.deadline + absl::Seconds(10);

    const bool open_loop = options_.rate > 0;
    const absl::Duration interval =
        open_loop ? absl::Seconds(1) / options_.rate : absl::ZeroDuration();
    int64_t sent = 0;  // open loop: calls sent (or due) so far
    if (!open_loop) {
      const int slots = options_.channels * options_.in_flight_per_channel;
      for (int slot = 0; slot < slots; ++slot) {
        Issue(connections_[static_cast<size_t>(slot % options_.channels)],
              absl::Now());
      }
    }
    std::vector<pollfd> fds(connections_.size());
    while (true) {
      absl::Time now = absl::Now();
      absl::Duration wait = absl::Milliseconds(5);
      if (open_loop) {
        while (true) {
          const absl::Time intended = start_ + sent * interval;
          if (intended >= measure_end_) break;
          if (intended > now) {
            wait = std::min(wait, intended - now);
            break;
          }
          if (outstanding_ >= options_.max_outstanding) break;  // waits
          Connection& c = connections_[static_cast<size_t>(
              sent % static_cast<int64_t>(connections_.size()))];
          Issue(c, intended);
          ++sent;
        }
      }
      for (Connection& c : connections_) {
        ExpireCalls(c, now);
        Flush(c);
      }
      const bool done_sending =
          !open_loop || start_ + sent * interval >= measure_end_;
      if (now >= measure_end_ && done_sending && outstanding_ == 0) break;
      if (now > give_up) {
        return absl::InternalError("calls did not finish after their deadline");
      }
      if (AllDead()) {
        return absl::UnavailableError(
            absl::StrCat("lost every connection to ", options_.target));
      }
      for (size_t i = 0; i < connections_.size(); ++i) {
        const Connection& c = connections_[i];
        fds[i].fd = c.dead ? -1 : c.fd;
        fds[i].events = POLLIN;
        if (c.out_pos < c.out.size()) fds[i].events |= POLLOUT;
        fds[i].revents = 0;
      }
      // ppoll, not poll: an open loop's next send is often less than a
      // millisecond away, and poll's milliseconds would round that to a
      // busy loop (or a late send).
      const timespec timeout =
          absl::ToTimespec(std::max(wait, absl::ZeroDuration()));
      if (ppoll(fds.data(), fds.size(), &timeout, nullptr) < 0 &&
          errno != EINTR) {
        return absl::InternalError(absl::StrCat("ppoll: ", strerror(errno)));
      }
      for (size_t i = 0; i < connections_.size(); ++i) {
        Connection& c = connections_[i];
        if (c.dead || fds[i].revents == 0) continue;
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) Receive(c);
        if (!c.dead) Flush(c);
      }
    }
    return MakeLoadResult(options_, histogram_, codes_, late_);
  }

 private:
  absl::Status Open(Connection& c) {
    c.run = this;
    // CheckLocalTarget let through "127.0.0.1:P", "localhost:P", "[::1]:P".
    absl::string_view target = options_.target;
    const size_t colon = target.rfind(':');
    std::string host(target.substr(0, colon));
    const std::string port(target.substr(colon + 1));
    if (host.size() >= 2 && host.front() == '[') {
      host = host.substr(1, host.size() - 2);
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 ||
        found == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("cannot resolve ", options_.target));
    }
    int fd = -1;
    for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
      fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
      }
    }
    freeaddrinfo(found);
    if (fd < 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", options_.target));
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    c.fd = fd;

    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &OnHeader);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks,
                                                           &OnStreamClose);
    const int rv = nghttp2_session_client_new(&c.session, callbacks, &c);
    nghttp2_session_callbacks_del(callbacks);
    if (rv != 0) {
      return absl::InternalError(
          absl::StrCat("nghttp2 session: ", nghttp2_strerror(rv)));
    }
    // Room for every answer in flight (a batch's is several KB).
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20}};
    nghttp2_submit_settings(c.session, NGHTTP2_FLAG_NONE, settings,
                            sizeof(settings) / sizeof(settings[0]));
    nghttp2_session_set_local_window_size(c.session, NGHTTP2_FLAG_NONE, 0,
                                          1 << 26);
    Flush(c);
    return absl::OkStatus();
  }

  bool AllDead() const {
    return std::all_of(connections_.begin(), connections_.end(),
                       [](const Connection& c) { return c.dead; });
  }

  void Issue(Connection& c, absl::Time intended) {
    auto* call = new Call;
    call->intended = intended;
    call->deadline = absl::Now() + options_.deadline;
    call->body = &bodies_[next_body_++ % bodies_.size()];
    ++outstanding_;
    if (c.dead) {
      Complete(c, -1, call, kUnavailable);
      return;
    }
    auto nv = [](absl::string_view name, absl::string_view value) {
      return nghttp2_nv{
          reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
          name.size(), value.size(),
          NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
    };
    const nghttp2_nv headers[] = {nv(":method", "POST"),
                                  nv(":scheme", "http"),
                                  nv(":path", path_),
                                  nv(":authority", options_.target),
                                  nv("content-type", "application/grpc"),
                                  nv("te", "trailers"),
                                  nv("grpc-timeout", timeout_),
                                  nv("user-agent", "availability-loadgen-h2")};
    nghttp2_data_provider body;
    body.source.ptr = call;
    body.read_callback = &ReadBody;
    const int32_t id = nghttp2_submit_request(
        c.session, nullptr, headers, sizeof(headers) / sizeof(headers[0]),
        &body, call);
    if (id < 0) {
      // No new stream on this connection (GOAWAY received, ids used up):
      // it is done for this run, so a closed loop does not retry on it.
      Lose(c);
      Complete(c, -1, call, kUnavailable);
      return;
    }
    c.calls.emplace(id, call);
  }

  // Counts a finished call, frees it unless it expired (nghttp2 still
  // holds it) and, in a closed loop, starts the next one.
  void Complete(Connection& c, int32_t id, Call* call, int code) {
    if (id >= 0) c.calls.erase(id);
    const absl::Time now = absl::Now();
    if (now >= measure_start_ && now < measure_end_) {
      histogram_.Record(absl::ToInt64Nanoseconds(now - call->intended));
      if (code < 0 || code >= static_cast<int>(codes_.size())) code = kUnknown;
      codes_[static_cast<size_t>(code)].fetch_add(1, std::memory_order_relaxed);
      if (now > call->deadline + options_.late_after) ++late_;
      if (options_.on_call) options_.on_call(now, code);
    }
    if (!call->expired) delete call;
    --outstanding_;
    if (options_.rate <= 0 && now < measure_end_ && !c.dead) Issue(c, now);
  }

  // Resets the calls past their deadline (the oldest first).
  void ExpireCalls(Connection& c, absl::Time now) {
    while (!c.dead && !c.calls.empty()) {
      auto [id, call] = *c.calls.begin();
      if (call->deadline > now) break;
      call->expired = true;
      c.expired.emplace(id, call);
      nghttp2_submit_rst_stream(c.session, NGHTTP2_FLAG_NONE, id,
                                NGHTTP2_CANCEL);
      Complete(c, id, call, kDeadlineExceeded);
    }
  }

  void Receive(Connection& c) {
    uint8_t buffer[64 * 1024];
    while (!c.dead) {
      const ssize_t n = read(c.fd, buffer, sizeof(buffer));
      if (n > 0) {
        if (nghttp2_session_mem_recv(c.session, buffer,
                                     static_cast<size_t>(n)) < 0) {
          Lose(c);
        }
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      Lose(c);  // closed by the server, or an error
    }
  }

  void Flush(Connection& c) {
    if (c.dead) return;
    while (true) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(c.session, &data);
      if (n < 0) {
        Lose(c);
        return;
      }
      if (n == 0) break;
      c.out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    while (c.out_pos < c.out.size()) {
      // MSG_NOSIGNAL: a server gone away is EPIPE here, not SIGPIPE.
      const ssize_t n = send(c.fd, c.out.data() + c.out_pos,
                             c.out.size() - c.out_pos, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_pos += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      Lose(c);
      return;
    }
    c.out.clear();
    c.out_pos = 0;
  }

  // The connection is gone: its calls fail as UNAVAILABLE.
  void Lose(Connection& c) {
    if (c.dead) return;
    c.dead = true;
    std::map<int32_t, Call*> calls;
    calls.swap(c.calls);
    for (auto& [id, call] : calls) {
      nghttp2_session_set_stream_user_data(c.session, id, nullptr);
      Complete(c, -1, call, kUnavailable);
    }
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buf,
                          size_t length, uint32_t* data_flags,
                          nghttp2_data_source* source, void*) {
    auto* call = static_cast<Call*>(source->ptr);
    const size_t n = std::min(length, call->body->size() - call->sent);
    std::memcpy(buf, call->body->data() + call->sent, n);
    call->sent += n;
    if (call->sent == call->body->size()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame,
                      const uint8_t* name, size_t namelen, const uint8_t* value,
                      size_t valuelen, uint8_t, void*) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    auto* call = static_cast<Call*>(
        nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
    if (call == nullptr) return 0;
    const absl::string_view header(reinterpret_cast<const char*>(name),
                                   namelen);
    if (header == "grpc-status") {
      int code = kUnknown;
      if (!absl::SimpleAtoi(
              absl::string_view(reinterpret_cast<const char*>(value), valuelen),
              &code)) {
        code = kUnknown;
      }
      call->grpc_status = code;
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session* session, int32_t id,
                           uint32_t error_code, void* user_data) {
    auto* c = static_cast<Connection*>(user_data);
    auto* call =
        static_cast<Call*>(nghttp2_session_get_stream_user_data(session, id));
    if (call == nullptr) return 0;
    if (call->expired) {  // counted at its deadline
      c->expired.erase(id);
      delete call;
      return 0;
    }
    int code = call->grpc_status;
    if (code < 0) {
      code = error_code == NGHTTP2_REFUSED_STREAM ? kUnavailable
             : error_code != NGHTTP2_NO_ERROR     ? kInternal
                                                  : kUnknown;
    }
    c->run->Complete(*c, id, call, code);
    return 0;
  }

  const LoadOptions& options_;
  std::vector<std::string> bodies_;
  size_t next_body_ = 0;
  std::string path_;
  std::string timeout_;
  std::vector<Connection> connections_;
  absl::Time start_;
  absl::Time measure_start_;
  absl::Time measure_end_;
  int64_t outstanding_ = 0;
  LatencyHistogram histogram_;
  CodeCounts codes_;
  uint64_t late_ = 0;
};

}  // namespace

absl::StatusOr<LoadResult> RunHttp2Load(const LoadOptions& options) {
  Http2Run run(options);
  return run.Run();
}

#endif  // AVAILABILITY_LOADGEN_HTTP2

}  // namespace av::bench::internal
