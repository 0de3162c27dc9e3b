<?php
/**
 * Registers AvailabilityService_Core: configuration, the client, the
 * request-scoped registry of answers. No plugins or observers of its own.
 */

declare(strict_types=1);

use Magento\Framework\Component\ComponentRegistrar;

ComponentRegistrar::register(ComponentRegistrar::MODULE, 'AvailabilityService_Core', __DIR__);
