<?php
/**
 * catalog_block_product_list_collection: marks the listing's collection
 * for the one-batch prefetch. Runs before the load and never loads it (the
 * toolbar sets page size and order later).
 */

declare(strict_types=1);

namespace AvailabilityService\FrontendUi\Observer;

use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;

class FlagListingCollection implements ObserverInterface
{
    public const FLAG = 'availability_service_prefetch';

    public function execute(Observer $observer): void
    {
        $collection = $observer->getEvent()->getData('collection');
        if ($collection !== null) {
            $collection->setFlag(self::FLAG, true);
        }
    }
}
