<?php
// Test stand-in: the two methods of Magento's interface the glue calls.
namespace Magento\Framework\Stdlib\DateTime;

interface TimezoneInterface
{
    public function getConfigTimezone($scopeType = null, $scopeCode = null);

    public function formatDate($date = null, $format = \IntlDateFormatter::SHORT, $showTime = false);
}
