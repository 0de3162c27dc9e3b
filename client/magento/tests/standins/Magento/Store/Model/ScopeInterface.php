<?php
// Test stand-in: the constants of Magento's interface the glue uses.
namespace Magento\Store\Model;

interface ScopeInterface
{
    public const SCOPE_WEBSITES = 'websites';
    public const SCOPE_STORE = 'store';
}
