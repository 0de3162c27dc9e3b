<?php
/**
 * Builds the gRPC stubs for a ClientConfig. The options are the same for the
 * same config on every request, so the grpc extension hands back the same
 * persistent channel across the requests of a php-fpm worker (it keys
 * channels by target, arguments and credentials): no close(), no force_new.
 * TLS: the CA file (else the system roots), mTLS with a client cert + key.
 * Keepalive only when configured (>= 30 s, the server's ping policy).
 * Throws \InvalidArgumentException naming the file that cannot be read.
 */

declare(strict_types=1);

namespace Availability\Client\Grpc;

use Availability\Client\ClientConfig;
use Availability\V1\InventorySyncClient;

final class ChannelFactory
{
    public function storefrontStub(ClientConfig $config): StorefrontStub
    {
        return new StorefrontStub($config->address, $this->options($config));
    }

    public function syncStub(ClientConfig $config): InventorySyncClient
    {
        return new InventorySyncClient($config->address, $this->options($config));
    }

    /** @return array<string, mixed> channel arguments + credentials */
    public function options(ClientConfig $config): array
    {
        $options = [
            'credentials' => $this->credentials($config),
            'grpc.initial_reconnect_backoff_ms' => min(1000, $config->maxReconnectBackoffMs),
            'grpc.max_reconnect_backoff_ms' => $config->maxReconnectBackoffMs,
        ];
        if ($config->keepaliveMs > 0) {
            $options['grpc.keepalive_time_ms'] = $config->keepaliveMs;
            $options['grpc.keepalive_timeout_ms'] = 10000;
            $options['grpc.keepalive_permit_without_calls'] = 0;
            $options['grpc.http2.max_pings_without_data'] = 2;
        }
        return $options;
    }

    private function credentials(ClientConfig $config): ?\Grpc\ChannelCredentials
    {
        if (!$config->useTls) {
            return \Grpc\ChannelCredentials::createInsecure();
        }
        $roots = $config->caFile !== null ? self::read($config->caFile, 'caFile') : null;
        $key = $config->keyFile !== null ? self::read($config->keyFile, 'keyFile') : null;
        $cert = $config->certFile !== null ? self::read($config->certFile, 'certFile') : null;
        return \Grpc\ChannelCredentials::createSsl($roots, $key, $cert);
    }

    private static function read(string $path, string $field): string
    {
        $data = is_readable($path) ? file_get_contents($path) : false;
        if ($data === false || $data === '') {
            throw new \InvalidArgumentException("$field: cannot read '$path'");
        }
        return $data;
    }
}
