// availability-null-server: the "gRPC stack only" baseline for the load
// benchmark. Implements the storefront Availability service with the
// callback API and answers every GetAvailability / BatchGetAvailability at
// once with a fixed, realistic-size IN_STOCK answer (feed values and
// freshness filled), so a load run against it measures gRPC and protobuf
// alone. Also serves the standard health service.
//
//   availability-null-server --port=0
//   -> prints "listening on 127.0.0.1:PORT"; stops on SIGINT / SIGTERM.
//
// Binds 127.0.0.1 only.

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "availability/v1/availability.grpc.pb.h"

ABSL_FLAG(int, port, 0, "port on 127.0.0.1; 0 picks a free one");

namespace av::bench {
namespace {

namespace v1 = ::availability::v1;

// The answer of a storefront product page for an in-stock product.
v1::ProductAvailability MakeTemplateAnswer() {
  v1::ProductAvailability a;
  a.set_stock_id(1);
  a.set_status(v1::STATUS_IN_STOCK);
  a.set_orderable(true);
  v1::QuantitySplit* split = a.mutable_split();
  split->set_requested_quantity(1);
  split->set_in_stock_quantity(1);
  v1::Shipment* shipment = a.add_shipments();
  shipment->set_quantity(1);
  v1::Date* today = shipment->mutable_ship_date();
  today->set_year(2024);
  today->set_month(3);
  today->set_day(1);
  a.set_eta_known(true);
  a.set_lifecycle(v1::LIFECYCLE_ACTIVE);
  a.mutable_feed()->set_schema_org_availability("https://schema.org/InStock");
  a.mutable_feed()->set_merchant_availability("in_stock");
  a.mutable_freshness()->set_version(1709287200000);
  a.mutable_freshness()->mutable_source_time()->set_seconds(1709287200);
  a.set_salable_quantity(42);
  return a;
}

class NullAvailabilityService final : public v1::Availability::CallbackService {
 public:
  NullAvailabilityService() : template_(MakeTemplateAnswer()) {}

  grpc::ServerUnaryReactor* GetAvailability(
      grpc::CallbackServerContext* context,
      const v1::GetAvailabilityRequest* request,
      v1::ProductAvailability* response) override {
    *response = template_;
    response->set_sku(request->sku());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* BatchGetAvailability(
      grpc::CallbackServerContext* context,
      const v1::BatchGetAvailabilityRequest* request,
      v1::BatchGetAvailabilityResponse* response) override {
    response->mutable_items()->Reserve(request->items_size());
    for (const auto& item : request->items()) {
      v1::ProductAvailability* answer = response->add_items();
      *answer = template_;
      answer->set_sku(item.sku());
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  const v1::ProductAvailability template_;  // read-only after construction
};

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "gRPC-only baseline server for the load benchmark (127.0.0.1 only)");
  absl::ParseCommandLine(argc, argv);
  int port = absl::GetFlag(FLAGS_port);
  if (port < 0 || port > 65535) {
    std::fprintf(stderr, "availability-null-server: --port: out of range\n");
    return 2;
  }

  // Block the stop signals before gRPC starts its threads, so that only
  // sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  grpc::EnableDefaultHealthCheckService(true);
  NullAvailabilityService service;
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port),
                           grpc::InsecureServerCredentials(), &selected_port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    std::fprintf(stderr,
                 "availability-null-server: cannot listen on 127.0.0.1:%d\n",
                 port);
    return 1;
  }
  std::printf("listening on 127.0.0.1:%d\n", selected_port);
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return 0;
}

}  // namespace
}  // namespace av::bench

int main(int argc, char** argv) { return av::bench::Main(argc, argv); }
