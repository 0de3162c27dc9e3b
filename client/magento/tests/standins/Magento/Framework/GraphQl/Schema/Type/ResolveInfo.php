<?php
// Test stand-in of Magento's resolve info (unused by our resolvers).
namespace Magento\Framework\GraphQl\Schema\Type;

class ResolveInfo
{
}
