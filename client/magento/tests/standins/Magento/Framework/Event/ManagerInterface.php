<?php
// Test stand-in: the method of Magento's interface the glue calls.
namespace Magento\Framework\Event;

interface ManagerInterface
{
    public function dispatch($eventName, array $data = []);
}
