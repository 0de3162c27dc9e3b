<?php
// Test stand-in: the method of Magento's interface the cart plugin wraps.
namespace Magento\CatalogInventory\Api;

interface StockStateInterface
{
    public function checkQuoteItemQty($productId, $itemQty, $qtyToCheck, $origQty, $scopeId = null);
}
