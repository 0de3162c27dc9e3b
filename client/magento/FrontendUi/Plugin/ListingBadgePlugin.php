<?php
/**
 * Appends a status badge to each listing tile from the page's one batch
 * (PrefetchListing); reads the registry only, never calls the server.
 * No answer for the product: the tile is unchanged.
 */

declare(strict_types=1);

namespace AvailabilityService\FrontendUi\Plugin;

use AvailabilityService\Core\Api\AvailabilityLookupInterface;
use AvailabilityService\Core\Model\AnswerRegistry;
use AvailabilityService\FrontendUi\ViewModel\ProductAvailability;
use Magento\Catalog\Block\Product\AbstractProduct;
use Magento\Catalog\Model\Product;
use Magento\Framework\View\Element\Template;

class ListingBadgePlugin
{
    public function __construct(
        private readonly AvailabilityLookupInterface $lookup,
        private readonly AnswerRegistry $registry,
        private readonly ProductAvailability $viewModel,
    ) {
    }

    public function afterGetProductDetailsHtml(AbstractProduct $subject, string $result, Product $product): string
    {
        $answer = $this->lookup->known((string) $product->getSku());
        if ($answer === null) {
            return $result;
        }
        $shipDate = $answer->hasEta() ? $this->viewModel->shipDate($answer) : null;
        if ($shipDate !== null) {
            $this->registry->markEtaShown();
        }
        $badge = $subject->getLayout()->createBlock(Template::class)
            ->setTemplate('AvailabilityService_FrontendUi::listing/badge.phtml')
            ->setData('status', strtolower($answer->displayStatus->value))
            ->setData('label', $this->viewModel->statusLabel($answer))
            ->setData('ship_date', $shipDate);
        return $result . $badge->toHtml();
    }
}
