<?php
// Test stand-in of MSI's interface.
namespace Magento\InventoryCatalogApi\Model;

interface GetParentSkusOfChildrenSkusInterface
{
    public function execute(array $skus): array;
}
