<?php
// Test stand-in (unused by the tested paths: no alternatives rendered).
namespace Magento\Catalog\Model\ResourceModel\Product;

class CollectionFactory
{
}
