<?php
/**
 * BreakerStore in APCu: shared by every worker of a php-fpm pool, so once
 * the breaker opens no worker waits on a dead server. The probe claim uses
 * apcu_add (atomic). Throws \RuntimeException when APCu is not enabled
 * (in the CLI it needs apc.enable_cli=1).
 */

declare(strict_types=1);

namespace Availability\Client\Breaker;

final class ApcuBreakerStore implements BreakerStore
{
    private const PREFIX = 'availability_breaker:';
    /** State outlives any cool-down; an idle host's entry expires. */
    private const STATE_TTL = 3600;

    public function __construct()
    {
        if (!function_exists('apcu_enabled') || !apcu_enabled()) {
            throw new \RuntimeException('APCu is not enabled (apc.enabled, apc.enable_cli)');
        }
    }

    public static function available(): bool
    {
        return function_exists('apcu_enabled') && apcu_enabled();
    }

    public function load(string $key): ?array
    {
        $state = apcu_fetch(self::PREFIX . $key, $found);
        return $found && is_array($state) ? $state : null;
    }

    public function save(string $key, array $state): void
    {
        apcu_store(self::PREFIX . $key, $state, self::STATE_TTL);
    }

    public function claimProbe(string $key, int $ttlSeconds): bool
    {
        return apcu_add(self::PREFIX . 'probe:' . $key, 1, max(1, $ttlSeconds));
    }

    public function releaseProbe(string $key): void
    {
        apcu_delete(self::PREFIX . 'probe:' . $key);
    }
}
