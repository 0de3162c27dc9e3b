<?php
// Test stand-in of Magento's interface.
namespace Magento\Framework\GraphQl\Query\Resolver;

use Magento\Framework\GraphQl\Config\Element\Field;

interface BatchResolverInterface
{
    public function resolve(ContextInterface $context, Field $field, array $requests): BatchResponse;
}
