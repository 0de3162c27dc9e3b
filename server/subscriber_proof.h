// Proof of a back-in-stock subscriber id (docs/operations.md,
// "Back-in-stock subscriptions"): the storefront (Magento module, PHP
// client) holds a secret shared with the server and sends, beside each
// subscriber id, HMAC-SHA256(key = secret, message = subscriber id) as 64
// lowercase hex digits. Without the secret a client cannot subscribe (or
// unsubscribe) ids of its own making, so it cannot flood Redis with made-up
// subscribers.
//
//   SubscriberAuth auth(SubscriberAuth::Options{secret, false});
//   absl::Status s = auth.Check("customer-42", request.subscriber_proof());
//
// Immutable after construction; safe from any thread. The secret is never
// logged nor put in a status message.
#ifndef AVAILABILITY_SERVER_SUBSCRIBER_PROOF_H_
#define AVAILABILITY_SERVER_SUBSCRIBER_PROOF_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace availability::server {

// HMAC-SHA256(secret, subscriber) in lowercase hex (64 characters).
std::string SubscriberProof(absl::string_view secret,
                            absl::string_view subscriber);

class SubscriberAuth {
 public:
  struct Options {
    // The shared secret; "" = none (then only anonymous subscriptions, if
    // allowed).
    std::string secret;
    // Subscriptions without a proof are taken (with a proof, it is still
    // checked when there is a secret).
    bool allow_anonymous = false;
  };

  explicit SubscriberAuth(Options options);

  // OK when `subscriber` may be used: `proof` is its proof, or empty and
  // anonymous subscriptions are allowed. Errors: Unauthenticated (no proof
  // and anonymous subscriptions off), PermissionDenied (a wrong proof),
  // FailedPrecondition (a proof but no secret configured). The comparison
  // takes the same time wherever the proof differs.
  absl::Status Check(absl::string_view subscriber,
                     absl::string_view proof) const;

 private:
  const Options options_;
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_SUBSCRIBER_PROOF_H_
