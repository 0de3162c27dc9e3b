<?php
/**
 * Generated protobuf messages of the sync listener (TailEvents) to the
 * library's plain DTOs. Storefront answers are decoded by WireDecoder.
 * Stateless.
 */

declare(strict_types=1);

namespace Availability\Client\Grpc;

use Availability\Client\InventoryEvent;
use Availability\V1\Date;

final class ProtoMapper
{
    private const EVENT_TYPES = [
        1 => 'BACK_IN_STOCK', 2 => 'OUT_OF_STOCK', 3 => 'BACKORDER_STARTED',
        4 => 'ETA_CHANGED', 5 => 'DISCONTINUED', 6 => 'LOW_STOCK',
    ];

    public static function event(\Availability\V1\InventoryEvent $e): InventoryEvent
    {
        return new InventoryEvent(
            $e->getId(),
            self::EVENT_TYPES[$e->getType()] ?? 'UNSPECIFIED',
            $e->getSku(),
            $e->getStockId(),
            WireDecoder::status($e->getNewStatus()),
            self::date($e->getFirstShipDate()),
        );
    }

    private static function date(?Date $date): ?string
    {
        return $date === null ? null : WireDecoder::isoDate($date->getYear(), $date->getMonth(), $date->getDay());
    }
}
