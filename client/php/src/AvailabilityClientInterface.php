<?php
/**
 * Reads availability from the server for a storefront. $salesChannel is the
 * Magento website code (as MSI resolves stocks). Lookups never throw and
 * never wait longer than their timeout: on any failure the Result says why
 * and the caller shows Magento's own status. Implementations may keep a
 * channel for the life of the process (one php-fpm worker); they are not
 * meant to be shared between threads, and must not be used in a process
 * that forks after the first call.
 */

declare(strict_types=1);

namespace Availability\Client;

interface AvailabilityClientInterface
{
    /**
     * One SKU. $timeoutMs null: the configured product-page timeout.
     */
    public function get(
        string $sku,
        string $salesChannel,
        ?float $quantity = null,
        int $maxAlternatives = 0,
        ?int $timeoutMs = null,
    ): Result;

    /**
     * Many SKUs in one round trip per 500 (a listing page is one call).
     * Invalid SKUs are answered InvalidRequest without failing the others.
     *
     * @param string[] $skus duplicates are asked once
     * @return array<string, Result> keyed by SKU, in the order asked
     */
    public function batchGet(array $skus, string $salesChannel, ?int $timeoutMs = null): array;

    /**
     * Mirrors a back-in-stock subscription. Returns true when it was new.
     *
     * @throws AvailabilityException on any failure (the caller logs, retries)
     */
    public function subscribeBackInStock(string $sku, string $salesChannel, string $subscriberId): bool;

    /**
     * Removes a subscription. Returns true when there was one.
     *
     * @throws AvailabilityException on any failure
     */
    public function unsubscribeBackInStock(string $sku, string $salesChannel, string $subscriberId): bool;
}
