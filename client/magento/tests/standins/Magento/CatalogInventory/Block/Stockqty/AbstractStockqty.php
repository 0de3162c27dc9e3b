<?php
// Test stand-in: core's "Only X left" block reduced to its product.
namespace Magento\CatalogInventory\Block\Stockqty;

abstract class AbstractStockqty
{
    public function __construct(private $product = null)
    {
    }

    public function getProduct()
    {
        return $this->product;
    }
}
