<?php
/**
 * One change the server announces on its event tail: a product's display
 * status or first ETA changed. $id resumes the tail after this event.
 * Immutable value object.
 */

declare(strict_types=1);

namespace Availability\Client;

final class InventoryEvent
{
    /** @param string $type BACK_IN_STOCK, OUT_OF_STOCK, BACKORDER_STARTED, ETA_CHANGED, DISCONTINUED, LOW_STOCK */
    public function __construct(
        public readonly string $id,
        public readonly string $type,
        public readonly string $sku,
        public readonly int $stockId,
        public readonly ?Status $newStatus,
        public readonly ?string $firstShipDate,
    ) {
    }
}
