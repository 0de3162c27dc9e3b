// The operations HTTP listener for tools that speak only HTTP:
//
//   GET /metrics  200, the Prometheus text format (version 0.0.4)
//   GET /healthz  200 while the process runs (liveness)
//   GET /readyz   200 while ready() is true, else 503 (mirrors the gRPC
//                 health status: SERVING only while Redis answers)
//   anything else 404; methods other than GET/HEAD 501 (libevent).
//
//   auto http = HttpEndpoint::Start("0.0.0.0:9464", {render, ready});
//   if (!http.ok()) Die(...);
//
// Built on libevent's evhttp (already a dependency of the Redis client),
// on its own loop thread: handlers run there, so `metrics` and `ready` must
// be quick and must not block. Requests time out after 5 s; headers are
// capped at 8 KiB and bodies refused.
//
// Accept errors (EMFILE when the process is out of file descriptors...)
// pause accepting for 100 ms instead of spinning on the readable listener,
// and are logged through the JSON log at most once a second with the count
// of the ones not logged; accepting resumes once descriptors are free.
//
// Thread-safe: Start and the destructor from one thread; port() anywhere.
#ifndef AVAILABILITY_BASE_HTTP_ENDPOINT_H_
#define AVAILABILITY_BASE_HTTP_ENDPOINT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct event_base;
struct evhttp;
struct event;
struct evhttp_request;
struct evconnlistener;

namespace availability::base {

class HttpEndpoint {
 public:
  struct Handlers {
    // The /metrics page.
    std::function<std::string()> metrics;
    // Whether /readyz answers 200.
    std::function<bool()> ready;
  };

  // Listens on `address` ("host:port", "[v6]:port"; port 0 picks one) and
  // serves on a new thread. Errors: InvalidArgument for an address without
  // a port, Unavailable when it cannot bind (the address is in use...),
  // Internal when libevent fails.
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(
      const std::string& address, Handlers handlers);

  // Stops serving and joins the thread (open requests are dropped).
  ~HttpEndpoint();

  // The port bound (the chosen one when asked for 0).
  int port() const { return port_; }

  // Routes libevent's own messages (which it would print to stderr as
  // "[warn] ..." text lines) into the JSON log as
  // {"msg":"libevent","detail":...}. Process-wide (libevent's log callback
  // is global, the Redis client's loops included); call once at startup,
  // before any libevent loop runs.
  static void RouteLibeventLogs();

 private:
  HttpEndpoint() = default;
  static void OnRequest(evhttp_request* request, void* self);
  static void OnWake(int fd, short events, void* self);
  static void OnAcceptError(evconnlistener* listener, void* self);
  static void OnAcceptRetry(int fd, short events, void* self);

  Handlers handlers_;
  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  event* wake_event_ = nullptr;
  // Accept-error handling, used on the loop thread only: the listener is
  // disabled on an error and `accept_retry_` enables it again.
  evconnlistener* listener_ = nullptr;
  event* accept_retry_ = nullptr;
  int64_t accept_errors_unlogged_ = 0;
  absl::Time last_accept_error_log_ = absl::InfinitePast();
  // wake_[1] is written by the destructor; the loop reads wake_[0] and
  // leaves.
  int wake_[2] = {-1, -1};
  int port_ = 0;
  std::thread thread_;
};

}  // namespace availability::base

#endif  // AVAILABILITY_BASE_HTTP_ENDPOINT_H_
