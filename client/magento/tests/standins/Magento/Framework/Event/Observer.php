<?php
// Test stand-in: an observer carrying its event.
namespace Magento\Framework\Event;

use Magento\Framework\DataObject;

class Observer extends DataObject
{
    public function getEvent(): DataObject
    {
        return $this->data['event'];
    }
}
