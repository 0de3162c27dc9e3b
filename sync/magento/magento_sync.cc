#include "sync/magento/magento_sync.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cache/record_codec.h"
#include "core/status_macros.h"
#include "sync/magento/record_builder.h"

namespace availability::sync::magento {
namespace {

// Reservation ids read per poll; more wait for the next poll.
constexpr int kReservationsPerPoll = 10000;
// Bounds of the skipped-reservation-id bookkeeping.
constexpr int64_t kMaxGapPerJump = 1000;
constexpr size_t kMaxGaps = 10000;
// Owner of the connector's managed stocks in the cache (KeySchema).
constexpr char kOwner[] = "magento";
// Reconcile chunks being written to the cache while the next one is read.
constexpr size_t kChunksInFlight = 1;
// Records per Upsert of a reconcile chunk (see PendingWrite).
constexpr size_t kWriteBatch = 2000;

std::string Micros(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Microseconds(d));
}

}  // namespace

MagentoSync::MagentoSync(Options options, DbOptions db_options,
                         cache::RecordWriter& writer, cache::RedisClient& redis,
                         const core::Clock& clock, SyncLogger logger)
    : options_(std::move(options)),
      db_options_(std::move(db_options)),
      writer_(writer),
      redis_(redis),
      settings_(redis, writer.keys()),
      clock_(clock),
      logger_(std::move(logger)) {}

void MagentoSync::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  Wake();
}

void MagentoSync::Wake() {
  absl::MutexLock lock(&wake_mu_);
  woken_ = true;
}

void MagentoSync::WaitForWake(absl::Duration timeout) {
  absl::MutexLock lock(&wake_mu_);
  wake_mu_.AwaitWithTimeout(absl::Condition(&woken_), timeout);
  woken_ = false;
}

MagentoSync::Stats MagentoSync::stats() const {
  Stats s;
  s.reconciles_completed = reconciles_completed_.load();
  s.records_written = records_written_.load();
  s.incremental_updates = incremental_updates_.load();
  s.db_reconnects = db_reconnects_.load();
  const auto time_or_past = [](int64_t us) {
    return us == 0 ? absl::InfinitePast() : absl::FromUnixMicros(us);
  };
  s.last_reconcile_started = time_or_past(reconcile_started_us_.load());
  s.last_reconcile_finished = time_or_past(reconcile_finished_us_.load());
  s.last_reconcile_ok = reconcile_ok_.load();
  s.reconcile_failures = reconcile_failures_.load();
  s.reservation_tail_id = tail_id_.load();
  s.reservations_current_at = time_or_past(tail_current_us_.load());
  s.db_errors = db_errors_.load();
  s.redis_errors = redis_errors_.load();
  s.source_scans = source_scans_.load();
  s.binlog_following = binlog_following_.load();
  s.binlog_fallbacks = binlog_fallbacks_.load();
  s.binlog_hints = binlog_hints_.load();
  absl::MutexLock lock(&skip_mu_);
  s.skipped = skipped_;
  s.last_reconcile_skipped = last_reconcile_skipped_;
  s.records_kept = records_kept_;
  s.skip_lines_suppressed = skip_lines_suppressed_;
  return s;
}

int64_t MagentoSync::Stats::skipped_total() const {
  int64_t total = 0;
  for (int64_t n : skipped) total += n;
  return total;
}

void MagentoSync::Log(SyncLogLevel level, absl::string_view message,
                      SyncLogFields fields) {
  if (logger_) logger_(level, message, fields);
}

absl::Status MagentoSync::Run() {
  if (options_.follow_binlog) {
    binlog_ = std::make_unique<BinlogFollower>(
        db_options_, options_.table_prefix, options_.binlog_server_id,
        [this] { Wake(); }, options_.binlog_retry_interval);
    binlog_->Start();
  }
  absl::Duration backoff = options_.db_min_backoff;
  absl::StatusCode last_code = absl::StatusCode::kOk;
  while (!stop_.HasBeenNotified()) {
    cache_failed_ = false;
    absl::Status status = Step();
    if (!status.ok()) {
      (cache_failed_ ? redis_errors_ : db_errors_).fetch_add(1);
      if (reconcile_.has_value()) {
        reconcile_ok_.store(false);
        reconcile_failures_.fetch_add(1);
      }
    }
    if (status.ok()) {
      if (last_code != absl::StatusCode::kOk)
        Log(SyncLogLevel::kInfo, "recovered");
      last_code = absl::StatusCode::kOk;
      backoff = options_.db_min_backoff;
      continue;
    }
    if (db_ != nullptr && !db_->healthy()) db_.reset();
    Log(status.code() == last_code ? SyncLogLevel::kDebug
                                   : SyncLogLevel::kWarning,
        "sync step failed; retrying",
        {{"error", status.ToString()}, {"retry_in_us", Micros(backoff)}});
    last_code = status.code();
    WaitForWake(backoff);
    backoff = std::min(backoff * 2, options_.db_max_backoff);
  }
  if (binlog_ != nullptr) binlog_->Stop();
  // No chunk write may outlive Run (its callbacks use this object).
  AbandonChunkWrites();
  db_.reset();
  return absl::OkStatus();
}

absl::Status MagentoSync::EnsureConnected() {
  if (db_ != nullptr) return absl::OkStatus();
  AV_ASSIGN_OR_RETURN(db_, DbConnection::Connect(db_options_));
  absl::StatusOr<MagentoSchema> schema =
      ReadMagentoSchema(*db_, options_.table_prefix);
  if (!schema.ok()) {
    db_.reset();
    return schema.status();
  }
  if (schema->staged != schema_.staged || !baseline_done_) {
    Log(SyncLogLevel::kInfo, "database schema",
        {{"edition", schema->staged ? "commerce (content staging, row_id)"
                                    : "open source (entity_id)"},
         {"table_prefix", schema->table_prefix},
         {"status_attribute_id", absl::StrCat(schema->status_attribute_id)}});
  }
  schema_ = *std::move(schema);
  if (baseline_done_) {
    db_reconnects_.fetch_add(1);
    // A database restored from a backup may have fewer reservations than
    // the tail has seen: start the tail again and reconcile everything.
    AV_ASSIGN_OR_RETURN(int64_t max_id, ReadMaxReservationId(*db_, schema_));
    if (max_id < last_reservation_id_) {
      Log(SyncLogLevel::kWarning, "reservation ids went backwards; reconciling",
          {{"last_seen", absl::StrCat(last_reservation_id_)},
           {"max", absl::StrCat(max_id)}});
      last_reservation_id_ = max_id;
      reservation_gaps_.clear();
      reconcile_requested_ = true;
    }
  }
  Log(SyncLogLevel::kInfo, "database connected",
      {{"database", db_options_.database}});
  return absl::OkStatus();
}

absl::Status MagentoSync::Baseline() {
  AV_ASSIGN_OR_RETURN(last_reservation_id_,
                      ReadMaxReservationId(*db_, schema_));
  AV_RETURN_IF_ERROR(BeginSnapshot(*db_));
  AV_ASSIGN_OR_RETURN(
      std::vector<BucketChecksum> sums,
      ReadSourceItemChecksums(*db_, schema_, options_.bucket_size, 0, 0));
  AV_ASSIGN_OR_RETURN(
      auto skus, ReadAllSourceItemSkus(*db_, schema_, options_.bucket_size));
  AV_RETURN_IF_ERROR(EndSnapshot(*db_));
  buckets_.clear();
  for (const BucketChecksum& s : sums) {
    Bucket& b = buckets_[s.bucket];
    b.rows = s.rows;
    b.checksum = s.checksum;
    if (auto it = skus.find(s.bucket); it != skus.end()) {
      b.skus = std::move(it->second);
    }
  }
  scan_next_bucket_ = 0;
  baseline_done_ = true;
  tail_id_.store(last_reservation_id_);
  Log(SyncLogLevel::kInfo, "change tracking started",
      {{"reservation_id", absl::StrCat(last_reservation_id_)},
       {"source_item_buckets", absl::StrCat(buckets_.size())}});
  return absl::OkStatus();
}

absl::Status MagentoSync::Step() {
  AV_RETURN_IF_ERROR(EnsureConnected());
  if (!baseline_done_) AV_RETURN_IF_ERROR(Baseline());
  AV_RETURN_IF_ERROR(MaybeCheckFingerprint());
  const absl::Time now = clock_.Now();
  if (!reconcile_.has_value() &&
      (reconcile_requested_ || now >= next_reconcile_)) {
    AV_RETURN_IF_ERROR(StartReconcile());
  }
  AV_RETURN_IF_ERROR(ApplyBinlogHints());
  // Following the binary log, the scans are the safety net only.
  const absl::Duration slowest = binlog_following_.load()
                                     ? options_.following_poll_interval
                                     : absl::ZeroDuration();
  if (now >= next_reservation_poll_) {
    next_reservation_poll_ =
        now + std::max(options_.reservation_poll_interval, slowest);
    AV_RETURN_IF_ERROR(PollReservations());
  }
  if (now >= next_poll_) {
    next_poll_ = now + std::max(options_.poll_interval, slowest);
    source_scans_.fetch_add(1);
    AV_RETURN_IF_ERROR(PollSourceItems());
  }
  if (reconcile_.has_value()) return ReconcileChunk();
  absl::Time wake_at = std::min(next_poll_, next_reservation_poll_);
  if (!binlog_rechecks_.empty()) {
    wake_at = std::min(wake_at, binlog_rechecks_.begin()->first);
  }
  const absl::Duration idle = wake_at - clock_.Now();
  if (idle > absl::ZeroDuration()) WaitForWake(idle);
  return absl::OkStatus();
}

int64_t MagentoSync::NextVersion() {
  last_version_ = std::max(last_version_ + 1, absl::ToUnixMicros(clock_.Now()));
  return last_version_;
}

absl::Status MagentoSync::Await(
    const std::function<void(std::function<void(absl::Status)>)>& call) {
  struct Outcome {
    absl::Notification done;
    absl::Status status;
  };
  auto outcome = std::make_shared<Outcome>();
  call([outcome](absl::Status s) {
    outcome->status = std::move(s);
    outcome->done.Notify();
  });
  // The writer answers by its deadline; the margin only guards against a
  // lost callback.
  if (!outcome->done.WaitForNotificationWithTimeout(options_.redis_timeout +
                                                    absl::Seconds(5))) {
    cache_failed_ = true;
    return absl::DeadlineExceededError("cache write did not answer");
  }
  if (!outcome->status.ok()) cache_failed_ = true;
  return outcome->status;
}

template <typename T>
absl::StatusOr<T> MagentoSync::AwaitValue(
    const std::function<void(cache::RecordWriter::Callback<T>)>& call) {
  // The call's deadline is redis_timeout away.
  return Wait(*Start(call), options_.redis_timeout);
}

template <typename T>
std::shared_ptr<MagentoSync::Started<T>> MagentoSync::Start(
    const std::function<void(cache::RecordWriter::Callback<T>)>& call) {
  // Shared: a callback that comes after Wait gave up writes here still.
  auto started = std::make_shared<Started<T>>();
  call([started](absl::StatusOr<T> r) {
    started->value = std::move(r);
    started->done.Notify();
  });
  return started;
}

template <typename T>
absl::StatusOr<T> MagentoSync::Wait(Started<T>& started,
                                    absl::Duration budget) {
  // The writer answers by the call's deadline; the margin only guards
  // against a lost callback.
  if (!started.done.WaitForNotificationWithTimeout(budget + absl::Seconds(5))) {
    cache_failed_ = true;
    return absl::DeadlineExceededError("cache write did not answer");
  }
  if (!started.value.ok()) cache_failed_ = true;
  return std::move(started.value);
}

absl::StatusOr<std::vector<cache::WriteOutcome>> MagentoSync::Upsert(
    std::vector<core::Record> records, const std::string& snapshot_id) {
  const size_t count = records.size();
  AV_ASSIGN_OR_RETURN(
      std::vector<cache::WriteOutcome> outcomes,
      AwaitValue<std::vector<cache::WriteOutcome>>(
          [&](cache::RecordWriter::Callback<std::vector<cache::WriteOutcome>>
                  done) {
            writer_.Upsert(std::move(records), snapshot_id, clock_.Now(),
                           absl::Now() + options_.redis_timeout,
                           std::move(done));
          }));
  // A stock the cache failed on is not written: the batch is not done (it
  // is retried whole; versioned writes make that safe).
  if (absl::Status failed = cache::FirstFailure(outcomes); !failed.ok()) {
    return absl::Status(
        failed.code(),
        absl::StrCat("writing ", count, " records: ", failed.message()));
  }
  return outcomes;
}

absl::Status MagentoSync::WriteRecords(std::vector<core::Record> records,
                                       const std::string& snapshot_id) {
  if (records.empty()) return absl::OkStatus();
  const int64_t count = static_cast<int64_t>(records.size());
  std::map<int32_t, int64_t> per_stock;
  for (const core::Record& r : records) ++per_stock[r.stock_id];
  AV_RETURN_IF_ERROR(Upsert(std::move(records), snapshot_id).status());
  records_written_.fetch_add(count);
  if (reconcile_.has_value() && !snapshot_id.empty() &&
      snapshot_id == reconcile_->snapshot_id) {
    for (const auto& [stock, n] : per_stock) reconcile_->records[stock] += n;
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> MagentoSync::KeepStoredRecords(
    const std::vector<SkippedRecord>& skipped) {
  // stock -> SKUs refused for their data on one of Magento's stocks (an
  // unknown stock has no snapshot; a refused SKU cannot have a record).
  std::map<int32_t, std::vector<std::string>> by_stock;
  for (const SkippedRecord& s : skipped) {
    if ((s.reason == SkipReason::kBadNumber ||
         s.reason == SkipReason::kOutOfRange) &&
        std::binary_search(reconcile_->stocks.begin(), reconcile_->stocks.end(),
                           s.stock_id)) {
      by_stock[s.stock_id].push_back(s.sku);
    }
  }
  std::vector<core::Record> stored;
  for (const auto& [stock, skus] : by_stock) {
    AV_ASSIGN_OR_RETURN(cache::RedisReply reply,
                        ReadStoredRecords(stock, skus));
    for (size_t i = 0; i < skus.size(); ++i) {
      if (reply.elements[i].type != cache::RedisReply::Type::kString) continue;
      absl::StatusOr<core::Record> record =
          cache::DecodeRecord(reply.elements[i].str, stock, skus[i]);
      if (!record.ok()) {
        // Not data: FinishSnapshot removes it.
        Log(SyncLogLevel::kWarning,
            "stored record of a skipped product does not decode; not kept",
            {{"sku", LogSafeText(skus[i])},
             {"stock", absl::StrCat(stock)},
             {"error", record.status().ToString()}});
        continue;
      }
      stored.push_back(*std::move(record));
    }
  }
  if (stored.empty()) return 0;
  std::map<int32_t, int64_t> per_stock;
  for (const core::Record& r : stored) ++per_stock[r.stock_id];
  const int64_t count = static_cast<int64_t>(stored.size());
  // At their own version: stale, so nothing but the snapshot set changes
  // (and a newer version written meanwhile stays).
  AV_RETURN_IF_ERROR(
      Upsert(std::move(stored), reconcile_->snapshot_id).status());
  for (const auto& [stock, n] : per_stock) reconcile_->records[stock] += n;
  return count;
}

void MagentoSync::ReportSkipped(const std::vector<SkippedRecord>& skipped) {
  if (skipped.empty()) return;
  int64_t suppressed = 0;
  for (const SkippedRecord& s : skipped) {
    const int reason = static_cast<int>(s.reason);
    int& lines = skip_lines_[reason];
    if (lines < options_.skip_log_lines_per_reason) {
      ++lines;
      SyncLogFields fields = {{"reason", std::string(SkipReasonName(s.reason))},
                              {"sku", LogSafeText(s.sku)},
                              {"stock", absl::StrCat(s.stock_id)},
                              {"field", s.field},
                              {"rule", s.rule},
                              {"entity_id", absl::StrCat(s.entity_id)}};
      if (!s.source.empty()) fields.emplace_back("source", s.source);
      Log(SyncLogLevel::kWarning, "record skipped", std::move(fields));
      if (lines == options_.skip_log_lines_per_reason) {
        Log(SyncLogLevel::kWarning,
            "further records skipped for this reason are counted, not "
            "logged, until the next reconcile starts",
            {{"reason", std::string(SkipReasonName(s.reason))},
             {"limit", absl::StrCat(options_.skip_log_lines_per_reason)}});
      }
    } else {
      ++suppressed;
    }
  }
  skip_lines_suppressed_now_ += suppressed;
  absl::MutexLock lock(&skip_mu_);
  for (const SkippedRecord& s : skipped) {
    ++skipped_[static_cast<int>(s.reason)];
  }
  skip_lines_suppressed_ += suppressed;
}

absl::Status MagentoSync::MaybeCheckFingerprint() {
  const absl::Time now = clock_.Now();
  if (now < next_fingerprint_) return absl::OkStatus();
  next_fingerprint_ = now + options_.fingerprint_interval;
  AV_ASSIGN_OR_RETURN(std::string fingerprint,
                      ReadInventoryFingerprint(*db_, schema_));
  if (!fingerprint_.empty() && fingerprint != fingerprint_) {
    Log(SyncLogLevel::kInfo,
        "sources, stocks, channels or configuration changed; reconciling");
    reconcile_requested_ = true;
  }
  fingerprint_ = std::move(fingerprint);
  return absl::OkStatus();
}

absl::Status MagentoSync::StartReconcile() {
  // The fingerprint first: a change after it triggers another reconcile.
  AV_ASSIGN_OR_RETURN(std::string fingerprint,
                      ReadInventoryFingerprint(*db_, schema_));
  AV_ASSIGN_OR_RETURN(std::vector<int32_t> stocks, ReadStockIds(*db_, schema_));
  if (stocks.empty()) {
    // Magento always keeps its default stock (id 1): an empty table is a
    // broken or half-restored database, and mirroring it would empty every
    // stock this connector ever wrote. Retried (with backoff) until fixed.
    return absl::FailedPreconditionError(
        "inventory_stock is empty (Magento always has the default stock 1); "
        "reconcile refused, the cache is left as it is: check the database "
        "the connector reads (--db_host, --db_name)");
  }
  AV_ASSIGN_OR_RETURN(auto channels, ReadSalesChannels(*db_, schema_));
  AV_ASSIGN_OR_RETURN(Websites websites, ReadWebsites(*db_, schema_));
  AV_ASSIGN_OR_RETURN(InventoryConfigValues config_values,
                      ReadInventoryConfig(*db_, schema_));
  for (const ConfigOverride& o : options_.config_overrides) {
    if (!o.website_code.empty() &&
        websites.id_by_code.count(o.website_code) == 0) {
      Log(SyncLogLevel::kWarning,
          "configuration override names a website Magento does not have; "
          "ignored",
          {{"path", o.path}, {"website", LogSafeText(o.website_code)}});
    }
  }
  // Each stock's websites (its sales channels), ascending.
  SalesScope scope;
  scope.stores_of_website = websites.stores;
  for (const auto& [code, stock] : channels) {
    auto id = websites.id_by_code.find(code);
    if (id != websites.id_by_code.end()) {
      scope.websites_of_stock[stock].push_back(id->second);
    }
  }
  for (auto& [stock, ids] : scope.websites_of_stock) {
    std::sort(ids.begin(), ids.end());
  }

  // Registered before anything of them is written, so that a stock Magento
  // deletes later is emptied even by another process.
  AV_RETURN_IF_ERROR(Await([&](std::function<void(absl::Status)> done) {
    settings_.AddManagedStocks(
        kOwner, stocks, absl::Now() + options_.redis_timeout, std::move(done));
  }));

  std::set<std::tuple<std::string, std::string, std::string>> problems_logged;
  // Store configuration before records: the writer reads it to announce
  // transitions. Read-modify-write keeps the fields Magento has not (time
  // zone, handling days, calendar) as an operator set them.
  for (int32_t stock : stocks) {
    AV_ASSIGN_OR_RETURN(
        core::StoreConfig config,
        AwaitValue<core::StoreConfig>(
            [&](cache::RecordWriter::Callback<core::StoreConfig> done) {
              settings_.ReadStoreConfig(
                  stock, absl::Now() + options_.redis_timeout, std::move(done));
            }));
    config.stock_id = stock;
    // The stock's website (the lowest id when several sell from it: the
    // cache holds one configuration per stock), else the default scope.
    const std::vector<int32_t>& stock_websites = scope.websites_of_stock[stock];
    const int32_t website = stock_websites.empty() ? 0 : stock_websites[0];
    const std::map<std::string, std::string> values = EffectiveConfigValues(
        config_values, options_.config_overrides, websites.id_by_code, website);
    for (size_t i = 1; i < stock_websites.size(); ++i) {
      if (EffectiveConfigValues(config_values, options_.config_overrides,
                                websites.id_by_code,
                                stock_websites[i]) != values) {
        Log(SyncLogLevel::kWarning,
            "websites of one stock have different inventory configuration; "
            "the lowest website id's applies to the stock",
            {{"stock", absl::StrCat(stock)},
             {"website_id", absl::StrCat(website)},
             {"other_website_id", absl::StrCat(stock_websites[i])}});
      }
    }
    // A value shared by several stocks (the default scope's) is logged
    // once.
    for (const ConfigProblem& p : ApplyInventoryConfig(values, &config)) {
      if (!problems_logged.insert({p.path, p.value, p.rule}).second) continue;
      Log(SyncLogLevel::kWarning,
          "inventory configuration value not usable; Magento's default "
          "applies",
          {{"path", p.path}, {"value", p.value}, {"rule", p.rule}});
    }
    scope.config_notify_stock_qty[stock] = config.notify_stock_qty;
    AV_RETURN_IF_ERROR(Await([&](std::function<void(absl::Status)> done) {
      settings_.PutStoreConfig(config, absl::Now() + options_.redis_timeout,
                               std::move(done));
    }));
  }
  AV_RETURN_IF_ERROR(Await([&](std::function<void(absl::Status)> done) {
    settings_.PutSalesChannels(channels, /*replace=*/true,
                               absl::Now() + options_.redis_timeout,
                               std::move(done));
  }));

  fingerprint_ = std::move(fingerprint);
  stocks_ = stocks;
  scope_ = std::move(scope);
  skip_lines_.fill(0);
  skip_lines_suppressed_now_ = 0;
  ReconcileState state;
  state.snapshot_id = absl::StrCat("magento-", NextVersion());
  state.stocks = std::move(stocks);
  state.started = clock_.Now();
  reconcile_started_us_.store(absl::ToUnixMicros(state.started));
  reconcile_ = std::move(state);
  reconcile_requested_ = false;
  Log(SyncLogLevel::kInfo, "reconcile started",
      {{"snapshot", reconcile_->snapshot_id},
       {"stocks", absl::StrCat(reconcile_->stocks.size())},
       {"channels", absl::StrCat(channels.size())}});
  return absl::OkStatus();
}

absl::Status MagentoSync::ReconcileChunk() {
  const absl::Time read_start = absl::Now();
  const int64_t version = NextVersion();
  const absl::Time read_at = clock_.Now();
  CatalogChunk chunk;
  AV_RETURN_IF_ERROR(BeginSnapshot(*db_));
  AV_ASSIGN_OR_RETURN(
      int64_t last,
      ReadProductChunk(*db_, schema_, reconcile_->after_entity_id,
                       options_.chunk_size, reconcile_->stocks, &chunk));
  AV_RETURN_IF_ERROR(EndSnapshot(*db_));
  if (last == 0) {
    AV_RETURN_IF_ERROR(DrainChunkWrites());
    return FinishReconcile();
  }
  BuiltRecords built =
      BuildRecords(chunk, reconcile_->stocks, scope_, version, read_at);
  std::vector<std::pair<RankKey, RankEntry>> ranked = RankCandidates(chunk);
  chunk = CatalogChunk();
  reconcile_->read_time += absl::Now() - read_start;
  const bool keeps = std::any_of(built.skipped.begin(), built.skipped.end(),
                                 [](const SkippedRecord& s) {
                                   return s.reason == SkipReason::kBadNumber ||
                                          s.reason == SkipReason::kOutOfRange;
                                 });
  if (keeps) {
    // Stored records of refused products join the snapshot after the
    // chunk's own records: done in order, without the pipeline.
    AV_RETURN_IF_ERROR(DrainChunkWrites());
    AV_RETURN_IF_ERROR(
        WriteRecords(std::move(built.records), reconcile_->snapshot_id));
    AV_ASSIGN_OR_RETURN(int64_t kept, KeepStoredRecords(built.skipped));
    // Counted once the chunk is through: a failed chunk is read again.
    ReportSkipped(built.skipped);
    for (const SkippedRecord& s : built.skipped) {
      ++reconcile_->skipped[static_cast<int>(s.reason)];
    }
    reconcile_->kept += kept;
    AddToRankings(std::move(ranked));
    reconcile_->after_entity_id = last;
    return absl::OkStatus();
  }
  // Bounded pipeline: the database read this chunk while the cache wrote
  // the previous one; this one's writes start when that one is through, so
  // the cache has one batch of the reconcile queued at a time.
  while (reconcile_->in_flight.size() >= kChunksInFlight) {
    AV_RETURN_IF_ERROR(CompleteOldestChunk());
  }
  ChunkWrite write;
  write.ranked = std::move(ranked);
  write.after_entity_id = reconcile_->after_entity_id;
  write.records = static_cast<int64_t>(built.records.size());
  for (const core::Record& r : built.records) ++write.per_stock[r.stock_id];
  write.skipped = std::move(built.skipped);
  write.pending = std::make_shared<PendingWrite>();
  write.pending->snapshot_id = reconcile_->snapshot_id;
  for (size_t i = 0; i < built.records.size(); i += kWriteBatch) {
    const size_t end = std::min(built.records.size(), i + kWriteBatch);
    write.pending->batches.emplace_back(
        std::make_move_iterator(built.records.begin() + i),
        std::make_move_iterator(built.records.begin() + end));
  }
  built.records = std::vector<core::Record>();
  SendNextBatch(write.pending);
  reconcile_->in_flight.push_back(std::move(write));
  reconcile_->after_entity_id = last;
  return absl::OkStatus();
}

absl::Status MagentoSync::CompleteOldestChunk() {
  ChunkWrite& write = reconcile_->in_flight.front();
  const absl::Time wait_start = absl::Now();
  absl::Status status;
  // The writer answers each batch by its deadline; the margin only guards
  // against a lost callback.
  if (!write.pending->done.WaitForNotificationWithTimeout(
          options_.redis_timeout *
              static_cast<double>(write.pending->batches.size()) +
          absl::Seconds(5))) {
    status = absl::DeadlineExceededError("cache write did not answer");
  } else {
    status = write.pending->status;
  }
  reconcile_->wait_time += absl::Now() - wait_start;
  if (!status.ok()) {
    // This chunk and the ones after it are read and written again (the
    // versioned writes make the repeat harmless).
    cache_failed_ = true;
    reconcile_->after_entity_id = write.after_entity_id;
    const int64_t records = write.records;
    AbandonChunkWrites();
    return absl::Status(
        status.code(),
        absl::StrCat("writing ", records, " records: ", status.message()));
  }
  records_written_.fetch_add(write.records);
  for (const auto& [stock, n] : write.per_stock) {
    reconcile_->records[stock] += n;
  }
  // Counted once the chunk is through: a failed chunk is read again.
  ReportSkipped(write.skipped);
  for (const SkippedRecord& s : write.skipped) {
    ++reconcile_->skipped[static_cast<int>(s.reason)];
  }
  AddToRankings(std::move(write.ranked));
  reconcile_->in_flight.pop_front();
  return absl::OkStatus();
}

std::vector<std::pair<MagentoSync::RankKey, MagentoSync::RankEntry>>
MagentoSync::RankCandidates(const CatalogChunk& chunk) const {
  std::vector<std::pair<RankKey, RankEntry>> out;
  if (options_.category_ranking_limit <= 0) return out;
  // (entity_id, stock) of every source item of a source linked to one of
  // the reconcile's stocks.
  std::vector<std::pair<int64_t, int32_t>> on_stock;
  for (const SourceItemRow& item : chunk.source_items) {
    if (std::binary_search(reconcile_->stocks.begin(), reconcile_->stocks.end(),
                           item.stock_id)) {
      on_stock.emplace_back(item.entity_id, item.stock_id);
    }
  }
  std::sort(on_stock.begin(), on_stock.end());
  on_stock.erase(std::unique(on_stock.begin(), on_stock.end()), on_stock.end());
  for (const ProductData& p : chunk.products) {
    if (p.category_ids.empty()) continue;
    auto it = std::lower_bound(on_stock.begin(), on_stock.end(),
                               std::make_pair(p.entity_id, int32_t{0}));
    for (; it != on_stock.end() && it->first == p.entity_id; ++it) {
      for (size_t i = 0; i < p.category_ids.size(); ++i) {
        const int64_t position =
            i < p.category_positions.size() ? p.category_positions[i] : 0;
        out.push_back(
            {{it->second, p.category_ids[i]}, {position, p.entity_id, p.sku}});
      }
    }
  }
  return out;
}

void MagentoSync::AddToRankings(
    std::vector<std::pair<RankKey, RankEntry>> ranked) {
  const size_t limit = static_cast<size_t>(options_.category_ranking_limit);
  for (auto& [key, entry] : ranked) {
    std::vector<RankEntry>& heap = reconcile_->rankings[key];
    if (heap.size() == limit) {
      if (!(entry < heap.front())) continue;
      std::pop_heap(heap.begin(), heap.end());
      heap.back() = std::move(entry);
    } else {
      heap.push_back(std::move(entry));
    }
    std::push_heap(heap.begin(), heap.end());
  }
}

void MagentoSync::SendNextBatch(std::shared_ptr<PendingWrite> pending) {
  if (pending->cancelled.load() || pending->next == pending->batches.size()) {
    if (pending->cancelled.load() && pending->status.ok()) {
      pending->status = absl::CancelledError("chunk write abandoned");
    }
    pending->done.Notify();
    return;
  }
  // The batch's records are sent (moved); a failed chunk is read again.
  std::vector<core::Record> batch = std::move(pending->batches[pending->next]);
  ++pending->next;
  writer_.Upsert(
      std::move(batch), pending->snapshot_id, clock_.Now(),
      absl::Now() + options_.redis_timeout,
      [this, pending](absl::StatusOr<std::vector<cache::WriteOutcome>> r) {
        absl::Status s = r.ok() ? cache::FirstFailure(*r) : r.status();
        if (!s.ok()) {
          pending->status = std::move(s);
          pending->done.Notify();
          return;
        }
        // On the client's loop thread: only sends (never
        // blocks).
        SendNextBatch(pending);
      });
}

void MagentoSync::AbandonChunkWrites() {
  if (!reconcile_.has_value()) return;
  for (ChunkWrite& w : reconcile_->in_flight) w.pending->cancelled.store(true);
  // Each ends with the batch it is sending (answered by its deadline).
  for (ChunkWrite& w : reconcile_->in_flight) {
    w.pending->done.WaitForNotificationWithTimeout(options_.redis_timeout +
                                                   absl::Seconds(5));
  }
  reconcile_->in_flight.clear();
}

absl::Status MagentoSync::DrainChunkWrites() {
  while (!reconcile_->in_flight.empty()) {
    AV_RETURN_IF_ERROR(CompleteOldestChunk());
  }
  return absl::OkStatus();
}

absl::Status MagentoSync::FinishReconcile() {
  const absl::Time finish_start = absl::Now();
  int64_t deleted = 0;
  // The rankings in the cache are listed while the snapshots finish: two
  // walks over the keyspace at once, one reading, the other deleting
  // records only.
  std::shared_ptr<Started<RankingIds>> listed =
      StartListingRankings(reconcile_->stocks);
  // The stocks finished together: one walk over the keyspace for all.
  std::vector<cache::RecordWriter::StockToFinish> to_finish;
  for (int32_t stock : reconcile_->stocks) {
    if (reconcile_->finished.count(stock) > 0) continue;
    // No record written on the stock under the snapshot: Magento has none
    // on it, so an empty set may empty it. With records written, an empty
    // set can only be one that expired or was evicted: refused.
    const bool none = reconcile_->records.count(stock) == 0;
    to_finish.push_back({stock, none ? cache::EmptySnapshot::kEmptiesStock
                                     : cache::EmptySnapshot::kRefuse});
  }
  AV_ASSIGN_OR_RETURN(
      std::vector<absl::StatusOr<cache::SnapshotResult>> results,
      AwaitValue<std::vector<absl::StatusOr<cache::SnapshotResult>>>(
          [&](cache::RecordWriter::Callback<
              std::vector<absl::StatusOr<cache::SnapshotResult>>>
                  done) {
            // As long as one FinishSnapshot per stock would have had.
            writer_.FinishSnapshots(
                to_finish, reconcile_->snapshot_id,
                absl::Now() + options_.redis_timeout *
                                  static_cast<int64_t>(to_finish.size()),
                std::move(done));
          }));
  absl::Status first_error;
  for (size_t k = 0; k < to_finish.size(); ++k) {
    const int32_t stock = to_finish[k].stock_id;
    const bool none =
        to_finish[k].if_empty == cache::EmptySnapshot::kEmptiesStock;
    absl::StatusOr<cache::SnapshotResult>& result = results[k];
    if (absl::IsFailedPrecondition(result.status())) {
      Log(SyncLogLevel::kWarning,
          "snapshot set gone before the reconcile finished; records of the "
          "stock absent from Magento stay until the next reconcile",
          {{"stock", absl::StrCat(stock)},
           {"error", result.status().ToString()}});
    } else if (!result.ok()) {
      // Retried with the next attempt; the others stay finished.
      if (first_error.ok()) first_error = result.status();
      continue;
    } else {
      deleted += result->deleted;
      if (none && result->deleted > 0) {
        Log(SyncLogLevel::kInfo, "stock has no products in Magento; emptied",
            {{"stock", absl::StrCat(stock)},
             {"deleted", absl::StrCat(result->deleted)}});
      }
    }
    reconcile_->finished.insert(stock);
  }
  AV_RETURN_IF_ERROR(first_error);

  // Stocks written before that Magento no longer has.
  AV_ASSIGN_OR_RETURN(
      std::vector<int32_t> managed,
      AwaitValue<std::vector<int32_t>>(
          [&](cache::RecordWriter::Callback<std::vector<int32_t>> done) {
            settings_.ReadManagedStocks(
                kOwner, absl::Now() + options_.redis_timeout, std::move(done));
          }));
  std::vector<int32_t> gone;
  for (int32_t stock : managed) {
    if (std::find(reconcile_->stocks.begin(), reconcile_->stocks.end(),
                  stock) == reconcile_->stocks.end()) {
      gone.push_back(stock);
    }
  }
  for (int32_t stock : gone) {
    AV_ASSIGN_OR_RETURN(
        cache::SnapshotResult result,
        FinishStock(stock, cache::EmptySnapshot::kEmptiesStock));
    deleted += result.deleted;
    Log(SyncLogLevel::kInfo, "stock deleted in Magento; emptied",
        {{"stock", absl::StrCat(stock)},
         {"deleted", absl::StrCat(result.deleted)}});
  }

  AV_ASSIGN_OR_RETURN(int64_t categories,
                      WriteCategoryRankings(reconcile_->stocks, gone, *listed));
  // Forgotten only once emptied: a failure before retries all of it.
  AV_RETURN_IF_ERROR(Await([&](std::function<void(absl::Status)> done) {
    settings_.RemoveManagedStocks(
        kOwner, gone, absl::Now() + options_.redis_timeout, std::move(done));
  }));

  const absl::Duration took = clock_.Now() - reconcile_->started;
  next_reconcile_ = reconcile_->started + options_.reconcile_interval;
  int64_t skipped = 0;
  std::string by_reason;
  for (int i = 0; i < kSkipReasonCount; ++i) {
    const int64_t n = reconcile_->skipped[i];
    if (n == 0) continue;
    skipped += n;
    absl::StrAppend(&by_reason, by_reason.empty() ? "" : " ",
                    SkipReasonName(static_cast<SkipReason>(i)), "=", n);
  }
  {
    absl::MutexLock lock(&skip_mu_);
    last_reconcile_skipped_ = reconcile_->skipped;
    records_kept_ += reconcile_->kept;
  }
  Log(skipped > 0 ? SyncLogLevel::kWarning : SyncLogLevel::kInfo,
      "reconcile finished",
      {{"snapshot", reconcile_->snapshot_id},
       {"deleted", absl::StrCat(deleted)},
       {"stocks_removed", absl::StrCat(gone.size())},
       {"categories", absl::StrCat(categories)},
       {"records_written", absl::StrCat(records_written_.load())},
       {"took_ms", absl::StrCat(absl::ToInt64Milliseconds(took))},
       {"read_ms",
        absl::StrCat(absl::ToInt64Milliseconds(reconcile_->read_time))},
       {"cache_wait_ms",
        absl::StrCat(absl::ToInt64Milliseconds(reconcile_->wait_time))},
       {"finish_ms",
        absl::StrCat(absl::ToInt64Milliseconds(absl::Now() - finish_start))},
       {"skipped", absl::StrCat(skipped)},
       {"skipped_by_reason", by_reason},
       {"records_kept", absl::StrCat(reconcile_->kept)},
       {"skip_lines_suppressed", absl::StrCat(skip_lines_suppressed_now_)}});
  reconcile_.reset();
  reconcile_finished_us_.store(absl::ToUnixMicros(clock_.Now()));
  reconcile_ok_.store(true);
  reconciles_completed_.fetch_add(1);
  return absl::OkStatus();
}

absl::StatusOr<cache::RedisReply> MagentoSync::ReadStoredRecords(
    int32_t stock, const std::vector<std::string>& skus) {
  std::vector<std::string> argv = {"MGET"};
  for (const std::string& sku : skus) {
    argv.push_back(writer_.keys().Record(stock, sku));
  }
  AV_ASSIGN_OR_RETURN(
      cache::RedisReply reply,
      AwaitValue<cache::RedisReply>(
          [&](cache::RecordWriter::Callback<cache::RedisReply> done) {
            redis_.Execute(std::move(argv),
                           absl::Now() + options_.redis_timeout,
                           std::move(done));
          }));
  if (reply.is_error() || reply.elements.size() != skus.size()) {
    return absl::InternalError(
        absl::StrCat("MGET of stored records: ", reply.str));
  }
  return reply;
}

absl::StatusOr<cache::SnapshotResult> MagentoSync::FinishStock(
    int32_t stock, cache::EmptySnapshot if_empty) {
  return AwaitValue<cache::SnapshotResult>(
      [&](cache::RecordWriter::Callback<cache::SnapshotResult> done) {
        writer_.FinishSnapshot(stock, reconcile_->snapshot_id, if_empty,
                               absl::Now() + options_.redis_timeout,
                               std::move(done));
      });
}

absl::Duration MagentoSync::ListingTime(size_t stocks) const {
  return options_.redis_timeout * static_cast<int64_t>(stocks);
}

std::shared_ptr<MagentoSync::Started<MagentoSync::RankingIds>>
MagentoSync::StartListingRankings(const std::vector<int32_t>& stocks) {
  return Start<RankingIds>([&](cache::RecordWriter::Callback<RankingIds> done) {
    settings_.ListCategoryRankings(
        stocks, absl::Now() + ListingTime(stocks.size()), std::move(done));
  });
}

absl::StatusOr<int64_t> MagentoSync::WriteCategoryRankings(
    const std::vector<int32_t>& stocks, const std::vector<int32_t>& gone,
    Started<RankingIds>& listed) {
  // Written concurrently and waited for together.
  struct Pending {
    absl::Mutex mu;
    int64_t outstanding ABSL_GUARDED_BY(mu) = 0;
    absl::Status first_error ABSL_GUARDED_BY(mu);
  };
  auto pending = std::make_shared<Pending>();
  auto put = [&](int32_t stock, int64_t category,
                 std::vector<std::string> skus) {
    {
      absl::MutexLock lock(&pending->mu);
      // Bound what is in flight while the result streams.
      pending->mu.Await(absl::Condition(
          +[](int64_t* n) { return *n < 256; }, &pending->outstanding));
      ++pending->outstanding;
    }
    settings_.PutCategoryRanking(stock, category, std::move(skus),
                                 absl::Now() + options_.redis_timeout,
                                 [pending](absl::Status s) {
                                   absl::MutexLock lock(&pending->mu);
                                   if (!s.ok() && pending->first_error.ok())
                                     pending->first_error = s;
                                   --pending->outstanding;
                                 });
  };
  // Removes the stock's rankings in the cache that are not in `keep`: those
  // of categories deleted (or left without products on the stock) in
  // Magento, also while this process was not running.
  // The rankings in the cache, listed before any is written: those of
  // `stocks` with one walk over the keyspace started before the snapshots'
  // finish, those of `gone` (rarely any) with another.
  AV_ASSIGN_OR_RETURN(RankingIds cached,
                      Wait(listed, ListingTime(stocks.size())));
  if (!gone.empty()) {
    AV_ASSIGN_OR_RETURN(RankingIds of_gone, Wait(*StartListingRankings(gone),
                                                 ListingTime(gone.size())));
    cached.insert(of_gone.begin(), of_gone.end());
  }
  auto remove_others = [&](int32_t stock,
                           const std::set<int64_t>& keep) -> absl::Status {
    for (int64_t category : cached[stock]) {
      if (keep.count(category) == 0) put(stock, category, {});
    }
    return absl::OkStatus();
  };
  int64_t categories = 0;
  for (int32_t stock : stocks) {
    std::set<int64_t> ranked;
    for (auto it = reconcile_->rankings.lower_bound(
             {stock, std::numeric_limits<int64_t>::min()});
         it != reconcile_->rankings.end() && it->first.first == stock; ++it) {
      // A copy: a failed finish is retried with the same rankings.
      std::vector<RankEntry> entries = it->second;
      std::sort(entries.begin(), entries.end());
      std::vector<std::string> skus;
      skus.reserve(entries.size());
      for (RankEntry& e : entries) {
        // A SKU the API cannot name has no record (its skip is logged
        // with the records): not ranked either.
        if (IsValidSku(e.sku)) skus.push_back(std::move(e.sku));
      }
      if (skus.empty()) continue;
      ranked.insert(it->first.second);
      put(stock, it->first.second, std::move(skus));
    }
    AV_RETURN_IF_ERROR(remove_others(stock, ranked));
    categories += static_cast<int64_t>(ranked.size());
  }
  for (int32_t stock : gone) AV_RETURN_IF_ERROR(remove_others(stock, {}));
  absl::MutexLock lock(&pending->mu);
  if (!pending->mu.AwaitWithTimeout(
          absl::Condition(
              +[](int64_t* n) { return *n == 0; }, &pending->outstanding),
          options_.redis_timeout + absl::Seconds(5))) {
    return absl::DeadlineExceededError("category rankings not written");
  }
  AV_RETURN_IF_ERROR(pending->first_error);
  return categories;
}

absl::Status MagentoSync::PollReservations() {
  const absl::Time now = clock_.Now();

  // Reservations: new ids, and ids skipped earlier by open transactions.
  for (auto it = reservation_gaps_.begin(); it != reservation_gaps_.end();) {
    it = now - it->second > options_.gap_retention ? reservation_gaps_.erase(it)
                                                   : std::next(it);
  }
  std::vector<int64_t> gap_ids;
  for (const auto& [id, since] : reservation_gaps_) gap_ids.push_back(id);
  AV_ASSIGN_OR_RETURN(std::vector<ReservationRow> rows,
                      ReadReservationsAfter(*db_, schema_, last_reservation_id_,
                                            kReservationsPerPoll, gap_ids));
  std::set<std::string> skus;
  std::vector<int64_t> new_ids;
  std::vector<int64_t> filled;
  for (const ReservationRow& row : rows) {
    skus.insert(row.sku);
    if (row.reservation_id > last_reservation_id_) {
      new_ids.push_back(row.reservation_id);
    } else {
      filled.push_back(row.reservation_id);
    }
  }
  std::sort(new_ids.begin(), new_ids.end());

  if (!skus.empty()) {
    AV_RETURN_IF_ERROR(RecomputeSkus(skus));
    Log(SyncLogLevel::kDebug, "incremental update",
        {{"skus", absl::StrCat(skus.size())},
         {"reservations", absl::StrCat(rows.size())}});
  }

  // Only now that the SKUs are written does the tracking move on, so a
  // failure re-reads the same changes.
  for (int64_t id : filled) reservation_gaps_.erase(id);
  int64_t expected = last_reservation_id_ + 1;
  for (int64_t id : new_ids) {
    if (id - expected <= kMaxGapPerJump) {
      for (int64_t g = expected; g < id && reservation_gaps_.size() < kMaxGaps;
           ++g) {
        reservation_gaps_.emplace(g, now);
      }
    }
    expected = id + 1;
  }
  if (!new_ids.empty()) last_reservation_id_ = new_ids.back();
  tail_id_.store(last_reservation_id_);
  if (rows.size() < static_cast<size_t>(kReservationsPerPoll)) {
    tail_current_us_.store(absl::ToUnixMicros(now));
  }
  return absl::OkStatus();
}

absl::Status MagentoSync::PollSourceItems() {
  // The next window of buckets (to the end of the table when it reaches the
  // last bucket known, then from the start again).
  const int64_t window =
      std::max<int64_t>(1, options_.source_scan_rows / options_.bucket_size);
  const int64_t last_known = buckets_.empty() ? 0 : buckets_.rbegin()->first;
  const int64_t first = scan_next_bucket_;
  const bool to_end = first + window > last_known;
  AV_RETURN_IF_ERROR(CheckBuckets(first, to_end ? 0 : first + window));
  scan_next_bucket_ = to_end ? 0 : first + window;
  return absl::OkStatus();
}

absl::Status MagentoSync::ApplyBinlogHints() {
  if (binlog_ == nullptr) return absl::OkStatus();
  const absl::Status status = binlog_->status();
  const bool following = status.ok();
  if (following != binlog_following_.load()) {
    binlog_following_.store(following);
    if (following) {
      Log(SyncLogLevel::kInfo, "following the binary log");
      binlog_reason_logged_.clear();
    } else if (!absl::IsFailedPrecondition(status)) {
      // The stream was lost (a refusal is counted below, once).
      binlog_fallbacks_.fetch_add(1);
    }
  }
  if (!following && absl::IsFailedPrecondition(status) &&
      binlog_reason_logged_ != status.message()) {
    // Once per reason: the database does not allow it (until it does).
    binlog_reason_logged_ = std::string(status.message());
    binlog_fallbacks_.fetch_add(1);
    Log(SyncLogLevel::kInfo,
        "binary log not followed; source items and reservations are polled",
        {{"reason", binlog_reason_logged_}});
  }
  const absl::Time now = clock_.Now();
  auto merge = [this](const BinlogFollower::Hints& hints) {
    binlog_pending_.reservations |= hints.reservations;
    binlog_pending_.source_item_ids.insert(
        binlog_pending_.source_item_ids.end(), hints.source_item_ids.begin(),
        hints.source_item_ids.end());
  };
  BinlogFollower::Hints hints = binlog_->Take();
  if (hints.reservations || !hints.source_item_ids.empty()) {
    binlog_hints_.fetch_add((hints.reservations ? 1 : 0) +
                            static_cast<int64_t>(hints.source_item_ids.size()));
    merge(hints);
    for (absl::Duration later :
         {absl::Milliseconds(10), absl::Milliseconds(100), absl::Seconds(1)}) {
      binlog_rechecks_.emplace(now + later, hints);
    }
  }
  while (!binlog_rechecks_.empty() && binlog_rechecks_.begin()->first <= now) {
    merge(binlog_rechecks_.begin()->second);
    binlog_rechecks_.erase(binlog_rechecks_.begin());
  }
  if (binlog_pending_.reservations) {
    next_reservation_poll_ = clock_.Now() + options_.reservation_poll_interval;
    AV_RETURN_IF_ERROR(PollReservations());
    binlog_pending_.reservations = false;
  }
  if (!binlog_pending_.source_item_ids.empty()) {
    std::vector<int64_t> buckets;
    for (int64_t id : binlog_pending_.source_item_ids) {
      buckets.push_back(id / options_.bucket_size);
    }
    std::sort(buckets.begin(), buckets.end());
    buckets.erase(std::unique(buckets.begin(), buckets.end()), buckets.end());
    // Runs of adjacent buckets, one query each.
    for (size_t i = 0; i < buckets.size();) {
      size_t j = i + 1;
      while (j < buckets.size() && buckets[j] == buckets[j - 1] + 1) ++j;
      AV_RETURN_IF_ERROR(CheckBuckets(buckets[i], buckets[j - 1] + 1));
      i = j;
    }
    binlog_pending_.source_item_ids.clear();
  }
  return absl::OkStatus();
}

absl::Status MagentoSync::CheckBuckets(int64_t first, int64_t end) {
  std::set<std::string> skus;
  const bool to_end = end <= 0;
  AV_ASSIGN_OR_RETURN(
      std::vector<BucketChecksum> sums,
      ReadSourceItemChecksums(*db_, schema_, options_.bucket_size, first,
                              to_end ? 0 : end));
  std::vector<BucketChecksum> changed;
  std::vector<int64_t> emptied;
  {
    auto known = buckets_.lower_bound(first);
    const auto known_end = to_end ? buckets_.end() : buckets_.lower_bound(end);
    size_t i = 0;
    while (known != known_end || i < sums.size()) {
      if (i == sums.size() ||
          (known != known_end && known->first < sums[i].bucket)) {
        emptied.push_back(known->first);
        ++known;
      } else if (known == known_end || sums[i].bucket < known->first) {
        changed.push_back(sums[i++]);
      } else {
        if (known->second.rows != sums[i].rows ||
            known->second.checksum != sums[i].checksum) {
          changed.push_back(sums[i]);
        }
        ++known;
        ++i;
      }
    }
  }
  // A changed bucket: the SKUs it has now and those it had (a deleted
  // source item names its SKU only in the latter).
  std::map<int64_t, std::vector<std::string>> bucket_skus;
  for (const BucketChecksum& c : changed) {
    AV_ASSIGN_OR_RETURN(
        bucket_skus[c.bucket],
        ReadSourceItemSkus(*db_, schema_, options_.bucket_size, c.bucket));
    skus.insert(bucket_skus[c.bucket].begin(), bucket_skus[c.bucket].end());
    if (auto known = buckets_.find(c.bucket); known != buckets_.end()) {
      skus.insert(known->second.skus.begin(), known->second.skus.end());
    }
  }
  for (int64_t b : emptied) {
    const std::vector<std::string>& gone = buckets_[b].skus;
    skus.insert(gone.begin(), gone.end());
  }

  if (!skus.empty()) {
    AV_RETURN_IF_ERROR(RecomputeSkus(skus));
    Log(SyncLogLevel::kDebug, "incremental update",
        {{"skus", absl::StrCat(skus.size())},
         {"changed_buckets", absl::StrCat(changed.size())}});
  }

  // Only now that the SKUs are written does the scan move on, so a failure
  // re-reads the same changes.
  for (const BucketChecksum& c : changed) {
    buckets_[c.bucket] = {c.rows, c.checksum, std::move(bucket_skus[c.bucket])};
  }
  for (int64_t b : emptied) buckets_.erase(b);
  return absl::OkStatus();
}

absl::Status MagentoSync::RecomputeSkus(const std::set<std::string>& skus) {
  const int64_t version = NextVersion();
  const absl::Time read_at = clock_.Now();
  CatalogChunk chunk;
  AV_RETURN_IF_ERROR(BeginSnapshot(*db_));
  std::vector<std::string> batch;
  for (auto it = skus.begin(); it != skus.end();) {
    batch.push_back(*it);
    ++it;
    if (static_cast<int>(batch.size()) >= options_.max_skus_per_read ||
        it == skus.end()) {
      AV_RETURN_IF_ERROR(
          ReadProductsBySku(*db_, schema_, batch, stocks_, &chunk));
      batch.clear();
    }
  }
  AV_RETURN_IF_ERROR(EndSnapshot(*db_));
  BuiltRecords built = BuildRecords(chunk, stocks_, scope_, version, read_at);
  // What Magento has no record of any more: every (stock, SKU) asked for
  // that got neither a record nor a refusal (a refused record stays as
  // stored). SKUs as the catalog spells them, and as asked.
  std::set<std::pair<int32_t, std::string>> present;
  for (const core::Record& r : built.records)
    present.emplace(r.stock_id, r.sku);
  for (const SkippedRecord& r : built.skipped) {
    present.emplace(r.stock_id, r.sku);
  }
  std::set<std::string> names(skus.begin(), skus.end());
  for (const ProductData& p : chunk.products) names.insert(p.sku);
  std::map<int32_t, std::vector<std::string>> absent;
  for (int32_t stock : stocks_) {
    for (const std::string& sku : names) {
      if (IsValidSku(sku) && present.count({stock, sku}) == 0) {
        absent[stock].push_back(sku);
      }
    }
  }
  const int64_t count = static_cast<int64_t>(built.records.size());
  // While a reconcile runs, its snapshot must hold these records too, or
  // FinishSnapshot would delete a product that appeared after its chunk.
  // A refused product's stored record stays as it is (the reconcile's own
  // chunk keeps it in the snapshot).
  AV_RETURN_IF_ERROR(WriteRecords(
      std::move(built.records),
      reconcile_.has_value() ? reconcile_->snapshot_id : std::string()));
  AV_RETURN_IF_ERROR(DeleteAbsent(absent, version));
  ReportSkipped(built.skipped);
  incremental_updates_.fetch_add(count);
  return absl::OkStatus();
}

absl::Status MagentoSync::DeleteAbsent(
    const std::map<int32_t, std::vector<std::string>>& absent,
    int64_t version) {
  std::vector<cache::DeleteKey> keys;
  for (const auto& [stock, skus] : absent) {
    if (skus.empty()) continue;
    AV_ASSIGN_OR_RETURN(cache::RedisReply reply,
                        ReadStoredRecords(stock, skus));
    for (size_t i = 0; i < skus.size(); ++i) {
      if (reply.elements[i].type == cache::RedisReply::Type::kString) {
        keys.push_back({stock, skus[i], version});
      }
    }
  }
  if (keys.empty()) return absl::OkStatus();
  const size_t count = keys.size();
  AV_ASSIGN_OR_RETURN(
      std::vector<cache::WriteOutcome> outcomes,
      AwaitValue<std::vector<cache::WriteOutcome>>(
          [&](cache::RecordWriter::Callback<std::vector<cache::WriteOutcome>>
                  done) {
            writer_.Delete(std::move(keys),
                           absl::Now() + options_.redis_timeout,
                           std::move(done));
          }));
  AV_RETURN_IF_ERROR(cache::FirstFailure(outcomes));
  Log(SyncLogLevel::kInfo,
      "records deleted: no longer on the stock in Magento (source items "
      "removed, product disabled or unassigned)",
      {{"records", absl::StrCat(count)}});
  return absl::OkStatus();
}

}  // namespace availability::sync::magento
