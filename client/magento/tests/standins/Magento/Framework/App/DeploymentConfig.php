<?php
// Test stand-in: env.php values from an array.
namespace Magento\Framework\App;

class DeploymentConfig
{
    public function __construct(private array $values = [])
    {
    }

    public function get($key = null, $defaultValue = null)
    {
        return $this->values[$key] ?? $defaultValue;
    }
}
