// One WatchAvailability call (server-streaming): first the current answer of
// every watched SKU, then a new answer whenever one changes. Changes come
// from the invalidation feed through the WatchRegistry (re-read, re-decide,
// send only what differs from the last answer sent or queued), from the
// store's local midnight (a grpc::Alarm; "now" from the clock) and from a
// retry alarm after a failed re-read. A slow reader gets the latest answer
// per SKU: the last answer per SKU (serialized, marked while not yet
// written) and one write in flight, never an unbounded queue; a stream's
// memory grows with its SKUs only (docs/operations.md, "Watch streams").
//
// A watched composite parent (docs/domain.md §10) is re-read when one of its
// components changes: the components its last answer was derived from are
// registered with the registry too.
//
// States: resolving the scope -> first read (registered; a failed first read
// finishes the call with the cache's error) -> streaming (a failed re-read is
// retried after `retry`) -> finishing (cancelled, stream closed or failed:
// Finish waits for the write in flight) -> finished (Finish called).
//
// Threading: reactions, registry wake-ups, lookup replies and alarms arrive
// on any thread; they decide under one ReactorMutex (server/reactor_lock.h)
// and StartWrite/Finish and the lookups run after it is released. Nothing
// blocks. The reactor is owned by gRPC until OnDone; its shared state lives
// on while lookups or alarms hold it, and never touches the reactor after
// OnDone.
#ifndef AVAILABILITY_SERVER_WATCH_CALL_H_
#define AVAILABILITY_SERVER_WATCH_CALL_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "core/clock.h"
#include "server/availability_lookup.h"
#include "server/request_validation.h"
#include "server/watch_limits.h"
#include "server/watch_registry.h"

namespace availability::server {

// Logs a storefront call's failure unless it is the caller's own
// (INVALID_ARGUMENT, NOT_FOUND): cache errors are worth a line. Thread-safe.
void LogCallFailure(const absl::Status& status, absl::string_view method);

class WatchCall final
    : public grpc::ServerWriteReactor<v1::ProductAvailability> {
 public:
  struct Options {
    // The deadline of each read, and how long after a failed re-read it is
    // tried again.
    absl::Duration read_timeout = absl::Seconds(2);
    absl::Duration retry = absl::Milliseconds(500);
    // Admits the stream (or refuses it RESOURCE_EXHAUSTED) before anything
    // else; null: no limits.
    WatchLimits* limits = nullptr;
  };

  // `query` is validated (ValidateWatch); `peer` is the call's peer string
  // (its connection, for the per-connection limit). The lookup, registry,
  // limits and clock must outlive every call (not only the reactor). Call
  // Begin once, then hand the reactor to gRPC.
  WatchCall(Options options, AvailabilityLookup& lookup,
            WatchRegistry& registry, const core::Clock& clock,
            ValidatedQuery query, std::string peer = "");

  // Takes the stream's place among the limits (else finishes the call
  // RESOURCE_EXHAUSTED), resolves the scope, registers with the registry,
  // reads the first answers.
  void Begin();

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  class State;
  std::shared_ptr<State> state_;
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_WATCH_CALL_H_
