<?php
/**
 * Purges the page cache (built-in and Varnish, through MSI's flushers,
 * which dispatch clean_cache_by_tags) for SKUs whose availability changed:
 * the products, their composite parents, and the categories that list
 * them. SKUs Magento does not know are skipped.
 */

declare(strict_types=1);

namespace AvailabilityService\Cache\Model;

use Magento\Framework\App\ResourceConnection;
use Magento\Framework\Exception\NoSuchEntityException;
use Magento\InventoryCache\Model\FlushCacheByCategoryIds;
use Magento\InventoryCache\Model\FlushCacheByProductIds;
use Magento\InventoryCatalogApi\Model\GetParentSkusOfChildrenSkusInterface;
use Magento\InventoryCatalogApi\Model\GetProductIdsBySkusInterface;

class CachePurger
{
    public function __construct(
        private readonly GetProductIdsBySkusInterface $getProductIdsBySkus,
        private readonly GetParentSkusOfChildrenSkusInterface $getParentSkus,
        private readonly FlushCacheByProductIds $flushByProductIds,
        private readonly FlushCacheByCategoryIds $flushByCategoryIds,
        private readonly ResourceConnection $resource,
    ) {
    }

    /**
     * @param string[] $skus
     * @return int[] the product ids purged
     */
    public function purge(array $skus): array
    {
        $skus = array_values(array_unique($skus));
        foreach ($this->getParentSkus->execute($skus) as $parents) {
            array_push($skus, ...array_values((array) $parents));
        }
        $ids = [];
        foreach (array_unique($skus) as $sku) {
            try {
                $ids = array_merge($ids, array_values($this->getProductIdsBySkus->execute([$sku])));
            } catch (NoSuchEntityException) {
                continue;
            }
        }
        $ids = array_values(array_unique(array_map('intval', $ids)));
        if ($ids === []) {
            return [];
        }
        $this->flushByProductIds->execute($ids);
        $connection = $this->resource->getConnection();
        $categoryIds = $connection->fetchCol(
            $connection->select()->distinct()
                ->from($this->resource->getTableName('catalog_category_product'), ['category_id'])
                ->where('product_id IN (?)', $ids)
        );
        if ($categoryIds !== []) {
            $this->flushByCategoryIds->execute(array_map('intval', $categoryIds));
        }
        return $ids;
    }
}
