#include "cache/redis_client.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "base/log.h"
#include "event2/event.h"
#include "hiredis/async.h"
#include "hiredis/hiredis.h"

namespace availability::cache {
namespace {

// The command in RESP ("*<n>\r\n" then "$<len>\r\n<arg>\r\n" per
// argument) into `out`, replacing it: what redisAsyncCommandArgv sends,
// without hiredis's printf-style formatting per argument, into a buffer
// reused from command to command (a bulk write has thousands of arguments).
constexpr size_t kMaxKeptCommandBuffer = 1 << 20;

void FormatCommand(const std::vector<std::string>& argv, std::string& out) {
  size_t size = 16;
  for (const std::string& arg : argv) size += arg.size() + 16;
  out.clear();
  out.reserve(size);
  absl::StrAppend(&out, "*", argv.size(), "\r\n");
  for (const std::string& arg : argv) {
    absl::StrAppend(&out, "$", arg.size(), "\r\n");
    out.append(arg);
    out.append("\r\n");
  }
}

RedisReply ConvertReply(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r.elements);
      for (size_t i = 0; i < r.elements; ++i) {
        out.elements.push_back(ConvertReply(*r.element[i]));
      }
      break;
    case REDIS_REPLY_NIL:
    default:
      out.type = RedisReply::Type::kNil;
      break;
  }
  return out;
}

// The client behind RedisClient::Start. All hiredis and libevent state is
// owned by the loop thread; other threads only touch the submission queue
// (under mu_) and the wake-up eventfd.
class HiredisClient final : public RedisClient {
 public:
  explicit HiredisClient(RedisOptions options)
      : options_(std::move(options)),
        backoff_(options_.reconnect_min_backoff) {}

  ~HiredisClient() override {
    Stop();
    for (event* e :
         {wake_event_, deadline_timer_, reconnect_timer_, connect_timer_}) {
      if (e != nullptr) event_free(e);
    }
    if (base_ != nullptr) event_base_free(base_);
    if (wake_fd_ >= 0) close(wake_fd_);
  }

  absl::Status Init() {
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) {
      return absl::InternalError(absl::StrCat("eventfd: errno ", errno));
    }
    base_ = event_base_new();
    if (base_ == nullptr) return absl::InternalError("event_base_new failed");
    wake_event_ = event_new(base_, wake_fd_, EV_READ | EV_PERSIST,
                            &HiredisClient::OnWake, this);
    deadline_timer_ = evtimer_new(base_, &HiredisClient::OnDeadlineTimer, this);
    reconnect_timer_ =
        evtimer_new(base_, &HiredisClient::OnReconnectTimer, this);
    connect_timer_ = evtimer_new(base_, &HiredisClient::OnConnectTimeout, this);
    if (wake_event_ == nullptr || deadline_timer_ == nullptr ||
        reconnect_timer_ == nullptr || connect_timer_ == nullptr ||
        event_add(wake_event_, nullptr) != 0) {
      return absl::InternalError("libevent: cannot create events");
    }
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  void Execute(std::vector<std::string> argv, absl::Time deadline,
               Callback done) override {
    Submission s;
    s.commands.push_back(std::move(argv));
    s.deadline = deadline;
    s.single = std::move(done);
    Submit(std::move(s));
  }

  void ExecutePipeline(std::vector<std::vector<std::string>> commands,
                       absl::Time deadline, PipelineCallback done) override {
    Submission s;
    s.commands = std::move(commands);
    s.deadline = deadline;
    s.pipeline = std::move(done);
    Submit(std::move(s));
  }

  void Stop() override {
    // One caller joins; a concurrent one waits for it here.
    absl::MutexLock join_lock(&join_mu_);
    if (!thread_.joinable()) return;
    bool wake;
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      wake = !wake_pending_;
      wake_pending_ = true;
    }
    if (wake) Wake();
    thread_.join();
  }

  bool IsConnected() const override {
    absl::MutexLock lock(&mu_);
    return connected_;
  }

  void SetConnectionObserver(ConnectionObserver observer) override {
    absl::MutexLock lock(&mu_);
    observer_ = std::make_shared<ConnectionObserver>(std::move(observer));
  }

  absl::Status WaitUntilConnected(absl::Duration timeout) override {
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&connected_), timeout)) {
      return absl::OkStatus();
    }
    return absl::UnavailableError(absl::StrCat(
        "not connected to redis at ", Endpoint(), " after ",
        absl::FormatDuration(timeout),
        last_error_.empty() ? "" : absl::StrCat(": ", last_error_)));
  }

 private:
  // A caller's request, queued for the loop thread.
  struct Submission {
    std::vector<std::vector<std::string>> commands;
    absl::Time deadline;
    Callback single;            // Execute
    PipelineCallback pipeline;  // ExecutePipeline
  };
  // A request sent to Redis and not yet answered.
  struct Op {
    Callback single;
    PipelineCallback pipeline;
    size_t expected = 0;
    std::vector<RedisReply> replies;
    absl::Time deadline = absl::InfiniteFuture();
  };
  enum class State { kDisconnected, kConnecting, kReady };
  using DeadlineEntry = std::pair<absl::Time, uint64_t>;

  static void Fail(Callback& single, PipelineCallback& pipeline,
                   absl::Status status) {
    if (single) {
      single(std::move(status));
    } else if (pipeline) {
      pipeline(std::move(status));
    }
  }

  void Submit(Submission s) {
    bool wake = false;
    bool stopped = false;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        stopped = true;
      } else {
        queue_.push_back(std::move(s));
        wake = !wake_pending_;
        wake_pending_ = true;
      }
    }
    if (wake) Wake();
    // The client is being destroyed: the loop may be gone already.
    if (stopped) {
      Fail(s.single, s.pipeline, absl::CancelledError("redis client stopped"));
    }
  }

  void Wake() {
    const uint64_t one = 1;
    // EAGAIN means the counter is already non-zero: the loop will wake.
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
  }

  std::string Endpoint() const {
    if (options_.resolve_endpoint) {
      absl::MutexLock lock(&endpoint_mu_);
      return resolved_endpoint_.empty() ? "(not resolved yet)"
                                        : resolved_endpoint_;
    }
    return options_.unix_socket.empty()
               ? absl::StrCat(options_.host, ":", options_.port)
               : options_.unix_socket;
  }

  // Removes the password from anything that might be shown or logged.
  std::string Redact(absl::string_view text) const {
    if (options_.password.empty()) return std::string(text);
    return absl::StrReplaceAll(text, {{options_.password, "<redacted>"}});
  }

  // Logs a connection event through the process log (base/log.h). The
  // message never holds the password (errors pass through Redact first).
  void Log(base::LogLevel level, absl::string_view message) const {
    base::Log(level, "redis connection",
              {{"endpoint", Endpoint()}, {"event", std::string(message)}});
  }

  // ---- Loop thread from here on. ----

  void Run() {
    // hiredis writes with write(2): a peer that went away must give EPIPE,
    // not kill the process. A synchronous SIGPIPE goes to this thread only.
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);

    Connect();
    event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY);

    shutting_down_ = true;
    evtimer_del(connect_timer_);
    evtimer_del(reconnect_timer_);
    evtimer_del(deadline_timer_);
    if (ac_ != nullptr) {
      redisAsyncContext* ac = ac_;
      ac_ = nullptr;
      redisAsyncFree(ac);  // pending replies come back NULL: Cancelled
    }
    auto ops = std::move(ops_);
    ops_.clear();
    deadlines_.clear();
    for (auto& [id, op] : ops) {
      Fail(op.single, op.pipeline,
           absl::CancelledError("redis client stopped"));
    }
    std::vector<Submission> queue;
    {
      absl::MutexLock lock(&mu_);
      queue.swap(queue_);
      connected_ = false;
    }
    for (Submission& s : queue) {
      Fail(s.single, s.pipeline, absl::CancelledError("redis client stopped"));
    }
  }

  static void OnWake(evutil_socket_t fd, short, void* arg) {
    auto* self = static_cast<HiredisClient*>(arg);
    uint64_t count;
    [[maybe_unused]] ssize_t n = read(fd, &count, sizeof(count));
    std::vector<Submission> queue;
    bool stop;
    {
      absl::MutexLock lock(&self->mu_);
      queue.swap(self->queue_);
      self->wake_pending_ = false;
      stop = self->stopping_;
    }
    self->batching_ = true;
    for (Submission& s : queue) {
      if (stop) {
        Fail(s.single, s.pipeline,
             absl::CancelledError("redis client stopped"));
      } else {
        self->Dispatch(std::move(s));
      }
    }
    self->batching_ = false;
    if (self->write_deferred_) {
      // The batch's commands go out now, not after another epoll pass.
      self->write_deferred_ = false;
      if (self->ac_ != nullptr) redisAsyncHandleWrite(self->ac_);
    }
    if (stop) event_base_loopbreak(self->base_);
  }

  void Dispatch(Submission s) {
    if (s.commands.empty() ||
        std::any_of(s.commands.begin(), s.commands.end(),
                    [](const auto& argv) { return argv.empty(); })) {
      Fail(s.single, s.pipeline,
           absl::InvalidArgumentError("empty redis command"));
      return;
    }
    if (s.deadline <= absl::Now()) {
      Fail(s.single, s.pipeline,
           absl::DeadlineExceededError("redis command deadline exceeded"));
      return;
    }
    if (state_ != State::kReady) {
      Fail(s.single, s.pipeline, NotConnectedError());
      return;
    }
    const uint64_t id = next_op_id_++;
    void* tag = reinterpret_cast<void*>(static_cast<uintptr_t>(id));
    for (const std::vector<std::string>& argv : s.commands) {
      FormatCommand(argv, formatted_);
      if (redisAsyncFormattedCommand(ac_, &HiredisClient::OnReply, tag,
                                     formatted_.data(),
                                     formatted_.size()) != REDIS_OK) {
        // Replies of commands already queued find no op and are dropped.
        Fail(s.single, s.pipeline,
             absl::UnavailableError(absl::StrCat("redis at ", Endpoint(),
                                                 ": cannot send command")));
        return;
      }
    }
    // A bulk write's megabytes are not kept for the GETs that follow.
    if (formatted_.capacity() > kMaxKeptCommandBuffer) formatted_ = {};
    Op& op = ops_[id];
    op.expected = s.commands.size();
    op.replies.reserve(op.expected);
    op.single = std::move(s.single);
    op.pipeline = std::move(s.pipeline);
    op.deadline = s.deadline;
    if (s.deadline != absl::InfiniteFuture()) {
      deadlines_.insert({s.deadline, id});
      if (s.deadline < armed_deadline_) ArmDeadlineTimer(s.deadline);
    }
  }

  absl::Status NotConnectedError() const {
    return absl::UnavailableError(absl::StrCat(
        "not connected to redis at ", Endpoint(),
        loop_last_error_.empty() ? "" : absl::StrCat(": ", loop_last_error_)));
  }

  static void OnReply(redisAsyncContext* ac, void* reply, void* privdata) {
    auto* self = static_cast<HiredisClient*>(ac->data);
    const uint64_t id =
        static_cast<uint64_t>(reinterpret_cast<uintptr_t>(privdata));
    auto it = self->ops_.find(id);
    if (it == self->ops_.end()) return;  // expired: the late reply is dropped
    if (reply == nullptr) {
      // The connection is going away (error, or freed by us).
      Op op = self->TakeOp(it);
      absl::Status status =
          self->shutting_down_
              ? absl::CancelledError("redis client stopped")
              : absl::UnavailableError(absl::StrCat(
                    "connection to redis at ", self->Endpoint(), " lost",
                    ac->err != 0 && ac->errstr != nullptr
                        ? absl::StrCat(": ", self->Redact(ac->errstr))
                        : ""));
      Fail(op.single, op.pipeline, std::move(status));
      return;
    }
    Op& pending = it->second;
    pending.replies.push_back(ConvertReply(*static_cast<redisReply*>(reply)));
    if (pending.replies.size() < pending.expected) return;
    Op op = self->TakeOp(it);
    // A demoted primary (READONLY) or a reloading node (LOADING): with a
    // resolver, reconnect to wherever it points now.
    std::string moved_reason;
    if (self->options_.resolve_endpoint) {
      for (const RedisReply& r : op.replies) {
        if (r.is_error() && (absl::StartsWith(r.str, "READONLY") ||
                             absl::StartsWith(r.str, "LOADING"))) {
          moved_reason = r.str;
          break;
        }
      }
    }
    const bool moved = !moved_reason.empty();
    if (op.single) {
      op.single(std::move(op.replies.front()));
    } else if (op.pipeline) {
      op.pipeline(std::move(op.replies));
    }
    if (moved && ac == self->ac_ && self->state_ == State::kReady) {
      self->DropConnection(moved_reason);
    }
  }

  void ArmDeadlineTimer(absl::Time deadline) {
    armed_deadline_ = deadline;
    const timeval tv =
        absl::ToTimeval(std::max(deadline - absl::Now(), absl::ZeroDuration()));
    evtimer_add(deadline_timer_, &tv);
  }

  static void OnDeadlineTimer(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<HiredisClient*>(arg);
    self->armed_deadline_ = absl::InfiniteFuture();
    const absl::Time now = absl::Now();
    while (!self->deadlines_.empty() &&
           self->deadlines_.begin()->first <= now) {
      auto it = self->ops_.find(self->deadlines_.begin()->second);
      if (it == self->ops_.end()) {  // never: answered ops leave the set
        self->deadlines_.erase(self->deadlines_.begin());
        continue;
      }
      Op op = self->TakeOp(it);
      Fail(op.single, op.pipeline,
           absl::DeadlineExceededError(absl::StrCat(
               "redis at ", self->Endpoint(), ": command deadline exceeded")));
    }
    if (!self->deadlines_.empty()) {
      self->ArmDeadlineTimer(self->deadlines_.begin()->first);
    }
  }

  // Removes an op (answered, failed or expired) and its deadline entry.
  Op TakeOp(absl::flat_hash_map<uint64_t, Op>::iterator it) {
    Op op = std::move(it->second);
    if (op.deadline != absl::InfiniteFuture()) {
      deadlines_.erase({op.deadline, it->first});
    }
    ops_.erase(it);
    return op;
  }

  // hiredis's libevent adapter (hiredis/adapters/libevent.h) with two
  // changes for the hot path. Its read event is one-shot, so every reply
  // costs two epoll_ctl calls, taking the event off and putting it back:
  // here it persists. And the write hiredis asks for while OnWake
  // dispatches a batch is made at the end of the batch, at once (one
  // write(2), which nearly always sends it all), instead of registering for
  // writability and going round epoll once more; only a socket that would
  // block registers. Loop thread only.
  struct LoopEvents {
    HiredisClient* client;
    redisAsyncContext* ac;
    event* read = nullptr;
    event* write = nullptr;
    bool reading = false;
  };

  bool AttachToLoop(redisAsyncContext* ac) {
    if (ac->ev.data != nullptr) return false;
    auto* e = new LoopEvents{this, ac};
    const int fd = ac->c.fd;
    e->read = event_new(base_, fd, EV_READ | EV_PERSIST,
                        &HiredisClient::OnReadable, e);
    e->write = event_new(base_, fd, EV_WRITE, &HiredisClient::OnWritable, e);
    if (e->read == nullptr || e->write == nullptr) {
      CleanupEvents(e);
      return false;
    }
    ac->ev.addRead = &HiredisClient::AddRead;
    ac->ev.delRead = &HiredisClient::DelRead;
    ac->ev.addWrite = &HiredisClient::AddWrite;
    ac->ev.delWrite = &HiredisClient::DelWrite;
    ac->ev.cleanup = &HiredisClient::CleanupEvents;
    ac->ev.data = e;
    // As the stock adapter: reading, and writable tells that the
    // non-blocking connect has completed.
    AddRead(e);
    event_add(e->write, nullptr);
    return true;
  }

  static void OnReadable(evutil_socket_t, short, void* arg) {
    redisAsyncHandleRead(static_cast<LoopEvents*>(arg)->ac);
  }
  static void OnWritable(evutil_socket_t, short, void* arg) {
    redisAsyncHandleWrite(static_cast<LoopEvents*>(arg)->ac);
  }
  static void AddRead(void* data) {
    auto* e = static_cast<LoopEvents*>(data);
    if (e->reading) return;
    e->reading = true;
    event_add(e->read, nullptr);
  }
  static void DelRead(void* data) {
    auto* e = static_cast<LoopEvents*>(data);
    if (!e->reading) return;
    e->reading = false;
    event_del(e->read);
  }
  static void AddWrite(void* data) {
    auto* e = static_cast<LoopEvents*>(data);
    if (e->client->batching_ && e->ac == e->client->ac_) {
      e->client->write_deferred_ = true;
    } else {
      event_add(e->write, nullptr);
    }
  }
  static void DelWrite(void* data) {
    event_del(static_cast<LoopEvents*>(data)->write);
  }
  static void CleanupEvents(void* data) {
    auto* e = static_cast<LoopEvents*>(data);
    if (e->read != nullptr) event_free(e->read);
    if (e->write != nullptr) event_free(e->write);
    delete e;
  }

  // Starts one connection attempt: connect, then AUTH / SELECT / PING
  // pipelined; the connection is ready when the PING is answered.
  void Connect() {
    state_ = State::kConnecting;
    RedisEndpoint target{options_.host, options_.port};
    if (options_.resolve_endpoint) {
      // Blocks this loop briefly (the resolver bounds itself); commands
      // queued meanwhile fail Unavailable right after, as when disconnected.
      absl::StatusOr<RedisEndpoint> resolved = options_.resolve_endpoint();
      if (!resolved.ok()) {
        ConnectionLost(resolved.status().message());
        return;
      }
      target = *std::move(resolved);
      std::string name = absl::StrCat(target.host, ":", target.port);
      bool changed;
      {
        absl::MutexLock lock(&endpoint_mu_);
        changed = name != resolved_endpoint_;
        resolved_endpoint_ = std::move(name);
      }
      if (changed) Log(base::LogLevel::kInfo, "resolved");
    }
    redisAsyncContext* ac =
        options_.resolve_endpoint || options_.unix_socket.empty()
            ? redisAsyncConnect(target.host.c_str(), target.port)
            : redisAsyncConnectUnix(options_.unix_socket.c_str());
    if (ac == nullptr) {
      ConnectionLost("cannot allocate a connection");
      return;
    }
    if (ac->err != 0) {
      std::string error = ac->errstr != nullptr ? ac->errstr : "connect failed";
      redisAsyncFree(ac);
      ConnectionLost(error);
      return;
    }
    ac->data = this;
    if (!AttachToLoop(ac)) {
      redisAsyncFree(ac);
      ConnectionLost("cannot attach to the event loop");
      return;
    }
    redisAsyncSetConnectCallback(ac, &HiredisClient::OnConnect);
    redisAsyncSetDisconnectCallback(ac, &HiredisClient::OnDisconnect);
    ac_ = ac;

    std::vector<std::vector<std::string>> handshake;
    if (!options_.password.empty()) {
      if (options_.user.empty()) {
        handshake.push_back({"AUTH", options_.password});
      } else {
        handshake.push_back({"AUTH", options_.user, options_.password});
      }
    }
    if (options_.database != 0) {
      handshake.push_back({"SELECT", absl::StrCat(options_.database)});
    }
    // PING last: it also catches a server that wants a password we lack.
    handshake.push_back({"PING"});
    handshake_pending_ = handshake.size();
    for (const std::vector<std::string>& argv : handshake) {
      FormatCommand(argv, formatted_);
      redisAsyncFormattedCommand(ac, &HiredisClient::OnHandshakeReply, nullptr,
                                 formatted_.data(), formatted_.size());
    }
    const timeval tv = absl::ToTimeval(options_.connect_timeout);
    evtimer_add(connect_timer_, &tv);
  }

  static void OnConnect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<HiredisClient*>(ac->data);
    if (ac != self->ac_ || status == REDIS_OK) return;
    // hiredis frees the context after this callback.
    self->ac_ = nullptr;
    self->ConnectionLost(ac->errstr != nullptr ? ac->errstr : "connect failed");
  }

  static void OnDisconnect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<HiredisClient*>(ac->data);
    if (ac != self->ac_) return;  // one we dropped ourselves
    self->ac_ = nullptr;
    self->ConnectionLost(status == REDIS_OK || ac->errstr == nullptr
                             ? "connection closed"
                             : ac->errstr);
  }

  static void OnHandshakeReply(redisAsyncContext* ac, void* reply, void*) {
    auto* self = static_cast<HiredisClient*>(ac->data);
    // NULL: the connection is going away; OnConnect/OnDisconnect tell why.
    if (ac != self->ac_ || reply == nullptr ||
        self->state_ != State::kConnecting) {
      return;
    }
    const auto* r = static_cast<const redisReply*>(reply);
    if (r->type == REDIS_REPLY_ERROR) {
      // Replies come in order: AUTH, SELECT, PING, whichever were sent.
      self->DropConnection(absl::StrCat("connection set-up failed: ",
                                        absl::string_view(r->str, r->len)));
      return;
    }
    if (--self->handshake_pending_ > 0) return;
    evtimer_del(self->connect_timer_);
    self->state_ = State::kReady;
    self->backoff_ = self->options_.reconnect_min_backoff;
    self->loop_last_error_.clear();
    self->last_logged_error_.clear();
    self->Log(base::LogLevel::kInfo, "connected");
    {
      absl::MutexLock lock(&self->mu_);
      self->connected_ = true;
    }
    self->NotifyObserver(true);
  }

  // Loop thread; outside mu_ so the observer may call Execute.
  void NotifyObserver(bool connected) {
    std::shared_ptr<ConnectionObserver> observer;
    {
      absl::MutexLock lock(&mu_);
      observer = observer_;
    }
    if (observer != nullptr && *observer) (*observer)(connected);
  }

  static void OnConnectTimeout(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<HiredisClient*>(arg);
    if (self->state_ != State::kConnecting) return;
    self->DropConnection(absl::StrCat(
        "connect timeout (",
        absl::FormatDuration(self->options_.connect_timeout), ")"));
  }

  static void OnReconnectTimer(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<HiredisClient*>(arg);
    if (self->state_ == State::kDisconnected && !self->shutting_down_) {
      self->Connect();
    }
  }

  // Closes the current connection on our own initiative.
  void DropConnection(absl::string_view reason) {
    redisAsyncContext* ac = ac_;
    ac_ = nullptr;  // its OnDisconnect, if any, is now ignored
    // Inside a hiredis callback the free is deferred until it returns.
    if (ac != nullptr) redisAsyncFree(ac);
    ConnectionLost(reason);
  }

  // The connection (or attempt) is gone; ac_ is already cleared. Schedules
  // the next attempt.
  void ConnectionLost(absl::string_view reason) {
    const bool was_ready = state_ == State::kReady;
    state_ = State::kDisconnected;
    evtimer_del(connect_timer_);
    loop_last_error_ = Redact(reason);
    {
      absl::MutexLock lock(&mu_);
      connected_ = false;
      last_error_ = loop_last_error_;
    }
    if (shutting_down_) return;
    if (was_ready) NotifyObserver(false);
    if (was_ready) {
      Log(base::LogLevel::kWarning,
          absl::StrCat("connection lost: ", loop_last_error_));
    } else if (loop_last_error_ != last_logged_error_) {
      Log(base::LogLevel::kWarning,
          absl::StrCat("connect failed: ", loop_last_error_,
                       " (retrying with backoff)"));
    }
    last_logged_error_ = loop_last_error_;
    const timeval tv = absl::ToTimeval(backoff_);
    evtimer_add(reconnect_timer_, &tv);
    backoff_ = std::min(backoff_ * 2, options_.reconnect_max_backoff);
  }

  const RedisOptions options_;
  int wake_fd_ = -1;
  event_base* base_ = nullptr;
  event* wake_event_ = nullptr;
  event* deadline_timer_ = nullptr;
  event* reconnect_timer_ = nullptr;
  event* connect_timer_ = nullptr;
  std::thread thread_;

  mutable absl::Mutex mu_;
  std::vector<Submission> queue_ ABSL_GUARDED_BY(mu_);
  // An eventfd write is outstanding; the loop has not swapped queue_ yet.
  bool wake_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Held by Stop() around joining thread_.
  absl::Mutex join_mu_;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  std::string last_error_ ABSL_GUARDED_BY(mu_);  // redacted
  std::shared_ptr<ConnectionObserver> observer_ ABSL_GUARDED_BY(mu_);
  // With options_.resolve_endpoint: "host:port" of the last resolution.
  mutable absl::Mutex endpoint_mu_;
  std::string resolved_endpoint_ ABSL_GUARDED_BY(endpoint_mu_);

  // Loop thread only (and the destructor after the join).
  redisAsyncContext* ac_ = nullptr;
  State state_ = State::kDisconnected;
  size_t handshake_pending_ = 0;
  bool shutting_down_ = false;
  absl::Duration backoff_;
  std::string loop_last_error_;  // redacted
  std::string last_logged_error_;
  uint64_t next_op_id_ = 1;
  absl::flat_hash_map<uint64_t, Op> ops_;
  // (deadline, op id) of the ops in flight, earliest first; an op leaves
  // it when answered (TakeOp). One evtimer is armed at the earliest
  // deadline; a timer that fires for an op answered meanwhile re-arms at
  // the next. (A heap that kept answered ops until their time came fired
  // the timer once per command, about 1 s after it: a libevent timer
  // callback for every Get under load.)
  absl::btree_set<DeadlineEntry> deadlines_;
  absl::Time armed_deadline_ = absl::InfiniteFuture();
  // OnWake is dispatching a batch: writes wait for its end (LoopEvents).
  bool batching_ = false;
  bool write_deferred_ = false;
  // FormatCommand's buffer (loop thread only).
  std::string formatted_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RedisClient>> RedisClient::Start(
    RedisOptions options) {
  if (options.unix_socket.empty()) {
    if (options.host.empty()) {
      return absl::InvalidArgumentError("redis: host is empty");
    }
    if (options.port <= 0 || options.port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("redis: port ", options.port, " out of range"));
    }
  }
  if (!options.user.empty() && options.password.empty()) {
    return absl::InvalidArgumentError("redis: an ACL user needs a password");
  }
  if (options.database < 0) {
    return absl::InvalidArgumentError("redis: database must be >= 0");
  }
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.reconnect_min_backoff <= absl::ZeroDuration() ||
      options.reconnect_max_backoff < options.reconnect_min_backoff) {
    return absl::InvalidArgumentError(
        "redis: connect timeout and backoffs must be positive, min <= max");
  }
  auto client = std::make_unique<HiredisClient>(std::move(options));
  if (absl::Status s = client->Init(); !s.ok()) return s;
  return client;
}

}  // namespace availability::cache
