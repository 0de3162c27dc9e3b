<?php

declare(strict_types=1);

namespace Availability\Client\Tests\Unit;

use Availability\Client\Grpc\WireDecoder;
use Availability\V1\BatchGetAvailabilityResponse;
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

/**
 * WireDecoder against the generated classes: messages built and serialized
 * by the generated code (protoc from our protos) decode to the expected
 * DTOs, field numbers included.
 */
final class WireDecoderTest extends TestCase
{
    private static function date(int $y, int $m, int $d): Date
    {
        return new Date(['year' => $y, 'month' => $m, 'day' => $d]);
    }

    private static function decode(ProductAvailability $p): \Availability\Client\Result
    {
        return WireDecoder::productAvailability($p->serializeToString());
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
        $r = self::decode($p);
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
        $a = self::decode($p)->availability;
        $this->assertTrue($a->stale);
        $this->assertSame(Status::InStock, $a->status);
        $this->assertNull($a->onlyXLeft);
        $fresh = self::decode(new ProductAvailability([
            'sku' => 'L', 'status' => ProtoStatus::STATUS_IN_STOCK, 'only_x_left' => 2.0,
        ]))->availability;
        $this->assertSame(2.0, $fresh->onlyXLeft);
        $this->assertFalse($fresh->hasEta());
    }

    public function testUnknownStatusFallsBack(): void
    {
        foreach ([ProtoStatus::STATUS_UNKNOWN, ProtoStatus::STATUS_UNSPECIFIED] as $status) {
            $r = self::decode(new ProductAvailability(['sku' => 'U', 'status' => $status]));
            $this->assertSame(Outcome::Unknown, $r->outcome);
            $this->assertNull($r->availability);
        }
    }

    public function testBatchItemErrorBecomesItsOutcome(): void
    {
        $r = self::decode(new ProductAvailability([
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

    public function testBatchKeepsOrderAndEachItemsOutcome(): void
    {
        $batch = new BatchGetAvailabilityResponse(['items' => [
            new ProductAvailability(['sku' => 'A', 'status' => ProtoStatus::STATUS_IN_STOCK, 'stock_id' => 3]),
            new ProductAvailability(['sku' => 'B', 'error' => new ItemError(['code' => 15, 'message' => 'broken record'])]),
            new ProductAvailability(['sku' => 'C', 'status' => ProtoStatus::STATUS_UNKNOWN]),
        ]]);
        $results = WireDecoder::batch($batch->serializeToString());
        $this->assertCount(3, $results);
        $this->assertSame('A', $results[0]->availability->sku);
        $this->assertSame(3, $results[0]->availability->stockId);
        $this->assertSame(Outcome::Error, $results[1]->outcome);
        $this->assertSame('broken record', $results[1]->message);
        $this->assertSame(Outcome::Unknown, $results[2]->outcome);
        $this->assertSame([], WireDecoder::batch(''));
    }

    public function testFieldsItDoesNotReadAreSkipped(): void
    {
        // Every field the generated class knows, set; plus fields of a newer
        // server (numbers 99, 98, 97 of each wire type).
        $p = new ProductAvailability([
            'sku' => 'FULL', 'stock_id' => 2, 'status' => ProtoStatus::STATUS_IN_STOCK,
            'display_status' => ProtoStatus::STATUS_IN_STOCK, 'orderable' => true, 'only_x_left' => 1.5,
            'split' => new \Availability\V1\QuantitySplit(['requested_quantity' => 2.0, 'in_stock_quantity' => 2.0]),
            'shipments' => [new \Availability\V1\Shipment(['quantity' => 2.0, 'ship_date' => self::date(2026, 1, 2)])],
            'cart_rule_violation' => new \Availability\V1\CartRuleViolation(['rule' => 1, 'code' => 'x', 'limit' => 3.0]),
            'lifecycle' => 1, 'release_date' => self::date(2025, 5, 6),
            'feed' => new \Availability\V1\FeedValues(['schema_org_availability' => 'InStock']),
            'freshness' => new Freshness(['version' => -5, 'source_time' => new \Google\Protobuf\Timestamp(['seconds' => 7])]),
            'salable_quantity' => 9.0,
        ]);
        $unknown = "\x98\x06\x2a" . "\x15\x01\x02\x03\x04" . "\x8a\x06\x02hi";
        $a = WireDecoder::productAvailability($p->serializeToString() . $unknown)->availability;
        $this->assertSame('FULL', $a->sku);
        $this->assertSame(1.5, $a->onlyXLeft);
        $this->assertTrue($a->orderable);
        $this->assertNull($a->firstShipDate);
    }

    public function testMalformedBytesAreRefused(): void
    {
        $bytes = (new ProductAvailability(['sku' => 'TRUNCATED', 'status' => 2]))->serializeToString();
        $this->expectException(\UnexpectedValueException::class);
        WireDecoder::productAvailability(substr($bytes, 0, 5));
    }

    public function testRandomAnswersDecodeLikeTheGeneratedClasses(): void
    {
        mt_srand(20261205);
        for ($n = 0; $n < 300; $n++) {
            $fields = ['sku' => 'R-' . $n, 'stock_id' => mt_rand(1, 1 << 30),
                'status' => mt_rand(0, 6), 'display_status' => mt_rand(0, 6),
                'orderable' => (bool) mt_rand(0, 1), 'eta_known' => (bool) mt_rand(0, 1),
                'backorder_notice' => (bool) mt_rand(0, 1), 'successor_sku' => mt_rand(0, 1) ? 'S-' . $n : ''];
            if (mt_rand(0, 1)) {
                $fields['only_x_left'] = mt_rand(0, 99999) / 10000;
            }
            if (mt_rand(0, 1)) {
                $fields['first_ship_date'] = self::date(mt_rand(2000, 2100), mt_rand(1, 12), mt_rand(1, 28));
            }
            if (mt_rand(0, 1)) {
                $fields['freshness'] = new Freshness(['stale' => (bool) mt_rand(0, 1), 'version' => mt_rand()]);
            }
            $alts = [];
            for ($k = mt_rand(0, 3); $k > 0; $k--) {
                $alts[] = new ProtoAlternative(['sku' => "A$k", 'relation' => mt_rand(0, 6),
                    'availability' => new CompactAvailability(['status' => mt_rand(0, 6)])]);
            }
            $fields['alternatives'] = $alts;
            $message = new ProductAvailability($fields);
            $copy = new ProductAvailability();
            $copy->mergeFromString($message->serializeToString());
            $r = WireDecoder::productAvailability($message->serializeToString());
            $status = WireDecoder::status($copy->getStatus());
            if ($status === null) {
                $this->assertSame(Outcome::Unknown, $r->outcome);
                continue;
            }
            $a = $r->availability;
            $stale = $copy->getFreshness() !== null && $copy->getFreshness()->getStale();
            $this->assertSame($copy->getSku(), $a->sku);
            $this->assertSame($copy->getStockId(), $a->stockId);
            $this->assertSame($status, $a->status);
            $this->assertSame(WireDecoder::status($copy->getDisplayStatus()) ?? $status, $a->displayStatus);
            $this->assertSame($copy->getOrderable(), $a->orderable);
            $this->assertSame($copy->getEtaKnown(), $a->etaKnown);
            $this->assertSame($copy->getBackorderNotice(), $a->backorderNotice);
            $this->assertSame(!$stale && $copy->hasOnlyXLeft() ? $copy->getOnlyXLeft() : null, $a->onlyXLeft);
            $d = $copy->getFirstShipDate();
            $this->assertSame($d ? WireDecoder::isoDate($d->getYear(), $d->getMonth(), $d->getDay()) : null, $a->firstShipDate);
            $this->assertSame($stale, $a->stale);
            $this->assertSame(count($copy->getAlternatives()), count($a->alternatives));
            foreach ($copy->getAlternatives() as $i => $alt) {
                $this->assertSame($alt->getSku(), $a->alternatives[$i]->sku);
                $this->assertSame(WireDecoder::status($alt->getAvailability()->getStatus()), $a->alternatives[$i]->status);
            }
        }
    }
}
