#include "server/demand_report.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "core/decision.h"
#include "server/api_convert.h"
#include "server/availability_lookup.h"
#include "server/grpc_status.h"
#include "server/sync_call.h"

namespace availability::server {
namespace {

int64_t Views(const cache::DemandCounts& c) {
  return c.product_page_views + c.listing_views;
}

}  // namespace

struct DemandReport::Call {
  int32_t stock_id = 0;
  int limit = 0;
  absl::Time deadline;
  v1::DemandReport* response = nullptr;
  std::function<void(grpc::Status)> done;
  // SKUs with demand, highest first (at most kMaxCandidates), and per SKU
  // its current answer and resolved notify_stock_qty (nullopt: no record).
  std::vector<std::pair<std::string, cache::DemandCounts>> ranked;
  AvailabilityLookup::Answers answers;
  std::vector<std::optional<core::Qty>> notify;
  // Indices into `ranked` of the two lists.
  std::vector<size_t> top;
  std::vector<size_t> low_stock;

  void Fail(const absl::Status& status, absl::string_view doing) {
    done(CacheError(status, doing));
  }
};

DemandReport::DemandReport(cache::DemandStore& demand,
                           AvailabilityLookup& lookup,
                           cache::RecordStore& records,
                           const core::Clock& clock)
    : demand_(demand), lookup_(lookup), records_(records), clock_(clock) {}

absl::Status DemandReport::Validate(const v1::GetDemandReportRequest& request) {
  if (request.stock_id() < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("stock_id: must be >= 1, got ", request.stock_id()));
  }
  const int days = request.days();
  if (days != 1 && days != 7 && days != 30) {
    return absl::InvalidArgumentError(
        absl::StrCat("days: must be 1, 7 or 30, got ", days));
  }
  if (request.limit() < 0 || request.limit() > kMaxLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit: must be 1..", kMaxLimit, " (0: ", kDefaultLimit,
                     "), got ", request.limit()));
  }
  return absl::OkStatus();
}

void DemandReport::Run(const v1::GetDemandReportRequest& request,
                       absl::Time deadline, v1::DemandReport* response,
                       std::function<void(grpc::Status)> done) {
  if (absl::Status s = Validate(request); !s.ok()) {
    done(ToGrpcStatus(s));
    return;
  }
  auto call = std::make_shared<Call>();
  call->stock_id = request.stock_id();
  call->limit = request.limit() == 0 ? kDefaultLimit : request.limit();
  call->deadline = deadline;
  call->response = response;
  call->done = std::move(done);

  const absl::CivilDay last =
      absl::ToCivilDay(clock_.Now(), absl::UTCTimeZone());
  const absl::CivilDay first = last - (request.days() - 1);
  response->set_stock_id(request.stock_id());
  response->set_days(request.days());
  DateToApi(first, response->mutable_first_day());
  DateToApi(last, response->mutable_last_day());

  demand_.Read(call->stock_id, first, last, deadline,
               [this, call](absl::StatusOr<cache::DemandSums> sums) {
                 if (!sums.ok()) {
                   call->Fail(sums.status(), "reading demand counts");
                   return;
                 }
                 call->response->set_skus_with_demand(
                     static_cast<int64_t>(sums->size()));
                 call->ranked.assign(sums->begin(), sums->end());
                 std::sort(
                     call->ranked.begin(), call->ranked.end(),
                     [](const auto& a, const auto& b) {
                       if (Views(a.second) != Views(b.second)) {
                         return Views(a.second) > Views(b.second);
                       }
                       if (a.second.backorder_qty != b.second.backorder_qty) {
                         return a.second.backorder_qty > b.second.backorder_qty;
                       }
                       return a.first < b.first;
                     });
                 if (call->ranked.size() > kMaxCandidates) {
                   call->ranked.resize(kMaxCandidates);
                 }
                 if (call->ranked.empty()) {
                   call->done(grpc::Status::OK);
                   return;
                 }
                 ReadAnswers(call);
               });
}

void DemandReport::ReadAnswers(std::shared_ptr<Call> call) {
  ValidatedQuery query;
  query.scope.stock_id = call->stock_id;
  query.items.reserve(call->ranked.size());
  for (const auto& [sku, counts] : call->ranked) {
    query.items.push_back({sku, std::nullopt});
  }
  lookup_.Run(std::move(query), call->deadline,
              [this, call](absl::StatusOr<AvailabilityLookup::Answers> a) {
                if (!a.ok()) {
                  call->Fail(a.status(), "reading current answers");
                  return;
                }
                call->answers = *std::move(a);
                ReadSettings(call);
              });
}

void DemandReport::ReadSettings(std::shared_ptr<Call> call) {
  std::vector<std::string> skus;
  skus.reserve(call->ranked.size());
  for (const auto& entry : call->ranked) skus.push_back(entry.first);
  records_.ReadStock(
      call->stock_id, std::move(skus), call->deadline,
      [this, call](absl::StatusOr<cache::StockSnapshot> snapshot) {
        if (!snapshot.ok()) {
          call->Fail(snapshot.status(), "reading records");
          return;
        }
        call->notify.assign(call->ranked.size(), std::nullopt);
        for (size_t i = 0;
             i < call->ranked.size() && i < snapshot->records.size(); ++i) {
          const auto& record = snapshot->records[i];
          if (record.ok() && record->has_value()) {
            call->notify[i] = core::ResolveSettings(**record, *snapshot->config)
                                  .notify_stock_qty;
          }
        }
        const size_t limit = static_cast<size_t>(call->limit);
        for (size_t i = 0; i < call->ranked.size(); ++i) {
          if (call->top.size() < limit) call->top.push_back(i);
          if (call->low_stock.size() >= limit) continue;
          const v1::ProductAvailability& answer =
              call->answers.Get(static_cast<int>(i));
          if (call->notify[i].has_value() && answer.has_salable_quantity()) {
            absl::StatusOr<core::Qty> salable =
                core::QtyFromDouble(answer.salable_quantity());
            if (salable.ok() && *salable <= *call->notify[i]) {
              call->low_stock.push_back(i);
            }
          }
        }
        ReadSubscribers(call);
      });
}

void DemandReport::ReadSubscribers(std::shared_ptr<Call> call) {
  std::vector<size_t> reported = call->top;
  reported.insert(reported.end(), call->low_stock.begin(),
                  call->low_stock.end());
  std::sort(reported.begin(), reported.end());
  reported.erase(std::unique(reported.begin(), reported.end()), reported.end());
  std::vector<std::string> skus;
  for (size_t i : reported) skus.push_back(call->ranked[i].first);
  demand_.CountSubscribers(
      call->stock_id, skus, call->deadline,
      [call, reported](absl::StatusOr<std::vector<int64_t>> subscribers) {
        if (!subscribers.ok()) {
          call->Fail(subscribers.status(), "counting subscriptions");
          return;
        }
        auto fill = [&](size_t i, v1::DemandItem* item) {
          const auto& [sku, counts] = call->ranked[i];
          item->set_sku(sku);
          item->set_product_page_views(counts.product_page_views);
          item->set_listing_views(counts.listing_views);
          item->set_backorder_quantity(QtyToApi(counts.backorder_qty));
          const size_t k =
              std::lower_bound(reported.begin(), reported.end(), i) -
              reported.begin();
          item->set_subscribers((*subscribers)[k]);
          const v1::ProductAvailability& answer =
              call->answers.Get(static_cast<int>(i));
          if (!answer.has_error()) item->set_status(answer.display_status());
          if (answer.has_restock_date()) {
            *item->mutable_restock_date() = answer.restock_date();
          }
          if (answer.has_salable_quantity()) {
            item->set_salable_quantity(answer.salable_quantity());
          }
          if (call->notify[i].has_value()) {
            item->set_notify_stock_quantity(QtyToApi(*call->notify[i]));
          }
        };
        for (size_t i : call->top) fill(i, call->response->add_top());
        for (size_t i : call->low_stock) {
          fill(i, call->response->add_low_stock());
        }
        call->done(grpc::Status::OK);
      });
}

}  // namespace availability::server
