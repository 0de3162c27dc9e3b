<?php
/**
 * What the storefront glue asks: the server's answer for the current
 * website, or null when the page must show Magento's own status (module off
 * for this website, server down/slow/busy, SKU unknown, breaker open).
 * Answers are kept for the rest of the request (AnswerRegistry), so a
 * listing's one batch serves every tile. Never throws.
 */

declare(strict_types=1);

namespace AvailabilityService\Core\Api;

use Availability\Client\Availability;

interface AvailabilityLookupInterface
{
    public function isEnabled(): bool;

    /** Product page: one call (product-page timeout), alternatives included. */
    public function forSku(string $sku, ?float $quantity = null): ?Availability;

    /** Listing: one batch for all $skus (listing timeout) into the registry. */
    public function prefetch(array $skus): void;

    /** The answer already fetched in this request, without a call. */
    public function known(string $sku): ?Availability;

    /**
     * Live answers for the AJAX endpoint and GraphQL (AJAX timeout).
     *
     * @param string[] $skus
     * @return array<string, ?Availability>
     */
    public function fresh(array $skus): array;
}
