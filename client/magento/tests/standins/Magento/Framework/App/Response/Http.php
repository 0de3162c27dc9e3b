<?php
// Test stand-in: records the TTL Magento's page cache would send.
namespace Magento\Framework\App\Response;

class Http
{
    public ?int $ttl = null;

    public function setPublicHeaders($ttl)
    {
        $this->ttl = (int) $ttl;
    }
}
