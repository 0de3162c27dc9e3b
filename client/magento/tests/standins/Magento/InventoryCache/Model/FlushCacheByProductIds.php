<?php
// Test stand-in of MSI's flusher: records the ids it was asked to purge.
namespace Magento\InventoryCache\Model;

class FlushCacheByProductIds
{
    public array $purged = [];

    public function execute(array $ids): void
    {
        array_push($this->purged, ...$ids);
    }
}
