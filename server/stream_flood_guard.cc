#include "server/stream_flood_guard.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "grpc/grpc.h"
#include "grpc/support/alloc.h"

namespace availability::server {
namespace {

// The string value of `"key":"..."` in `json` from `from` on (channelz
// renders its numbers as strings), its end in `*end`; "" when absent.
absl::string_view StringField(absl::string_view json, absl::string_view key,
                              size_t from = 0, size_t* end = nullptr) {
  const std::string needle = absl::StrCat("\"", key, "\":\"");
  const size_t at = json.find(needle, from);
  if (at == absl::string_view::npos) return "";
  const size_t begin = at + needle.size();
  const size_t close = json.find('"', begin);
  if (close == absl::string_view::npos) return "";
  if (end != nullptr) *end = close;
  return json.substr(begin, close - begin);
}

int64_t IntField(absl::string_view json, absl::string_view key) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(StringField(json, key), &value)) return 0;
  return value;
}

// Every number-valued `"key":"..."` in `json`, in order.
std::vector<int64_t> IntFields(absl::string_view json, absl::string_view key) {
  std::vector<int64_t> values;
  size_t at = 0;
  while (true) {
    size_t end = 0;
    const absl::string_view field = StringField(json, key, at, &end);
    if (field.empty()) break;
    int64_t value = 0;
    if (absl::SimpleAtoi(field, &value)) values.push_back(value);
    at = end;
  }
  return values;
}

// A string gRPC core allocated, freed with gpr_free.
struct GprString {
  explicit GprString(char* s) : text(s) {}
  ~GprString() { gpr_free(text); }
  absl::string_view view() const {
    return text == nullptr ? absl::string_view() : absl::string_view(text);
  }
  char* text;
};

// The port of a socket address; -1 for other families.
int Port(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(address)->sin_port);
  }
  if (address->sa_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(address)->sin6_port);
  }
  return -1;
}

}  // namespace

std::vector<int64_t> StreamFloodGuard::ParseServerIds(absl::string_view json) {
  return IntFields(json, "serverId");
}

int64_t StreamFloodGuard::ParseCallsStarted(absl::string_view json) {
  int64_t sum = 0;
  for (int64_t count : IntFields(json, "callsStarted")) sum += count;
  return sum;
}

std::vector<StreamFloodGuard::SocketCounts> StreamFloodGuard::ParseSocketRefs(
    absl::string_view json, bool* end) {
  std::vector<SocketCounts> sockets;
  *end = json.find("\"end\":true") != absl::string_view::npos;
  // {"socketRef":[{"name":"chttp2 ipv4:127.0.0.1:53312","socketId":"7"},
  // ...],"end":true}: each reference is one object without nesting.
  size_t at = json.find("\"socketRef\"");
  while (at != absl::string_view::npos) {
    const size_t open = json.find('{', at);
    if (open == absl::string_view::npos) break;
    const size_t close = json.find('}', open);
    if (close == absl::string_view::npos) break;
    const absl::string_view ref = json.substr(open, close - open + 1);
    SocketCounts socket;
    absl::string_view name = StringField(ref, "name");
    // "<transport> <peer>"
    const size_t space = name.find(' ');
    if (absl::SimpleAtoi(StringField(ref, "socketId"), &socket.id) &&
        space != absl::string_view::npos) {
      socket.peer = std::string(name.substr(space + 1));
      sockets.push_back(std::move(socket));
    }
    at = close + 1;
  }
  return sockets;
}

void StreamFloodGuard::ParseSocketCounts(absl::string_view json,
                                         SocketCounts* socket) {
  socket->started = IntField(json, "streamsStarted");
  socket->succeeded = IntField(json, "streamsSucceeded");
  socket->failed = IntField(json, "streamsFailed");
}

std::optional<std::string> StreamFloodGuard::PeerString(
    const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    if (inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text)) == nullptr) {
      return std::nullopt;
    }
    return absl::StrCat("ipv4:", text, ":", ntohs(v4->sin_port));
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
      in_addr v4;
      std::copy_n(v6->sin6_addr.s6_addr + 12, 4,
                  reinterpret_cast<uint8_t*>(&v4));
      if (inet_ntop(AF_INET, &v4, text, sizeof(text)) == nullptr) {
        return std::nullopt;
      }
      return absl::StrCat("ipv4:", text, ":", ntohs(v6->sin6_port));
    }
    if (inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text)) == nullptr) {
      return std::nullopt;
    }
    return absl::StrCat("ipv6:[", text, "]:", ntohs(v6->sin6_port));
  }
  return std::nullopt;
}

std::unique_ptr<StreamFloodGuard> StreamFloodGuard::Start(Options options) {
  std::unique_ptr<StreamFloodGuard> guard(
      new StreamFloodGuard(std::move(options)));
  guard->thread_ = std::thread([g = guard.get()] { g->Loop(); });
  return guard;
}

StreamFloodGuard::StreamFloodGuard(Options options)
    : options_(std::move(options)) {}

StreamFloodGuard::~StreamFloodGuard() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void StreamFloodGuard::Loop() {
  while (!stop_.WaitForNotificationWithTimeout(options_.interval)) {
    CheckOnce();
  }
}

void StreamFloodGuard::CheckOnce() {
  GprString servers(grpc_channelz_get_servers(0));
  // A flood starts many calls: the connections are looked at when more
  // started than one connection may leave unfinished, else now and then
  // (a slower flood that still piles up).
  const int64_t started = ParseCallsStarted(servers.view());
  const absl::Time now = absl::Now();
  if (started - calls_started_at_scan_ <= options_.max_unfinished_streams &&
      now - scanned_at_ < options_.full_scan_interval) {
    return;
  }
  calls_started_at_scan_ = started;
  scanned_at_ = now;
  absl::flat_hash_set<int64_t> listed;
  for (int64_t server_id : ParseServerIds(servers.view())) {
    int64_t start = 0;
    bool end = false;
    while (!end) {
      GprString page(grpc_channelz_get_server_sockets(server_id, start, 0));
      if (page.text == nullptr) break;
      std::vector<SocketCounts> sockets = ParseSocketRefs(page.view(), &end);
      if (sockets.empty()) break;
      for (SocketCounts& socket : sockets) {
        start = std::max(start, socket.id + 1);
        listed.insert(socket.id);
        if (closing_.contains(socket.id)) continue;
        GprString rendered(grpc_channelz_get_socket(socket.id));
        ParseSocketCounts(rendered.view(), &socket);
        const int64_t unfinished =
            socket.started - socket.succeeded - socket.failed;
        if (unfinished <= options_.max_unfinished_streams) continue;
        closing_.insert(socket.id);
        const bool shut = ShutDownConnection(socket.peer);
        if (shut) closed_.fetch_add(1);
        base::Log(base::LogLevel::kWarning,
                  shut ? "closed a connection that resets streams faster "
                         "than they finish (HTTP/2 rapid reset?)"
                       : "a connection resets streams faster than they "
                         "finish, and its socket was not found",
                  {{"peer", socket.peer},
                   {"unfinished_streams", absl::StrCat(unfinished)},
                   {"streams_started", absl::StrCat(socket.started)},
                   {"limit", absl::StrCat(options_.max_unfinished_streams)}});
      }
    }
  }
  // Forget closed sockets channelz no longer lists.
  absl::erase_if(closing_,
                 [&listed](int64_t id) { return !listed.contains(id); });
}

bool StreamFloodGuard::ShutDownConnection(const std::string& peer) const {
  DIR* fds = opendir("/proc/self/fd");
  if (fds == nullptr) return false;
  bool found = false;
  while (dirent* entry = readdir(fds)) {
    int fd = 0;
    if (!absl::SimpleAtoi(entry->d_name, &fd) || fd == dirfd(fds)) continue;
    struct stat info;
    if (fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) continue;
    sockaddr_storage local{};
    socklen_t local_size = sizeof(local);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) !=
        0) {
      continue;
    }
    const int port = Port(reinterpret_cast<sockaddr*>(&local));
    if (std::find(options_.listener_ports.begin(),
                  options_.listener_ports.end(),
                  port) == options_.listener_ports.end()) {
      continue;
    }
    sockaddr_storage remote{};
    socklen_t remote_size = sizeof(remote);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &remote_size) !=
        0) {
      continue;
    }
    if (PeerString(reinterpret_cast<sockaddr*>(&remote)) == peer) {
      // gRPC reads the end of the connection and cancels its calls; the
      // descriptor stays gRPC's to close.
      shutdown(fd, SHUT_RDWR);
      found = true;
      break;
    }
  }
  closedir(fds);
  return found;
}

}  // namespace availability::server
