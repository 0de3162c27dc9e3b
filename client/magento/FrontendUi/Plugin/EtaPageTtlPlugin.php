<?php
/**
 * A page that shows a lead-time date ("ships by ...") is stale at the
 * store's midnight, when the server's day count moves: cap its public TTL
 * (Varnish s-maxage and the built-in cache alike) at the seconds left.
 */

declare(strict_types=1);

namespace AvailabilityService\FrontendUi\Plugin;

use AvailabilityService\Core\Model\AnswerRegistry;
use AvailabilityService\Core\Model\StoreMidnight;
use Magento\Framework\App\Response\Http;

class EtaPageTtlPlugin
{
    public function __construct(
        private readonly AnswerRegistry $registry,
        private readonly StoreMidnight $midnight,
    ) {
    }

    /** @return array{0: int} */
    public function beforeSetPublicHeaders(Http $subject, $ttl): array
    {
        if (!$this->registry->etaShown()) {
            return [(int) $ttl];
        }
        return [min((int) $ttl, $this->midnight->secondsLeft())];
    }
}
