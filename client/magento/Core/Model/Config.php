<?php
/**
 * The module's settings (Stores > Configuration > Catalog > Availability
 * Service), read for the current website. Paths are constants so the
 * checks and docs can name them. No state beyond ScopeConfig's own cache.
 */

declare(strict_types=1);

namespace AvailabilityService\Core\Model;

use Availability\Client\ClientConfig;
use Magento\Framework\App\Config\ScopeConfigInterface;
use Magento\Framework\Encryption\EncryptorInterface;
use Magento\Store\Model\ScopeInterface;

class Config
{
    public const PREFIX = 'availability_service/general/';

    public function __construct(
        private readonly ScopeConfigInterface $scopeConfig,
        private readonly EncryptorInterface $encryptor,
    ) {
    }

    public function isEnabled(?string $websiteCode): bool
    {
        return $this->scopeConfig->isSetFlag(self::PREFIX . 'enabled', ScopeInterface::SCOPE_WEBSITES, $websiteCode);
    }

    public function showOnListing(?string $websiteCode): bool
    {
        return $this->scopeConfig->isSetFlag(self::PREFIX . 'show_on_listing', ScopeInterface::SCOPE_WEBSITES, $websiteCode);
    }

    public function maxAlternatives(?string $websiteCode): int
    {
        return (int) $this->scopeConfig->getValue(self::PREFIX . 'max_alternatives', ScopeInterface::SCOPE_WEBSITES, $websiteCode);
    }

    public function ajaxTimeoutMs(): int
    {
        return max(1, (int) $this->value('ajax_timeout_ms'));
    }

    public function breakerFailures(): int
    {
        return max(1, (int) $this->value('breaker_failures'));
    }

    public function breakerCoolDownSeconds(): float
    {
        return max(1.0, (float) $this->value('breaker_cool_down_s'));
    }

    /** @throws \InvalidArgumentException naming the setting that is wrong */
    public function storefrontClientConfig(): ClientConfig
    {
        return $this->clientConfig((string) $this->value('address'));
    }

    /** @throws \InvalidArgumentException */
    public function syncClientConfig(): ClientConfig
    {
        return $this->clientConfig((string) $this->value('sync_address'));
    }

    /**
     * The sync API's bearer token (events, notification jobs), stored
     * encrypted like every obscure field ('' when unset).
     */
    public function syncToken(): string
    {
        return $this->decrypted('sync_token');
    }

    /**
     * The back-in-stock subscription secret shared with the server
     * (--subscription_secret_file), stored encrypted ('' when unset).
     */
    public function subscriptionSecret(): string
    {
        return $this->decrypted('subscription_secret');
    }

    /** A setting kept by Magento's Encrypted backend model, in clear. */
    private function decrypted(string $key): string
    {
        $stored = (string) $this->value($key);
        return $stored === '' ? '' : trim($this->encryptor->decrypt($stored));
    }

    private function clientConfig(string $address): ClientConfig
    {
        $tls = (bool) $this->value('use_tls');
        $file = fn (string $key): ?string => $tls && (string) $this->value($key) !== '' ? (string) $this->value($key) : null;
        return new ClientConfig(
            address: $address,
            useTls: $tls,
            caFile: $file('ca_file'),
            certFile: $file('cert_file'),
            keyFile: $file('key_file'),
            productTimeoutMs: (int) $this->value('product_timeout_ms'),
            listingTimeoutMs: (int) $this->value('listing_timeout_ms'),
            // Below the breaker's cool-down: the half-open probe finds the
            // reconnect timer due (see GrpcAvailabilityClient::readyWithin).
            maxReconnectBackoffMs: (int) min(120000, max(100, $this->breakerCoolDownSeconds() * 500)),
            subscriptionSecret: $this->subscriptionSecret(),
        );
    }

    private function value(string $key): mixed
    {
        return $this->scopeConfig->getValue(self::PREFIX . $key);
    }
}
