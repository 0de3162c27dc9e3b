<?php
// Test stand-in: the part of Magento's interface the glue calls.
namespace Magento\Framework\Encryption;

interface EncryptorInterface
{
    /** @return string */
    public function decrypt($data);
}
