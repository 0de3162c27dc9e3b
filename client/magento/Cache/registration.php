<?php
/**
 * Registers AvailabilityService_Cache: the event consumer that purges the
 * page cache of products whose availability changed on the server.
 */

declare(strict_types=1);

use Magento\Framework\Component\ComponentRegistrar;

ComponentRegistrar::register(ComponentRegistrar::MODULE, 'AvailabilityService_Cache', __DIR__);
