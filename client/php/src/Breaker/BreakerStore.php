<?php
/**
 * Where a circuit breaker keeps its state: per process (InMemoryBreakerStore)
 * or shared by the workers of one php-fpm pool (ApcuBreakerStore). State is
 * a small array; updates are last-writer-wins (a lost count only delays the
 * opening by a call), the half-open probe is claimed atomically.
 */

declare(strict_types=1);

namespace Availability\Client\Breaker;

interface BreakerStore
{
    /** @return array<string, mixed>|null */
    public function load(string $key): ?array;

    /** @param array<string, mixed> $state */
    public function save(string $key, array $state): void;

    /** True for exactly one caller until the claim expires or is released. */
    public function claimProbe(string $key, int $ttlSeconds): bool;

    public function releaseProbe(string $key): void;
}
