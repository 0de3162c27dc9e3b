<?php
/**
 * Model\Stock::deleteCustomer removes all of a customer's back-in-stock
 * alerts of a website in one query: collect them before, unsubscribe each
 * after. One instance per request; the pending list lives between the two.
 */

declare(strict_types=1);

namespace AvailabilityService\ProductAlert\Plugin;

use AvailabilityService\ProductAlert\Model\SubscriptionMirror;
use Magento\ProductAlert\Model\ResourceModel\Stock\CollectionFactory;
use Magento\ProductAlert\Model\Stock;

class MirrorCustomerRemovalPlugin
{
    /** @var array<int, array{0: int, 1: int}> product id, website id */
    private array $pending = [];

    public function __construct(
        private readonly SubscriptionMirror $mirror,
        private readonly CollectionFactory $collectionFactory,
    ) {
    }

    public function beforeDeleteCustomer(Stock $subject, $customerId, $websiteId = 0): void
    {
        $collection = $this->collectionFactory->create()->addFieldToFilter('customer_id', (int) $customerId);
        if ((int) $websiteId !== 0) {
            $collection->addFieldToFilter('website_id', (int) $websiteId);
        }
        $this->pending = [];
        foreach ($collection as $row) {
            $this->pending[] = [(int) $row->getData('product_id'), (int) $row->getData('website_id')];
        }
    }

    public function afterDeleteCustomer(Stock $subject, $result, $customerId, $websiteId = 0)
    {
        foreach ($this->pending as [$productId, $rowWebsiteId]) {
            $this->mirror->mirror(false, $productId, (int) $customerId, $rowWebsiteId);
        }
        $this->pending = [];
        return $result;
    }
}
