<?php
// Test stand-in of MSI's interface.
namespace Magento\InventoryCatalogApi\Model;

interface GetProductIdsBySkusInterface
{
    /** @throws \Magento\Framework\Exception\NoSuchEntityException */
    public function execute(array $skus): array;
}
