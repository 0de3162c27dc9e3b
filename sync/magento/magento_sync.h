// The Magento MSI connector: keeps the availability cache equal to what a
// Magento 2.4 store's database says, reading it with a SELECT-only user.
//
//   MagentoSync sync(options, db_options, writer, redis,
//                    core::SystemClock::Get(), logger);
//   std::thread t([&] { sync.Run(); });
//   ...
//   sync.Stop();  // Run returns soon after
//   t.join();
//
// What it does (one worker thread, one database connection, so every read
// happens after the previous one and versions follow the reads' order):
// - Full reconcile at start and every `reconcile_interval` (and at once when
//   sources, links, channels, stocks or the inventory configuration change):
//   store configuration of each stock (from core_config_data) and sales
//   channels first, then the catalog in chunks of `chunk_size` products by
//   entity_id, each chunk read in one consistent snapshot and upserted under
//   one snapshot id; then FinishSnapshot per stock (records absent from the
//   catalog are deleted) and the category rankings.
// - What Magento no longer has is removed from the cache at the end of a
//   reconcile: a stock on which no record was written under the snapshot
//   (by this process's own count; every source item of it removed) is
//   emptied; a stock this connector wrote before (the cache's managed
//   stocks of owner "magento", registered before anything of the stock is
//   written) that inventory_stock no longer lists is emptied, its rankings
//   removed and it is forgotten; a ranking in the cache of a category that
//   has no product on the stock any more (deleted category, or its products
//   moved) is removed. Deleted records are announced as OUT_OF_STOCK like
//   every snapshot deletion. A stock's store configuration, events,
//   notification jobs and tombstones stay.
// - Between reconciles, every `poll_interval`: new inventory_reservation
//   rows (tailed by reservation_id, with the ids skipped by transactions
//   still open re-asked for `gap_retention`), and changed source items
//   (Magento keeps no updated_at on them: a rolling scan checksums
//   `source_scan_rows` ids per poll in buckets of `bucket_size` ids and
//   compares with the last pass; each bucket remembers its SKUs, so a
//   deleted source item names its SKU). The SKUs concerned are re-read
//   whole and upserted, and a stored record of one of them that Magento no
//   longer has on a stock is deleted there.
// - Each stock's configuration and the products it sells follow its sales
//   channels' websites (record_builder.h); the table prefix and the edition
//   (Adobe Commerce staging) are read on every connect (MagentoSchema).
//
// Versions (record-level compare-and-set in the cache keeps the greater):
// every database read (a reconcile chunk or an incremental re-read) takes a
// version before it opens its snapshot: the wall clock in microseconds since
// the epoch, forced strictly above the previous version of this process.
// Reads are serialized on one connection, so a later read has a later
// snapshot and a greater version: a reconcile chunk read at T and written
// after an incremental update read at T+δ loses the compare (its data is
// older), and an incremental read before the chunk loses to the chunk. One
// version covers a whole read (at most a few per second), so the counter
// never runs ahead of the clock and a restarted process (the clock has moved
// on) continues above every version it wrote before. The clock must not be
// stepped back by more than the restart takes.
//
// Refused records (record_builder.h: a SKU that is empty, longer than 64
// bytes or not UTF-8, a stock not in inventory_stock, a quantity that does
// not parse, a sum beyond kMaxSummedQty) are never written and never fail a
// read: each is logged as a warning "record skipped" naming the SKU (through
// LogSafeText), stock, source, field, rule and reason, at most
// `skip_log_lines_per_reason` lines per reason from one reconcile start to
// the next (then one line saying the rest is only counted), and counted per
// reason: in stats() and in the "reconcile finished" line. A reconcile keeps
// the stored record of a product refused for its data (bad_number,
// out_of_range) in its snapshot, so that FinishSnapshot does not delete it:
// Magento still has the product. A record of a SKU refused for the SKU
// itself cannot be asked for through the API and is deleted like any
// record Magento does not list.
//
// Failures never end Run: a lost database is reconnected with exponential
// backoff (db_min_backoff doubling to db_max_backoff), the reservation tail
// and the checksums survive it, and an interrupted reconcile resumes at its
// chunk; a failed cache write is retried with the same backoff.
//
// Thread safety: Run on one thread; Stop and stats from any thread.
#ifndef AVAILABILITY_SYNC_MAGENTO_MAGENTO_SYNC_H_
#define AVAILABILITY_SYNC_MAGENTO_MAGENTO_SYNC_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "cache/catalog_settings_writer.h"
#include "cache/record_writer.h"
#include "cache/redis_client.h"
#include "core/clock.h"
#include "core/record.h"
#include "sync/magento/binlog_follower.h"
#include "sync/magento/db_connection.h"
#include "sync/magento/magento_reader.h"
#include "sync/magento/record_builder.h"

namespace availability::sync::magento {

enum class SyncLogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };
using SyncLogFields = std::vector<std::pair<std::string, std::string>>;
// Receives the connector's log lines (never a password). Called on the
// worker thread.
using SyncLogger = std::function<void(SyncLogLevel, absl::string_view message,
                                      const SyncLogFields& fields)>;

class MagentoSync {
 public:
  struct Options {
    absl::Duration reconcile_interval = absl::Minutes(15);
    // Period of the source item scan (a window of source_scan_rows ids):
    // short windows often, so that no scan query holds up the reservation
    // tail for long.
    absl::Duration poll_interval = absl::Milliseconds(25);
    // Period of the reservation tail (one indexed query by reservation_id
    // when nothing is new): the freshness of orders in the cache.
    absl::Duration reservation_poll_interval = absl::Milliseconds(10);
    // While the binary log is followed it brings every change within
    // milliseconds, so both scans are only the safety net: they run at this
    // period at the most often (the database is not scanned all the time
    // for nothing).
    absl::Duration following_poll_interval = absl::Seconds(1);
    // Products per reconcile chunk (memory and transaction size).
    int chunk_size = 5000;
    // Source item ids checksummed per poll, and ids per checksum bucket (a
    // changed bucket re-reads every SKU it holds, so small buckets keep an
    // update cheap; the bucket SKUs kept in memory are the same).
    int64_t source_scan_rows = 10000;
    int64_t bucket_size = 64;
    // How often the sources/links/channels/config fingerprint is read.
    absl::Duration fingerprint_interval = absl::Seconds(5);
    // SKUs per incremental re-read query.
    int max_skus_per_read = 1000;
    // Reservation ids skipped by the tail (taken by a transaction still
    // open, or rolled back) are re-asked every poll for this long: a
    // reservation committed within it reaches the cache within a poll of
    // its commit.
    absl::Duration gap_retention = absl::Minutes(10);
    // Magento's table prefix (env.php db/table_prefix); IsValidTablePrefix.
    std::string table_prefix;
    // Configuration locked in env.php / config.php (ParseConfigOverride).
    std::vector<ConfigOverride> config_overrides;
    // SKUs kept per category ranking.
    int category_ranking_limit = 200;
    absl::Duration db_min_backoff = absl::Milliseconds(100);
    absl::Duration db_max_backoff = absl::Seconds(10);
    // Deadline of each cache write.
    absl::Duration redis_timeout = absl::Seconds(10);
    // "record skipped" lines per reason from one reconcile start to the
    // next; the rest is counted only.
    int skip_log_lines_per_reason = 10;
    // Follow the binary log (binlog_follower.h) for source item and
    // reservation changes within milliseconds; the polls stay as the safety
    // net, and are all there is while the database does not allow it.
    bool follow_binlog = false;
    // The replica server_id the follower announces (unique in the
    // replication topology).
    uint32_t binlog_server_id = 0;
    // How often a database that refused the binary log is asked again.
    absl::Duration binlog_retry_interval = absl::Seconds(30);
  };

  // Counters for tests, logs and availability-sync's /metrics.
  struct Stats {
    int64_t reconciles_completed = 0;
    int64_t records_written = 0;
    int64_t incremental_updates = 0;
    int64_t db_reconnects = 0;
    // Source item scans run (each a window of source_scan_rows ids).
    int64_t source_scans = 0;
    // Records refused, indexed by SkipReason, since the start: those of
    // every reconcile and of the incremental re-reads (a SKU re-read by
    // several polls counts each time).
    std::array<int64_t, kSkipReasonCount> skipped{};
    // Those of the last finished reconcile only: each refused record of the
    // catalog once.
    std::array<int64_t, kSkipReasonCount> last_reconcile_skipped{};
    // Stored records of products refused for their data that reconciles
    // kept in their snapshot (not deleted), since the start.
    int64_t records_kept = 0;
    // "record skipped" lines not written because of the per-reason limit.
    int64_t skip_lines_suppressed = 0;

    // For availability-sync's /metrics (sync/connector_metrics.h):
    // when the last reconcile started and finished (InfinitePast: none
    // yet), and whether the reconcile in progress or last finished has
    // had no failing step since it started.
    absl::Time last_reconcile_started = absl::InfinitePast();
    absl::Time last_reconcile_finished = absl::InfinitePast();
    bool last_reconcile_ok = true;
    // Steps of a reconcile that failed (each retried).
    int64_t reconcile_failures = 0;
    // The reservation tail: the highest reservation_id applied, and when a
    // poll last read inventory_reservation to its end and wrote what it
    // found (InfinitePast: not yet).
    int64_t reservation_tail_id = 0;
    absl::Time reservations_current_at = absl::InfinitePast();
    // Failed steps by cause: a database read, or a cache write (this
    // includes writes refused for a lost writer lease).
    int64_t db_errors = 0;
    int64_t redis_errors = 0;
    // The binary log: followed now; times the connector fell back to
    // polling (the database refused it or the stream was lost); rows of
    // inventory_source_item and inventory_reservation it hinted at.
    bool binlog_following = false;
    int64_t binlog_fallbacks = 0;
    int64_t binlog_hints = 0;

    int64_t skipped_total() const;
  };

  // `redis` is the client `writer` writes through; the connector reads the
  // stored records of refused products with it, and writes the store
  // configurations, sales channels, category rankings and its managed
  // stocks through it (a cache::CatalogSettingsWriter of writer.keys()).
  MagentoSync(Options options, DbOptions db_options,
              cache::RecordWriter& writer, cache::RedisClient& redis,
              const core::Clock& clock, SyncLogger logger);
  MagentoSync(const MagentoSync&) = delete;
  MagentoSync& operator=(const MagentoSync&) = delete;

  // Works until Stop; returns OK then. Never returns early on a database or
  // cache failure (it retries).
  absl::Status Run();
  // Asks Run to return; safe from any thread and a signal-handling thread.
  void Stop();

  Stats stats() const;

 private:
  // A chunk's records written as a chain of Upserts of at most
  // kWriteBatch records, each sent when the previous one is answered: the
  // cache never has more than one batch queued from the reconcile, so the
  // writer lease's renewals and the polls' writes pass in between.
  struct PendingWrite {
    std::string snapshot_id;
    std::vector<std::vector<core::Record>> batches;
    size_t next = 0;
    std::atomic<bool> cancelled{false};
    absl::Notification done;
    absl::Status status;  // set before done
  };
  // A product's place in a category's ranking on a stock.
  struct RankEntry {
    int64_t position = 0;
    int64_t entity_id = 0;
    std::string sku;
    bool operator<(const RankEntry& o) const {
      return position != o.position ? position < o.position
                                    : entity_id < o.entity_id;
    }
  };
  using RankKey = std::pair<int32_t, int64_t>;  // (stock, category)
  // One reconcile chunk being written: counted once the cache answered.
  struct ChunkWrite {
    // The chunk's first entity_id is after this one (where a failed write
    // makes the reconcile read again).
    int64_t after_entity_id = 0;
    int64_t records = 0;
    std::map<int32_t, int64_t> per_stock;
    std::vector<SkippedRecord> skipped;
    // The chunk's products in category rankings.
    std::vector<std::pair<RankKey, RankEntry>> ranked;
    std::shared_ptr<PendingWrite> pending;
  };
  struct ReconcileState {
    std::string snapshot_id;
    // Magento's stocks when the reconcile started, ascending.
    std::vector<int32_t> stocks;
    int64_t after_entity_id = 0;
    absl::Time started;
    // Records upserted under snapshot_id per stock; a stock absent has none
    // in Magento, and only then may FinishSnapshot empty it.
    std::map<int32_t, int64_t> records;
    // Stocks whose snapshot is finished (a retried FinishReconcile skips
    // them: their set is gone).
    std::set<int32_t> finished;
    // Records refused by this reconcile's chunks, by SkipReason, and the
    // stored records it kept for them.
    std::array<int64_t, kSkipReasonCount> skipped{};
    int64_t kept = 0;
    // Chunks whose records were sent to the cache and not yet answered,
    // oldest first (the next chunk is read while they are written).
    std::deque<ChunkWrite> in_flight;
    // Category rankings of the chunks written so far: per (stock, category)
    // the first category_ranking_limit products by (position, entity_id),
    // kept as a max-heap (the last one on top) while chunks come in.
    std::map<RankKey, std::vector<RankEntry>> rankings;
    // Where the time went (for the "reconcile finished" line): reading and
    // building chunks, and waiting for the cache.
    absl::Duration read_time;
    absl::Duration wait_time;
  };

  // One pass of the loop; errors mean "back off and reconnect if needed".
  absl::Status Step();
  absl::Status EnsureConnected();
  absl::Status Baseline();
  absl::Status StartReconcile();
  absl::Status ReconcileChunk();
  // Waits for the oldest chunk write and counts it; on failure the chunks
  // from it on are forgotten and read again.
  absl::Status CompleteOldestChunk();
  absl::Status DrainChunkWrites();
  // Sends `pending`'s next batch, or ends it (done) when none is left, a
  // batch failed or it was cancelled.
  void SendNextBatch(std::shared_ptr<PendingWrite> pending);
  // Cancels the chunk writes in flight and waits until none is sent any
  // more.
  void AbandonChunkWrites();
  // The chunk's (stock, category) ranking entries: a product counts on a
  // stock where it has a source item of a linked source.
  std::vector<std::pair<RankKey, RankEntry>> RankCandidates(
      const CatalogChunk& chunk) const;
  void AddToRankings(std::vector<std::pair<RankKey, RankEntry>> ranked);
  absl::Status FinishReconcile();
  // FinishSnapshot of the reconcile's snapshot on one stock.
  // MGET of the records of `skus` on `stock` (one reply element each, nil
  // where none is stored). Errors: the client's, Internal for an error or
  // short reply.
  absl::StatusOr<cache::RedisReply> ReadStoredRecords(
      int32_t stock, const std::vector<std::string>& skus);
  absl::StatusOr<cache::SnapshotResult> FinishStock(
      int32_t stock, cache::EmptySnapshot if_empty);
  // A writer call started by Start, its outcome taken by Wait.
  template <typename T>
  struct Started {
    absl::Notification done;
    absl::StatusOr<T> value;  // set before done
  };
  // The category ids with a ranking in the cache, per stock.
  using RankingIds = std::map<int32_t, std::vector<int64_t>>;
  // Writes the rankings the reconcile's chunks gathered for `stocks`
  // (Magento's) and removes every other ranking of them (as `listed`, the
  // listing of `stocks` started before) and of `gone` (stocks Magento
  // deleted) from the cache. Returns the number of categories ranked.
  absl::StatusOr<int64_t> WriteCategoryRankings(
      const std::vector<int32_t>& stocks, const std::vector<int32_t>& gone,
      Started<RankingIds>& listed);
  // Applies what the binary log follower saw: the reservation tail and the
  // buckets of the changed source items, now.
  absl::Status ApplyBinlogHints();
  // Waits until `timeout` passes, Stop or the follower wakes the worker.
  void WaitForWake(absl::Duration timeout);
  void Wake();
  // Checksums buckets [first, end) (end <= 0: to the end of the table),
  // compares them with the known ones and re-reads the SKUs of those that
  // changed, then remembers them.
  absl::Status CheckBuckets(int64_t first, int64_t end);
  // New reservations (and ids skipped before): their SKUs re-read.
  absl::Status PollReservations();
  // The next window of the source item checksums: SKUs of changed buckets
  // re-read.
  absl::Status PollSourceItems();
  absl::Status MaybeCheckFingerprint();
  // Re-reads `skus` and writes their records; a stored record of one of
  // them that Magento no longer has on a stock (its last source item there
  // deleted, product disabled or unassigned) is deleted.
  absl::Status RecomputeSkus(const std::set<std::string>& skus);
  // Deletes the stored records of (stock, SKU) in `absent` at `version`
  // (only those that exist: no tombstone for what was never written).
  absl::Status DeleteAbsent(
      const std::map<int32_t, std::vector<std::string>>& absent,
      int64_t version);

  int64_t NextVersion();
  // Upserts `records` (counted as written) under `snapshot_id`.
  absl::Status WriteRecords(std::vector<core::Record> records,
                            const std::string& snapshot_id);
  // Upserts and returns the outcomes (no counting). Unavailable when the
  // cache did not store some record (an outcome neither applied nor stale).
  absl::StatusOr<std::vector<cache::WriteOutcome>> Upsert(
      std::vector<core::Record> records, const std::string& snapshot_id);
  // Joins the stored records of the `skipped` products refused for their
  // data (bad_number, out_of_range) to the reconcile's snapshot, unchanged
  // (re-upserted at their own version: stale, so only the set changes).
  // Returns how many were kept.
  absl::StatusOr<int64_t> KeepStoredRecords(
      const std::vector<SkippedRecord>& skipped);
  // Logs (within the per-reason limit) and counts refused records.
  void ReportSkipped(const std::vector<SkippedRecord>& skipped);
  // Runs one asynchronous writer call and waits for its outcome (bounded by
  // redis_timeout plus a margin).
  absl::Status Await(
      const std::function<void(std::function<void(absl::Status)>)>& call);
  // The same for a writer call that answers with a value.
  template <typename T>
  absl::StatusOr<T> AwaitValue(
      const std::function<void(cache::RecordWriter::Callback<T>)>& call);
  // A writer call started now and waited for later (AwaitValue in two
  // steps, so that other work goes on meanwhile).
  template <typename T>
  std::shared_ptr<Started<T>> Start(
      const std::function<void(cache::RecordWriter::Callback<T>)>& call);
  // Its outcome, waiting up to `budget` (the time the call's deadline
  // gave it) plus a margin against a lost callback.
  template <typename T>
  absl::StatusOr<T> Wait(Started<T>& started, absl::Duration budget);
  // The time a listing of the category rankings of `stocks` stocks gets.
  absl::Duration ListingTime(size_t stocks) const;
  // Starts listing the category rankings of `stocks` in the cache (with
  // one walk over the keyspace; `stocks` is copied at once).
  std::shared_ptr<Started<RankingIds>> StartListingRankings(
      const std::vector<int32_t>& stocks);
  void Log(SyncLogLevel level, absl::string_view message,
           SyncLogFields fields = {});

  const Options options_;
  const DbOptions db_options_;
  cache::RecordWriter& writer_;
  cache::RedisClient& redis_;
  cache::CatalogSettingsWriter settings_;
  const core::Clock& clock_;
  SyncLogger logger_;
  absl::Notification stop_;
  absl::Mutex wake_mu_;
  bool woken_ ABSL_GUARDED_BY(wake_mu_) = false;

  // Worker-thread state (only Run's thread touches it).
  std::unique_ptr<DbConnection> db_;
  // The connected database's shape (read on every connect).
  MagentoSchema schema_;
  // The stocks' websites and configured levels, from the last reconcile
  // start (incremental re-reads use the same).
  SalesScope scope_;
  bool baseline_done_ = false;
  int64_t last_version_ = 0;
  std::vector<int32_t> stocks_;
  std::optional<ReconcileState> reconcile_;
  absl::Time next_reconcile_ = absl::InfinitePast();
  absl::Time next_poll_ = absl::InfinitePast();
  absl::Time next_reservation_poll_ = absl::InfinitePast();
  absl::Time next_fingerprint_ = absl::InfinitePast();
  std::string fingerprint_;
  bool reconcile_requested_ = false;
  int64_t last_reservation_id_ = 0;
  // Reservation ids below the tail not seen yet -> when first missed.
  std::map<int64_t, absl::Time> reservation_gaps_;
  // Source item bucket as last seen: its rows, checksum and distinct SKUs
  // (so that a deleted source item still names its SKU).
  struct Bucket {
    int64_t rows = 0;
    uint64_t checksum = 0;
    std::vector<std::string> skus;
  };
  absl::btree_map<int64_t, Bucket> buckets_;
  int64_t scan_next_bucket_ = 0;
  std::unique_ptr<BinlogFollower> binlog_;
  // Hints taken from the follower and not yet applied (a failed step keeps
  // them).
  BinlogFollower::Hints binlog_pending_;
  // Hints applied again a little later: the server may send an event
  // before its transaction is visible to other sessions (the binary log is
  // written before the engine's commit), so a read at once can miss it.
  std::multimap<absl::Time, BinlogFollower::Hints> binlog_rechecks_;
  std::string binlog_reason_logged_;
  // "record skipped" lines written per reason, and those suppressed, since
  // the reconcile started.
  std::array<int, kSkipReasonCount> skip_lines_{};
  int64_t skip_lines_suppressed_now_ = 0;

  std::atomic<int64_t> reconciles_completed_{0};
  std::atomic<int64_t> records_written_{0};
  std::atomic<int64_t> incremental_updates_{0};
  std::atomic<int64_t> db_reconnects_{0};
  // Operations view (Stats); written by the worker thread only.
  bool cache_failed_ = false;  // the current step failed on a cache call
  std::atomic<int64_t> reconcile_started_us_{0};
  std::atomic<int64_t> reconcile_finished_us_{0};
  std::atomic<bool> reconcile_ok_{true};
  std::atomic<int64_t> reconcile_failures_{0};
  std::atomic<int64_t> tail_id_{0};
  std::atomic<int64_t> tail_current_us_{0};
  std::atomic<int64_t> db_errors_{0};
  std::atomic<int64_t> redis_errors_{0};
  std::atomic<bool> binlog_following_{false};
  std::atomic<int64_t> binlog_fallbacks_{0};
  std::atomic<int64_t> binlog_hints_{0};
  std::atomic<int64_t> source_scans_{0};
  mutable absl::Mutex skip_mu_;
  std::array<int64_t, kSkipReasonCount> skipped_ ABSL_GUARDED_BY(skip_mu_){};
  std::array<int64_t, kSkipReasonCount> last_reconcile_skipped_
      ABSL_GUARDED_BY(skip_mu_){};
  int64_t records_kept_ ABSL_GUARDED_BY(skip_mu_) = 0;
  int64_t skip_lines_suppressed_ ABSL_GUARDED_BY(skip_mu_) = 0;
};

}  // namespace availability::sync::magento

#endif  // AVAILABILITY_SYNC_MAGENTO_MAGENTO_SYNC_H_
