<?php

declare(strict_types=1);

namespace Availability\Client\Tests\Unit;

use Availability\Client\Breaker\CircuitBreaker;
use Availability\Client\Breaker\InMemoryBreakerStore;
use Availability\Client\ClientConfig;
use Availability\Client\Grpc\GrpcAvailabilityClient;
use Availability\Client\Outcome;
use Availability\Client\AvailabilityException;
use PHPUnit\Framework\TestCase;

/** The client's checks before any call: no server is needed (or reached). */
final class GrpcAvailabilityClientTest extends TestCase
{
    private CircuitBreaker $breaker;
    private GrpcAvailabilityClient $client;

    protected function setUp(): void
    {
        $this->breaker = new CircuitBreaker(new InMemoryBreakerStore());
        // Port 1 on loopback: nothing listens; a call that went out would fail
        // UNAVAILABLE and count against the breaker.
        $this->client = new GrpcAvailabilityClient(new ClientConfig('127.0.0.1:1'), $this->breaker);
    }

    public function testInvalidRequestsNeverLeaveTheProcess(): void
    {
        $r = $this->client->get(str_repeat('é', 40), 'base');
        $this->assertSame(Outcome::InvalidRequest, $r->outcome);
        $this->assertSame('sku: longer than 64 bytes', $r->message);
        $this->assertSame(Outcome::InvalidRequest, $this->client->get('A', 'base', 1.00001)->outcome);
        $this->assertSame(Outcome::InvalidRequest, $this->client->get('A', '')->outcome);
        $batch = $this->client->batchGet(["bad\xFF", ''], 'base');
        $this->assertSame('skus[0]: not valid UTF-8', $batch["bad\xFF"]->message);
        $this->assertSame('skus[1]: empty', $batch['']->message);
        $this->assertSame(CircuitBreaker::CLOSED, $this->breaker->state('127.0.0.1:1'));
        for ($i = 0; $i < 10; $i++) {
            $this->client->get('', 'base');
        }
        $this->assertTrue($this->breaker->allow('127.0.0.1:1'), 'client-side rejections are not failures');
    }

    public function testOpenBreakerAnswersWithoutACall(): void
    {
        for ($i = 0; $i < 5; $i++) {
            $this->breaker->recordFailure('127.0.0.1:1');
        }
        $r = $this->client->get('A', 'base');
        $this->assertSame(Outcome::BreakerOpen, $r->outcome);
        $batch = $this->client->batchGet(['A', 'B', 'A'], 'base');
        $this->assertSame(['A', 'B'], array_keys($batch), 'duplicates asked once, order kept');
        $this->assertSame(Outcome::BreakerOpen, $batch['B']->outcome);
    }

    public function testSubscriptionChecksThrowWithTheField(): void
    {
        $this->expectException(AvailabilityException::class);
        $this->expectExceptionMessage('subscriber_id: empty');
        $this->client->subscribeBackInStock('A', 'base', '');
    }
}
