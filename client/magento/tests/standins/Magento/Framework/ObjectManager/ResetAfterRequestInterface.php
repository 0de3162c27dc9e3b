<?php
// Test stand-in of Magento's interface.
namespace Magento\Framework\ObjectManager;

interface ResetAfterRequestInterface
{
    public function _resetState(): void;
}
