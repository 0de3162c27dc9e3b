<?php
/**
 * BreakerStore in this process's memory: for the CLI, tests, and php-fpm
 * without APCu (each worker then learns on its own). Not thread-safe (PHP
 * runs one request per process).
 */

declare(strict_types=1);

namespace Availability\Client\Breaker;

final class InMemoryBreakerStore implements BreakerStore
{
    /** @var array<string, array<string, mixed>> */
    private array $states = [];
    /** @var array<string, float> probe key => expiry (unix seconds) */
    private array $probes = [];

    /** @param ?\Closure(): float $clock */
    public function __construct(private readonly ?\Closure $clock = null)
    {
    }

    public function load(string $key): ?array
    {
        return $this->states[$key] ?? null;
    }

    public function save(string $key, array $state): void
    {
        $this->states[$key] = $state;
    }

    public function claimProbe(string $key, int $ttlSeconds): bool
    {
        $now = $this->clock ? ($this->clock)() : microtime(true);
        if (isset($this->probes[$key]) && $this->probes[$key] > $now) {
            return false;
        }
        $this->probes[$key] = $now + $ttlSeconds;
        return true;
    }

    public function releaseProbe(string $key): void
    {
        unset($this->probes[$key]);
    }
}
