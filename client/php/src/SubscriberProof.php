<?php
/**
 * The proof of a back-in-stock subscriber id the server checks
 * (docs/operations.md, "Back-in-stock subscriptions"): HMAC-SHA256 of the
 * subscriber id keyed with the subscription secret the shop shares with the
 * server, as 64 lowercase hex digits. Stateless; the secret is never kept.
 */

declare(strict_types=1);

namespace Availability\Client;

final class SubscriberProof
{
    public static function of(#[\SensitiveParameter] string $secret, string $subscriberId): string
    {
        return hash_hmac('sha256', $subscriberId, $secret);
    }
}
