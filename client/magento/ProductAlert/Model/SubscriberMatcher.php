<?php
/**
 * Finds the Magento alert behind a notification job: the open
 * product_alert_stock rows of the job's product on the websites of the
 * job's stock, whose SubscriberId matches the job's subscriber id. Null
 * when the shopper unsubscribed in Magento meanwhile (nothing to send).
 */

declare(strict_types=1);

namespace AvailabilityService\ProductAlert\Model;

use Availability\Client\NotificationJob;
use AvailabilityService\Core\Model\SubscriberId;
use Magento\Framework\App\ResourceConnection;
use Magento\Framework\Exception\NoSuchEntityException;
use Magento\InventoryCatalogApi\Model\GetProductIdsBySkusInterface;
use Magento\InventorySalesApi\Model\GetAssignedSalesChannelsForStockInterface;
use Magento\Store\Model\StoreManagerInterface;

class SubscriberMatcher
{
    public function __construct(
        private readonly GetProductIdsBySkusInterface $getProductIdsBySkus,
        private readonly GetAssignedSalesChannelsForStockInterface $salesChannelsForStock,
        private readonly StoreManagerInterface $storeManager,
        private readonly ResourceConnection $resource,
        private readonly SubscriberId $subscriberId,
    ) {
    }

    /** @return array{customer_id: int, website_id: int}|null */
    public function match(NotificationJob $job): ?array
    {
        try {
            $productId = (int) ($this->getProductIdsBySkus->execute([$job->sku])[$job->sku] ?? 0);
        } catch (NoSuchEntityException) {
            return null;
        }
        $websiteIds = [];
        foreach ($this->salesChannelsForStock->execute($job->stockId) as $channel) {
            if ($channel->getType() === 'website') {
                $websiteIds[] = (int) $this->storeManager->getWebsite($channel->getCode())->getId();
            }
        }
        if ($productId === 0 || $websiteIds === []) {
            return null;
        }
        $connection = $this->resource->getConnection();
        $rows = $connection->fetchAll(
            $connection->select()
                ->from($this->resource->getTableName('product_alert_stock'), ['customer_id', 'website_id'])
                ->where('product_id = ?', $productId)
                ->where('website_id IN (?)', $websiteIds)
                ->where('status = ?', 0)
        );
        foreach ($rows as $row) {
            $candidate = $this->subscriberId->forCustomer((int) $row['customer_id'], (int) $row['website_id']);
            if (hash_equals($candidate, $job->subscriberId)) {
                return ['customer_id' => (int) $row['customer_id'], 'website_id' => (int) $row['website_id']];
            }
        }
        return null;
    }
}
