<?php

declare(strict_types=1);

namespace Availability\Client\Tests\Integration;

use Availability\Client\Breaker\CircuitBreaker;
use Availability\Client\Breaker\InMemoryBreakerStore;
use Availability\Client\ClientConfig;
use Availability\Client\Grpc\GrpcAvailabilityClient;
use Availability\Client\Outcome;
use Availability\Client\Tests\Support\Stack;
use Availability\V1\AvailabilityClient;
use Availability\V1\GetAvailabilityRequest;
use Availability\V1\Scope;
use PHPUnit\Framework\TestCase;

/**
 * The page never waits longer than its timeout: a frozen server (accepts,
 * never answers), a killed one, a busy one, a server without Redis. Each test
 * has its own stack; the breaker's cool-down is 1 s to keep the test short.
 * Latency bounds are generous multiples of the timeouts (label slow).
 */
final class FaultIntegrationTest extends TestCase
{
    private Stack $stack;
    private CircuitBreaker $breaker;
    private GrpcAvailabilityClient $client;
    private array $log = [];

    protected function setUp(): void
    {
        $this->stack = new Stack();
        $this->breaker = new CircuitBreaker(new InMemoryBreakerStore(), 5, 20, 1.0);
        $this->client = $this->clientFor($this->stack->address());
        // Warm the channel: the first call connects.
        $this->assertSame(Outcome::Ok, $this->client->get('DEMO-SUCCESSOR', 'base', null, 0, 2000)->outcome);
    }

    private function clientFor(string $address): GrpcAvailabilityClient
    {
        return new GrpcAvailabilityClient(new ClientConfig($address, maxReconnectBackoffMs: 500), $this->breaker,
            function (string $line): void {
                $this->log[] = $line;
            });
    }

    /** @return array{0: \Availability\Client\Result, 1: float} result, milliseconds */
    private function timed(callable $call): array
    {
        $start = hrtime(true);
        $result = $call();
        return [$result, (hrtime(true) - $start) / 1e6];
    }

    public function testFrozenServerCostsAtMostTheTimeoutThenTheBreakerOpens(): void
    {
        $this->stack->freezeServer();
        for ($i = 0; $i < 5; $i++) {
            [$r, $ms] = $this->timed(fn () => $this->client->get('DEMO-OUT', 'base'));
            $this->assertSame(Outcome::DeadlineExceeded, $r->outcome, "call $i: {$r->outcome->value} $r->message after $ms ms");
            $this->assertGreaterThanOrEqual(95, $ms, 'waited for the 100 ms deadline');
            $this->assertLessThan(400, $ms, 'product page timeout 100 ms');
        }
        [$batch, $ms] = $this->timed(fn () => $this->client->batchGet(['DEMO-OUT', 'DEMO-PREORDER'], 'base'));
        $this->assertSame(Outcome::BreakerOpen, $batch['DEMO-OUT']->outcome);
        $this->assertLessThan(20, $ms, 'an open breaker makes no call');
        $this->assertSame(CircuitBreaker::OPEN, $this->breaker->state($this->stack->address()));
        $this->assertStringContainsString('deadline_exceeded', $this->log[0]);
        $this->stack->thawServer();
    }

    public function testListingTimeoutIsTheBudgetOfTheWholeBatch(): void
    {
        $this->stack->freezeServer();
        [$results, $ms] = $this->timed(fn () => $this->client->batchGet($this->stack->catalogSkus(48), 'base'));
        $this->assertCount(48, $results);
        foreach ($results as $r) {
            $this->assertSame(Outcome::DeadlineExceeded, $r->outcome);
        }
        $this->assertGreaterThanOrEqual(145, $ms);
        $this->assertLessThan(450, $ms, 'listing timeout 150 ms');
        $this->stack->thawServer();
    }

    public function testKilledServerOpensTheBreakerWhichHalfOpensAndCloses(): void
    {
        $host = $this->stack->address();
        $this->stack->killServer();
        $outcomes = [];
        for ($i = 0; $i < 8; $i++) {
            [$r, $ms] = $this->timed(fn () => $this->client->get('DEMO-OUT', 'base'));
            $outcomes[] = $r->outcome;
            $this->assertNull($r->availability);
            $this->assertLessThan(400, $ms, "call $i falls back within the timeout");
        }
        $this->assertSame(array_fill(0, 5, Outcome::Unavailable), array_slice($outcomes, 0, 5),
            implode(',', array_map(fn ($o) => $o->value, $outcomes)));
        $this->assertSame(array_fill(0, 3, Outcome::BreakerOpen), array_slice($outcomes, 5));

        // Cool-down over, server still down: the probe fails, the breaker reopens.
        usleep(1_100_000);
        $this->assertSame(CircuitBreaker::HALF_OPEN, $this->breaker->state($host));
        $this->assertSame(Outcome::Unavailable, $this->client->get('DEMO-OUT', 'base')->outcome);
        $this->assertSame(CircuitBreaker::OPEN, $this->breaker->state($host));

        // Server back: after the next cool-down the probe succeeds and closes it.
        $this->stack->restartServer();
        usleep(1_100_000);
        $r = $this->client->get('DEMO-OUT', 'base', null, 0, 2000);
        $this->assertSame(Outcome::Ok, $r->outcome, $r->message);
        $this->assertSame(CircuitBreaker::CLOSED, $this->breaker->state($host));
        $this->assertSame(Outcome::Ok, $this->client->get('DEMO-PREORDER', 'base')->outcome);
    }

    public function testBusyServerFallsBackAndCountsAgainstTheBreaker(): void
    {
        $busy = $this->stack->startExtraServer('busy', ['--max_concurrent_calls=1', '--max_call_time=5s']);
        // One call waiting on a stalled Redis takes the only slot (watch
        // streams have their own limits and take none).
        $stub = new AvailabilityClient($busy, ['credentials' => \Grpc\ChannelCredentials::createInsecure()]);
        $request = new GetAvailabilityRequest();
        $request->setSku('DEMO-OUT');
        $request->setScope((new Scope())->setSalesChannel('base'));
        $this->stack->freezeRedis();
        $held = $stub->GetAvailability($request, [], ['timeout' => 5_000_000]);
        usleep(100_000); // the held call has reached the server
        $client = $this->clientFor($busy);
        $r = $client->get('DEMO-OUT', 'base', null, 0, 2000);
        $this->assertSame(Outcome::Busy, $r->outcome, $r->message);
        $this->assertNull($r->availability);
        for ($i = 0; $i < 4; $i++) {
            $client->get('DEMO-OUT', 'base', null, 0, 2000);
        }
        $this->assertSame(CircuitBreaker::OPEN, $this->breaker->state($busy));
        $this->stack->thawRedis();
        $held->cancel();
    }

    public function testWithoutRedisTheAnswerIsStaleAndHasNoCounts(): void
    {
        $fresh = $this->client->get('DEMO-INSTOCK-LOW', 'base', null, 0, 2000);
        $this->assertSame(3.0, $fresh->availability->onlyXLeft);
        $this->stack->killRedis();
        $deadline = microtime(true) + 10;
        do {
            usleep(200_000);
            $r = $this->client->get('DEMO-INSTOCK-LOW', 'base', null, 0, 2000);
        } while (($r->availability === null || !$r->availability->stale) && microtime(true) < $deadline);
        $this->assertSame(Outcome::Ok, $r->outcome, $r->message);
        $this->assertTrue($r->availability->stale);
        $this->assertNotNull($r->availability->status);
        $this->assertNull($r->availability->onlyXLeft, 'a stale answer shows the status without counts');
    }
}
