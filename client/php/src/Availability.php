<?php
/**
 * The server's answer for one SKU in one scope, as plain PHP values (never a
 * generated protobuf object). When $stale is true the answer may lag the
 * source: show the status, not the counts ($onlyXLeft is then null).
 * Immutable value object.
 */

declare(strict_types=1);

namespace Availability\Client;

final class Availability
{
    /**
     * @param Status $status for the requested quantity (the display quantity
     *        when none was asked)
     * @param Status $displayStatus what the badge shows
     * @param ?string $firstShipDate ISO date (Y-m-d) of the first shipment
     * @param ?string $restockDate ISO date of the next receipt, when known
     * @param Alternative[] $alternatives
     */
    public function __construct(
        public readonly string $sku,
        public readonly int $stockId,
        public readonly Status $status,
        public readonly Status $displayStatus,
        public readonly bool $orderable,
        public readonly ?float $onlyXLeft,
        public readonly bool $etaKnown,
        public readonly ?string $firstShipDate,
        public readonly ?string $restockDate,
        public readonly bool $backorderNotice,
        public readonly ?string $successorSku,
        public readonly array $alternatives,
        public readonly bool $stale,
    ) {
    }

    /** True when the page shows a lead-time date that moves with the calendar. */
    public function hasEta(): bool
    {
        return $this->firstShipDate !== null
            && ($this->displayStatus === Status::Backorderable
                || $this->displayStatus === Status::Preorder);
    }
}
