<?php
/**
 * The product page's view of the server's answer: status label, ship date,
 * "Only X left" (never on a stale answer), successor and alternatives (names
 * and URLs from one collection load by SKU). Null answer: the template
 * renders nothing and Magento's own status stays. Configurable, bundle and
 * grouped parents are asked by their own SKU (the server answers parents).
 */

declare(strict_types=1);

namespace AvailabilityService\FrontendUi\ViewModel;

use Availability\Client\Availability;
use Availability\Client\Status;
use AvailabilityService\Core\Api\AvailabilityLookupInterface;
use AvailabilityService\Core\Model\AnswerRegistry;
use Magento\Catalog\Api\Data\ProductInterface;
use Magento\Catalog\Model\ResourceModel\Product\CollectionFactory;
use Magento\Framework\Stdlib\DateTime\TimezoneInterface;
use Magento\Framework\UrlInterface;
use Magento\Framework\View\Element\Block\ArgumentInterface;

class ProductAvailability implements ArgumentInterface
{
    public function __construct(
        private readonly AvailabilityLookupInterface $lookup,
        private readonly AnswerRegistry $registry,
        private readonly CollectionFactory $collectionFactory,
        private readonly TimezoneInterface $timezone,
        private readonly UrlInterface $url,
    ) {
    }

    public function forProduct(ProductInterface $product): ?Availability
    {
        $answer = $this->lookup->forSku((string) $product->getSku());
        if ($answer !== null && $answer->hasEta()) {
            $this->registry->markEtaShown();
        }
        return $answer;
    }

    public function statusLabel(Availability $answer): string
    {
        return match ($answer->displayStatus) {
            Status::InStock => (string) __('In stock'),
            Status::Backorderable => (string) __('Available on backorder'),
            Status::Preorder => (string) __('Pre-order'),
            Status::OutOfStock => (string) __('Out of stock'),
            Status::Discontinued => (string) __('No longer available'),
        };
    }

    /** "Ships by <date>" in the store's locale, or null when no date. */
    public function shipDate(Availability $answer): ?string
    {
        $date = $answer->firstShipDate ?? ($answer->displayStatus === Status::OutOfStock ? $answer->restockDate : null);
        if ($date === null) {
            return null;
        }
        return $this->timezone->formatDate(new \DateTime($date), \IntlDateFormatter::MEDIUM, false);
    }

    /**
     * Alternatives with name and URL; unknown or disabled products dropped.
     *
     * @return array<int, array{sku: string, name: string, url: string, status: ?string}>
     */
    public function alternatives(Availability $answer): array
    {
        $skus = array_map(static fn ($a) => $a->sku, $answer->alternatives);
        if ($answer->successorSku !== null) {
            array_unshift($skus, $answer->successorSku);
        }
        $skus = array_values(array_unique($skus));
        if ($skus === []) {
            return [];
        }
        $collection = $this->collectionFactory->create();
        $collection->addAttributeToSelect(['name', 'url_key'])
            ->addAttributeToFilter('sku', ['in' => $skus])
            ->addUrlRewrite();
        $bySku = [];
        foreach ($collection as $product) {
            $bySku[(string) $product->getSku()] = $product;
        }
        $statuses = [];
        foreach ($answer->alternatives as $alternative) {
            $statuses[$alternative->sku] = $alternative->status?->value;
        }
        $out = [];
        foreach ($skus as $sku) {
            if (isset($bySku[$sku])) {
                $out[] = [
                    'sku' => $sku,
                    'name' => (string) $bySku[$sku]->getName(),
                    'url' => (string) $bySku[$sku]->getProductUrl(),
                    'status' => $statuses[$sku] ?? null,
                ];
            }
        }
        return $out;
    }

    /** The exact-counts endpoint (short public TTL) for this SKU. */
    public function countsUrl(ProductInterface $product): string
    {
        return $this->url->getUrl('availability/counts/index', ['_query' => ['sku' => $product->getSku()]]);
    }
}
