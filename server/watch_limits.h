// The limits of WatchAvailability streams, apart from the unary calls'
// pool (server/call_limiter.h): streams open on one client connection,
// streams open on the server, and SKUs watched on the server (what a
// stream's memory grows with: docs/operations.md "Watch streams"). A
// stream is admitted before it registers and holds its place until it
// ends; one over a limit is refused with RESOURCE_EXHAUSTED naming the
// limit.
//
//   WatchLimits limits(options);
//   absl::StatusOr<WatchLimits::Ticket> ticket =
//       limits.Admit(context->peer(), request.skus_size());
//   if (!ticket.ok()) ... finish with ticket.status() ...
//   // the stream runs; destroying the ticket gives its place back
//
// A connection is told apart by the call's peer string
// ("ipv4:10.0.0.7:53312"): gRPC gives each client connection its own.
//
// Thread-safe (one mutex; an admission and a release are a few map
// operations).
#ifndef AVAILABILITY_SERVER_WATCH_LIMITS_H_
#define AVAILABILITY_SERVER_WATCH_LIMITS_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace availability::server {

class WatchLimits {
 public:
  struct Options {
    // Streams open at once on one client connection.
    int max_streams_per_connection = 50;
    // Streams open at once on the server.
    int max_streams = 5000;
    // SKUs watched at once on the server (each stream's requested SKUs,
    // summed).
    int64_t max_skus = 200000;
  };

  // A stream's place; given back on destruction (or Release). Move-only.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept { *this = std::move(other); }
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket() { Release(); }

    void Release();

   private:
    friend class WatchLimits;
    Ticket(WatchLimits* limits, std::string peer, int64_t skus)
        : limits_(limits), peer_(std::move(peer)), skus_(skus) {}

    WatchLimits* limits_ = nullptr;
    std::string peer_;
    int64_t skus_ = 0;
  };

  // OK, or InvalidArgument naming the limit that is not positive.
  static absl::Status Validate(const Options& options);

  explicit WatchLimits(Options options) : options_(options) {}
  WatchLimits(const WatchLimits&) = delete;
  WatchLimits& operator=(const WatchLimits&) = delete;

  // A place for a stream of connection `peer` watching `skus` SKUs, or
  // ResourceExhausted naming the limit it would pass (counted in
  // refused()). The limits must outlive the ticket.
  absl::StatusOr<Ticket> Admit(absl::string_view peer, int64_t skus);

  const Options& options() const { return options_; }
  int64_t streams() const;
  int64_t skus() const;
  // Refusals so far, by limit.
  struct Refused {
    uint64_t per_connection = 0;
    uint64_t streams = 0;
    uint64_t skus = 0;
  };
  Refused refused() const;

 private:
  void Release(const std::string& peer, int64_t skus);

  const Options options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> streams_by_peer_ ABSL_GUARDED_BY(mu_);
  int64_t streams_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t skus_ ABSL_GUARDED_BY(mu_) = 0;
  Refused refused_ ABSL_GUARDED_BY(mu_);
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_WATCH_LIMITS_H_
