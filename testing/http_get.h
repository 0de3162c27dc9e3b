// A minimal blocking HTTP/1.0 GET over loopback for tests of the
// operations endpoint (no client library needed).
//
//   absl::StatusOr<HttpAnswer> a = HttpGet(port, "/metrics");
//   EXPECT_EQ(a->code, 200);
#ifndef AVAILABILITY_TESTING_HTTP_GET_H_
#define AVAILABILITY_TESTING_HTTP_GET_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace availability::testing {

struct HttpAnswer {
  int code = 0;
  std::string headers;
  std::string body;
};

inline absl::StatusOr<HttpAnswer> HttpGet(int port, const std::string& path,
                                          const std::string& method = "GET") {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket");
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect to port ", port));
  }
  const std::string request =
      absl::StrCat(method, " ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  if (write(fd, request.data(), request.size()) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::InternalError("write");
  }
  std::string raw;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) raw.append(buffer, n);
  close(fd);
  const size_t end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || end == std::string::npos) {
    return absl::InternalError(absl::StrCat("bad HTTP answer: ", raw));
  }
  HttpAnswer answer;
  if (!absl::SimpleAtoi(raw.substr(9, 3), &answer.code)) {
    return absl::InternalError(absl::StrCat("bad status line: ", raw));
  }
  answer.headers = raw.substr(0, end);
  answer.body = raw.substr(end + 4);
  return answer;
}

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTING_HTTP_GET_H_
