<?php
/**
 * How to reach the server and how long to wait: address (host:port), TLS
 * (CA file; client certificate + key for mTLS), per-page timeouts, keepalive,
 * and the back-in-stock subscription secret (SubscriberProof; '' = none:
 * subscriptions go without a proof, which the server refuses unless it
 * allows anonymous ones). The secret never shows in var_dump/print_r.
 * Built once per process from the shop's configuration; the same values give
 * the same persistent channel. Throws \InvalidArgumentException naming the
 * field when a value breaks a rule.
 */

declare(strict_types=1);

namespace Availability\Client;

final class ClientConfig
{
    /** The server accepts pings every 10 s at most (2 strikes): stay well above. */
    public const MIN_KEEPALIVE_MS = 30000;

    public function __construct(
        public readonly string $address,
        public readonly bool $useTls = false,
        public readonly ?string $caFile = null,
        public readonly ?string $certFile = null,
        public readonly ?string $keyFile = null,
        public readonly int $productTimeoutMs = 100,
        public readonly int $listingTimeoutMs = 150,
        public readonly int $writeTimeoutMs = 1000,
        public readonly int $keepaliveMs = 0,
        public readonly int $maxAlternatives = 0,
        public readonly int $maxReconnectBackoffMs = 5000,
        #[\SensitiveParameter] public readonly string $subscriptionSecret = '',
    ) {
        if (!preg_match('/^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$/', $address)) {
            throw new \InvalidArgumentException("address: expected host:port, got '$address'");
        }
        foreach (['productTimeoutMs', 'listingTimeoutMs', 'writeTimeoutMs'] as $field) {
            if ($this->$field < 1 || $this->$field > 60000) {
                throw new \InvalidArgumentException("$field: must be 1..60000 ms");
            }
        }
        if ($keepaliveMs !== 0 && $keepaliveMs < self::MIN_KEEPALIVE_MS) {
            throw new \InvalidArgumentException(
                'keepaliveMs: 0 (off) or at least ' . self::MIN_KEEPALIVE_MS
                . ' (the server closes connections that ping more often)'
            );
        }
        if (($certFile === null) !== ($keyFile === null)) {
            throw new \InvalidArgumentException('certFile/keyFile: mTLS needs both');
        }
        if (!$useTls && ($caFile !== null || $certFile !== null)) {
            throw new \InvalidArgumentException('useTls: CA or client certificate set but TLS off');
        }
        if ($maxReconnectBackoffMs < 100 || $maxReconnectBackoffMs > 120000) {
            throw new \InvalidArgumentException('maxReconnectBackoffMs: must be 100..120000 ms');
        }
        if ($maxAlternatives < 0 || $maxAlternatives > 20) {
            throw new \InvalidArgumentException('maxAlternatives: must be 0..20');
        }
    }

    /** var_dump/print_r without the secret. */
    public function __debugInfo(): array
    {
        $fields = get_object_vars($this);
        $fields['subscriptionSecret'] = $this->subscriptionSecret === '' ? '' : '(set)';
        return $fields;
    }
}
