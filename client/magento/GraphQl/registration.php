<?php
/**
 * Registers AvailabilityService_GraphQl: ProductInterface.availability
 * (batch resolver) and the uncached productAvailability(skus) query.
 */

declare(strict_types=1);

use Magento\Framework\Component\ComponentRegistrar;

ComponentRegistrar::register(ComponentRegistrar::MODULE, 'AvailabilityService_GraphQl', __DIR__);
