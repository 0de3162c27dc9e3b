<?php

declare(strict_types=1);

namespace Availability\Client\Tests\Integration;

use Availability\Client\Breaker\CircuitBreaker;
use Availability\Client\Breaker\InMemoryBreakerStore;
use Availability\Client\ClientConfig;
use Availability\Client\Grpc\GrpcAvailabilityClient;
use Availability\Client\Outcome;
use Availability\Client\Tests\Support\Stack;
use PHPUnit\Framework\TestCase;

/**
 * The channel factory's TLS and mTLS against the server with
 * --tls_cert_file/--tls_key_file/--tls_client_ca_file: certificates made
 * at run time with openssl (a CA, a server certificate for 127.0.0.1, a
 * client certificate). The demo catalog is loaded in plaintext first.
 */
final class TlsIntegrationTest extends TestCase
{
    private static ?Stack $stack = null;
    private static string $pki = '';

    public static function setUpBeforeClass(): void
    {
        self::$stack = new Stack();
        self::$pki = self::$stack->dir . '/pki';
        mkdir(self::$pki);
        $run = static function (string $cmd): void {
            exec($cmd . ' 2>&1', $out, $rc);
            if ($rc !== 0) {
                throw new \RuntimeException("$cmd: " . implode("\n", $out));
            }
        };
        $d = escapeshellarg(self::$pki);
        $run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout $d/ca.key -out $d/ca.pem");
        foreach (['server' => 'subjectAltName=IP:127.0.0.1', 'client' => 'extendedKeyUsage=clientAuth'] as $name => $ext) {
            $run("openssl req -newkey rsa:2048 -nodes -subj /CN=$name -keyout $d/$name.key -out $d/$name.csr");
            file_put_contents(self::$pki . "/$name.ext", $ext . "\n");
            $run("openssl x509 -req -in $d/$name.csr -CA $d/ca.pem -CAkey $d/ca.key -CAcreateserial -days 2 -extfile $d/$name.ext -out $d/$name.pem");
        }
        self::$stack->restartServer([
            '--tls_cert_file=' . self::$pki . '/server.pem',
            '--tls_key_file=' . self::$pki . '/server.key',
            '--tls_client_ca_file=' . self::$pki . '/ca.pem',
        ]);
    }

    public static function tearDownAfterClass(): void
    {
        self::$stack = null;
    }

    private function client(ClientConfig $config): GrpcAvailabilityClient
    {
        return new GrpcAvailabilityClient($config, new CircuitBreaker(new InMemoryBreakerStore()));
    }

    public function testMutualTlsAnswers(): void
    {
        $client = $this->client(new ClientConfig(self::$stack->address(), useTls: true,
            caFile: self::$pki . '/ca.pem', certFile: self::$pki . '/client.pem', keyFile: self::$pki . '/client.key',
            productTimeoutMs: 5000));
        $r = $client->get('DEMO-OUT', 'base');
        $this->assertSame(Outcome::Ok, $r->outcome, $r->message);
        $this->assertSame('DEMO-OUT', $r->availability->sku);
    }

    public function testWithoutAClientCertificateOrTlsNothingIsAnswered(): void
    {
        $noCert = $this->client(new ClientConfig(self::$stack->address(), useTls: true,
            caFile: self::$pki . '/ca.pem', productTimeoutMs: 2000));
        $this->assertNull($noCert->get('DEMO-OUT', 'base')->availability);
        $plain = $this->client(new ClientConfig(self::$stack->address(), productTimeoutMs: 2000));
        $this->assertNull($plain->get('DEMO-OUT', 'base')->availability);
        $wrongCa = $this->client(new ClientConfig(self::$stack->address(), useTls: true,
            caFile: self::$pki . '/client.pem', certFile: self::$pki . '/client.pem', keyFile: self::$pki . '/client.key',
            productTimeoutMs: 2000));
        $this->assertNull($wrongCa->get('DEMO-OUT', 'base')->availability, 'a server the CA did not sign');
    }
}
