<?php
// Test stand-in: the layout's render entry point the TTL plugin follows.
namespace Magento\Framework\View;

class Layout
{
    public function getOutput()
    {
        return '<html></html>';
    }
}
