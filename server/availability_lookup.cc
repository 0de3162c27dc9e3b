#include "server/availability_lookup.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/log.h"
#include "core/composite.h"
#include "core/decision.h"
#include "server/availability_mapping.h"

namespace availability::server {
using ::availability::base::JsonQuote;
using ::availability::base::Log;
using ::availability::base::LogEnabled;
using ::availability::base::LogLevel;

bool BrokenRecordLog::Report(absl::string_view key, const absl::Status& error) {
  count_.fetch_add(1, std::memory_order_relaxed);
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = logged_at_.find(key);
    if (it != logged_at_.end()) {
      if (now - it->second < interval_) return false;
      it->second = now;
    } else {
      if (logged_at_.size() >= kMaxKeys) {
        // Forget the keys logged longest ago (half of them at least).
        std::vector<absl::Time> times;
        times.reserve(logged_at_.size());
        for (const auto& [k, at] : logged_at_) times.push_back(at);
        std::nth_element(times.begin(), times.begin() + times.size() / 2,
                         times.end());
        const absl::Time cut = times[times.size() / 2];
        for (auto old = logged_at_.begin(); old != logged_at_.end();) {
          if (old->second <= cut) {
            logged_at_.erase(old++);
          } else {
            ++old;
          }
        }
      }
      logged_at_.emplace(key, now);
    }
  }
  Log(LogLevel::kWarning, "broken record in the cache",
      {{"key", std::string(key)},
       {"error", std::string(error.message())},
       {"repeats", absl::StrCat("logged at most once per ",
                                absl::FormatDuration(interval_), " per key")}});
  return true;
}

struct AvailabilityLookup::Call {
  ValidatedQuery query;
  absl::Time deadline;
  // Answers handed over (Run, RunWithComponents) ...
  Callback done;
  // ... or written in place (RunInto): into one of these, then done_in_place.
  StatusCallback done_in_place;
  Answers* out_list = nullptr;
  v1::ProductAvailability* out_single = nullptr;

  // Ends the call: `answers` is an error, or the answers (empty when they
  // were written in place).
  void Done(absl::StatusOr<Answers> answers) {
    if (done_in_place) {
      done_in_place(answers.status());
    } else {
      done(std::move(answers));
    }
  }
  int32_t stock_id = 0;
  absl::CivilDay today;
  // The near-cache ticket taken before anything was read.
  uint64_t ticket = 0;
  // Served from memory while Redis is unreachable.
  bool stale = false;
  cache::NearCache::ConfigPtr config;
  // The distinct SKUs of the query in first-asked order (views into
  // query.items, which never change), and per item the index of its SKU
  // there: a SKU named twice is looked up and read once. After the first
  // `asked` come the components of composite parents that no item names
  // (views into component_skus), read in one more round trip.
  absl::InlinedVector<absl::string_view, 1> skus;
  Indexes sku_of_item;
  absl::flat_hash_map<absl::string_view, size_t> index;
  size_t asked = 0;
  std::deque<std::string> component_skus;
  bool components_added = false;
  // RunWithComponents: per item, ComponentSkus of its record.
  std::shared_ptr<std::vector<std::vector<std::string>>> components_out;
  // Per distinct SKU; null: the SKU is not on the stock (or broken).
  absl::InlinedVector<cache::NearCache::RecordPtr, 1> records;
  // Per distinct SKU: OK, or DataLoss naming the key of a broken record.
  absl::InlinedVector<absl::Status, 1> errors;
  // Per item (a placeholder for items of broken records).
  absl::InlinedVector<core::Decision, 1> decisions;
  // Per item: a composite parent's components (docs/domain.md §10); empty
  // for simple products.
  std::vector<std::vector<core::ComponentAnswer>> components;
  // Items (indexes) that want alternatives.
  std::vector<size_t> wanting;
};

AvailabilityLookup::AvailabilityLookup(cache::RecordStore& store,
                                       ChannelResolver& channels,
                                       const core::Clock& clock,
                                       cache::NearCache* near_cache)
    : store_(store),
      channels_(channels),
      clock_(clock),
      near_cache_(near_cache),
      broken_(clock, kBrokenLogInterval) {}

void AvailabilityLookup::ResolveStock(
    const ValidatedScope& scope, absl::Time deadline,
    std::function<void(absl::StatusOr<int32_t>)> done) {
  if (scope.stock_id > 0) {
    done(scope.stock_id);
    return;
  }
  channels_.Resolve(
      scope.sales_channel, deadline,
      [code = scope.sales_channel,
       done = std::move(done)](absl::StatusOr<std::optional<int32_t>> r) {
        if (!r.ok()) {
          done(r.status());
        } else if (!r->has_value()) {
          done(absl::InvalidArgumentError(absl::StrCat(
              "scope.sales_channel: unknown channel ", JsonQuote(code))));
        } else {
          done(**r);
        }
      });
}

void AvailabilityLookup::ReadTimeZone(
    int32_t stock_id, absl::Time deadline,
    std::function<void(absl::StatusOr<absl::TimeZone>)> done) {
  cache::NearCache::ConfigPtr config;
  if (near_cache_ != nullptr && near_cache_->GetConfig(stock_id, &config)) {
    done(config->time_zone);
    return;
  }
  store_.ReadStock(
      stock_id, {}, deadline,
      [done = std::move(done)](absl::StatusOr<cache::StockSnapshot> snapshot) {
        if (!snapshot.ok()) {
          done(snapshot.status());
        } else {
          done(snapshot->config->time_zone);
        }
      });
}

void AvailabilityLookup::RunWithComponents(ValidatedQuery query,
                                           absl::Time deadline,
                                           ComponentsCallback done) {
  auto components = std::make_shared<std::vector<std::vector<std::string>>>();
  auto call = std::make_shared<Call>();
  call->components_out = components;
  call->done = [components,
                done = std::move(done)](absl::StatusOr<Answers> answers) {
    components->resize(answers.ok() ? answers->size() : 0);
    done(std::move(answers), std::move(*components));
  };
  Start(std::move(call), std::move(query), deadline);
}

void AvailabilityLookup::Run(ValidatedQuery query, absl::Time deadline,
                             Callback done) {
  auto call = std::make_shared<Call>();
  call->done = std::move(done);
  Start(std::move(call), std::move(query), deadline);
}

void AvailabilityLookup::RunInto(ValidatedQuery query, absl::Time deadline,
                                 Answers* out_list,
                                 v1::ProductAvailability* out_single,
                                 StatusCallback done) {
  if ((out_list == nullptr) == (out_single == nullptr) ||
      (out_single != nullptr && query.items.size() != 1)) {
    done(absl::InternalError("RunInto: one output, a single one per item"));
    return;
  }
  auto call = std::make_shared<Call>();
  call->done_in_place = std::move(done);
  call->out_list = out_list;
  call->out_single = out_single;
  Start(std::move(call), std::move(query), deadline);
}

void AvailabilityLookup::Start(std::shared_ptr<Call> call, ValidatedQuery query,
                               absl::Time deadline) {
  call->query = std::move(query);
  call->deadline = deadline;
  const std::vector<ValidatedItem>& items = call->query.items;
  call->sku_of_item.reserve(items.size());
  for (const ValidatedItem& item : items) {
    auto [it, inserted] = call->index.try_emplace(item.sku, call->skus.size());
    if (inserted) call->skus.push_back(item.sku);
    call->sku_of_item.push_back(it->second);
  }
  call->asked = call->skus.size();
  const ValidatedScope scope = call->query.scope;
  ResolveStock(scope, deadline, [this, call](absl::StatusOr<int32_t> stock) {
    if (!stock.ok()) {
      call->Done(stock.status());
      return;
    }
    call->stock_id = *stock;
    ReadAndDecide(call);
  });
}

void AvailabilityLookup::ReadAndDecide(std::shared_ptr<Call> call) {
  const size_t n = call->skus.size();
  call->records.resize(n);
  call->errors.resize(n);
  Indexes missing;
  missing.reserve(n);
  if (near_cache_ == nullptr) {
    for (size_t i = 0; i < n; ++i) missing.push_back(i);
    ReadMissing(std::move(call), std::move(missing));
    return;
  }
  call->ticket = near_cache_->ReadTicket();
  if (!store_.client().IsConnected() || !near_cache_->redis_responsive()) {
    AnswerStale(std::move(call),
                absl::UnavailableError("redis is unreachable"));
    return;
  }
  const bool config_hit = near_cache_->GetConfig(call->stock_id, &call->config);
  for (size_t i = 0; i < n; ++i) {
    if (!near_cache_->GetRecord(call->stock_id, call->skus[i],
                                &call->records[i])) {
      missing.push_back(i);
    }
  }
  if (config_hit && missing.empty()) {
    ReadComponents(std::move(call));
    return;
  }
  ReadMissing(std::move(call), std::move(missing));
}

bool AvailabilityLookup::AddComponentSkus(Call& call) {
  if (call.components_added) return false;
  call.components_added = true;
  for (size_t i = 0; i < call.asked; ++i) {
    const core::Record* record = call.records[i].get();
    if (record == nullptr || !core::IsComposite(*record)) continue;
    for (std::string& sku : core::ComponentSkus(*record)) {
      if (call.index.contains(sku)) continue;
      const absl::string_view view =
          call.component_skus.emplace_back(std::move(sku));
      call.index.emplace(view, call.skus.size());
      call.skus.push_back(view);
    }
  }
  call.records.resize(call.skus.size());
  call.errors.resize(call.skus.size());
  return call.skus.size() > call.asked;
}

void AvailabilityLookup::ReadComponents(std::shared_ptr<Call> call) {
  if (!AddComponentSkus(*call)) {
    Decide(std::move(call));
    return;
  }
  Indexes missing;
  missing.reserve(call->skus.size() - call->asked);
  for (size_t i = call->asked; i < call->skus.size(); ++i) {
    if (near_cache_ == nullptr ||
        !near_cache_->GetRecord(call->stock_id, call->skus[i],
                                &call->records[i])) {
      missing.push_back(i);
    }
  }
  if (missing.empty()) {
    Decide(std::move(call));
    return;
  }
  ReadMissing(std::move(call), std::move(missing));
}

void AvailabilityLookup::ReadMissing(std::shared_ptr<Call> call,
                                     Indexes missing) {
  std::vector<std::string> skus;
  skus.reserve(missing.size());
  for (size_t i : missing) skus.emplace_back(call->skus[i]);
  // The config comes along in the same pipeline (GET + MGET), hit or not.
  store_.ReadStock(
      call->stock_id, std::move(skus), call->deadline,
      [this, call, missing = std::move(missing)](
          absl::StatusOr<cache::StockSnapshot> snapshot) mutable {
        if (!snapshot.ok()) {
          if (near_cache_ != nullptr &&
              snapshot.status().code() == absl::StatusCode::kUnavailable) {
            AnswerStale(std::move(call), snapshot.status());
          } else {
            call->Done(snapshot.status());
          }
          return;
        }
        call->config = std::move(snapshot->config);
        if (near_cache_ != nullptr) {
          near_cache_->PutConfig(call->stock_id, call->config, call->ticket);
        }
        for (size_t k = 0; k < missing.size(); ++k) {
          const size_t i = missing[k];
          absl::StatusOr<std::optional<core::Record>>& record =
              snapshot->records[k];
          if (!record.ok()) {
            // Not kept in the near-cache: re-read until repaired.
            broken_.Report(store_.keys().Record(call->stock_id, call->skus[i]),
                           record.status());
            call->errors[i] = std::move(record).status();
            continue;
          }
          cache::NearCache::RecordPtr ptr;
          if (record->has_value()) {
            ptr = std::make_shared<const core::Record>(std::move(**record));
          }
          if (near_cache_ != nullptr) {
            near_cache_->PutRecord(call->stock_id, call->skus[i], ptr,
                                   call->ticket);
          }
          call->records[i] = std::move(ptr);
        }
        ReadComponents(std::move(call));
      });
}

void AvailabilityLookup::AnswerStale(std::shared_ptr<Call> call,
                                     absl::Status why) {
  if (!near_cache_->GetStaleConfig(call->stock_id, &call->config)) {
    call->Done(absl::UnavailableError(
        absl::StrCat(why.message(), "; the store configuration of stock ",
                     call->stock_id, " is not held in memory")));
    return;
  }
  // The asked SKUs first, then (once their records are known) the
  // components of the composite ones among them.
  for (size_t i = 0; i < call->skus.size(); ++i) {
    if (!near_cache_->GetStaleRecord(call->stock_id, call->skus[i],
                                     &call->records[i])) {
      call->Done(absl::UnavailableError(
          absl::StrCat(why.message(), "; sku ", JsonQuote(call->skus[i]),
                       " is not held in memory")));
      return;
    }
    if (i + 1 == call->asked) AddComponentSkus(*call);
  }
  call->stale = true;
  Decide(std::move(call));
}

void AvailabilityLookup::Decide(std::shared_ptr<Call> call) {
  const core::StoreConfig& config = *call->config;
  call->today = core::StoreToday(config, clock_.Now());
  const size_t n = call->query.items.size();
  call->decisions.reserve(n);
  call->components.resize(n);
  // A component's record, or nullptr when it is not on the stock (or
  // broken: a composite answers without it).
  auto find = [&call](absl::string_view sku) -> const core::Record* {
    auto it = call->index.find(sku);
    return it == call->index.end() ? nullptr : call->records[it->second].get();
  };
  for (size_t i = 0; i < n; ++i) {
    const size_t sku = call->sku_of_item[i];
    const core::Record* record = call->records[sku].get();
    const std::optional<core::Qty>& qty = call->query.items[i].quantity;
    if (record == nullptr) {
      // Also the placeholder of a broken record (answered as an error).
      call->decisions.push_back(core::DecideUnknown(qty));
      continue;
    }
    if (core::IsComposite(*record)) {
      if (call->components_out != nullptr) {
        call->components_out->resize(n);
        (*call->components_out)[i] = core::ComponentSkus(*record);
      }
      core::CompositeDecision composite =
          core::DecideComposite(*record, config, find, call->today, qty);
      call->decisions.push_back(std::move(composite.decision));
      call->components[i] = std::move(composite.components);
    } else {
      call->decisions.push_back(
          core::Decide(*record, config, call->today, qty));
    }
    if (!call->stale && call->query.max_alternatives > 0 &&
        core::WantsAlternatives(call->decisions.back(), config, call->today)) {
      call->wanting.push_back(i);
    }
  }
  ReadAlternatives(std::move(call));  // answers at once when none are wanted
}

namespace {

// The candidates of one record in docs/domain.md §5 order, before filtering.
struct CandidateRef {
  std::string sku;
  core::Relation relation;
};

std::vector<CandidateRef> ExplicitCandidates(const core::Record& record) {
  std::vector<CandidateRef> out;
  if (!record.successor_sku.empty()) {
    out.push_back({record.successor_sku, core::Relation::kSuccessor});
  }
  for (const core::AlternativeLink& link : record.alternatives) {
    out.push_back({link.sku, link.relation});
  }
  return out;
}

}  // namespace

void AvailabilityLookup::ReadAlternatives(std::shared_ptr<Call> call) {
  auto answer = [call](const cache::RecordStore::Candidates* candidates) {
    const core::StoreConfig& config = *call->config;
    absl::flat_hash_map<absl::string_view, const core::Record*> by_sku;
    if (candidates != nullptr) {
      for (const auto& record : candidates->records) {
        if (record) by_sku.emplace(record->sku, &*record);
      }
    }
    // Handed over (Run), or written in place (RunInto).
    Answers answers;
    Answers* answer_list =
        call->out_list != nullptr ? call->out_list : &answers;
    const size_t n = call->query.items.size();
    if (call->out_single == nullptr) {
      answer_list->Reserve(answer_list->size() + static_cast<int>(n));
      for (size_t i = 0; i < n; ++i) answer_list->Add();
    }
    const int first = call->out_single == nullptr
                          ? answer_list->size() - static_cast<int>(n)
                          : 0;
    size_t next_wanting = 0;
    for (size_t i = 0; i < n; ++i) {
      const size_t sku = call->sku_of_item[i];
      // out_single: a query of one item.
      v1::ProductAvailability* out =
          call->out_single != nullptr
              ? call->out_single
              : answer_list->Mutable(first + static_cast<int>(i));
      if (!call->errors[sku].ok()) {
        out->set_sku(call->query.items[i].sku);
        ItemErrorToApi(call->errors[sku], out);
        continue;  // never among `wanting`
      }
      const core::Record* record = call->records[sku].get();
      const core::Decision& decision = call->decisions[i];
      DecisionToApi(call->query.items[i].sku, call->stock_id, record, decision,
                    call->stale, out);
      ComponentsToApi(call->components[i], out);
      if (candidates == nullptr || next_wanting >= call->wanting.size() ||
          call->wanting[next_wanting] != i) {
        continue;
      }
      ++next_wanting;
      std::vector<core::Candidate> list;
      for (const CandidateRef& ref : ExplicitCandidates(*record)) {
        auto it = by_sku.find(ref.sku);
        if (it == by_sku.end()) continue;
        list.push_back(
            {ref.sku, ref.relation,
             core::Decide(*it->second, config, call->today, std::nullopt)});
      }
      absl::flat_hash_set<int64_t> categories(record->category_ids.begin(),
                                              record->category_ids.end());
      for (const auto& ranked : candidates->by_category) {
        if (!categories.contains(ranked.category_id)) continue;
        list.push_back(
            {ranked.sku, core::Relation::kSameCategory,
             core::Decide(ranked.record, config, call->today, std::nullopt)});
      }
      const std::vector<core::PickedAlternative> picked =
          core::PickAlternatives(record->sku, decision, list,
                                 call->query.max_alternatives);
      for (const core::PickedAlternative& p : picked) {
        v1::Alternative* alt = out->add_alternatives();
        alt->set_sku(p.sku);
        alt->set_relation(RelationToApi(p.relation));
        CompactToApi(list[p.candidate_index].decision,
                     alt->mutable_availability());
      }
    }
    call->Done(std::move(answers));
  };

  if (call->wanting.empty()) {
    answer(nullptr);
    return;
  }
  std::vector<std::string> skus;
  std::vector<int64_t> categories;
  absl::flat_hash_set<std::string> seen_skus;
  absl::flat_hash_set<int64_t> seen_categories;
  for (size_t i : call->wanting) {
    const core::Record& record = *call->records[call->sku_of_item[i]];
    for (CandidateRef& ref : ExplicitCandidates(record)) {
      if (seen_skus.insert(ref.sku).second) skus.push_back(std::move(ref.sku));
    }
    for (int64_t category : record.category_ids) {
      if (seen_categories.insert(category).second) {
        categories.push_back(category);
      }
    }
  }
  // Ranked candidates that will be filtered out (the product itself, others
  // out of stock) must not starve the list: read a margin beyond the ask.
  const int per_category =
      static_cast<int>(2 * call->query.max_alternatives + 2);
  store_.ReadCandidates(
      call->stock_id, std::move(skus), std::move(categories), per_category,
      call->deadline,
      [this, call,
       answer](absl::StatusOr<cache::RecordStore::Candidates> result) {
        if (!result.ok()) {
          // Alternatives are a bonus: answer without them rather than fail.
          if (LogEnabled(LogLevel::kDebug)) {
            Log(LogLevel::kDebug, "alternatives not read",
                {{"error", result.status().ToString()}});
          }
          answer(nullptr);
          return;
        }
        for (const cache::BrokenRecord& broken : result->broken) {
          broken_.Report(broken.key, broken.error);
        }
        answer(&*result);
      });
}

}  // namespace availability::server
