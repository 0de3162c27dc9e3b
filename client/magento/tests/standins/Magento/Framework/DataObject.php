<?php
// Test stand-in: Magento's DataObject reduced to getData/setData.
namespace Magento\Framework;

class DataObject
{
    public function __construct(protected array $data = [])
    {
    }

    public function getData($key = '')
    {
        return $key === '' ? $this->data : ($this->data[$key] ?? null);
    }

    public function setData($key, $value = null)
    {
        $this->data[$key] = $value;
        return $this;
    }
}
