#include "server/stream_upsert_reactor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/sync_call.h"
#include "server/sync_mapping.h"

namespace availability::server {

namespace v1 = ::availability::v1;

StreamUpsertReactor::StreamUpsertReactor(Options options,
                                         cache::RecordWriter& writer,
                                         const core::Clock& clock,
                                         grpc::CallbackServerContext& context,
                                         v1::UpsertRecordsResponse& response)
    : options_(options),
      writer_(writer),
      clock_(clock),
      context_(context),
      response_(response) {
  ReactorLock lock(&mutex_);
  response_.Clear();
  ReadNext();
}

void StreamUpsertReactor::OnReadDone(bool ok) {
  ReactorLock lock(&mutex_);
  read_pending_ = false;
  if (!ok) reading_done_ = true;  // half-closed or cancelled
  if (!ok || !error_.ok()) {
    MaybeFinish();
    return;
  }
  ++messages_;
  // A message with a field that is not valid UTF-8 stops the stream like
  // any other bad message: neither it nor anything after it is written.
  absl::Status check = parsed_.status();
  const v1::UpsertRecordsRequest& request = parsed_.message();
  if (check.ok()) check = ValidateUpsertRequest(request);
  if (!check.ok()) {
    Fail(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat("message ", messages_, ": ", check.message(),
                                   "; earlier messages were applied")));
    return;
  }
  const int n = request.records_size();
  std::vector<core::Record> valid;
  std::vector<int64_t> indices;
  valid.reserve(n);
  indices.reserve(n);
  for (int i = 0; i < n; ++i) {
    const v1::InventoryRecord& in = request.records(i);
    const int64_t index = next_index_ + i;
    absl::StatusOr<core::Record> r =
        RecordFromApi(in, absl::StrCat("records[", index, "]"));
    if (!r.ok()) {
      response_.set_rejected(response_.rejected() + 1);
      if (v1::RecordOutcome* o = AddOutcome(index, in.sku(), in.stock_id())) {
        o->set_result(v1::RecordOutcome::RESULT_REJECTED);
        o->set_error(std::string(r.status().message()));
      }
      continue;
    }
    valid.push_back(*std::move(r));
    indices.push_back(index);
  }
  next_index_ += n;
  if (!valid.empty()) Write(std::move(valid), std::move(indices));
  if (writes_in_flight_ < kMaxWritesInFlight) {
    ReadNext();
  } else {
    read_waits_for_write_ = true;
  }
}

void StreamUpsertReactor::Write(std::vector<core::Record> valid,
                                std::vector<int64_t> indices) {
  std::vector<std::pair<std::string, int32_t>> keys;
  keys.reserve(valid.size());
  for (const core::Record& r : valid) keys.emplace_back(r.sku, r.stock_id);
  ++writes_in_flight_;
  const int64_t message = messages_;
  writer_.Upsert(
      std::move(valid), parsed_.message().snapshot_id(), clock_.Now(),
      SyncCallDeadline(context_, options_.write_timeout),
      [this, message, indices = std::move(indices), keys = std::move(keys)](
          absl::StatusOr<std::vector<cache::WriteOutcome>> result) {
        ReactorLock lock(&mutex_);
        OnWritten(message, indices, keys, std::move(result));
      });
}

void StreamUpsertReactor::OnWritten(
    int64_t message, const std::vector<int64_t>& indices,
    const std::vector<std::pair<std::string, int32_t>>& keys,
    absl::StatusOr<std::vector<cache::WriteOutcome>> result) {
  --writes_in_flight_;
  if (!result.ok()) {
    Fail(CacheError(result.status(),
                    absl::StrCat("writing message ", message,
                                 " (earlier messages were applied)")));
    return;
  }
  // A stock the cache failed on stops the stream like a failed write: a bulk
  // load (a snapshot import) must not go on to FinishSnapshot, which would
  // delete the records that failed.
  if (absl::Status failed = cache::FirstFailure(*result); !failed.ok()) {
    Fail(
        CacheError(failed, absl::StrCat("writing message ", message,
                                        " (earlier messages and this message's "
                                        "other stocks were applied)")));
    return;
  }
  for (size_t k = 0; k < indices.size(); ++k) {
    const cache::WriteOutcome& w = (*result)[k];
    CountWriteOutcome(w, response_);
    if (w.result == cache::WriteResult::kApplied) continue;
    if (v1::RecordOutcome* o =
            AddOutcome(indices[k], keys[k].first, keys[k].second)) {
      WriteOutcomeToApi(w, o);
    }
  }
  if (read_waits_for_write_) {
    read_waits_for_write_ = false;
    ReadNext();
  }
  MaybeFinish();
}

void StreamUpsertReactor::ReadNext() {
  read_pending_ = true;
  mutex_.Defer([this] { StartRead(&parsed_); });
}

void StreamUpsertReactor::Fail(grpc::Status status) {
  if (error_.ok()) error_ = std::move(status);
  read_waits_for_write_ = false;
  MaybeFinish();
}

void StreamUpsertReactor::MaybeFinish() {
  if (finished_ || read_pending_ || writes_in_flight_ > 0) return;
  if (!reading_done_ && error_.ok()) return;
  finished_ = true;
  // After the lock is released: OnDone may delete `this` at once.
  mutex_.Defer([this, status = error_] { Finish(status); });
}

v1::RecordOutcome* StreamUpsertReactor::AddOutcome(int64_t index,
                                                   const std::string& sku,
                                                   int32_t stock_id) {
  if (response_.outcomes_size() >= options_.max_outcomes) return nullptr;
  v1::RecordOutcome* o = response_.add_outcomes();
  o->set_index(static_cast<int32_t>(index));
  o->set_sku(sku);
  o->set_stock_id(stock_id);
  return o;
}

}  // namespace availability::server
