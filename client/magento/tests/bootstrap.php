<?php
/**
 * Bootstrap of the glue tests: the PHP client's autoloader, our modules by
 * PSR-4 (AvailabilityService\<Module>\ => client/magento/<Module>/), and
 * the minimal stand-ins of the Magento interfaces the tested glue calls
 * (tests/standins, never Magento's code).
 */

declare(strict_types=1);

require __DIR__ . '/../../php/autoload.php';
require __DIR__ . '/standins/functions.php';

spl_autoload_register(static function (string $class): void {
    $modules = dirname(__DIR__);
    if (str_starts_with($class, 'AvailabilityService\\')) {
        $parts = explode('\\', $class);
        $file = $modules . '/' . $parts[1] . '/' . implode('/', array_slice($parts, 2)) . '.php';
    } else {
        $file = __DIR__ . '/standins/' . str_replace('\\', '/', $class) . '.php';
    }
    if (is_file($file)) {
        require $file;
    }
});
