#include "cache/invalidation_listener.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/log.h"
#include "event2/event.h"
#include "hiredis/adapters/libevent.h"
#include "hiredis/async.h"
#include "hiredis/hiredis.h"

namespace availability::cache {
namespace {

constexpr char kChannel[] = "__redis__:invalidate";
// PING on a subscribed RESP2 connection answers ["pong", <argument>].
// hiredis 0.14 neither passes that to the PING's callback (in subscribed
// mode it queues regular callbacks where only error replies reach them)
// nor to any other: it routes every array reply by its first letter, and
// "pong" starts with 'p', so it looks up a *pattern* subscription named
// after the second element. So the listener PSUBSCRIBEs to this literal
// pattern (no glob characters: it matches only a channel of this name, on
// which nobody publishes) and sends "PING <it>" with no callback at all;
// the pong then arrives on the pattern's callback.
constexpr char kPingToken[] = "availability-near-cache-ping";

// State shared with callbacks on the data client's loop thread, which may
// outlive the listener: they hold it by shared_ptr and check `alive`.
struct Shared {
  absl::Mutex mu;
  bool alive ABSL_GUARDED_BY(mu) = true;
  // Bumped whenever either connection comes or goes: a tracking reply of
  // an older generation is ignored.
  uint64_t generation ABSL_GUARDED_BY(mu) = 0;
  bool data_connected ABSL_GUARDED_BY(mu) = false;
  bool subscribed ABSL_GUARDED_BY(mu) = false;
  int64_t client_id ABSL_GUARDED_BY(mu) = -1;
  bool tracking ABSL_GUARDED_BY(mu) = false;
  bool responsive ABSL_GUARDED_BY(mu) = true;
  int64_t subscriptions ABSL_GUARDED_BY(mu) = 0;
  // Loop requests (the loop reads them after a wake-up).
  bool stop ABSL_GUARDED_BY(mu) = false;
  bool enable_tracking ABSL_GUARDED_BY(mu) = false;
  // The data connection refused REDIRECT to our id: the two connections
  // reached different servers (a resolver's choice); reconnect to re-resolve.
  bool reconnect ABSL_GUARDED_BY(mu) = false;
};

class Listener final : public InvalidationListener {
 public:
  Listener(Options options, RedisClient& data, NearCache* cache,
           Observer observer)
      : options_(std::move(options)),
        data_(data),
        cache_(cache),
        observer_(std::move(observer)),
        shared_(std::make_shared<Shared>()),
        backoff_(options_.redis.reconnect_min_backoff) {
    tracking_prefix_ =
        options_.key_prefix.empty() ? "" : options_.key_prefix + ":";
  }

  ~Listener() override {
    data_.SetConnectionObserver(nullptr);
    {
      absl::MutexLock lock(&shared_->mu);
      shared_->alive = false;
      shared_->stop = true;
    }
    if (thread_.joinable()) {
      Wake();
      thread_.join();
    }
    for (event* e :
         {wake_event_, ping_timer_, reconnect_timer_, connect_timer_}) {
      if (e != nullptr) event_free(e);
    }
    if (base_ != nullptr) event_base_free(base_);
    if (wake_fd_ >= 0) close(wake_fd_);
    if (cache_ != nullptr) cache_->SetTracking(false);
  }

  absl::Status Init() {
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) {
      return absl::InternalError(absl::StrCat("eventfd: errno ", errno));
    }
    base_ = event_base_new();
    if (base_ == nullptr) return absl::InternalError("event_base_new failed");
    wake_event_ = event_new(base_, wake_fd_, EV_READ | EV_PERSIST,
                            &Listener::OnWake, this);
    ping_timer_ =
        event_new(base_, -1, EV_PERSIST, &Listener::OnPingTimer, this);
    reconnect_timer_ = evtimer_new(base_, &Listener::OnReconnectTimer, this);
    connect_timer_ = evtimer_new(base_, &Listener::OnConnectTimeout, this);
    if (wake_event_ == nullptr || ping_timer_ == nullptr ||
        reconnect_timer_ == nullptr || connect_timer_ == nullptr ||
        event_add(wake_event_, nullptr) != 0) {
      return absl::InternalError("libevent: cannot create events");
    }
    const timeval ping = absl::ToTimeval(options_.ping_interval);
    event_add(ping_timer_, &ping);
    // The data connection reports its (re)connects from now on; one that is
    // up already is taken as connected.
    std::weak_ptr<Shared> weak = shared_;
    data_.SetConnectionObserver([this, weak](bool connected) {
      if (auto shared = weak.lock()) OnDataConnection(*shared, connected);
    });
    if (data_.IsConnected()) OnDataConnection(*shared_, true);
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  bool tracking() const override {
    absl::MutexLock lock(&shared_->mu);
    return shared_->tracking;
  }
  bool responsive() const override {
    absl::MutexLock lock(&shared_->mu);
    return shared_->responsive;
  }
  int64_t subscriptions() const override {
    absl::MutexLock lock(&shared_->mu);
    return shared_->subscriptions;
  }
  absl::Status WaitUntilTracking(absl::Duration timeout) override {
    absl::MutexLock lock(&shared_->mu);
    if (shared_->mu.AwaitWithTimeout(absl::Condition(&shared_->tracking),
                                     timeout)) {
      return absl::OkStatus();
    }
    return absl::UnavailableError(absl::StrCat(
        "invalidations not tracking after ", absl::FormatDuration(timeout)));
  }

 private:
  enum class State { kDisconnected, kConnecting, kSubscribed };

  // Logs a connection event of the invalidation channel (base/log.h).
  void Log(base::LogLevel level, absl::string_view message) const {
    base::Log(level, "redis invalidations", {{"event", std::string(message)}});
  }

  void Wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
  }

  // Any thread (the data client's loop, or Init).
  // Held under shared.mu throughout: the destructor waits for it.
  void OnDataConnection(Shared& shared, bool connected) {
    absl::MutexLock lock(&shared.mu);
    if (!shared.alive) return;
    shared.data_connected = connected;
    ++shared.generation;
    const bool lost_tracking = shared.tracking || !connected;
    shared.tracking = false;
    if (connected) shared.enable_tracking = true;
    if (lost_tracking) FlushAll();
    if (connected) Wake();
  }

  // The cache and the observer learn that anything may have changed.
  void FlushAll() {
    if (cache_ != nullptr) cache_->SetTracking(false);
    if (observer_.on_all) observer_.on_all();
  }

  // ---- Loop thread from here on. ----

  void Run() {
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
    Connect();
    event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY);
    shutting_down_ = true;
    if (ac_ != nullptr) {
      redisAsyncContext* ac = ac_;
      ac_ = nullptr;
      redisAsyncFree(ac);
    }
  }

  static void OnWake(evutil_socket_t fd, short, void* arg) {
    auto* self = static_cast<Listener*>(arg);
    uint64_t count;
    [[maybe_unused]] ssize_t n = read(fd, &count, sizeof(count));
    bool stop;
    bool reconnect;
    {
      absl::MutexLock lock(&self->shared_->mu);
      stop = self->shared_->stop;
      reconnect = self->shared_->reconnect;
      self->shared_->reconnect = false;
    }
    if (stop) {
      event_base_loopbreak(self->base_);
      return;
    }
    if (reconnect && self->state_ == State::kSubscribed) {
      self->DropConnection(
          "the data connection is on another server; re-resolving", false);
      return;
    }
    self->MaybeEnableTracking();
  }

  // Sends CLIENT TRACKING on the data connection when both connections are
  // up and it was asked for.
  void MaybeEnableTracking() {
    uint64_t generation;
    int64_t client_id;
    {
      absl::MutexLock lock(&shared_->mu);
      if (!shared_->enable_tracking || !shared_->subscribed ||
          !shared_->data_connected) {
        return;
      }
      shared_->enable_tracking = false;
      generation = shared_->generation;
      client_id = shared_->client_id;
    }
    std::vector<std::string> on = {
        "CLIENT", "TRACKING", "on", "REDIRECT", absl::StrCat(client_id),
        "BCAST"};
    if (!tracking_prefix_.empty()) {
      on.push_back("PREFIX");
      on.push_back(tracking_prefix_);
    }
    std::weak_ptr<Shared> weak = shared_;
    data_.ExecutePipeline(
        {{"CLIENT", "TRACKING", "off"}, std::move(on)},
        absl::Now() + options_.tracking_timeout,
        [this, weak,
         generation](absl::StatusOr<std::vector<RedisReply>> replies) {
          auto shared = weak.lock();
          if (shared == nullptr) return;
          const bool ok =
              replies.ok() && replies->size() == 2 && !(*replies)[1].is_error();
          // Held throughout: the destructor waits for it, so `this` stays
          // valid while alive.
          absl::MutexLock lock(&shared->mu);
          if (!shared->alive || shared->generation != generation) return;
          if (!ok) {
            // Retried on the next ping tick of the loop.
            shared->enable_tracking = true;
            if (replies.ok() && replies->size() == 2 &&
                absl::StrContains((*replies)[1].str, "does not exist")) {
              // REDIRECT id unknown there: not the same server.
              shared->reconnect = true;
              Wake();
            }
            Log(base::LogLevel::kWarning,
                absl::StrCat("CLIENT TRACKING failed: ",
                             !replies.ok() ? replies.status().ToString()
                             : replies->size() == 2 ? (*replies)[1].str
                                                    : "unexpected reply"));
            return;
          }
          shared->tracking = true;
          if (cache_ != nullptr) cache_->SetTracking(true);
          if (observer_.on_all) observer_.on_all();
        });
  }

  void Connect() {
    state_ = State::kConnecting;
    const RedisOptions& o = options_.redis;
    // The same server as the data client: through its resolver (Sentinel)
    // when it has one. A mismatch shows when tracking is enabled.
    RedisEndpoint target{o.host, o.port};
    if (o.resolve_endpoint) {
      absl::StatusOr<RedisEndpoint> resolved = o.resolve_endpoint();
      if (!resolved.ok()) {
        ConnectionLost(resolved.status().message(), false);
        return;
      }
      target = *std::move(resolved);
    }
    redisAsyncContext* ac =
        o.resolve_endpoint || o.unix_socket.empty()
            ? redisAsyncConnect(target.host.c_str(), target.port)
            : redisAsyncConnectUnix(o.unix_socket.c_str());
    if (ac == nullptr || ac->err != 0) {
      if (ac != nullptr) redisAsyncFree(ac);
      ConnectionLost("connect failed", /*unresponsive=*/false);
      return;
    }
    ac->data = this;
    if (redisLibeventAttach(ac, base_) != REDIS_OK) {
      redisAsyncFree(ac);
      ConnectionLost("cannot attach to the event loop", false);
      return;
    }
    redisAsyncSetConnectCallback(ac, &Listener::OnConnect);
    redisAsyncSetDisconnectCallback(ac, &Listener::OnDisconnect);
    ac_ = ac;
    if (!o.password.empty()) {
      if (o.user.empty()) {
        redisAsyncCommand(ac, &Listener::OnAuth, nullptr, "AUTH %b",
                          o.password.data(), o.password.size());
      } else {
        redisAsyncCommand(ac, &Listener::OnAuth, nullptr, "AUTH %b %b",
                          o.user.data(), o.user.size(), o.password.data(),
                          o.password.size());
      }
    }
    redisAsyncCommand(ac, &Listener::OnClientId, nullptr, "CLIENT ID");
    redisAsyncCommand(ac, &Listener::OnMessage, nullptr, "SUBSCRIBE %s",
                      kChannel);
    redisAsyncCommand(ac, &Listener::OnMessage, nullptr, "PSUBSCRIBE %s",
                      kPingToken);
    ping_sent_ = absl::InfiniteFuture();
    const timeval tv = absl::ToTimeval(o.connect_timeout);
    evtimer_add(connect_timer_, &tv);
  }

  static void OnConnect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<Listener*>(ac->data);
    if (ac != self->ac_ || status == REDIS_OK) return;
    self->ac_ = nullptr;  // hiredis frees it
    self->ConnectionLost(ac->errstr != nullptr ? ac->errstr : "connect failed",
                         false);
  }

  static void OnDisconnect(const redisAsyncContext* ac, int) {
    auto* self = static_cast<Listener*>(ac->data);
    if (ac != self->ac_) return;
    self->ac_ = nullptr;
    self->ConnectionLost("connection closed", false);
  }

  static void OnAuth(redisAsyncContext* ac, void* reply, void*) {
    auto* self = static_cast<Listener*>(ac->data);
    if (ac != self->ac_ || reply == nullptr) return;
    const auto* r = static_cast<const redisReply*>(reply);
    if (r->type == REDIS_REPLY_ERROR) {
      self->DropConnection(
          absl::StrCat("AUTH failed: ", absl::string_view(r->str, r->len)),
          false);
    }
  }

  static void OnClientId(redisAsyncContext* ac, void* reply, void*) {
    auto* self = static_cast<Listener*>(ac->data);
    if (ac != self->ac_ || reply == nullptr) return;
    const auto* r = static_cast<const redisReply*>(reply);
    if (r->type != REDIS_REPLY_INTEGER) {
      self->DropConnection("CLIENT ID: unexpected reply", false);
      return;
    }
    self->client_id_ = r->integer;
  }

  // Every reply on the subscribed connection lands here: subscription
  // confirmations, invalidation messages and pongs (see kPingToken). Any
  // of them shows that Redis answers.
  static void OnMessage(redisAsyncContext* ac, void* reply, void*) {
    auto* self = static_cast<Listener*>(ac->data);
    if (ac != self->ac_ || reply == nullptr) return;
    self->ping_sent_ = absl::InfiniteFuture();  // Redis answers
    const auto* r = static_cast<const redisReply*>(reply);
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
        r->element[0]->type != REDIS_REPLY_STRING) {
      return;
    }
    const absl::string_view kind(r->element[0]->str, r->element[0]->len);
    if (absl::EqualsIgnoreCase(kind, "subscribe")) {
      self->Subscribed();
    } else if (absl::EqualsIgnoreCase(kind, "message") && r->elements >= 3) {
      self->Invalidation(*r->element[2]);
    }
  }

  void Subscribed() {
    if (state_ == State::kSubscribed) return;
    if (client_id_ < 0) {
      DropConnection("no CLIENT ID before SUBSCRIBE", false);
      return;
    }
    evtimer_del(connect_timer_);
    state_ = State::kSubscribed;
    backoff_ = options_.redis.reconnect_min_backoff;
    {
      absl::MutexLock lock(&shared_->mu);
      shared_->subscribed = true;
      shared_->client_id = client_id_;
      shared_->responsive = true;
      shared_->enable_tracking = true;
      ++shared_->generation;
      ++shared_->subscriptions;
    }
    if (cache_ != nullptr) cache_->SetRedisResponsive(true);
    if (logged_lost_) Log(base::LogLevel::kInfo, "subscribed again");
    logged_lost_ = false;
    MaybeEnableTracking();
  }

  void Invalidation(const redisReply& payload) {
    if (payload.type == REDIS_REPLY_ARRAY) {
      std::vector<std::string> keys;
      keys.reserve(payload.elements);
      for (size_t i = 0; i < payload.elements; ++i) {
        const redisReply& k = *payload.element[i];
        if (k.type != REDIS_REPLY_STRING) continue;
        keys.emplace_back(k.str, k.len);
        if (cache_ != nullptr) cache_->InvalidateKey(keys.back());
      }
      if (observer_.on_keys) observer_.on_keys(keys);
      return;
    }
    // A null payload: FLUSHALL / FLUSHDB (or the tracking table overflowed
    // in other modes): everything may have changed. Tracking stays on.
    if (cache_ != nullptr) cache_->Flush();
    if (observer_.on_all) observer_.on_all();
  }

  static void OnPingTimer(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<Listener*>(arg);
    self->MaybeEnableTracking();  // a failed attempt's retry
    if (self->state_ != State::kSubscribed || self->ac_ == nullptr) return;
    const absl::Time now = absl::Now();
    if (self->ping_sent_ != absl::InfiniteFuture()) {
      if (now - self->ping_sent_ >= self->options_.ping_timeout) {
        self->DropConnection(
            absl::StrCat("no answer to PING within ",
                         absl::FormatDuration(self->options_.ping_timeout)),
            /*unresponsive=*/true);
      }
      return;  // one ping at a time
    }
    self->ping_sent_ = now;
    // Straight into the output buffer, no callback queued (see kPingToken).
    redisContext* c = &self->ac_->c;
    if (redisAppendCommand(c, "PING %s", kPingToken) == REDIS_OK &&
        self->ac_->ev.addWrite != nullptr) {
      self->ac_->ev.addWrite(self->ac_->ev.data);
    }
  }

  static void OnConnectTimeout(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<Listener*>(arg);
    if (self->state_ != State::kConnecting) return;
    // A connection that is accepted but never answers: Redis is hung.
    self->DropConnection("connect timeout", /*unresponsive=*/true);
  }

  static void OnReconnectTimer(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<Listener*>(arg);
    if (self->state_ == State::kDisconnected && !self->shutting_down_) {
      self->Connect();
    }
  }

  void DropConnection(absl::string_view reason, bool unresponsive) {
    redisAsyncContext* ac = ac_;
    ac_ = nullptr;
    if (ac != nullptr) redisAsyncFree(ac);
    ConnectionLost(reason, unresponsive);
  }

  void ConnectionLost(absl::string_view reason, bool unresponsive) {
    const bool was_subscribed = state_ == State::kSubscribed;
    state_ = State::kDisconnected;
    client_id_ = -1;
    evtimer_del(connect_timer_);
    {
      absl::MutexLock lock(&shared_->mu);
      shared_->subscribed = false;
      shared_->tracking = false;
      if (unresponsive) shared_->responsive = false;
      ++shared_->generation;
    }
    if (unresponsive && cache_ != nullptr) cache_->SetRedisResponsive(false);
    if (shutting_down_) return;
    if (was_subscribed) {
      FlushAll();
      Log(base::LogLevel::kWarning,
          absl::StrCat("connection lost (near-cache flushed): ", reason));
      logged_lost_ = true;
    }
    const timeval tv = absl::ToTimeval(backoff_);
    evtimer_add(reconnect_timer_, &tv);
    backoff_ = std::min(backoff_ * 2, options_.redis.reconnect_max_backoff);
  }

  const Options options_;
  RedisClient& data_;
  NearCache* const cache_;
  const Observer observer_;
  const std::shared_ptr<Shared> shared_;
  std::string tracking_prefix_;

  int wake_fd_ = -1;
  event_base* base_ = nullptr;
  event* wake_event_ = nullptr;
  event* ping_timer_ = nullptr;
  event* reconnect_timer_ = nullptr;
  event* connect_timer_ = nullptr;
  std::thread thread_;

  // Loop thread only.
  redisAsyncContext* ac_ = nullptr;
  State state_ = State::kDisconnected;
  int64_t client_id_ = -1;
  absl::Time ping_sent_ = absl::InfiniteFuture();
  absl::Duration backoff_;
  bool shutting_down_ = false;
  bool logged_lost_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<InvalidationListener>>
InvalidationListener::Start(Options options, RedisClient& data,
                            NearCache* cache, Observer observer) {
  const RedisOptions& r = options.redis;
  if (!r.resolve_endpoint && r.unix_socket.empty() &&
      (r.host.empty() || r.port <= 0)) {
    return absl::InvalidArgumentError("invalidations: no redis address");
  }
  if (options.ping_interval <= absl::ZeroDuration() ||
      options.ping_timeout <= absl::ZeroDuration() ||
      r.connect_timeout <= absl::ZeroDuration() ||
      r.reconnect_min_backoff <= absl::ZeroDuration() ||
      r.reconnect_max_backoff < r.reconnect_min_backoff) {
    return absl::InvalidArgumentError(
        "invalidations: intervals and timeouts must be positive");
  }
  auto listener = std::make_unique<Listener>(std::move(options), data, cache,
                                             std::move(observer));
  if (absl::Status s = listener->Init(); !s.ok()) return s;
  return listener;
}

}  // namespace availability::cache
