<?php
// Test stand-in of Magento's schema field element (unused by our resolvers).
namespace Magento\Framework\GraphQl\Config\Element;

class Field
{
}
