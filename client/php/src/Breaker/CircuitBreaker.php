<?php
/**
 * A circuit breaker per server address. Closed: calls go through. It opens
 * after $consecutiveFailures failures in a row, or when more than half of
 * the last $windowSize calls failed; while open no call is made (the page
 * shows Magento's status at once). After $coolDownSeconds one caller gets a
 * half-open probe: success closes the breaker, failure opens it again.
 * Only Outcome::countsAsFailure() outcomes count as failures. The state
 * lives in a BreakerStore (see there for sharing and races).
 */

declare(strict_types=1);

namespace Availability\Client\Breaker;

final class CircuitBreaker
{
    public const CLOSED = 'closed';
    public const OPEN = 'open';
    public const HALF_OPEN = 'half_open';

    /** @var \Closure(): float */
    private readonly \Closure $clock;

    /** @param ?\Closure(): float $clock unix seconds; tests pass a fake */
    public function __construct(
        private readonly BreakerStore $store,
        private readonly int $consecutiveFailures = 5,
        private readonly int $windowSize = 20,
        private readonly float $coolDownSeconds = 10.0,
        ?\Closure $clock = null,
    ) {
        if ($consecutiveFailures < 1 || $windowSize < 2 || $coolDownSeconds <= 0) {
            throw new \InvalidArgumentException(
                'breaker: consecutiveFailures >= 1, windowSize >= 2, coolDownSeconds > 0'
            );
        }
        $this->clock = $clock ?? static fn (): float => microtime(true);
    }

    /** May a call to $host go out now? Claims the half-open probe if due. */
    public function allow(string $host): bool
    {
        $state = $this->store->load($host);
        if ($state === null || $state['open_until'] === 0.0) {
            return true;
        }
        if (($this->clock)() < $state['open_until']) {
            return false;
        }
        return $this->store->claimProbe($host, (int) ceil($this->coolDownSeconds));
    }

    public function state(string $host): string
    {
        $state = $this->store->load($host);
        if ($state === null || $state['open_until'] === 0.0) {
            return self::CLOSED;
        }
        return ($this->clock)() < $state['open_until'] ? self::OPEN : self::HALF_OPEN;
    }

    public function recordSuccess(string $host): void
    {
        $state = $this->store->load($host) ?? self::closedState();
        if ($state['open_until'] !== 0.0) {
            $this->store->releaseProbe($host);
            $this->store->save($host, self::closedState());
            return;
        }
        $state['consecutive'] = 0;
        $state['window'] = substr($state['window'] . '0', -$this->windowSize);
        $this->store->save($host, $state);
    }

    public function recordFailure(string $host): void
    {
        $now = ($this->clock)();
        $state = $this->store->load($host) ?? self::closedState();
        if ($state['open_until'] !== 0.0) {
            // The half-open probe failed (or a straggler from before opening).
            $state['open_until'] = $now + $this->coolDownSeconds;
            $this->store->save($host, $state);
            $this->store->releaseProbe($host);
            return;
        }
        $state['consecutive']++;
        $state['window'] = substr($state['window'] . '1', -$this->windowSize);
        $failures = substr_count($state['window'], '1');
        if ($state['consecutive'] >= $this->consecutiveFailures
            || (strlen($state['window']) === $this->windowSize
                && $failures * 2 > $this->windowSize)) {
            $state = self::closedState();
            $state['open_until'] = $now + $this->coolDownSeconds;
        }
        $this->store->save($host, $state);
    }

    /** @return array{open_until: float, consecutive: int, window: string} */
    private static function closedState(): array
    {
        return ['open_until' => 0.0, 'consecutive' => 0, 'window' => ''];
    }
}
