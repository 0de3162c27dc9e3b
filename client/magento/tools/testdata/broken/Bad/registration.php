<?php
// A deliberately broken module: check-module.php must report each fault.
\Magento\Framework\Component\ComponentRegistrar::register(\Magento\Framework\Component\ComponentRegistrar::MODULE, 'AvailabilityService_Bad', __DIR__);
