#include "server/stream_flood_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace availability::server {
namespace {

using ::testing::ElementsAre;

// Renderings as gRPC 1.51's channelz produces them.
TEST(StreamFloodGuardTest, ParsesServerIds) {
  EXPECT_THAT(
      StreamFloodGuard::ParseServerIds(
          R"({"server":[{"data":{"callsStarted":"4"},"listenSocket":[{"name":)"
          R"("chttp2 listener ipv4:0.0.0.0:50051","socketId":"5"}],"ref":)"
          R"({"serverId":"2"}},{"ref":{"serverId":"9"}}],"end":true})"),
      ElementsAre(2, 9));
  EXPECT_TRUE(StreamFloodGuard::ParseServerIds("{}").empty());
}

TEST(StreamFloodGuardTest, SumsTheCallsStartedOfEveryServer) {
  EXPECT_EQ(StreamFloodGuard::ParseCallsStarted(
                R"({"server":[{"data":{"callsStarted":"4","callsFailed":"1"},)"
                R"("ref":{"serverId":"2"}},{"data":{"callsStarted":"90000"},)"
                R"("ref":{"serverId":"9"}},{"ref":{"serverId":"11"}}]})"),
            90004);
  EXPECT_EQ(StreamFloodGuard::ParseCallsStarted("{}"), 0);
}

TEST(StreamFloodGuardTest, ParsesSocketRefsAndTheirPeers) {
  bool end = false;
  std::vector<StreamFloodGuard::SocketCounts> sockets =
      StreamFloodGuard::ParseSocketRefs(
          R"({"socketRef":[{"name":"chttp2 ipv4:127.0.0.1:53312",)"
          R"("socketId":"7"},{"name":"chttp2 ipv6:[::1]:40000",)"
          R"("socketId":"12"}]})",
          &end);
  EXPECT_FALSE(end);
  ASSERT_EQ(sockets.size(), 2u);
  EXPECT_EQ(sockets[0].id, 7);
  EXPECT_EQ(sockets[0].peer, "ipv4:127.0.0.1:53312");
  EXPECT_EQ(sockets[1].id, 12);
  EXPECT_EQ(sockets[1].peer, "ipv6:[::1]:40000");
  EXPECT_TRUE(
      StreamFloodGuard::ParseSocketRefs(R"({"socketRef":[],"end":true})", &end)
          .empty());
  EXPECT_TRUE(end);
}

TEST(StreamFloodGuardTest, ParsesStreamCountsAbsentOnesAreZero) {
  StreamFloodGuard::SocketCounts socket;
  StreamFloodGuard::ParseSocketCounts(
      R"({"socket":{"data":{"streamsStarted":"90000",)"
      R"("lastRemoteStreamCreatedTimestamp":"2026-12-05T21:00:00Z",)"
      R"("streamsFailed":"1200","keepAlivesSent":"0"},)"
      R"("ref":{"name":"chttp2 ipv4:127.0.0.1:1","socketId":"7"}}})",
      &socket);
  EXPECT_EQ(socket.started, 90000);
  EXPECT_EQ(socket.succeeded, 0);
  EXPECT_EQ(socket.failed, 1200);
}

TEST(StreamFloodGuardTest, PeerStringsAreGrpcs) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(53312);
  inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr);
  EXPECT_EQ(StreamFloodGuard::PeerString(reinterpret_cast<sockaddr*>(&v4)),
            "ipv4:127.0.0.1:53312");

  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(443);
  inet_pton(AF_INET6, "2001:db8::7", &v6.sin6_addr);
  EXPECT_EQ(StreamFloodGuard::PeerString(reinterpret_cast<sockaddr*>(&v6)),
            "ipv6:[2001:db8::7]:443");
  // A dual-stack listener sees IPv4 clients as IPv4-mapped addresses; gRPC
  // names them ipv4.
  inet_pton(AF_INET6, "::ffff:10.1.2.3", &v6.sin6_addr);
  EXPECT_EQ(StreamFloodGuard::PeerString(reinterpret_cast<sockaddr*>(&v6)),
            "ipv4:10.1.2.3:443");

  sockaddr unix_address{};
  unix_address.sa_family = AF_UNIX;
  EXPECT_EQ(StreamFloodGuard::PeerString(&unix_address), std::nullopt);
}

}  // namespace
}  // namespace availability::server
