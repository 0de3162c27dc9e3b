<?php
/**
 * The library's Availability as the ProductAvailability GraphQL type (an
 * array keyed by field name). Stateless.
 */

declare(strict_types=1);

namespace AvailabilityService\GraphQl\Model;

use Availability\Client\Availability;

class AnswerFormatter
{
    /** @return array<string, mixed>|null */
    public function format(?Availability $answer): ?array
    {
        if ($answer === null) {
            return null;
        }
        return [
            'sku' => $answer->sku,
            'status' => $answer->displayStatus->value,
            'only_x_left' => $answer->onlyXLeft,
            'availability_eta' => $answer->firstShipDate,
            'eta_known' => $answer->etaKnown,
            'restock_date' => $answer->restockDate,
            'backorder_notice' => $answer->backorderNotice,
            'successor_sku' => $answer->successorSku,
            'stale' => $answer->stale,
            'alternatives' => array_map(static fn ($a) => [
                'sku' => $a->sku,
                'relation' => $a->relation,
                'status' => $a->status?->value,
            ], $answer->alternatives),
        ];
    }
}
