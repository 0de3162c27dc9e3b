<?php
// Test stand-in: the part of Magento's interface the glue calls.
namespace Magento\Framework\App\Config;

interface ScopeConfigInterface
{
    public function getValue($path, $scopeType = 'default', $scopeCode = null);

    public function isSetFlag($path, $scopeType = 'default', $scopeCode = null);
}
