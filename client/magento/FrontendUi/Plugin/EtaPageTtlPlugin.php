<?php
/**
 * A page that shows a lead-time date ("ships by ...") is stale at the
 * store's midnight, when the server's day count moves: once the layout has
 * rendered (the blocks have said whether they showed a date), cap the
 * public TTL Magento set before rendering (PageCache's LayoutPlugin, in
 * afterGenerateElements) at the seconds left. Varnish reads s-maxage, the
 * built-in cache max-age, both from this header. Non-public pages are left
 * alone.
 */

declare(strict_types=1);

namespace AvailabilityService\FrontendUi\Plugin;

use AvailabilityService\Core\Model\AnswerRegistry;
use AvailabilityService\Core\Model\StoreMidnight;
use Magento\Framework\App\Response\Http;
use Magento\Framework\View\Layout;

class EtaPageTtlPlugin
{
    public function __construct(
        private readonly AnswerRegistry $registry,
        private readonly StoreMidnight $midnight,
        private readonly Http $response,
    ) {
    }

    public function afterGetOutput(Layout $subject, $result)
    {
        if (!$this->registry->etaShown()) {
            return $result;
        }
        $header = $this->response->getHeader('Cache-Control');
        $value = $header ? (string) $header->getFieldValue() : '';
        if (str_contains($value, 'public') && preg_match('/max-age=(\d+)/', $value, $m)) {
            $left = $this->midnight->secondsLeft();
            if ($left < (int) $m[1]) {
                $this->response->setPublicHeaders($left);
            }
        }
        return $result;
    }
}
