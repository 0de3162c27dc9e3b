// Versioned writes of records to the availability cache: upserts, deletions
// and snapshot reconciliation. The stocks' settings beside the records
// (store configuration, sales channels, category rankings, managed stocks)
// are CatalogSettingsWriter's (cache/catalog_settings_writer.h).
//
//   RecordWriter writer(client, KeySchema("av"));
//   writer.Upsert(std::move(records), /*snapshot_id=*/"", clock.Now(),
//                 absl::Now() + absl::Seconds(2),
//                 [](absl::StatusOr<std::vector<WriteOutcome>> r) { ... });
//
// One Lua script call per stock of a batch (EVALSHA, EVAL on NOSCRIPT) stores
// a record only when its version is greater than the stored one and, in the
// same atomic step, appends the transition events of docs/domain.md §8 to the
// stock's events stream and turns open back-in-stock subscriptions into
// notification jobs. So concurrent, repeated or out-of-order writers never
// move a record backwards, and never lose or invent an event.
//
// What the script keeps besides the record (all under the stock's hash tag):
// - Summaries(stock), a hash sku -> summary: the stored version (8 bytes,
//   big-endian) followed by "<status>,<eta_days>,<net>,<low>" — the display
//   status (availability.v1.Status number), first ship date (days since
//   1970-01-01, -1 = none), net quantity (ten-thousandths) and whether net was
//   below notify_stock_qty, as last announced. Events compare the new record's
//   summary with this one.
// - Tombstones: a delete removes the record key and leaves its summary with
//   status UNKNOWN and the delete's version. It is kept (no TTL) until a newer
//   upsert replaces it, so an older upsert arriving later stays stale however
//   late it comes; the cost is one small hash field per deleted SKU.
//
// Event stream entries (Events(stock), trimmed with XTRIM MAXLEN ~
// events_max_len once per script call that appended any) have the
// fields: type (BACK_IN_STOCK, OUT_OF_STOCK, BACKORDER_STARTED, ETA_CHANGED,
// DISCONTINUED, LOW_STOCK), sku, stock, version, old_status, new_status,
// eta (days since epoch, -1 = none), net (ten-thousandths). Rules:
// - The status changed: the type names the new status: IN_STOCK ->
//   BACK_IN_STOCK, OUT_OF_STOCK -> OUT_OF_STOCK, BACKORDERABLE ->
//   BACKORDER_STARTED, DISCONTINUED -> DISCONTINUED. PREORDER has no type of
//   its own and is announced as ETA_CHANGED (new_status PREORDER). A delete
//   is announced as OUT_OF_STOCK with new_status UNKNOWN.
// - A SKU that was unknown (never stored, or deleted) starts from UNKNOWN, so
//   its first upsert is announced too; appearing IN_STOCK counts as
//   BACK_IN_STOCK (subscriptions left from before a delete fire).
// - Same status, different first ship date: ETA_CHANGED.
// - LOW_STOCK, additionally: net fell below notify_stock_qty (manage_stock
//   on) for a SKU that was known and not below it before.
// For each SKU the status events form a chain: each one's old_status is the
// previous one's new_status.
//
// Notification jobs (NotificationJobs(stock)): on BACK_IN_STOCK each open
// subscription of (stock, sku) becomes one entry {sku, stock, subscriber,
// subscribed_at (unix ms), version} and is removed from the open set;
// expired ones (cache/subscription_store.h) are removed without a job.
//
// Composite products (docs/domain.md §10): a configurable, bundle or grouped
// record's summary is derived from its components' records on the same
// stock, never from its own quantities. The script keeps a reverse index
// (KeySchema::Parents, ::ComponentList) with every applied write of a
// record. After a batch, the composites it wrote and the parents of every
// record whose summary changed are derived again (core::DecideComposite
// over one MGET of parents and components) and stored by "S" items of the
// same script: summary only, the parent's record and version unchanged, its
// transitions announced (parent events carry the parent's version) and its
// back-in-stock subscriptions turned into jobs like any record's.
// The race accepted: two writers may derive the same parent concurrently
// from different reads. The script stores a derivation only while the
// parent's version is still the one read and every component's summary
// (status, date, net: what a parent's answer depends on) is still that of
// the record it was derived from (else that item is skipped: a write
// changed a component's summary, and its own derivation follows it). A
// newer write that leaves a component's summary as it was derives nothing
// itself, so it must not void a derivation in flight either. So a stored
// parent summary always matches the components current at that instant,
// events form a chain, and the last derivation settles the final state. A
// derivation that fails (Redis gone after the write) is logged; the parent's
// summary then waits for its components' next change (answers are derived at
// read time and are not affected, only the parent's events).
//
// Thread safety: safe from any thread. Callbacks run on the Redis client's
// loop thread and must not block. Holds a reference to the client, which
// must outlive it; the writer must outlive every call in flight.
#ifndef AVAILABILITY_CACHE_RECORD_WRITER_H_
#define AVAILABILITY_CACHE_RECORD_WRITER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "cache/key_scan.h"
#include "cache/key_schema.h"
#include "cache/redis_client.h"
#include "cache/redis_script.h"
#include "core/quantity.h"
#include "core/record.h"

namespace availability::cache {

// A record's status as the cache stores it in summaries and events: the
// cache's own numbers (it does not depend on the API). Stored in Redis, so
// never renumbered; they equal availability.v1.Status's numbers, which the
// server checks at compile time (server/api_convert.cc).
enum SummaryStatus : int {
  kSummaryUnknown = 1,
  kSummaryInStock = 2,
  kSummaryBackorderable = 3,
  kSummaryPreorder = 4,
  kSummaryOutOfStock = 5,
  kSummaryDiscontinued = 6,
};

// What events are computed from: a record's display answer, reduced.
struct RecordSummary {
  int status = kSummaryUnknown;
  // First ship date (BACKORDERABLE, PREORDER) or restock date
  // (OUT_OF_STOCK), as days since 1970-01-01; -1 when none.
  int64_t eta_days = -1;
  core::Qty net = 0;
  // manage_stock on and net < notify_stock_qty.
  bool low = false;
  bool operator==(const RecordSummary& o) const {
    return status == o.status && eta_days == o.eta_days && net == o.net &&
           low == o.low;
  }
};

// The summary of `record` under `config` on the store's day `today`
// (core::Decide for the display quantity).
RecordSummary SummarizeRecord(const core::Record& record,
                              const core::StoreConfig& config,
                              absl::CivilDay today);

enum class WriteResult {
  // Stored (or deleted).
  kApplied,
  // Not stored: the stored version (or tombstone) is the same or newer.
  kStale,
  // Not stored: the cache failed on the record's stock (see `error`);
  // nothing of that stock's part of the call was written.
  kFailed,
};

struct WriteOutcome {
  WriteResult result = WriteResult::kApplied;
  // kApplied: the version written; kStale: the version that stays stored
  // (0 when nothing was stored); kFailed: 0.
  int64_t stored_version = 0;
  // Entries this write appended to the stock's events stream, and
  // notification jobs it queued (BACK_IN_STOCK with open subscriptions);
  // 0 unless applied.
  int events_appended = 0;
  int notifications_queued = 0;
  // kFailed: why, mapped as in cache/redis_reply.h (Unavailable for a
  // transient Redis state such as OOM; FailedPrecondition for a key of the
  // wrong type, naming it; DataLoss for an undecodable store config).
  absl::Status error;
};

// The error of the first kFailed outcome; OK when none failed.
absl::Status FirstFailure(const std::vector<WriteOutcome>& outcomes);

struct DeleteKey {
  int32_t stock_id = 0;
  std::string sku;
  int64_t version = 0;
};

// What FinishSnapshot does when the snapshot set is empty or gone.
enum class EmptySnapshot {
  // Refuse with FailedPrecondition and delete nothing, so a typo in the
  // snapshot id (or a set that expired) never empties a stock. The default,
  // and the only behaviour of the public sync API.
  kRefuse,
  // Delete every record of the stock the set does not hold, all of them when
  // it holds none. Only for a caller that knows from its source that the
  // stock has no records (its own count of records upserted under the
  // snapshot is zero, or its source deleted the stock), never as a retry of
  // a refused call.
  kEmptiesStock,
};

// A mass-delete guard for FinishSnapshot: refuse (FailedPrecondition, nothing
// deleted) when the records the snapshot lacks are more than `max_fraction`
// of the stock's records, or more than `max_count`. Unset: no such limit;
// neither set (or a share of 1): no guard, and no counting pass.
struct DeleteLimit {
  // 0..1 of the records stored on the stock when FinishSnapshot starts.
  std::optional<double> max_fraction;
  // >= 0 records.
  std::optional<int64_t> max_count;
  // A limit that can refuse (a share of 1 or more never does).
  bool any() const {
    return (max_fraction.has_value() && *max_fraction < 1) ||
           max_count.has_value();
  }
};

struct SnapshotResult {
  // Records of the stock deleted because the snapshot did not hold them.
  int64_t deleted = 0;
  // SKUs the snapshot held.
  int64_t kept = 0;
  // Entries appended to the stock's events stream (one OUT_OF_STOCK per
  // deleted record).
  int64_t events_appended = 0;
};

// One entry of a stock's events stream (see the format above).
struct TransitionEvent {
  // Stream id "<ms>-<seq>".
  std::string id;
  std::string type;
  std::string sku;
  int32_t stock_id = 0;
  int64_t version = 0;
  int old_status = kSummaryUnknown;
  int new_status = kSummaryUnknown;
  int64_t eta_days = -1;
  core::Qty net = 0;
};

// Parses one XREAD/XRANGE entry ([id, [field, value, ...]]).
// Errors: DataLoss naming what is malformed.
absl::StatusOr<TransitionEvent> ParseTransitionEvent(const RedisReply& entry);

class RecordWriter {
 public:
  struct Options {
    // Approximate bound of each stock's events stream (XTRIM MAXLEN ~ after
    // each write call that appended events, so it may exceed it by one
    // call's events in between); 0 = unbounded.
    int64_t events_max_len = 100000;
    // Bound of each stock's notification jobs stream; 0 = unbounded (jobs
    // are removed by the mailer that consumes them; trimming would drop
    // unsent ones).
    int64_t jobs_max_len = 0;
    // Lifetime of a snapshot's SKU set, refreshed by every batch of the
    // snapshot: an import abandoned without FinishSnapshot leaves nothing
    // behind for longer.
    absl::Duration snapshot_ttl = absl::Hours(24);
    // Keys per SCAN step (and per script call) in FinishSnapshot.
    int scan_count = 500;
    // FinishSnapshot with a DeleteLimit counts the records the snapshot
    // lacks in one SCAN pass and lists up to this many of them (a few MB),
    // which it then deletes without scanning again; more, and the delete
    // pass scans the keyspace a second time.
    size_t max_listed_absent = 100000;
    // One writer at a time (cache/leader_lease.h). With `fence_key` set
    // (the lease's token counter) every script call of Upsert, Delete and
    // FinishSnapshot passes fencing_token(): the script refuses the whole
    // call, FailedPrecondition "FENCED ...", when it is below the counter;
    // fencing_token() failing (lease not held or expired) fails the call
    // with FailedPrecondition before anything is sent. Empty: not fenced
    // (the sync API, imports).
    std::string fence_key;
    std::function<absl::StatusOr<int64_t>()> fencing_token;
    // Upsert writes a stock's records with the bulk script
    // (UpsertSimpleScript()) when none of them is a composite. Off: always
    // the write script (the same results; for comparisons and tests).
    bool bulk_upserts = true;
  };

  template <typename T>
  using Callback = std::function<void(absl::StatusOr<T>)>;
  using StatusCallback = std::function<void(absl::Status)>;

  RecordWriter(RedisClient& client, KeySchema keys);
  RecordWriter(RedisClient& client, KeySchema keys, Options options);

  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  // Versioned upsert of valid records (any stocks; validated by the caller:
  // version >= 1, sku 1..64 bytes). Reads the stocks' store configurations
  // (one round trip), computes each record's summary for the store's day at
  // `now`, then runs one script per stock (one pipelined round trip).
  // `snapshot_id` non-empty: every record, applied or stale, joins the
  // stock's snapshot set. All or nothing per stock: a stock's script either
  // runs whole or writes nothing (see WriteScript()).
  // Success: one outcome per record, in order; the records of a stock the
  // cache failed on are kFailed with its error, the other stocks' are
  // applied or stale (retrying the failed ones is safe).
  // Errors (when nothing was written: the transport failed, or every
  // stock failed, with the first stock's error): Unavailable (also for OOM,
  // LOADING, READONLY, ...), DeadlineExceeded, FailedPrecondition (a key of
  // the wrong type, named), DataLoss (a stored configuration cannot be
  // decoded), Internal.
  void Upsert(std::vector<core::Record> records, std::string snapshot_id,
              absl::Time now, absl::Time deadline,
              Callback<std::vector<WriteOutcome>> done);

  // Versioned delete: removes a record when `version` is greater than the
  // stored one and leaves a tombstone at `version` (also for SKUs never
  // stored). Success and errors as for Upsert.
  void Delete(std::vector<DeleteKey> keys, absl::Time deadline,
              Callback<std::vector<WriteOutcome>> done);

  // Deletes every record of the stock that is not in the snapshot's set,
  // SCANning the stock's records in chunks; each chunk is one atomic script,
  // so after a crash every record is either as before or as the snapshot
  // says. Then deletes the set. Deleted records get a tombstone at their
  // stored version and announce OUT_OF_STOCK (new_status UNKNOWN).
  // Errors: FailedPrecondition when the snapshot set is empty or gone
  // (unknown id, expired, or already finished: nothing is deleted, so a
  // typo never empties a stock); Unavailable, DeadlineExceeded, Internal.
  void FinishSnapshot(int32_t stock_id, std::string snapshot_id,
                      absl::Time deadline, Callback<SnapshotResult> done);
  // The same; with EmptySnapshot::kEmptiesStock an empty or missing set
  // deletes every record of the stock (kept = 0) instead of failing.
  void FinishSnapshot(int32_t stock_id, std::string snapshot_id,
                      EmptySnapshot if_empty, absl::Time deadline,
                      Callback<SnapshotResult> done);
  // The same with a mass-delete guard: when `limit` sets one, a first,
  // read-only SCAN counts the stock's records and those the set lacks, and
  // FailedPrecondition ("would delete 700 of 1200 records of stock 1
  // (58.3 %), above the limit of 10 %; nothing deleted") ends the call
  // before anything is deleted; the set stays (until it expires). Records
  // written between the count and the delete pass may shift the number
  // slightly.
  void FinishSnapshot(int32_t stock_id, std::string snapshot_id,
                      EmptySnapshot if_empty, DeleteLimit limit,
                      absl::Time deadline, Callback<SnapshotResult> done);
  // FinishSnapshot (without a limit) of one snapshot id on several stocks,
  // with one SCAN over the keyspace for all of them instead of one each:
  // the results in the order of `stocks`, each as FinishSnapshot's. An
  // error of the walk (Redis lost) fails every stock still in it.
  struct StockToFinish {
    int32_t stock_id = 0;
    EmptySnapshot if_empty = EmptySnapshot::kRefuse;
  };
  void FinishSnapshots(
      std::vector<StockToFinish> stocks, std::string snapshot_id,
      absl::Time deadline,
      Callback<std::vector<absl::StatusOr<SnapshotResult>>> done);

  const KeySchema& keys() const { return keys_; }

  // The Lua script behind Upsert, Delete and FinishSnapshot (for tests and
  // operators: SCRIPT LOAD). It declares "#!lua" (Redis >= 7.0) and, before
  // writing anything, checks the type of every key it touches, so that a
  // Redis error leaves the stock's records, summaries, snapshot set, events
  // and jobs as they were: an error reply "WRONGTYPE <key> holds a <type>,
  // expected a <type>; ...", or Redis' own refusal up front (OOM over
  // maxmemory, READONLY on a replica).
  static const char* WriteScript();
  // The bulk upsert script (for the same uses): what Upsert runs for a
  // stock's records when none is a composite; same results, events, jobs
  // and snapshot set, bulk reads and writes (cache/scripts/upsert_simple.lua).
  static const char* UpsertSimpleScript();

 private:
  struct ScriptItem;
  // Composites whose summary is derived again after a write: per stock,
  // parent SKU -> its component list as the write script keeps it.
  using ParentsToDerive = std::map<int32_t, std::map<std::string, std::string>>;
  // One stock's part of a batch: its script's arguments, or the error that
  // keeps it from running, and the batch positions of its items.
  struct StockCall {
    int32_t stock_id = 0;
    std::vector<std::string> args;
    std::vector<size_t> indices;
    absl::Status error;
    // args run upsert_simple.lua; `items` and the snapshot arguments are
    // kept for the write script, should it answer GENERAL.
    bool simple = false;
    std::vector<ScriptItem> items;
    std::string snapshot_key;
    std::string snapshot_ttl;
    // The script's reply, once it ran.
    bool replied = false;
    RedisReply reply;
  };
  struct SnapshotState;
  // Runs the write script once per element of `calls` (each holding
  // numkeys, KEYS and ARGV), pipelined (RedisScript::Run).
  void RunScripts(std::vector<std::vector<std::string>> calls,
                  absl::Time deadline, Callback<std::vector<RedisReply>> done);
  // The same with another script of the same KEYS and ARGV[1..5] layout.
  void RunScripts(const RedisScript& script,
                  std::vector<std::vector<std::string>> calls,
                  absl::Time deadline, Callback<std::vector<RedisReply>> done);
  // numkeys, KEYS and ARGV[1..5] of a write script call (room reserved for
  // `per_item` more ARGV per item).
  std::vector<std::string> CallHead(int32_t stock_id,
                                    const std::string& snapshot_key,
                                    const std::string& snapshot_ttl_arg,
                                    const std::vector<ScriptItem>& items,
                                    size_t per_item) const;
  // A write_records.lua call.
  std::vector<std::string> ScriptCall(
      int32_t stock_id, const std::string& snapshot_key,
      const std::string& snapshot_ttl_arg,
      const std::vector<ScriptItem>& items) const;
  // An upsert_simple.lua call: U items of simple records only.
  std::vector<std::string> SimpleCall(
      int32_t stock_id, const std::string& snapshot_key,
      const std::string& snapshot_ttl_arg,
      const std::vector<ScriptItem>& items) const;
  void ApplyUpserts(
      std::vector<core::Record> records, std::string snapshot_id,
      absl::Time now, absl::Time deadline,
      std::map<int32_t, absl::StatusOr<core::StoreConfig>> configs,
      Callback<std::vector<WriteOutcome>> done);
  // Runs the scripts of the `calls` without an error (one pipeline) and
  // answers `n` outcomes: a failed call's items kFailed with its error, or
  // the first error when every call failed.
  // Then derives the summaries of the composites the writes affected
  // (DeriveParents) before answering.
  void RunStockCalls(std::vector<StockCall> calls, size_t n, absl::Time now,
                     absl::Time deadline,
                     Callback<std::vector<WriteOutcome>> done);
  // RunStockCalls' second step: the write script for the calls without a
  // reply yet, then the outcomes of all.
  void RunGeneralCalls(std::vector<StockCall> calls, size_t n, absl::Time now,
                       absl::Time deadline,
                       Callback<std::vector<WriteOutcome>> done);
  // Derives the summaries of `parents` from their components' records (one
  // round trip: each stock's config, then the records of parents and
  // components with their summaries in one transaction) and stores them with S
  // items of the write script (one more), announcing the parents' transitions.
  // `done` gets OK, or the first error (logged; the writes it follows stand).
  void DeriveParents(ParentsToDerive parents, absl::Time now,
                     absl::Time deadline, StatusCallback done);
  // The S items of one stock: `skus` are the parents (the first `parents`)
  // then their components, `values` the MGET reply of their record keys,
  // `summaries` the HMGET reply of their summaries read with them.
  std::vector<ScriptItem> DerivedSummaries(
      int32_t stock_id, const std::vector<std::string>& skus, size_t parents,
      const std::vector<RedisReply>& values,
      const std::vector<RedisReply>& summaries, const core::StoreConfig& config,
      absl::Time now) const;
  // SCANs the whole keyspace for keys starting with `prefix`, scan_count
  // keys per step, handing each step's keys to `chunk` before the next
  // step; `done` gets OK after the last step, or the first error.
  void ScanPrefix(const std::string& prefix, absl::Time deadline,
                  ScanChunk chunk, StatusCallback done);
  // The same for the keys matching a MATCH pattern (ScanKeys,
  // cache/key_scan.h).
  void ScanMatch(std::string match, absl::Time deadline, ScanChunk chunk,
                 StatusCallback done);
  // The state of one stock's FinishSnapshot, before its SCARD.
  std::shared_ptr<SnapshotState> NewSnapshotState(int32_t stock_id,
                                                  std::string snapshot_id,
                                                  absl::Time deadline) const;
  // FailedPrecondition for a snapshot set that is empty or gone.
  absl::Status EmptySnapshotError(const SnapshotState& state) const;
  // A FinishSnapshots walk's step: SnapshotChunk of each stock's keys
  // (states[by_stock[k].first]) at once; `next` gets the first error, or
  // OK when all are through.
  void ChunkStocks(
      const std::vector<std::shared_ptr<SnapshotState>>& states,
      std::vector<std::pair<size_t, std::vector<std::string>>> by_stock,
      StatusCallback next);
  // FinishSnapshots' last steps: EndSnapshot of states[from...] in turn,
  // their results into results[index[...]].
  void EndSnapshots(
      std::vector<std::shared_ptr<SnapshotState>> states,
      std::vector<size_t> index, size_t from,
      std::shared_ptr<std::vector<absl::StatusOr<SnapshotResult>>> results,
      Callback<std::vector<absl::StatusOr<SnapshotResult>>> done);
  // The delete pass of FinishSnapshot (after SCARD and the guard).
  void DeleteAbsentRecords(std::shared_ptr<SnapshotState> state,
                           Callback<SnapshotResult> done);
  // The delete pass after a guard that listed the absent SKUs: X items of
  // the write script for state->absent_skus[from...], a chunk at a time.
  void DeleteListedRecords(std::shared_ptr<SnapshotState> state, size_t from,
                           Callback<SnapshotResult> done);
  // FinishSnapshot's last step: a fenced writer's fence check, then the
  // snapshot set goes (DropSnapshotSet), then `done` with the result.
  void EndSnapshot(std::shared_ptr<SnapshotState> state,
                   Callback<SnapshotResult> done);
  // DEL of the snapshot set (finishing again is refused), then `done`.
  void DropSnapshotSet(std::shared_ptr<SnapshotState> state,
                       Callback<SnapshotResult> done);
  // The guard's counting pass: SMISMEMBER of each SCAN step's SKUs (the
  // absent ones listed in `state`); then `done` with OK (within `limit`),
  // FailedPrecondition, or the error.
  void CountAbsentRecords(std::shared_ptr<SnapshotState> state,
                          DeleteLimit limit, StatusCallback done);
  // One FinishSnapshot chunk: deletes the `keys` (records) the set lacks.
  void SnapshotChunk(const std::shared_ptr<SnapshotState>& state,
                     const std::vector<std::string>& keys, StatusCallback next);
  // Its second step: X items of the write script for the `skus` the set
  // did not hold (SMISMEMBER).
  void DeleteAbsent(const std::shared_ptr<SnapshotState>& state,
                    std::vector<std::string> skus, StatusCallback next);

  RedisClient& client_;
  const KeySchema keys_;
  const Options options_;
  // WriteScript(), run by its SHA-1.
  const RedisScript script_;
  // UpsertSimpleScript(): Upsert's batches without a composite.
  const RedisScript simple_script_;
};

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_RECORD_WRITER_H_
