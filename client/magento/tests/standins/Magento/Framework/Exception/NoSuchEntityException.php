<?php
// Test stand-in of Magento's exception.
namespace Magento\Framework\Exception;

class NoSuchEntityException extends \Exception
{
}
