<?php
/**
 * Registers AvailabilityService_FrontendUi: product page block, listing
 * badges (one batch per page), cart ETA message, exact-counts endpoint.
 */

declare(strict_types=1);

use Magento\Framework\Component\ComponentRegistrar;

ComponentRegistrar::register(ComponentRegistrar::MODULE, 'AvailabilityService_FrontendUi', __DIR__);
