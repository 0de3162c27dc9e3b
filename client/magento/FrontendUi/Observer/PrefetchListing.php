<?php
/**
 * catalog_product_collection_load_after: for a collection marked by
 * FlagListingCollection, one BatchGetAvailability for every SKU on the page
 * (chunks of 500, listing timeout) into the request's registry. Other
 * collections (widgets, admin, indexers) are left alone.
 */

declare(strict_types=1);

namespace AvailabilityService\FrontendUi\Observer;

use AvailabilityService\Core\Api\AvailabilityLookupInterface;
use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;

class PrefetchListing implements ObserverInterface
{
    public function __construct(private readonly AvailabilityLookupInterface $lookup)
    {
    }

    public function execute(Observer $observer): void
    {
        $collection = $observer->getEvent()->getData('collection');
        if ($collection === null || !$collection->getFlag(FlagListingCollection::FLAG)) {
            return;
        }
        $skus = [];
        foreach ($collection->getItems() as $product) {
            $skus[] = (string) $product->getSku();
        }
        $this->lookup->prefetch($skus);
    }
}
