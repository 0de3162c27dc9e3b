<?php
/**
 * Back-in-stock mirrors that failed, kept in a Magento flag (bounded to
 * MAX entries, oldest dropped) until drain() replays them. Subscribe and
 * unsubscribe are idempotent on the server, so a replay is safe. Not safe
 * against two concurrent drains (the consumer is a single process).
 */

declare(strict_types=1);

namespace AvailabilityService\ProductAlert\Model;

use Magento\Framework\FlagManager;

class RetryQueue
{
    public const FLAG = 'availability_service_alert_retry';
    public const MAX = 1000;

    public function __construct(private readonly FlagManager $flagManager)
    {
    }

    public function add(bool $subscribe, int $productId, int $customerId, int $websiteId): void
    {
        $queue = (array) ($this->flagManager->getFlagData(self::FLAG) ?? []);
        $queue[] = [$subscribe, $productId, $customerId, $websiteId];
        $this->flagManager->saveFlag(self::FLAG, array_slice($queue, -self::MAX));
    }

    /** @param callable(bool, int, int, int): void $replay */
    public function drain(callable $replay): int
    {
        $queue = (array) ($this->flagManager->getFlagData(self::FLAG) ?? []);
        if ($queue === []) {
            return 0;
        }
        $this->flagManager->deleteFlag(self::FLAG);
        foreach ($queue as [$subscribe, $productId, $customerId, $websiteId]) {
            $replay((bool) $subscribe, (int) $productId, (int) $customerId, (int) $websiteId);
        }
        return count($queue);
    }
}
