#include "server/watch_registry.h"

#include "cache/near_cache.h"

namespace availability::server {

void WatchRegistry::Add(int32_t stock_id, const std::vector<std::string>& skus,
                        const std::shared_ptr<Watcher>& watcher) {
  absl::MutexLock lock(&mu_);
  AddSkusLocked(stock_id, skus, watcher);
  by_stock_[stock_id][watcher.get()] = watcher;
}

void WatchRegistry::Remove(int32_t stock_id,
                           const std::vector<std::string>& skus,
                           const Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  RemoveSkusLocked(stock_id, skus, watcher);
  auto it = by_stock_.find(stock_id);
  if (it != by_stock_.end()) {
    it->second.erase(watcher);
    if (it->second.empty()) by_stock_.erase(it);
  }
}

void WatchRegistry::AddSkus(int32_t stock_id,
                            const std::vector<std::string>& skus,
                            const std::shared_ptr<Watcher>& watcher) {
  absl::MutexLock lock(&mu_);
  AddSkusLocked(stock_id, skus, watcher);
}

void WatchRegistry::RemoveSkus(int32_t stock_id,
                               const std::vector<std::string>& skus,
                               const Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  RemoveSkusLocked(stock_id, skus, watcher);
}

void WatchRegistry::AddSkusLocked(int32_t stock_id,
                                  const std::vector<std::string>& skus,
                                  const std::shared_ptr<Watcher>& watcher) {
  for (const std::string& sku : skus) {
    by_sku_[{stock_id, sku}][watcher.get()] = watcher;
  }
}

void WatchRegistry::RemoveSkusLocked(int32_t stock_id,
                                     const std::vector<std::string>& skus,
                                     const Watcher* watcher) {
  for (const std::string& sku : skus) {
    auto it = by_sku_.find(std::make_pair(stock_id, sku));
    if (it == by_sku_.end()) continue;
    it->second.erase(watcher);
    if (it->second.empty()) by_sku_.erase(it);
  }
}

void WatchRegistry::OnKeys(const std::vector<std::string>& keys) {
  std::vector<std::pair<std::shared_ptr<Watcher>, std::string>> calls;
  std::vector<std::shared_ptr<Watcher>> all_calls;
  {
    absl::MutexLock lock(&mu_);
    if (by_stock_.empty()) return;
    int32_t stock_id;
    std::string sku;
    bool is_config;
    for (const std::string& key : keys) {
      if (!cache::NearCache::ParseKey(keys_, key, &stock_id, &sku,
                                      &is_config)) {
        continue;
      }
      if (is_config) {
        auto it = by_stock_.find(stock_id);
        if (it == by_stock_.end()) continue;
        for (const auto& [ptr, weak] : it->second) {
          if (auto w = weak.lock()) all_calls.push_back(std::move(w));
        }
        continue;
      }
      auto it = by_sku_.find(std::make_pair(stock_id, sku));
      if (it == by_sku_.end()) continue;
      for (const auto& [ptr, weak] : it->second) {
        if (auto w = weak.lock()) calls.emplace_back(std::move(w), sku);
      }
    }
  }
  for (auto& [watcher, sku] : calls) watcher->OnChanged(sku);
  for (auto& watcher : all_calls) watcher->OnAllChanged();
}

void WatchRegistry::OnAll() {
  std::vector<std::shared_ptr<Watcher>> calls;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [stock, set] : by_stock_) {
      for (const auto& [ptr, weak] : set) {
        if (auto w = weak.lock()) calls.push_back(std::move(w));
      }
    }
  }
  for (auto& watcher : calls) watcher->OnAllChanged();
}

size_t WatchRegistry::size() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [stock, set] : by_stock_) n += set.size();
  return n;
}

}  // namespace availability::server
