<?php
/**
 * availability_service_consumer_tick: replays the back-in-stock mirrors
 * that failed (RetryQueue); a replay that fails again is queued again.
 */

declare(strict_types=1);

namespace AvailabilityService\ProductAlert\Observer;

use AvailabilityService\ProductAlert\Model\RetryQueue;
use AvailabilityService\ProductAlert\Model\SubscriptionMirror;
use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;

class ReplayFailedMirrors implements ObserverInterface
{
    public function __construct(
        private readonly RetryQueue $retryQueue,
        private readonly SubscriptionMirror $mirror,
    ) {
    }

    public function execute(Observer $observer): void
    {
        $this->retryQueue->drain(function (bool $subscribe, int $productId, int $customerId, int $websiteId): void {
            $this->mirror->mirror($subscribe, $productId, $customerId, $websiteId);
        });
    }
}
