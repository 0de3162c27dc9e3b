<?php

declare(strict_types=1);

namespace Availability\Client\Tests\Unit;

use Availability\Client\ClientConfig;
use Availability\Client\SubscriberProof;
use PHPUnit\Framework\TestCase;

final class SubscriberProofTest extends TestCase
{
    public function testIsHmacSha256InLowercaseHex(): void
    {
        // RFC 4231, test case 2 (the server's unit test checks the same).
        $this->assertSame(
            '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
            SubscriberProof::of('Jefe', 'what do ya want for nothing?'),
        );
        $this->assertNotSame(SubscriberProof::of('s', 'customer-1'), SubscriberProof::of('s', 'customer-2'));
    }

    public function testTheSecretDoesNotShowInDumps(): void
    {
        $config = new ClientConfig('127.0.0.1:1', subscriptionSecret: 'very-secret-value');
        $this->assertStringNotContainsString('very-secret-value', print_r($config, true));
        ob_start();
        var_dump($config);
        $this->assertStringNotContainsString('very-secret-value', (string) ob_get_clean());
        $this->assertSame('very-secret-value', $config->subscriptionSecret);
    }
}
