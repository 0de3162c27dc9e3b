<?php
// Test stand-in: the method of Magento's interface the glue calls.
namespace Magento\Framework;

interface UrlInterface
{
    public function getUrl($routePath = null, $routeParams = null);
}
