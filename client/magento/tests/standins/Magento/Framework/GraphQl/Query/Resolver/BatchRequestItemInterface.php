<?php
// Test stand-in: the method of Magento's interface the resolver calls.
namespace Magento\Framework\GraphQl\Query\Resolver;

interface BatchRequestItemInterface
{
    public function getValue(): ?array;
}
