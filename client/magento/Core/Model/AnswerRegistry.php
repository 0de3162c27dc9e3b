<?php
/**
 * The answers fetched during this request, by SKU: a listing's batch is
 * read by every tile, the product page's answer by the "Only X left" plugin
 * and the page-TTL plugin. Reset after each request (2.4.7 application
 * server). One per request; not shared between processes.
 */

declare(strict_types=1);

namespace AvailabilityService\Core\Model;

use Availability\Client\Availability;
use Magento\Framework\ObjectManager\ResetAfterRequestInterface;

class AnswerRegistry implements ResetAfterRequestInterface
{
    /** @var array<string, ?Availability> null: asked, fall back */
    private array $answers = [];
    private bool $etaShown = false;

    public function put(string $sku, ?Availability $answer): void
    {
        $this->answers[$sku] = $answer;
    }

    public function has(string $sku): bool
    {
        return array_key_exists($sku, $this->answers);
    }

    public function get(string $sku): ?Availability
    {
        return $this->answers[$sku] ?? null;
    }

    /** A lead-time date was rendered: the page must expire at the store's midnight. */
    public function markEtaShown(): void
    {
        $this->etaShown = true;
    }

    public function etaShown(): bool
    {
        return $this->etaShown;
    }

    public function _resetState(): void
    {
        $this->answers = [];
        $this->etaShown = false;
    }
}
