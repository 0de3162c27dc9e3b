<?php
/**
 * Generated protobuf messages to the library's plain DTOs; the only place
 * that reads them. STATUS_UNKNOWN/unset becomes Outcome::Unknown (Magento's
 * status stays), a batch item's error its Outcome, a stale answer loses its
 * counts. Stateless.
 */

declare(strict_types=1);

namespace Availability\Client\Grpc;

use Availability\Client\Alternative;
use Availability\Client\Availability;
use Availability\Client\InventoryEvent;
use Availability\Client\Result;
use Availability\Client\Outcome;
use Availability\Client\Status;
use Availability\V1\Date;
use Availability\V1\ProductAvailability;
use Availability\V1\Status as ProtoStatus;

final class ProtoMapper
{
    private const RELATIONS = [
        1 => 'successor', 2 => 'substitute', 3 => 'related',
        4 => 'upsell', 5 => 'crosssell', 6 => 'same_category',
    ];
    private const EVENT_TYPES = [
        1 => 'BACK_IN_STOCK', 2 => 'OUT_OF_STOCK', 3 => 'BACKORDER_STARTED',
        4 => 'ETA_CHANGED', 5 => 'DISCONTINUED', 6 => 'LOW_STOCK',
    ];

    public static function result(ProductAvailability $p): Result
    {
        $error = $p->getError();
        if ($error !== null && $error->getCode() !== 0) {
            return Result::fallback(StatusMapper::outcome($error->getCode()), $error->getMessage());
        }
        $status = self::status($p->getStatus());
        if ($status === null) {
            return Result::fallback(Outcome::Unknown, 'status unknown');
        }
        $freshness = $p->getFreshness();
        $stale = $freshness !== null && $freshness->getStale();
        $alternatives = [];
        foreach ($p->getAlternatives() as $alt) {
            $compact = $alt->getAvailability();
            $alternatives[] = new Alternative(
                $alt->getSku(),
                self::RELATIONS[$alt->getRelation()] ?? 'related',
                $compact !== null ? self::status($compact->getStatus()) : null,
                $compact !== null && !$stale && $compact->hasOnlyXLeft() ? $compact->getOnlyXLeft() : null,
                $compact !== null ? self::date($compact->getFirstShipDate()) : null,
            );
        }
        return Result::ok(new Availability(
            sku: $p->getSku(),
            stockId: $p->getStockId(),
            status: $status,
            displayStatus: self::status($p->getDisplayStatus()) ?? $status,
            orderable: $p->getOrderable(),
            onlyXLeft: !$stale && $p->hasOnlyXLeft() ? $p->getOnlyXLeft() : null,
            etaKnown: $p->getEtaKnown(),
            firstShipDate: self::date($p->getFirstShipDate()),
            restockDate: self::date($p->getRestockDate()),
            backorderNotice: $p->getBackorderNotice(),
            successorSku: $p->getSuccessorSku() !== '' ? $p->getSuccessorSku() : null,
            alternatives: $alternatives,
            stale: $stale,
        ));
    }

    public static function event(\Availability\V1\InventoryEvent $e): InventoryEvent
    {
        return new InventoryEvent(
            $e->getId(),
            self::EVENT_TYPES[$e->getType()] ?? 'UNSPECIFIED',
            $e->getSku(),
            $e->getStockId(),
            self::status($e->getNewStatus()),
            self::date($e->getFirstShipDate()),
        );
    }

    private static function status(int $status): ?Status
    {
        return match ($status) {
            ProtoStatus::STATUS_IN_STOCK => Status::InStock,
            ProtoStatus::STATUS_BACKORDERABLE => Status::Backorderable,
            ProtoStatus::STATUS_PREORDER => Status::Preorder,
            ProtoStatus::STATUS_OUT_OF_STOCK => Status::OutOfStock,
            ProtoStatus::STATUS_DISCONTINUED => Status::Discontinued,
            default => null,
        };
    }

    private static function date(?Date $date): ?string
    {
        if ($date === null || $date->getYear() === 0) {
            return null;
        }
        return sprintf('%04d-%02d-%02d', $date->getYear(), $date->getMonth(), $date->getDay());
    }
}
