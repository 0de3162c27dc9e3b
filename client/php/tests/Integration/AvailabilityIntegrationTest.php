<?php

declare(strict_types=1);

namespace Availability\Client\Tests\Integration;

use Availability\Client\Breaker\CircuitBreaker;
use Availability\Client\Breaker\InMemoryBreakerStore;
use Availability\Client\ClientConfig;
use Availability\Client\Grpc\GrpcAvailabilityClient;
use Availability\Client\Grpc\GrpcEventTail;
use Availability\Client\Grpc\GrpcNotificationJobs;
use Availability\Client\InventoryEvent;
use Availability\Client\Outcome;
use Availability\Client\Status;
use Availability\Client\Tests\Support\Stack;
use PHPUnit\Framework\TestCase;

/** The client against a real availability-server + redis-server holding the demo catalog. */
final class AvailabilityIntegrationTest extends TestCase
{
    private static ?Stack $stack = null;
    private GrpcAvailabilityClient $client;

    public static function setUpBeforeClass(): void
    {
        self::$stack = new Stack();
    }

    public static function tearDownAfterClass(): void
    {
        self::$stack = null;
    }

    protected function setUp(): void
    {
        // Generous timeouts: this class checks answers, FaultIntegrationTest deadlines.
        $this->client = new GrpcAvailabilityClient(
            new ClientConfig(
                self::$stack->address(),
                productTimeoutMs: 2000,
                listingTimeoutMs: 5000,
                subscriptionSecret: self::$stack->subscriptionSecret,
            ),
            new CircuitBreaker(new InMemoryBreakerStore()),
        );
    }

    public function testEveryStatusOfTheDemoCatalog(): void
    {
        $low = $this->client->get('DEMO-INSTOCK-LOW', 'base');
        $this->assertSame(Outcome::Ok, $low->outcome, $low->message);
        $this->assertSame(Status::InStock, $low->availability->status);
        $this->assertSame(3.0, $low->availability->onlyXLeft);
        $this->assertFalse($low->availability->stale);
        $this->assertFalse($low->availability->hasEta());

        $back = $this->client->get('DEMO-BACKORDER', 'base', 10.0)->availability;
        $this->assertSame(Status::Backorderable, $back->status);
        $this->assertTrue($back->etaKnown);
        $this->assertMatchesRegularExpression('/^\d{4}-\d\d-\d\d$/', $back->firstShipDate);
        $this->assertTrue($back->hasEta());

        $pre = $this->client->get('DEMO-PREORDER', 'base')->availability;
        $this->assertSame(Status::Preorder, $pre->status);
        $this->assertNotNull($pre->firstShipDate);

        $out = $this->client->get('DEMO-OUT', 'base', null, 3)->availability;
        $this->assertSame(Status::OutOfStock, $out->status);
        $this->assertFalse($out->orderable);
        $this->assertNotNull($out->restockDate);
        $this->assertNotEmpty($out->alternatives);
        $this->assertContains('DEMO-SUCCESSOR', array_map(fn ($a) => $a->sku, $out->alternatives));

        $gone = $this->client->get('DEMO-DISCONTINUED', 'base')->availability;
        $this->assertSame(Status::Discontinued, $gone->status);
        $this->assertSame('DEMO-SUCCESSOR', $gone->successorSku);

        $this->assertSame(Outcome::NotFound, $this->client->get('NO-SUCH-SKU', 'base')->outcome);
        $unknownChannel = $this->client->get('DEMO-OUT', 'no-such-website');
        $this->assertNotSame(Outcome::Ok, $unknownChannel->outcome);
        $this->assertFalse($unknownChannel->outcome->countsAsFailure());
    }

    public function testListingPageIsOneBatch(): void
    {
        $skus = self::$stack->catalogSkus(46);
        $this->assertCount(46, $skus);
        $skus[] = 'NO-SUCH-SKU';
        $skus[] = str_repeat('ü', 40); // a valid Magento SKU the server would reject
        $results = $this->client->batchGet($skus, 'base');
        $this->assertSame($skus, array_keys($results));
        foreach (array_slice($skus, 0, 46) as $sku) {
            $this->assertSame(Outcome::Ok, $results[$sku]->outcome, "$sku: {$results[$sku]->message}");
            $this->assertSame($sku, $results[$sku]->availability->sku);
        }
        $this->assertContains($results['NO-SUCH-SKU']->outcome, [Outcome::Unknown, Outcome::NotFound]);
        $this->assertSame(Outcome::InvalidRequest, $results[$skus[47]]->outcome);
    }

    public function testMoreThanFiveHundredSkusGoInChunks(): void
    {
        $skus = self::$stack->catalogSkus(501);
        $this->assertCount(501, $skus);
        $results = $this->client->batchGet($skus, 'base');
        $ok = array_filter($results, fn ($r) => $r->outcome === Outcome::Ok);
        $this->assertCount(501, $ok);
    }

    public function testBackInStockSubscriptionIsMirrored(): void
    {
        $this->assertTrue($this->client->subscribeBackInStock('DEMO-OUT', 'base', 'sub-1'));
        $this->assertFalse($this->client->subscribeBackInStock('DEMO-OUT', 'base', 'sub-1'), 'idempotent');
        $this->assertTrue($this->client->unsubscribeBackInStock('DEMO-OUT', 'base', 'sub-1'));
        $this->assertFalse($this->client->unsubscribeBackInStock('DEMO-OUT', 'base', 'sub-1'));
    }

    public function testSubscriptionsNeedTheSharedSecret(): void
    {
        foreach (['' => 'subscriber_proof: missing', 'not-the-secret' => 'subscriber_proof: does not match']
                 as $secret => $expected) {
            $client = new GrpcAvailabilityClient(
                new ClientConfig(self::$stack->address(), subscriptionSecret: $secret),
                new CircuitBreaker(new InMemoryBreakerStore()),
            );
            try {
                $client->subscribeBackInStock('DEMO-OUT', 'base', 'sub-2');
                $this->fail('a subscription without the right proof must fail');
            } catch (\Availability\Client\AvailabilityException $e) {
                $this->assertStringContainsString($expected, $e->getMessage());
                $this->assertStringNotContainsString(self::$stack->subscriptionSecret, $e->getMessage());
            }
        }
        // Unknown SKUs are refused; the cause is in the message.
        try {
            $this->client->subscribeBackInStock('NO-SUCH-SKU', 'base', 'sub-2');
            $this->fail('an unknown SKU must be refused');
        } catch (\Availability\Client\AvailabilityException $e) {
            $this->assertSame(Outcome::NotFound, $e->outcome);
            $this->assertStringContainsString('"NO-SUCH-SKU" is not known', $e->getMessage());
        }
    }

    public function testEventTailSeesAStatusChange(): void
    {
        // The read-only sync token is enough for the event tail and the jobs.
        $tail = new GrpcEventTail(new ClientConfig(self::$stack->syncAddress()), self::$stack->readToken);
        // The position now, then a change the tail must report.
        $start = '0-0';
        $tail->tail(1, $start, function (InventoryEvent $e) use (&$start): void {
            $start = $e->id;
        }, 0.5);
        $file = self::$stack->dir . '/change.jsonl';
        file_put_contents($file, json_encode([
            'sku' => 'DEMO-INSTOCK-LOW', 'stock_id' => 1, 'version' => PHP_INT_MAX >> 1,
            'source_quantity' => 0, 'backorders' => 'BACKORDERS_NO',
        ]) . "\n");
        self::$stack->cli('import', $file, '--token-file', self::$stack->dir . '/sync-token');
        $events = [];
        $last = $tail->tail(1, $start, function (InventoryEvent $e) use (&$events): void {
            $events[] = $e;
        }, 3.0, 1);
        $this->assertCount(1, $events);
        $this->assertSame('DEMO-INSTOCK-LOW', $events[0]->sku);
        $this->assertSame('OUT_OF_STOCK', $events[0]->type);
        $this->assertSame($events[0]->id, $last);

        $wrongToken = new GrpcEventTail(new ClientConfig(self::$stack->syncAddress()), 'wrong');
        try {
            $wrongToken->tail(1, '', fn () => null, 1.0);
            $this->fail('a wrong token must fail');
        } catch (\Availability\Client\AvailabilityException $e) {
            $this->assertStringNotContainsString('wrong', $e->getMessage());
        }
    }

    public function testNotificationJobsAreClaimedAndAcknowledged(): void
    {
        $this->assertTrue($this->client->subscribeBackInStock('DEMO-OUT', 'base', 'm2:job-subscriber'));
        $file = self::$stack->dir . '/restock.jsonl';
        file_put_contents($file, json_encode([
            'sku' => 'DEMO-OUT', 'stock_id' => 1, 'version' => PHP_INT_MAX >> 1,
            'source_quantity' => 10, 'backorders' => 'BACKORDERS_NO',
        ]) . "\n");
        self::$stack->cli('import', $file, '--token-file', self::$stack->dir . '/sync-token');

        $jobs = new GrpcNotificationJobs(new ClientConfig(self::$stack->syncAddress()), self::$stack->readToken);
        $claimed = $jobs->claim(1, 'mailer-test', 10, 1);
        $this->assertCount(1, $claimed);
        $this->assertSame('DEMO-OUT', $claimed[0]->sku);
        $this->assertSame('m2:job-subscriber', $claimed[0]->subscriberId);
        $this->assertFalse($claimed[0]->redelivered);
        $this->assertSame([], $jobs->claim(1, 'mailer-test', 10, 1), 'claimed jobs are not handed out twice');

        usleep(1_200_000); // the 1 s lease runs out without an ack: the job comes back
        // A job is taken over once claimed for longer than the new claimer's lease.
        $again = $jobs->claim(1, 'mailer-other', 10, 1);
        $this->assertCount(1, $again);
        $this->assertTrue($again[0]->redelivered);
        $this->assertSame(1, $jobs->ack(1, [$again[0]->id]));
        $this->assertSame(0, $jobs->ack(1, [$again[0]->id]), 'acknowledged once');

        try {
            $jobs->claim(1, 'bad name', 10, 60);
            $this->fail('an invalid consumer name must be refused');
        } catch (\Availability\Client\AvailabilityException $e) {
            $this->assertSame('consumer: 1..64 bytes of [A-Za-z0-9_.-]', $e->getMessage());
        }
    }
}
