<?php
// Test stand-in: getProductsSku over an id => SKU map.
namespace Magento\Catalog\Model\ResourceModel;

class Product
{
    public function __construct(private array $skus = [])
    {
    }

    public function getProductsSku(array $productIds)
    {
        $rows = [];
        foreach ($productIds as $id) {
            if (isset($this->skus[$id])) {
                $rows[] = ['entity_id' => $id, 'sku' => $this->skus[$id]];
            }
        }
        return $rows;
    }
}
