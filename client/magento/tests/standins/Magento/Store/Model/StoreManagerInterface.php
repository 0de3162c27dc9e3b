<?php
// Test stand-in: the part of Magento's interface the glue calls.
namespace Magento\Store\Model;

interface StoreManagerInterface
{
    /** @return object with getCode(): string */
    public function getWebsite($websiteId = null);
}
