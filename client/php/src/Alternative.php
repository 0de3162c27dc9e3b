<?php
/**
 * One alternative the server offers for an unavailable product: its SKU,
 * how it relates (successor, substitute, ...), and its compact status.
 * Immutable value object.
 */

declare(strict_types=1);

namespace Availability\Client;

final class Alternative
{
    /**
     * @param string $relation lower-case relation name: successor, substitute,
     *        related, upsell, crosssell, same_category
     * @param ?string $firstShipDate ISO date (Y-m-d) or null
     */
    public function __construct(
        public readonly string $sku,
        public readonly string $relation,
        public readonly ?Status $status,
        public readonly ?float $onlyXLeft,
        public readonly ?string $firstShipDate,
    ) {
    }
}
