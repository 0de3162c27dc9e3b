// Pieces of a hostile client for the end-to-end tests of tests/: raw
// loopback TCP connections, HTTP/2 frames written by hand, and what the
// kernel says of the server process's memory.
#ifndef AVAILABILITY_TESTS_HOSTILE_CLIENT_H_
#define AVAILABILITY_TESTS_HOSTILE_CLIENT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace availability::testing {

// A loopback TCP connection to `port` (connect, send and receive time out
// after 200 ms), or -1.
inline int ConnectLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{0, 200 * 1000};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// HTTP/2 (RFC 9113) frame types and flags the tests write or read.
inline constexpr uint8_t kHttp2Headers = 0x1;
inline constexpr uint8_t kHttp2RstStream = 0x3;
inline constexpr uint8_t kHttp2Settings = 0x4;
inline constexpr uint8_t kHttp2Goaway = 0x7;
inline constexpr uint8_t kHttp2Ack = 0x1;         // SETTINGS
inline constexpr uint8_t kHttp2EndHeaders = 0x4;  // HEADERS
inline constexpr absl::string_view kHttp2Preface =
    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// A frame header: 24-bit payload length, type, flags, 31-bit stream id.
inline std::string Http2FrameHeader(size_t length, uint8_t type, uint8_t flags,
                                    uint32_t stream) {
  std::string h(9, '\0');
  h[0] = static_cast<char>((length >> 16) & 0xff);
  h[1] = static_cast<char>((length >> 8) & 0xff);
  h[2] = static_cast<char>(length & 0xff);
  h[3] = static_cast<char>(type);
  h[4] = static_cast<char>(flags);
  h[5] = static_cast<char>((stream >> 24) & 0x7f);
  h[6] = static_cast<char>((stream >> 16) & 0xff);
  h[7] = static_cast<char>((stream >> 8) & 0xff);
  h[8] = static_cast<char>(stream & 0xff);
  return h;
}

// Takes the whole frames at the front of `in` (bytes read from a
// connection): calls on_frame(type, flags, payload) for each, in order, and
// leaves a partial frame in `in`.
template <typename OnFrame>
void TakeHttp2Frames(std::string& in, OnFrame on_frame) {
  size_t at = 0;
  while (in.size() - at >= 9) {
    const auto byte = [&in, at](size_t i) {
      return static_cast<uint32_t>(static_cast<unsigned char>(in[at + i]));
    };
    const size_t length = (byte(0) << 16) | (byte(1) << 8) | byte(2);
    if (in.size() - at < 9 + length) break;
    on_frame(static_cast<uint8_t>(byte(3)), static_cast<uint8_t>(byte(4)),
             absl::string_view(in).substr(at + 9, length));
    at += 9 + length;
  }
  in.erase(0, at);
}

// The resident set size of process `pid` (VmRSS of /proc/<pid>/status) in
// bytes; -1 when unknown.
inline int64_t RssBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    absl::ConsumeSuffix(&rest, "kB");
    int64_t kb = 0;
    if (absl::SimpleAtoi(rest, &kb)) return kb * 1024;
  }
  return -1;
}

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTS_HOSTILE_CLIENT_H_
