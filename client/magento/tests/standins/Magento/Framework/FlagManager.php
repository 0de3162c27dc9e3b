<?php
// Test stand-in: Magento's flag storage, in memory.
namespace Magento\Framework;

class FlagManager
{
    public array $flags = [];

    public function getFlagData($code)
    {
        return $this->flags[$code] ?? null;
    }

    public function saveFlag($code, $value)
    {
        $this->flags[$code] = $value;
        return true;
    }

    public function deleteFlag($code)
    {
        unset($this->flags[$code]);
        return $this;
    }
}
