<?php
/**
 * One back-in-stock notification the server asks a mailer to send: the
 * subscription (SKU, stock, the opaque subscriber id given to
 * SubscribeBackInStock) that came back in stock. $redelivered: a previous
 * claim was never acknowledged, so it may have been sent already.
 * Immutable value object.
 */

declare(strict_types=1);

namespace Availability\Client;

final class NotificationJob
{
    public function __construct(
        public readonly string $id,
        public readonly string $sku,
        public readonly int $stockId,
        public readonly string $subscriberId,
        public readonly bool $redelivered,
    ) {
    }
}
