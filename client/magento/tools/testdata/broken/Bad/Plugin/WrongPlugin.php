<?php

declare(strict_types=1);

namespace AvailabilityService\Bad\Plugin;

use Magento\Framework\App\Response\Http;

class WrongPlugin
{
    public function afterSetPrivateHeaders(Http $subject, $result)
    {
        return $result;
    }

    public function afterSetPublicHeaders($subject)
    {
    }
}
