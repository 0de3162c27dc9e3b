<?php
/**
 * Seconds from now until the next midnight in the store's time zone: the
 * longest a cached page may show a lead-time date ("ships on ..."), which
 * the server counts in store-local days. Stateless apart from the clock.
 */

declare(strict_types=1);

namespace AvailabilityService\Core\Model;

use Magento\Framework\Stdlib\DateTime\TimezoneInterface;

class StoreMidnight
{
    public function __construct(private readonly TimezoneInterface $timezone)
    {
    }

    public function secondsLeft(?\DateTimeImmutable $now = null): int
    {
        $zone = new \DateTimeZone($this->timezone->getConfigTimezone() ?: 'UTC');
        $now = ($now ?? new \DateTimeImmutable('now'))->setTimezone($zone);
        $midnight = $now->modify('tomorrow');
        return max(1, $midnight->getTimestamp() - $now->getTimestamp());
    }
}
