<?php
/**
 * Autoloader for use without Composer (tests, bench, a plain php-fpm app):
 * PSR-4 for this library, the generated stubs, Debian's protobuf runtime
 * (php-google-protobuf ships no autoloader) and the gRPC userland library.
 *
 * Environment: AVAILABILITY_PHP_GEN_DIR (generated stubs, required unless
 * ./generated exists), AVAILABILITY_GRPC_LIB (src/php/lib of the grpc source,
 * default build/php-runtime/grpc-1.51.1/src/php/lib).
 */

declare(strict_types=1);

(static function (): void {
    $root = dirname(__DIR__, 2);
    $gen = getenv('AVAILABILITY_PHP_GEN_DIR') ?: __DIR__ . '/generated';
    $grpcLib = getenv('AVAILABILITY_GRPC_LIB')
        ?: $root . '/build/php-runtime/grpc-1.51.1/src/php/lib';
    $map = [
        'Availability\\Client\\Tests\\' => __DIR__ . '/tests/',
        'Availability\\Client\\' => __DIR__ . '/src/',
        'Availability\\V1\\' => $gen . '/Availability/V1/',
        'GPBMetadata\\Availability\\' => $gen . '/GPBMetadata/Availability/',
        'Google\\Protobuf\\' => '/usr/share/php/Google/Protobuf/',
        'GPBMetadata\\Google\\' => '/usr/share/php/GPBMetadata/Google/',
        'Grpc\\' => $grpcLib . '/Grpc/',
    ];
    spl_autoload_register(static function (string $class) use ($map): void {
        foreach ($map as $prefix => $dir) {
            if (strncmp($class, $prefix, strlen($prefix)) === 0) {
                $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
                if (is_file($file)) {
                    require $file;
                }
                return;
            }
        }
    });
})();
