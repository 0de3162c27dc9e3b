#include "server/channel_resolver.h"

#include <utility>

namespace availability::server {

ChannelResolver::ChannelResolver(Options options, cache::RecordStore& store,
                                 const core::Clock& clock)
    : options_(options), store_(store), clock_(clock) {}

void ChannelResolver::Resolve(const std::string& code, absl::Time deadline,
                              Callback done) {
  const absl::Time now = clock_.Now();
  std::optional<int32_t> cached;
  bool hit = false;
  bool refresh = false;
  {
    absl::MutexLock lock(&mutex_);
    auto it = entries_.find(code);
    if (it != entries_.end()) {
      Entry& entry = it->second;
      const absl::Duration age = now - entry.fetched;
      if (entry.stock_id.has_value()) {
        hit = true;
        cached = entry.stock_id;
        if (age > options_.refresh && !entry.refreshing) {
          entry.refreshing = true;
          refresh = true;
        }
      } else if (age <= options_.negative_ttl) {
        hit = true;
      }
    }
  }
  if (refresh) {
    // Stale-while-revalidate: answer now, re-read in the background.
    Fetch(code, now + absl::Seconds(1),
          [](absl::StatusOr<std::optional<int32_t>>) {});
  }
  if (hit) {
    done(cached);
    return;
  }
  Fetch(code, deadline, std::move(done));
}

void ChannelResolver::Fetch(const std::string& code, absl::Time deadline,
                            Callback done) {
  store_.ResolveSalesChannel(
      code, deadline,
      [this, code,
       done = std::move(done)](absl::StatusOr<std::optional<int32_t>> result) {
        {
          absl::MutexLock lock(&mutex_);
          if (result.ok()) {
            if (entries_.size() >= options_.max_entries &&
                !entries_.contains(code)) {
              entries_.clear();  // bounded: codes are few; junk is dropped
            }
            Entry& entry = entries_[code];
            entry.stock_id = *result;
            entry.fetched = clock_.Now();
            entry.refreshing = false;
          } else {
            auto it = entries_.find(code);
            if (it != entries_.end()) it->second.refreshing = false;
          }
        }
        done(std::move(result));
      });
}

}  // namespace availability::server
