#include "server/subscriber_proof.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <utility>

namespace availability::server {

std::string SubscriberProof(absl::string_view secret,
                            absl::string_view subscriber) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(subscriber.data()),
       subscriber.size(), mac, &mac_len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * mac_len, '0');
  for (unsigned int i = 0; i < mac_len; ++i) {
    hex[2 * i] = kHex[mac[i] >> 4];
    hex[2 * i + 1] = kHex[mac[i] & 0xf];
  }
  return hex;
}

SubscriberAuth::SubscriberAuth(Options options)
    : options_(std::move(options)) {}

absl::Status SubscriberAuth::Check(absl::string_view subscriber,
                                   absl::string_view proof) const {
  if (proof.empty()) {
    if (options_.allow_anonymous) return absl::OkStatus();
    return absl::UnauthenticatedError(
        options_.secret.empty()
            ? "subscriber_proof: missing; this server takes no back-in-stock "
              "subscriptions (no --subscription_secret_file, anonymous "
              "subscriptions off)"
            : "subscriber_proof: missing; send the HMAC-SHA256 of "
              "subscriber_id with the storefront's subscription secret");
  }
  if (options_.secret.empty()) {
    return absl::FailedPreconditionError(
        "subscriber_proof: this server has no subscription secret to check "
        "it against (--subscription_secret_file)");
  }
  // `proof` has passed validation: 64 hex digits (lowercase compared; the
  // caller lowercases it).
  const std::string want = SubscriberProof(options_.secret, subscriber);
  if (proof.size() != want.size() ||
      CRYPTO_memcmp(proof.data(), want.data(), want.size()) != 0) {
    return absl::PermissionDeniedError(
        "subscriber_proof: does not match subscriber_id (HMAC-SHA256 with "
        "the subscription secret; is the storefront's secret the "
        "server's?)");
  }
  return absl::OkStatus();
}

}  // namespace availability::server
