#include "server/watch_limits.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace availability::server {

WatchLimits::Ticket& WatchLimits::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Release();
    limits_ = std::exchange(other.limits_, nullptr);
    peer_ = std::move(other.peer_);
    skus_ = std::exchange(other.skus_, 0);
  }
  return *this;
}

void WatchLimits::Ticket::Release() {
  if (WatchLimits* limits = std::exchange(limits_, nullptr)) {
    limits->Release(peer_, skus_);
  }
}

absl::Status WatchLimits::Validate(const Options& options) {
  if (options.max_streams_per_connection < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("watch streams per connection ",
                     options.max_streams_per_connection, ": must be >= 1"));
  }
  if (options.max_streams < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("watch streams ", options.max_streams, ": must be >= 1"));
  }
  if (options.max_skus < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("watched SKUs ", options.max_skus, ": must be >= 1"));
  }
  return absl::OkStatus();
}

absl::StatusOr<WatchLimits::Ticket> WatchLimits::Admit(absl::string_view peer,
                                                       int64_t skus) {
  absl::MutexLock lock(&mu_);
  if (streams_ >= options_.max_streams) {
    ++refused_.streams;
    return absl::ResourceExhaustedError(
        absl::StrCat("watch: ", options_.max_streams,
                     " streams already open on this server (limit "
                     "--max_watch_streams); retry with backoff"));
  }
  if (skus_ + skus > options_.max_skus) {
    ++refused_.skus;
    return absl::ResourceExhaustedError(
        absl::StrCat("watch: ", skus_, " SKUs already watched on this server, ",
                     skus, " more would pass the limit of ", options_.max_skus,
                     " (--max_watched_skus); retry with backoff"));
  }
  auto [it, inserted] = streams_by_peer_.try_emplace(peer, 0);
  if (it->second >= options_.max_streams_per_connection) {
    ++refused_.per_connection;
    return absl::ResourceExhaustedError(absl::StrCat(
        "watch: ", options_.max_streams_per_connection,
        " streams already open on this connection (limit "
        "--max_watch_streams_per_connection); watch more SKUs per stream"));
  }
  ++it->second;
  ++streams_;
  skus_ += skus;
  return Ticket(this, std::string(peer), skus);
}

void WatchLimits::Release(const std::string& peer, int64_t skus) {
  absl::MutexLock lock(&mu_);
  --streams_;
  skus_ -= skus;
  auto it = streams_by_peer_.find(peer);
  if (it != streams_by_peer_.end() && --it->second <= 0) {
    streams_by_peer_.erase(it);
  }
}

int64_t WatchLimits::streams() const {
  absl::MutexLock lock(&mu_);
  return streams_;
}

int64_t WatchLimits::skus() const {
  absl::MutexLock lock(&mu_);
  return skus_;
}

WatchLimits::Refused WatchLimits::refused() const {
  absl::MutexLock lock(&mu_);
  return refused_;
}

}  // namespace availability::server
