<?php
// Test stand-in of Magento's marker interface.
namespace Magento\Framework\View\Element\Block;

interface ArgumentInterface
{
}
