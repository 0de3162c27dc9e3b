#include "cache/subscription_store.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cache/redis_reply.h"
#include "cache/redis_script.h"
#include "cache/scripts.h"
#include "core/record.h"

namespace availability::cache {
namespace {

// Replies of the subscribe script (cache/scripts/subscribe.lua).
constexpr int kSubscribeCreated = 1;
constexpr int kSubscribeAlreadyOpen = 0;
constexpr int kSubscribeSkuFull = -1;
constexpr int kSubscribeSubscriberFull = -2;
constexpr int kSubscribeUnknownSku = -3;
// Entries of a full SKU checked for expiry per subscribe call.
constexpr int kFullSkuSample = 100;

const std::string& SubscribeScript() {
  static const std::string* const text = new std::string(LuaWithConstants(
      kSubscribeLua, {{"CREATED", kSubscribeCreated},
                      {"ALREADY_OPEN", kSubscribeAlreadyOpen},
                      {"SKU_FULL", kSubscribeSkuFull},
                      {"SUBSCRIBER_FULL", kSubscribeSubscriberFull},
                      {"UNKNOWN_SKU", kSubscribeUnknownSku},
                      {"SAMPLE", kFullSkuSample}}));
  return *text;
}

absl::Status ValidateKey(int32_t stock_id, const std::string& sku,
                         const std::string& subscriber) {
  if (stock_id < 1) {
    return absl::InvalidArgumentError("stock_id: must be >= 1");
  }
  if (sku.empty() || sku.size() > core::kMaxSkuBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("sku: must be 1..", core::kMaxSkuBytes, " bytes"));
  }
  if (subscriber.empty() ||
      subscriber.size() > SubscriptionStore::kMaxSubscriberBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("subscriber: must be 1..",
                     SubscriptionStore::kMaxSubscriberBytes, " bytes"));
  }
  return absl::OkStatus();
}

// The integer of a reply, or the error it carries (cache/redis_reply.h).
absl::StatusOr<int64_t> IntegerReply(absl::StatusOr<RedisReply> reply,
                                     absl::string_view what) {
  if (absl::Status s = ReplyStatus(reply, what); !s.ok()) return s;
  if (reply->type != RedisReply::Type::kInteger) return UnexpectedReply(what);
  return reply->integer;
}

}  // namespace

SubscriptionStore::SubscriptionStore(RedisClient& client, KeySchema keys)
    : SubscriptionStore(client, std::move(keys), Options()) {}

SubscriptionStore::SubscriptionStore(RedisClient& client, KeySchema keys,
                                     Options options)
    : client_(client), keys_(std::move(keys)), options_(options) {}

void SubscriptionStore::Subscribe(int32_t stock_id, std::string sku,
                                  std::string subscriber, absl::Time now,
                                  absl::Time deadline, Callback done) {
  if (absl::Status s = ValidateKey(stock_id, sku, subscriber); !s.ok()) {
    done(s);
    return;
  }
  const Options options = options_;
  std::string sub_key = keys_.Subscriptions(stock_id, sku);
  std::string index_key = keys_.SubscriberIndex(stock_id, subscriber);
  std::string record_key = keys_.Record(stock_id, sku);
  std::vector<std::string> call = {
      "EVAL",
      SubscribeScript(),
      "3",
      std::move(sub_key),
      std::move(record_key),
      std::move(index_key),
      std::move(subscriber),
      absl::StrCat(absl::ToUnixMillis(now)),
      absl::StrCat(options.max_per_sku),
      absl::StrCat(options.max_per_subscriber),
      absl::StrCat(
          std::max<int64_t>(1, absl::ToInt64Milliseconds(options.expiry))),
      sku,
      keys_.Subscriptions(stock_id, "")};
  client_.Execute(
      std::move(call), deadline,
      [options, stock_id, sku = std::move(sku),
       done = std::move(done)](absl::StatusOr<RedisReply> reply) {
        absl::StatusOr<int64_t> n = IntegerReply(std::move(reply), "subscribe");
        if (!n.ok()) {
          done(n.status());
        } else if (*n == kSubscribeSkuFull) {
          done(absl::ResourceExhaustedError(absl::StrCat(
              "subscriptions: sku \"", sku, "\" on stock ", stock_id,
              " already has the most open back-in-stock subscriptions "
              "allowed (",
              options.max_per_sku, ", --subscription_max_per_sku)")));
        } else if (*n == kSubscribeSubscriberFull) {
          done(absl::ResourceExhaustedError(absl::StrCat(
              "subscriptions: this subscriber already has the most open "
              "back-in-stock subscriptions allowed on stock ",
              stock_id, " (", options.max_per_subscriber,
              ", --subscription_max_per_subscriber)")));
        } else if (*n == kSubscribeUnknownSku) {
          done(absl::NotFoundError(absl::StrCat(
              "sku: \"", sku, "\" is not known on stock ", stock_id,
              " (no availability record); subscriptions are taken only "
              "for products the cache holds")));
        } else {
          done(*n == kSubscribeCreated);
        }
      });
}

void SubscriptionStore::Unsubscribe(int32_t stock_id, std::string sku,
                                    std::string subscriber, absl::Time deadline,
                                    Callback done) {
  if (absl::Status s = ValidateKey(stock_id, sku, subscriber); !s.ok()) {
    done(s);
    return;
  }
  std::string sub_key = keys_.Subscriptions(stock_id, sku);
  std::string index_key = keys_.SubscriberIndex(stock_id, subscriber);
  client_.Execute(
      {"EVAL", std::string(kUnsubscribeLua), "2", std::move(sub_key),
       std::move(index_key), std::move(subscriber), std::move(sku)},
      deadline, [done = std::move(done)](absl::StatusOr<RedisReply> reply) {
        absl::StatusOr<int64_t> n =
            IntegerReply(std::move(reply), "unsubscribe");
        if (!n.ok()) {
          done(n.status());
        } else {
          done(*n > 0);
        }
      });
}

void SubscriptionStore::CountOpen(
    int32_t stock_id, std::string sku, absl::Time deadline,
    std::function<void(absl::StatusOr<int64_t>)> done) {
  client_.Execute({"HLEN", keys_.Subscriptions(stock_id, sku)}, deadline,
                  [done = std::move(done)](absl::StatusOr<RedisReply> reply) {
                    done(IntegerReply(std::move(reply), "subscriptions"));
                  });
}

}  // namespace availability::cache
