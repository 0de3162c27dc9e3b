<?php
/**
 * The FPM test's page: one product-page lookup per request through the
 * library, as a Magento worker makes it. Answers JSON with the worker's pid,
 * the outcome, the time the lookup took, and the local ports of this
 * worker's established connections to the server (from /proc), which show
 * whether the extension's persistent channel was reused.
 */

declare(strict_types=1);

require __DIR__ . '/../../../autoload.php';

use Availability\Client\Breaker\ApcuBreakerStore;
use Availability\Client\Breaker\CircuitBreaker;
use Availability\Client\ClientConfig;
use Availability\Client\Grpc\GrpcAvailabilityClient;

$address = (string) getenv('AVAILABILITY_SERVER');
$client = new GrpcAvailabilityClient(
    new ClientConfig($address, maxReconnectBackoffMs: 500),
    new CircuitBreaker(new ApcuBreakerStore(), 5, 20, 60.0),
);
$start = hrtime(true);
$result = $client->get((string) ($_GET['sku'] ?? 'DEMO-OUT'), 'base');
$ms = (hrtime(true) - $start) / 1e6;

/** Local ports of this process's ESTABLISHED TCP connections to $port. */
function connectionsTo(int $port): array
{
    $inodes = [];
    foreach (glob('/proc/self/fd/*') ?: [] as $fd) {
        $link = @readlink($fd);
        if ($link !== false && preg_match('/^socket:\[(\d+)\]$/', $link, $m)) {
            $inodes[$m[1]] = true;
        }
    }
    $ports = [];
    foreach (['/proc/net/tcp', '/proc/net/tcp6'] as $table) {
        foreach (array_slice(file($table) ?: [], 1) as $line) {
            $f = preg_split('/\s+/', trim($line));
            [, $local] = explode(':', $f[1]);
            [, $remote] = explode(':', $f[2]);
            if ($f[3] === '01' && hexdec($remote) === $port && isset($inodes[$f[9]])) {
                $ports[] = hexdec($local);
            }
        }
    }
    sort($ports);
    return $ports;
}

header('Content-Type: application/json');
echo json_encode([
    'pid' => getmypid(),
    'outcome' => $result->outcome->value,
    'status' => $result->availability?->status->value,
    'ms' => $ms,
    'connections' => connectionsTo((int) substr(strrchr($address, ':'), 1)),
]);
