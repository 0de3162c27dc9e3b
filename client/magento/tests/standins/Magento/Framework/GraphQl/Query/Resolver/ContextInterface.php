<?php
// Test stand-in of Magento's marker interface.
namespace Magento\Framework\GraphQl\Query\Resolver;

interface ContextInterface
{
}
