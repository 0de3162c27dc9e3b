<?php
/**
 * After Magento saves or deletes a product_alert_stock row (the shopper's
 * "notify me" and its removal), mirror it to the server. The row is the
 * truth; the mirror only lets the server know whom a restock concerns.
 */

declare(strict_types=1);

namespace AvailabilityService\ProductAlert\Plugin;

use AvailabilityService\ProductAlert\Model\SubscriptionMirror;
use Magento\Framework\Model\AbstractModel;
use Magento\ProductAlert\Model\ResourceModel\Stock;

class MirrorStockAlertPlugin
{
    public function __construct(private readonly SubscriptionMirror $mirror)
    {
    }

    public function afterSave(Stock $subject, $result, AbstractModel $object)
    {
        $this->mirror->mirror(true, (int) $object->getData('product_id'),
            (int) $object->getData('customer_id'), (int) $object->getData('website_id'));
        return $result;
    }

    public function afterDelete(Stock $subject, $result, AbstractModel $object)
    {
        $this->mirror->mirror(false, (int) $object->getData('product_id'),
            (int) $object->getData('customer_id'), (int) $object->getData('website_id'));
        return $result;
    }
}
