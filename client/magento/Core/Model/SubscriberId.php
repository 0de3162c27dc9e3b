<?php
/**
 * The subscriber id sent to the server for a Magento back-in-stock alert:
 * an HMAC of (customer id, website id) under the installation's crypt key,
 * so the server never holds a customer id and two installations never
 * collide. Stateless.
 */

declare(strict_types=1);

namespace AvailabilityService\Core\Model;

use Magento\Framework\App\DeploymentConfig;

class SubscriberId
{
    public function __construct(private readonly DeploymentConfig $deploymentConfig)
    {
    }

    public function forCustomer(int $customerId, int $websiteId): string
    {
        $key = (string) $this->deploymentConfig->get('crypt/key');
        return 'm2:' . hash_hmac('sha256', $customerId . ':' . $websiteId, $key);
    }
}
