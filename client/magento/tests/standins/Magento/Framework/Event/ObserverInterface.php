<?php
// Test stand-in of Magento's interface.
namespace Magento\Framework\Event;

interface ObserverInterface
{
    public function execute(Observer $observer);
}
