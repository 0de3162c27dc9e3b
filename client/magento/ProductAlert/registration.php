<?php
/**
 * Registers AvailabilityService_ProductAlert: Magento's back-in-stock
 * subscriptions mirrored to the server; Magento stays the mailer.
 */

declare(strict_types=1);

use Magento\Framework\Component\ComponentRegistrar;

ComponentRegistrar::register(ComponentRegistrar::MODULE, 'AvailabilityService_ProductAlert', __DIR__);
