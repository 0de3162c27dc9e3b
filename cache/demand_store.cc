#include "cache/demand_store.h"

#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "cache/redis_reply.h"

namespace availability::cache {
namespace {

// Field prefixes of a bucket: "<kind>:<sku>".
constexpr absl::string_view kProductPage = "p:";
constexpr absl::string_view kListing = "l:";
constexpr absl::string_view kBackorder = "q:";

// Runs `done` once, when every one of `parts` pipelines has answered, with
// OK or the first error.
class Countdown {
 public:
  Countdown(size_t parts, std::function<void(absl::Status)> done)
      : left_(parts), done_(std::move(done)) {}

  void Finish(absl::Status status) {
    std::function<void(absl::Status)> done;
    absl::Status result;
    {
      absl::MutexLock lock(&mu_);
      if (first_error_.ok() && !status.ok()) first_error_ = std::move(status);
      if (--left_ > 0) return;
      done = std::move(done_);
      result = first_error_;
    }
    done(std::move(result));
  }

 private:
  absl::Mutex mu_;
  size_t left_ ABSL_GUARDED_BY(mu_);
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
  std::function<void(absl::Status)> done_ ABSL_GUARDED_BY(mu_);
};

// OK when every reply of a pipeline arrived and none is an error.
absl::Status PipelineStatus(
    const absl::StatusOr<std::vector<RedisReply>>& replies,
    absl::string_view what) {
  if (!replies.ok()) return replies.status();
  for (const RedisReply& r : *replies) {
    if (r.is_error()) return RedisErrorStatus(r.str, what);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> OpenSubscriptionsCommand(const KeySchema& keys,
                                                  int32_t stock_id,
                                                  absl::string_view sku) {
  return {"HLEN", keys.Subscriptions(stock_id, sku)};
}

DemandStore::DemandStore(RedisClient& client, KeySchema keys, Options options)
    : client_(client), keys_(std::move(keys)), options_(options) {}

std::string DemandStore::DayName(absl::CivilDay day) {
  return absl::StrFormat("%04d%02d%02d", day.year(), day.month(), day.day());
}

void DemandStore::Add(absl::CivilDay day,
                      const std::vector<DemandIncrement>& increments,
                      absl::Time deadline,
                      std::function<void(absl::Status)> done) {
  const std::string day_name = DayName(day);
  const std::string ttl = absl::StrCat(
      std::max<int64_t>(1, absl::ToInt64Seconds(options_.bucket_ttl)));
  // Pipelines of at most max_pipeline HINCRBYs, each ending with the EXPIRE
  // of the buckets it touched.
  std::vector<std::vector<std::vector<std::string>>> pipelines;
  std::vector<std::vector<std::string>> commands;
  std::vector<int32_t> stocks;  // touched by `commands`, no repeats
  auto end_pipeline = [&] {
    if (commands.empty()) return;
    for (int32_t stock : stocks) {
      commands.push_back({"EXPIRE", keys_.DemandBucket(stock, day_name), ttl});
    }
    pipelines.push_back(std::move(commands));
    commands.clear();
    stocks.clear();
  };
  auto add = [&](const DemandIncrement& inc, absl::string_view kind,
                 int64_t by) {
    if (by == 0) return;
    if (std::find(stocks.begin(), stocks.end(), inc.stock_id) == stocks.end()) {
      stocks.push_back(inc.stock_id);
    }
    commands.push_back({"HINCRBY", keys_.DemandBucket(inc.stock_id, day_name),
                        absl::StrCat(kind, inc.sku), absl::StrCat(by)});
    if (commands.size() >= options_.max_pipeline) end_pipeline();
  };
  for (const DemandIncrement& inc : increments) {
    add(inc, kProductPage, inc.counts.product_page_views);
    add(inc, kListing, inc.counts.listing_views);
    add(inc, kBackorder, inc.counts.backorder_qty);
  }
  end_pipeline();
  if (pipelines.empty()) {
    done(absl::OkStatus());
    return;
  }
  auto countdown =
      std::make_shared<Countdown>(pipelines.size(), std::move(done));
  for (auto& pipeline : pipelines) {
    client_.ExecutePipeline(
        std::move(pipeline), deadline,
        [countdown](absl::StatusOr<std::vector<RedisReply>> replies) {
          countdown->Finish(PipelineStatus(replies, "adding demand counts"));
        });
  }
}

void DemandStore::Read(int32_t stock_id, absl::CivilDay first,
                       absl::CivilDay last, absl::Time deadline,
                       std::function<void(absl::StatusOr<DemandSums>)> done) {
  std::vector<std::vector<std::string>> commands;
  for (absl::CivilDay d = first; d <= last; ++d) {
    commands.push_back({"HGETALL", keys_.DemandBucket(stock_id, DayName(d))});
  }
  client_.ExecutePipeline(
      std::move(commands), deadline,
      [done =
           std::move(done)](absl::StatusOr<std::vector<RedisReply>> replies) {
        constexpr absl::string_view kWhat = "reading demand counts";
        if (absl::Status s = PipelineStatus(replies, kWhat); !s.ok()) {
          done(s);
          return;
        }
        DemandSums sums;
        for (const RedisReply& bucket : *replies) {
          if (bucket.type != RedisReply::Type::kArray ||
              bucket.elements.size() % 2 != 0) {
            done(UnexpectedReply(kWhat));
            return;
          }
          for (size_t i = 0; i + 1 < bucket.elements.size(); i += 2) {
            absl::string_view field = bucket.elements[i].str;
            int64_t value = 0;
            if (!absl::SimpleAtoi(bucket.elements[i + 1].str, &value)) {
              done(UnexpectedReply(kWhat));
              return;
            }
            const absl::string_view kind = field.substr(0, 2);
            const std::string sku(
                field.substr(std::min<size_t>(2, field.size())));
            if (kind == kProductPage) {
              sums[sku].product_page_views += value;
            } else if (kind == kListing) {
              sums[sku].listing_views += value;
            } else if (kind == kBackorder) {
              sums[sku].backorder_qty += value;
            }  // another kind: written by a newer server, ignored
          }
        }
        done(std::move(sums));
      });
}

void DemandStore::CountSubscribers(
    int32_t stock_id, const std::vector<std::string>& skus, absl::Time deadline,
    std::function<void(absl::StatusOr<std::vector<int64_t>>)> done) {
  if (skus.empty()) {
    done(std::vector<int64_t>());
    return;
  }
  std::vector<std::vector<std::string>> commands;
  commands.reserve(skus.size());
  for (const std::string& sku : skus) {
    commands.push_back(OpenSubscriptionsCommand(keys_, stock_id, sku));
  }
  client_.ExecutePipeline(
      std::move(commands), deadline,
      [done =
           std::move(done)](absl::StatusOr<std::vector<RedisReply>> replies) {
        constexpr absl::string_view kWhat = "counting subscriptions";
        if (absl::Status s = PipelineStatus(replies, kWhat); !s.ok()) {
          done(s);
          return;
        }
        std::vector<int64_t> counts;
        counts.reserve(replies->size());
        for (const RedisReply& r : *replies) {
          if (r.type != RedisReply::Type::kInteger) {
            done(UnexpectedReply(kWhat));
            return;
          }
          counts.push_back(r.integer);
        }
        done(std::move(counts));
      });
}

}  // namespace availability::cache
