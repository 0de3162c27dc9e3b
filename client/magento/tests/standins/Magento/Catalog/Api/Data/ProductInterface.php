<?php
// Test stand-in: the method of Magento's interface the glue calls.
namespace Magento\Catalog\Api\Data;

interface ProductInterface
{
    public function getSku();
}
