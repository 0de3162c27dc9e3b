<?php

declare(strict_types=1);

namespace Availability\Client\Tests\Unit;

use Availability\Client\Breaker\ApcuBreakerStore;
use Availability\Client\Breaker\CircuitBreaker;
use Availability\Client\Breaker\InMemoryBreakerStore;
use PHPUnit\Framework\TestCase;

final class CircuitBreakerTest extends TestCase
{
    private float $now = 1000.0;

    private function breaker(?InMemoryBreakerStore $store = null): CircuitBreaker
    {
        $clock = fn (): float => $this->now;
        return new CircuitBreaker($store ?? new InMemoryBreakerStore($clock), 5, 20, 10.0, $clock);
    }

    public function testOpensAfterFiveConsecutiveFailures(): void
    {
        $b = $this->breaker();
        for ($i = 0; $i < 4; $i++) {
            $b->recordFailure('h:1');
        }
        $this->assertTrue($b->allow('h:1'));
        $this->assertSame(CircuitBreaker::CLOSED, $b->state('h:1'));
        $b->recordFailure('h:1');
        $this->assertSame(CircuitBreaker::OPEN, $b->state('h:1'));
        $this->assertFalse($b->allow('h:1'));
        $this->assertTrue($b->allow('other:1'), 'breakers are per host');
    }

    public function testSuccessResetsTheConsecutiveCount(): void
    {
        $b = $this->breaker();
        for ($i = 0; $i < 8; $i++) {
            $b->recordFailure('h:1');
            $i % 4 === 3 && $b->recordSuccess('h:1');
        }
        $this->assertSame(CircuitBreaker::CLOSED, $b->state('h:1'));
    }

    public function testOpensWhenMoreThanHalfOfTheLastTwentyFailed(): void
    {
        $b = $this->breaker();
        // 20 calls, failures never 5 in a row: F F F F S repeated = 16 of 20.
        // Exactly half is not enough: 10 of 20 in S F pairs first.
        for ($i = 0; $i < 10; $i++) {
            $b->recordSuccess('h:1');
            $b->recordFailure('h:1');
        }
        $this->assertSame(CircuitBreaker::CLOSED, $b->state('h:1'), '10 of 20 is not more than half');
        $b->recordFailure('h:1'); // window: 11 failures of the last 20
        $this->assertSame(CircuitBreaker::OPEN, $b->state('h:1'));
    }

    public function testHalfOpenAdmitsOneProbeThenClosesOnSuccess(): void
    {
        $b = $this->breaker();
        for ($i = 0; $i < 5; $i++) {
            $b->recordFailure('h:1');
        }
        $this->now += 9.9;
        $this->assertFalse($b->allow('h:1'));
        $this->now += 0.2;
        $this->assertSame(CircuitBreaker::HALF_OPEN, $b->state('h:1'));
        $this->assertTrue($b->allow('h:1'), 'the probe');
        $this->assertFalse($b->allow('h:1'), 'only one probe at a time');
        $b->recordSuccess('h:1');
        $this->assertSame(CircuitBreaker::CLOSED, $b->state('h:1'));
        $this->assertTrue($b->allow('h:1'));
        for ($i = 0; $i < 4; $i++) {
            $b->recordFailure('h:1');
        }
        $this->assertSame(CircuitBreaker::CLOSED, $b->state('h:1'), 'counts restarted');
    }

    public function testFailedProbeReopensForAnotherCoolDown(): void
    {
        $b = $this->breaker();
        for ($i = 0; $i < 5; $i++) {
            $b->recordFailure('h:1');
        }
        $this->now += 10.5;
        $this->assertTrue($b->allow('h:1'));
        $b->recordFailure('h:1');
        $this->assertSame(CircuitBreaker::OPEN, $b->state('h:1'));
        $this->now += 9.0;
        $this->assertFalse($b->allow('h:1'));
        $this->now += 1.5;
        $this->assertTrue($b->allow('h:1'), 'next probe after the new cool-down');
    }

    public function testRejectsNonsenseSettings(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        new CircuitBreaker(new InMemoryBreakerStore(), 0);
    }

    public function testApcuStoreIsSharedBetweenBreakers(): void
    {
        if (!ApcuBreakerStore::available()) {
            $this->markTestSkipped('APCu not enabled (tests/run sets apc.enable_cli=1)');
        }
        apcu_clear_cache();
        $clock = fn (): float => $this->now;
        $first = new CircuitBreaker(new ApcuBreakerStore(), 5, 20, 10.0, $clock);
        $second = new CircuitBreaker(new ApcuBreakerStore(), 5, 20, 10.0, $clock);
        for ($i = 0; $i < 5; $i++) {
            $first->recordFailure('shared:1');
        }
        $this->assertFalse($second->allow('shared:1'), 'a second worker sees the open breaker');
        $this->now += 11;
        $this->assertTrue($second->allow('shared:1'));
        $this->assertFalse($first->allow('shared:1'), 'the probe is claimed once across workers');
        $second->recordSuccess('shared:1');
        $this->assertTrue($first->allow('shared:1'));
    }
}
