<?php

declare(strict_types=1);

namespace Availability\Client\Tests\Unit;

use Availability\Client\Grpc\ProtoMapper;
use Availability\Client\Grpc\StatusMapper;
use Availability\Client\Outcome;
use Availability\Client\Status;
use Availability\V1\Alternative as ProtoAlternative;
use Availability\V1\CompactAvailability;
use Availability\V1\Date;
use Availability\V1\Freshness;
use Availability\V1\ItemError;
use Availability\V1\ProductAvailability;
use Availability\V1\Status as ProtoStatus;
use PHPUnit\Framework\TestCase;

final class ProtoMapperTest extends TestCase
{
    private static function date(int $y, int $m, int $d): Date
    {
        return new Date(['year' => $y, 'month' => $m, 'day' => $d]);
    }

    public function testBackorderableAnswerBecomesPlainValues(): void
    {
        $p = new ProductAvailability([
            'sku' => 'B-1', 'stock_id' => 2,
            'status' => ProtoStatus::STATUS_BACKORDERABLE,
            'display_status' => ProtoStatus::STATUS_BACKORDERABLE,
            'orderable' => true, 'eta_known' => true,
            'first_ship_date' => self::date(2026, 3, 9),
            'successor_sku' => 'B-2',
            'alternatives' => [new ProtoAlternative([
                'sku' => 'ALT', 'relation' => 2,
                'availability' => new CompactAvailability(['status' => ProtoStatus::STATUS_IN_STOCK, 'only_x_left' => 3.0]),
            ])],
        ]);
        $r = ProtoMapper::result($p);
        $this->assertSame(Outcome::Ok, $r->outcome);
        $a = $r->availability;
        $this->assertSame('B-1', $a->sku);
        $this->assertSame(2, $a->stockId);
        $this->assertSame(Status::Backorderable, $a->status);
        $this->assertSame('2026-03-09', $a->firstShipDate);
        $this->assertNull($a->restockDate);
        $this->assertNull($a->onlyXLeft);
        $this->assertSame('B-2', $a->successorSku);
        $this->assertTrue($a->hasEta());
        $this->assertSame('substitute', $a->alternatives[0]->relation);
        $this->assertSame(Status::InStock, $a->alternatives[0]->status);
        $this->assertSame(3.0, $a->alternatives[0]->onlyXLeft);
    }

    public function testStaleAnswerKeepsStatusButDropsCounts(): void
    {
        $p = new ProductAvailability([
            'sku' => 'L', 'status' => ProtoStatus::STATUS_IN_STOCK, 'only_x_left' => 2.0,
            'freshness' => new Freshness(['stale' => true]),
        ]);
        $a = ProtoMapper::result($p)->availability;
        $this->assertTrue($a->stale);
        $this->assertSame(Status::InStock, $a->status);
        $this->assertNull($a->onlyXLeft);
        $fresh = ProtoMapper::result(new ProductAvailability([
            'sku' => 'L', 'status' => ProtoStatus::STATUS_IN_STOCK, 'only_x_left' => 2.0,
        ]))->availability;
        $this->assertSame(2.0, $fresh->onlyXLeft);
        $this->assertFalse($fresh->hasEta());
    }

    public function testUnknownStatusFallsBack(): void
    {
        foreach ([ProtoStatus::STATUS_UNKNOWN, ProtoStatus::STATUS_UNSPECIFIED] as $status) {
            $r = ProtoMapper::result(new ProductAvailability(['sku' => 'U', 'status' => $status]));
            $this->assertSame(Outcome::Unknown, $r->outcome);
            $this->assertNull($r->availability);
        }
    }

    public function testBatchItemErrorBecomesItsOutcome(): void
    {
        $r = ProtoMapper::result(new ProductAvailability([
            'sku' => 'N', 'error' => new ItemError(['code' => 5, 'message' => 'no record']),
        ]));
        $this->assertSame(Outcome::NotFound, $r->outcome);
        $this->assertSame('no record', $r->message);
    }

    public function testStatusCodes(): void
    {
        $this->assertSame(Outcome::Ok, StatusMapper::outcome(0));
        $this->assertSame(Outcome::InvalidRequest, StatusMapper::outcome(3));
        $this->assertSame(Outcome::DeadlineExceeded, StatusMapper::outcome(4));
        $this->assertSame(Outcome::NotFound, StatusMapper::outcome(5));
        $this->assertSame(Outcome::Busy, StatusMapper::outcome(8));
        $this->assertSame(Outcome::Unavailable, StatusMapper::outcome(14));
        $this->assertSame(Outcome::Error, StatusMapper::outcome(13));
        $this->assertTrue(Outcome::Busy->countsAsFailure());
        $this->assertTrue(Outcome::DeadlineExceeded->countsAsFailure());
        $this->assertTrue(Outcome::Unavailable->countsAsFailure());
        $this->assertFalse(Outcome::NotFound->countsAsFailure());
        $this->assertFalse(Outcome::InvalidRequest->countsAsFailure());
    }
}
