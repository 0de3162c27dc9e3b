<?php
// Test stand-in: the Cache-Control header as Magento's setPublicHeaders
// writes it, and getHeader returning an object with getFieldValue.
namespace Magento\Framework\App\Response;

class Http
{
    private ?string $cacheControl = null;

    public function setPublicHeaders($ttl)
    {
        $this->cacheControl = 'max-age=' . (int) $ttl . ', public, s-maxage=' . (int) $ttl;
    }

    public function setNoCacheHeaders()
    {
        $this->cacheControl = 'no-store, no-cache, must-revalidate, max-age=0';
    }

    public function getHeader($name)
    {
        if ($name !== 'Cache-Control' || $this->cacheControl === null) {
            return false;
        }
        return new class ($this->cacheControl) {
            public function __construct(private string $value)
            {
            }

            public function getFieldValue(): string
            {
                return $this->value;
            }
        };
    }
}
