<?php
/**
 * Adds the server's ship date to the cart's backorder notice. Magento's
 * (MSI's) salability check stays authoritative: this never sets or clears
 * has_error, never changes quantities; it only appends to the message of an
 * item Magento already accepted on backorder. No answer: message unchanged.
 */

declare(strict_types=1);

namespace AvailabilityService\FrontendUi\Plugin;

use AvailabilityService\Core\Api\AvailabilityLookupInterface;
use AvailabilityService\FrontendUi\ViewModel\ProductAvailability;
use Magento\Catalog\Model\ResourceModel\Product as ProductResource;
use Magento\CatalogInventory\Api\StockStateInterface;
use Magento\Framework\DataObject;

class CartEtaMessagePlugin
{
    public function __construct(
        private readonly AvailabilityLookupInterface $lookup,
        private readonly ProductResource $productResource,
        private readonly ProductAvailability $viewModel,
    ) {
    }

    public function afterCheckQuoteItemQty(
        StockStateInterface $subject,
        DataObject $result,
        $productId,
        $itemQty,
        $qtyToCheck,
        $origQty,
        $scopeId = null
    ): DataObject {
        if ($result->getData('has_error') || (float) $result->getData('item_backorders') <= 0) {
            return $result;
        }
        $rows = $this->productResource->getProductsSku([(int) $productId]);
        $sku = isset($rows[0]['sku']) ? (string) $rows[0]['sku'] : '';
        $answer = $sku !== '' ? $this->lookup->forSku($sku, (float) $qtyToCheck) : null;
        $date = $answer !== null ? $this->viewModel->shipDate($answer) : null;
        if ($date === null) {
            return $result;
        }
        $message = trim((string) $result->getData('message') . ' ' . __('Expected to ship by %1.', $date));
        $result->setData('message', $message);
        return $result;
    }
}
