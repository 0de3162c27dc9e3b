<?php
// Test stand-in of Magento's exception.
namespace Magento\Framework\GraphQl\Exception;

class GraphQlInputException extends \Exception
{
    public function __construct($phrase)
    {
        parent::__construct((string) $phrase);
    }
}
