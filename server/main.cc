// availability-server: the storefront availability gRPC server.
//
// Serves availability.v1.Availability (plus gRPC health and reflection) on
// --listen and, when a sync token is configured, availability.v1.InventorySync
// on --sync_listen. Reads from Redis. Every flag can also be set by an
// environment variable: --redis_host <-> AVAILABILITY_REDIS_HOST.
// SIGTERM/SIGINT: stop accepting, finish in-flight calls within
// --shutdown_grace, exit 0.

#include <signal.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cache/key_schema.h"
#include "cache/record_store.h"
#include "cache/record_writer.h"
#include "cache/redis_client.h"
#include "cache/subscription_store.h"
#include "core/clock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/availability_lookup.h"
#include "server/availability_service.h"
#include "server/channel_resolver.h"
#include "server/env_flags.h"
#include "server/inventory_sync_service.h"
#include "server/log.h"

ABSL_FLAG(std::string, listen, "0.0.0.0:50051",
          "Storefront gRPC address (Availability, health, reflection).");
ABSL_FLAG(std::string, sync_listen, "0.0.0.0:50052",
          "Sync/admin gRPC address (InventorySync); empty disables it. "
          "Needs a token: --sync_token_file or AVAILABILITY_SYNC_TOKEN.");
ABSL_FLAG(std::string, sync_token_file, "",
          "File holding the sync API bearer token (else the environment "
          "variable AVAILABILITY_SYNC_TOKEN).");
ABSL_FLAG(std::string, redis_host, "127.0.0.1", "Redis host.");
ABSL_FLAG(int, redis_port, 6379, "Redis TCP port.");
ABSL_FLAG(std::string, redis_socket, "",
          "Redis Unix socket path; when set, host and port are ignored.");
ABSL_FLAG(std::string, redis_user, "", "Redis ACL user (empty: default).");
ABSL_FLAG(std::string, redis_password_file, "",
          "File holding the Redis password (else the environment variable "
          "AVAILABILITY_REDIS_PASSWORD; neither: no AUTH).");
ABSL_FLAG(int, redis_db, 0, "Redis database number.");
ABSL_FLAG(std::string, key_prefix, "av", "Prefix of every Redis key.");
ABSL_FLAG(absl::Duration, max_call_time, absl::Seconds(1),
          "Longest a storefront call may run when the client's deadline is "
          "later or absent.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGTERM, how long in-flight calls may take to finish.");
ABSL_FLAG(absl::Duration, health_interval, absl::Seconds(1),
          "How often Redis is pinged for the health status.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");

namespace availability::server {
namespace {

// Flags that take their value from AVAILABILITY_<NAME> when set.
const std::vector<std::string>& ServerFlagNames() {
  static const auto* names = new std::vector<std::string>{
      "listen",        "sync_listen",         "sync_token_file",
      "redis_host",    "redis_port",          "redis_socket",
      "redis_user",    "redis_password_file", "redis_db",
      "key_prefix",    "max_call_time",       "shutdown_grace",
      "health_interval", "log_level"};
  return *names;
}

[[noreturn]] void Die(absl::string_view message,
                      std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, message, fields);
  std::exit(1);
}

// Pings Redis every `interval` and publishes SERVING only while it answers.
class HealthReporter {
 public:
  HealthReporter(cache::RedisClient& redis, grpc::Server& server,
                 absl::Duration interval)
      : redis_(redis), server_(server), interval_(interval) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~HealthReporter() {
    stop_.Notify();
    thread_.join();
  }

 private:
  void Loop() {
    bool last = false;
    bool first = true;
    do {
      auto answered = std::make_shared<absl::Notification>();
      auto ok = std::make_shared<std::atomic<bool>>(false);
      redis_.Execute({"PING"}, absl::Now() + interval_,
                     [answered, ok](absl::StatusOr<cache::RedisReply> r) {
                       ok->store(r.ok() && !r->is_error());
                       answered->Notify();
                     });
      answered->WaitForNotificationWithTimeout(interval_ + absl::Seconds(1));
      const bool serving = ok->load();
      if (first || serving != last) {
        // "" and the service name follow Redis (readiness); "liveness"
        // stays SERVING while the process runs, so a Redis outage takes
        // pods out of the Service without restarting them.
        grpc::HealthCheckServiceInterface* health =
            server_.GetHealthCheckService();
        health->SetServingStatus("", serving);
        health->SetServingStatus("availability.v1.Availability", serving);
        health->SetServingStatus("liveness", true);
        Log(serving ? LogLevel::kInfo : LogLevel::kWarning,
            serving ? "serving" : "not serving: redis does not answer");
        last = serving;
        first = false;
      }
    } while (!stop_.WaitForNotificationWithTimeout(interval_));
  }

  cache::RedisClient& redis_;
  grpc::Server& server_;
  const absl::Duration interval_;
  absl::Notification stop_;
  std::thread thread_;
};

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "availability-server: answers storefront availability queries from "
      "Redis.\nEvery flag may also be set by the environment variable "
      "AVAILABILITY_<FLAG NAME IN CAPITALS>, e.g. AVAILABILITY_REDIS_HOST.");
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "server/");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  if (absl::Status env = ApplyEnvironmentToFlags(ServerFlagNames());
      !env.ok()) {
    Die("bad environment", {{"error", std::string(env.message())}});
  }
  absl::ParseCommandLine(argc, argv);

  LogLevel level;
  if (!ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    Die("bad flag", {{"error", "--log_level: not one of debug, info, "
                               "warning, error"}});
  }
  SetLogLevel(level);

  // Signals are handled by sigwait below; every thread started from here on
  // inherits the block.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  cache::RedisOptions redis_options;
  redis_options.host = absl::GetFlag(FLAGS_redis_host);
  redis_options.port = absl::GetFlag(FLAGS_redis_port);
  redis_options.unix_socket = absl::GetFlag(FLAGS_redis_socket);
  redis_options.user = absl::GetFlag(FLAGS_redis_user);
  redis_options.database = absl::GetFlag(FLAGS_redis_db);
  absl::StatusOr<std::string> password = ReadSecret(
      absl::GetFlag(FLAGS_redis_password_file), "AVAILABILITY_REDIS_PASSWORD");
  if (!password.ok()) {
    Die("redis password not readable",
        {{"error", std::string(password.status().message())}});
  }
  redis_options.password = *password;
  absl::StatusOr<std::unique_ptr<cache::RedisClient>> redis =
      cache::RedisClient::Start(redis_options);
  if (!redis.ok()) {
    Die("redis client not started",
        {{"error", std::string(redis.status().message())}});
  }

  const core::Clock& clock = core::SystemClock::Get();
  const cache::KeySchema keys(absl::GetFlag(FLAGS_key_prefix));
  cache::RecordStore store(**redis, keys);
  cache::SubscriptionStore subscriptions(**redis, keys);
  ChannelResolver channels(ChannelResolver::Options{}, store, clock);
  AvailabilityLookup lookup(store, channels, clock);
  AvailabilityService::Options service_options;
  service_options.max_call_time = absl::GetFlag(FLAGS_max_call_time);
  AvailabilityService storefront(service_options, lookup, &subscriptions,
                                 clock);

  // The sync/admin API on its own listener, only with a token.
  cache::RecordWriter writer(**redis, keys);
  std::unique_ptr<InventorySyncService> sync;
  std::unique_ptr<grpc::Server> sync_server;
  const std::string sync_address = absl::GetFlag(FLAGS_sync_listen);
  if (!sync_address.empty()) {
    absl::StatusOr<std::string> token = ReadSecret(
        absl::GetFlag(FLAGS_sync_token_file), "AVAILABILITY_SYNC_TOKEN");
    if (!token.ok()) {
      Die("sync token not readable",
          {{"error", std::string(token.status().message())}});
    }
    InventorySyncService::Options sync_options;
    sync_options.token = *token;
    if (token->empty()) {
      Log(LogLevel::kWarning,
          "sync listener disabled: no token (set --sync_token_file or "
          "AVAILABILITY_SYNC_TOKEN)");
    } else if (absl::Status valid =
                   InventorySyncService::ValidateOptions(sync_options);
               !valid.ok()) {
      Die("sync token rejected", {{"error", std::string(valid.message())}});
    } else {
      sync = std::make_unique<InventorySyncService>(sync_options, writer,
                                                    **redis, clock);
      grpc::ServerBuilder sync_builder;
      int sync_port = 0;
      sync_builder.AddListeningPort(sync_address,
                                    grpc::InsecureServerCredentials(),
                                    &sync_port);
      sync_builder.RegisterService(sync.get());
      sync_server = sync_builder.BuildAndStart();
      if (sync_server == nullptr || sync_port == 0) {
        Die("cannot listen", {{"address", sync_address}});
      }
      Log(LogLevel::kInfo, "listening",
          {{"service", "sync"},
           {"address", sync_address},
           {"port", absl::StrCat(sync_port)}});
    }
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int storefront_port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen),
                           grpc::InsecureServerCredentials(),
                           &storefront_port);
  builder.RegisterService(&storefront);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || storefront_port == 0) {
    Die("cannot listen", {{"address", absl::GetFlag(FLAGS_listen)}});
  }
  Log(LogLevel::kInfo, "listening",
      {{"service", "storefront"},
       {"address", absl::GetFlag(FLAGS_listen)},
       {"port", absl::StrCat(storefront_port)}});

  {
    HealthReporter health(**redis, *server, absl::GetFlag(FLAGS_health_interval));
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    Log(LogLevel::kInfo, "shutting down",
        {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
    server->GetHealthCheckService()->SetServingStatus(false);
  }
  const auto drain_deadline =
      absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_shutdown_grace));
  if (sync_server != nullptr) sync_server->Shutdown(drain_deadline);
  server->Shutdown(drain_deadline);
  server->Wait();
  if (sync_server != nullptr) sync_server->Wait();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace
}  // namespace availability::server

int main(int argc, char** argv) {
  return availability::server::Run(argc, argv);
}
