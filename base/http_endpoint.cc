#include "base/http_endpoint.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "event2/buffer.h"
#include "event2/event.h"
#include "event2/http.h"
#include "event2/keyvalq_struct.h"
#include "event2/listener.h"

namespace availability::base {

namespace {

void Reply(evhttp_request* request, int code, const char* reason,
           absl::string_view content_type, absl::string_view body) {
  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  evhttp_add_header(headers, "Content-Type", std::string(content_type).c_str());
  evhttp_add_header(headers, "Cache-Control", "no-store");
  evbuffer* out = evbuffer_new();
  if (out == nullptr) {
    evhttp_send_error(request, HTTP_INTERNAL, nullptr);
    return;
  }
  evbuffer_add(out, body.data(), body.size());
  evhttp_send_reply(request, code, reason, out);
  evbuffer_free(out);
}

// How long accepting pauses after an accept error, and how often at most
// one is logged.
constexpr timeval kAcceptRetry = {0, 100 * 1000};
constexpr absl::Duration kAcceptErrorLogInterval = absl::Seconds(1);

// Which endpoint an evhttp belongs to: libevent passes the accept-error
// callback evhttp's own argument, not ours.
absl::Mutex& EndpointsMutex() {
  static absl::Mutex* mutex = new absl::Mutex();
  return *mutex;
}
absl::flat_hash_map<const evhttp*, HttpEndpoint*>& Endpoints() {
  static auto* endpoints =
      new absl::flat_hash_map<const evhttp*, HttpEndpoint*>();
  return *endpoints;
}

void OnLibeventLog(int severity, const char* message) {
  LogLevel level = LogLevel::kError;
  if (severity == EVENT_LOG_DEBUG) {
    level = LogLevel::kDebug;
  } else if (severity == EVENT_LOG_MSG) {
    level = LogLevel::kInfo;
  } else if (severity == EVENT_LOG_WARN) {
    level = LogLevel::kWarning;
  }
  if (!LogEnabled(level)) return;
  Log(level, "libevent", {{"detail", message == nullptr ? "" : message}});
}

}  // namespace

void HttpEndpoint::RouteLibeventLogs() {
  event_set_log_callback(&OnLibeventLog);
}

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(
    const std::string& address, Handlers handlers) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(address).substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP address \"", address,
                     "\": expected host:port, e.g. 0.0.0.0:9464"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";

  std::unique_ptr<HttpEndpoint> self(new HttpEndpoint());
  self->handlers_ = std::move(handlers);
  if (pipe2(self->wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::InternalError(
        absl::StrCat("HTTP endpoint: pipe: ", std::strerror(errno)));
  }
  self->base_ = event_base_new();
  if (self->base_ == nullptr) {
    return absl::InternalError("HTTP endpoint: event_base_new failed");
  }
  self->http_ = evhttp_new(self->base_);
  if (self->http_ == nullptr) {
    return absl::InternalError("HTTP endpoint: evhttp_new failed");
  }
  evhttp_set_timeout(self->http_, 5);
  evhttp_set_max_headers_size(self->http_, 8192);
  evhttp_set_max_body_size(self->http_, 0);
  evhttp_set_allowed_methods(self->http_, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
  evhttp_set_gencb(self->http_, &HttpEndpoint::OnRequest, self.get());
  evhttp_bound_socket* bound =
      evhttp_bind_socket_with_handle(self->http_, host.c_str(), port);
  if (bound == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("HTTP endpoint: cannot listen on ", address,
                     " (in use, or not an address of this host?)"));
  }
  sockaddr_storage name{};
  socklen_t name_len = sizeof(name);
  if (getsockname(evhttp_bound_socket_get_fd(bound),
                  reinterpret_cast<sockaddr*>(&name), &name_len) != 0) {
    return absl::InternalError(
        absl::StrCat("HTTP endpoint: getsockname: ", std::strerror(errno)));
  }
  self->port_ = name.ss_family == AF_INET6
                    ? ntohs(reinterpret_cast<sockaddr_in6*>(&name)->sin6_port)
                    : ntohs(reinterpret_cast<sockaddr_in*>(&name)->sin_port);
  // Without an error callback libevent logs every failed accept and, the
  // listener staying readable, retries at once: millions of lines a second
  // while the process is out of file descriptors.
  self->listener_ = evhttp_bound_socket_get_listener(bound);
  self->accept_retry_ =
      evtimer_new(self->base_, &HttpEndpoint::OnAcceptRetry, self.get());
  if (self->listener_ == nullptr || self->accept_retry_ == nullptr) {
    return absl::InternalError("HTTP endpoint: cannot watch accept errors");
  }
  {
    absl::MutexLock lock(&EndpointsMutex());
    Endpoints()[self->http_] = self.get();
  }
  evconnlistener_set_error_cb(self->listener_, &HttpEndpoint::OnAcceptError);
  self->wake_event_ = event_new(self->base_, self->wake_[0], EV_READ,
                                &HttpEndpoint::OnWake, self.get());
  if (self->wake_event_ == nullptr ||
      event_add(self->wake_event_, nullptr) != 0) {
    return absl::InternalError("HTTP endpoint: cannot watch the wake pipe");
  }
  event_base* base = self->base_;
  self->thread_ = std::thread([base] { event_base_dispatch(base); });
  return self;
}

HttpEndpoint::~HttpEndpoint() {
  if (thread_.joinable()) {
    const char byte = 0;
    while (write(wake_[1], &byte, 1) < 0 && errno == EINTR) {
    }
    thread_.join();
  }
  {
    absl::MutexLock lock(&EndpointsMutex());
    Endpoints().erase(http_);
  }
  if (wake_event_ != nullptr) event_free(wake_event_);
  if (accept_retry_ != nullptr) event_free(accept_retry_);
  if (http_ != nullptr) evhttp_free(http_);
  if (base_ != nullptr) event_base_free(base_);
  for (int fd : wake_) {
    if (fd >= 0) close(fd);
  }
}

void HttpEndpoint::OnWake(int, short, void* self) {
  event_base_loopbreak(static_cast<HttpEndpoint*>(self)->base_);
}

void HttpEndpoint::OnAcceptError(evconnlistener* listener, void* http) {
  const int error = EVUTIL_SOCKET_ERROR();
  HttpEndpoint* self = nullptr;
  {
    absl::MutexLock lock(&EndpointsMutex());
    auto it = Endpoints().find(static_cast<evhttp*>(http));
    if (it != Endpoints().end()) self = it->second;
  }
  if (self == nullptr) return;  // not ours: cannot happen
  // Stop watching the listener (it stays readable while the connection
  // cannot be accepted) and look again shortly.
  evconnlistener_disable(listener);
  evtimer_add(self->accept_retry_, &kAcceptRetry);
  ++self->accept_errors_unlogged_;
  const absl::Time now = absl::Now();
  if (now - self->last_accept_error_log_ < kAcceptErrorLogInterval) return;
  Log(LogLevel::kError, "metrics endpoint cannot accept connections",
      {{"error", evutil_socket_error_to_string(error)},
       {"errors_since_last_log", absl::StrCat(self->accept_errors_unlogged_)},
       {"check", error == EMFILE || error == ENFILE
                     ? "out of file descriptors: too many open connections, "
                       "or a low open-files limit (ulimit -n)"
                     : "the listening socket"}});
  self->accept_errors_unlogged_ = 0;
  self->last_accept_error_log_ = now;
}

void HttpEndpoint::OnAcceptRetry(int, short, void* arg) {
  auto* self = static_cast<HttpEndpoint*>(arg);
  evconnlistener_enable(self->listener_);
}

void HttpEndpoint::OnRequest(evhttp_request* request, void* arg) {
  auto* self = static_cast<HttpEndpoint*>(arg);
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(request);
  const char* path_c = uri == nullptr ? nullptr : evhttp_uri_get_path(uri);
  const absl::string_view path = path_c == nullptr ? "" : path_c;
  if (path == "/metrics") {
    Reply(request, HTTP_OK, "OK", "text/plain; version=0.0.4; charset=utf-8",
          self->handlers_.metrics ? self->handlers_.metrics() : "");
  } else if (path == "/healthz") {
    Reply(request, HTTP_OK, "OK", "text/plain; charset=utf-8", "ok\n");
  } else if (path == "/readyz") {
    if (self->handlers_.ready && self->handlers_.ready()) {
      Reply(request, HTTP_OK, "OK", "text/plain; charset=utf-8", "ready\n");
    } else {
      Reply(request, 503, "Service Unavailable", "text/plain; charset=utf-8",
            "not ready: redis does not answer, or the server is stopping\n");
    }
  } else {
    Reply(request, HTTP_NOTFOUND, "Not Found", "text/plain; charset=utf-8",
          "not found: try /metrics, /healthz or /readyz\n");
  }
}

}  // namespace availability::base
