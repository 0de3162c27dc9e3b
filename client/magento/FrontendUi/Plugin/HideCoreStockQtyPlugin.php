<?php
/**
 * Hides core's "Only X left" (DefaultStockqty, after MSI's own plugin) only
 * when the server answered for the product: then our block shows the
 * count, or none when the answer is stale. No answer: core's stays.
 */

declare(strict_types=1);

namespace AvailabilityService\FrontendUi\Plugin;

use AvailabilityService\Core\Api\AvailabilityLookupInterface;
use Magento\CatalogInventory\Block\Stockqty\AbstractStockqty;

class HideCoreStockQtyPlugin
{
    public function __construct(private readonly AvailabilityLookupInterface $lookup)
    {
    }

    public function afterIsMsgVisible(AbstractStockqty $subject, bool $result): bool
    {
        if (!$result) {
            return false;
        }
        $product = $subject->getProduct();
        if ($product === null || !$this->lookup->isEnabled()) {
            return true;
        }
        // Same call (and registry entry) as the product block's.
        return $this->lookup->forSku((string) $product->getSku()) === null;
    }
}
