<?php

declare(strict_types=1);

namespace Availability\Client\Tests\Unit;

use Availability\Client\ClientConfig;
use Availability\Client\Grpc\ChannelFactory;
use PHPUnit\Framework\TestCase;

final class ClientConfigTest extends TestCase
{
    /** @return array<string, array{0: array<string, mixed>, 1: string}> */
    public static function invalidConfigs(): array
    {
        return [
            'no port' => [['address' => 'localhost'], 'address: expected host:port'],
            'keepalive too eager' => [['keepaliveMs' => 10000], 'keepaliveMs: 0 (off) or at least 30000'],
            'zero timeout' => [['productTimeoutMs' => 0], 'productTimeoutMs: must be 1..60000 ms'],
            'cert without key' => [['useTls' => true, 'certFile' => '/c.pem'], 'certFile/keyFile: mTLS needs both'],
            'CA without TLS' => [['caFile' => '/ca.pem'], 'useTls: CA or client certificate set but TLS off'],
            'too many alternatives' => [['maxAlternatives' => 21], 'maxAlternatives: must be 0..20'],
        ];
    }

    /**
     * @dataProvider invalidConfigs
     * @param array<string, mixed> $args
     */
    public function testRejectsWithTheFieldName(array $args, string $message): void
    {
        $this->expectException(\InvalidArgumentException::class);
        $this->expectExceptionMessage($message);
        new ClientConfig(...array_merge(['address' => '127.0.0.1:1'], $args));
    }

    public function testDefaultsAreThePageTimeouts(): void
    {
        $config = new ClientConfig('[::1]:50051');
        $this->assertSame(100, $config->productTimeoutMs);
        $this->assertSame(150, $config->listingTimeoutMs);
    }

    public function testKeepaliveOptionsFollowTheServersPingPolicy(): void
    {
        $factory = new ChannelFactory();
        $this->assertArrayNotHasKey('grpc.keepalive_time_ms',
            $factory->options(new ClientConfig('127.0.0.1:1')));
        $options = $factory->options(new ClientConfig('127.0.0.1:1', keepaliveMs: 30000));
        $this->assertSame(30000, $options['grpc.keepalive_time_ms']);
        $this->assertSame(0, $options['grpc.keepalive_permit_without_calls']);
    }

    public function testUnreadableTlsFileIsNamed(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        $this->expectExceptionMessage("caFile: cannot read '/nonexistent/ca.pem'");
        (new ChannelFactory())->options(new ClientConfig('127.0.0.1:1', useTls: true, caFile: '/nonexistent/ca.pem'));
    }
}
