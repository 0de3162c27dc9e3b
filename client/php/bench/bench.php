<?php
/**
 * PHP client latency beside the C++ client's, on one server, in one run
 * (driven by scripts/bench-php): a real redis-server + availability-server
 * with the demo catalog (tests/Support/Stack), then
 *   1. product page: GetAvailability one at a time through one reused
 *      channel, PHP (this library, breaker and checks included) and C++
 *      (availability-loadgen --transport=grpc, 1 channel, 1 call in flight);
 *   2. listing: BatchGetAvailability of 48 SKUs, the same way;
 * in ROUNDS (3) alternating rounds, each figure the median of the rounds.
 * Prints p50/p99 per side and the PHP/C++ ratio of the p50s (target <= 2).
 * Environment: AVAILABILITY_SERVER_BIN, AVAILABILITY_CLI_BIN,
 * AVAILABILITY_LOADGEN_BIN, CALLS (2000), BATCH_CALLS (500).
 */

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

use Availability\Client\Breaker\ApcuBreakerStore;
use Availability\Client\Breaker\CircuitBreaker;
use Availability\Client\Breaker\InMemoryBreakerStore;
use Availability\Client\ClientConfig;
use Availability\Client\Grpc\GrpcAvailabilityClient;
use Availability\Client\Outcome;
use Availability\Client\Tests\Support\Stack;

/** @return array{p50: float, p99: float} in microseconds */
function percentiles(array $samples): array
{
    sort($samples);
    $at = static fn (float $q): float => $samples[min(count($samples) - 1, (int) floor($q * count($samples)))];
    return ['p50' => $at(0.50), 'p99' => $at(0.99)];
}

/** @return array{p50: float, p99: float} */
function measurePhp(callable $call, int $calls): array
{
    for ($i = 0; $i < min(200, $calls); $i++) {
        $call($i);
    }
    $samples = [];
    for ($i = 0; $i < $calls; $i++) {
        $start = hrtime(true);
        $call($i);
        $samples[] = (hrtime(true) - $start) / 1000;
    }
    return percentiles($samples);
}

/** @return array{p50: float, p99: float} */
function measureCpp(Stack $stack, string $skusFile, string $mode): array
{
    // gRPC's C++ client (not the load generator's default HTTP/2 framing):
    // client library against client library.
    $cmd = [getenv('AVAILABILITY_LOADGEN_BIN'), '--transport=grpc', '--target=' . $stack->address(), '--mode=' . $mode,
        '--batch_size=48', '--channels=1', '--in_flight=1', '--duration=3s', '--warmup=1s',
        '--sales_channel=base', '--skus_file=' . $skusFile, '--json'];
    $out = shell_exec(implode(' ', array_map('escapeshellarg', $cmd)) . ' 2>&1');
    $json = json_decode((string) $out, true);
    if (!is_array($json)) {
        throw new RuntimeException("loadgen: $out");
    }
    $find = static function (array $j, array $names) {
        foreach ($names as $n) {
            foreach ([$j, $j['latency'] ?? [], $j['latency_us'] ?? []] as $scope) {
                if (isset($scope[$n])) {
                    return (float) $scope[$n];
                }
            }
        }
        throw new RuntimeException('loadgen JSON without ' . implode('/', $names) . ': ' . json_encode($j));
    };
    return ['p50' => $find($json, ['p50_us', 'p50']), 'p99' => $find($json, ['p99_us', 'p99'])];
}

$calls = (int) (getenv('CALLS') ?: 2000);
$batchCalls = (int) (getenv('BATCH_CALLS') ?: 500);
$stack = new Stack();
$skus = $stack->catalogSkus(1000);
$skusFile = $stack->dir . '/bench-skus.txt';
file_put_contents($skusFile, implode("\n", $skus) . "\n");
$store = ApcuBreakerStore::available() ? new ApcuBreakerStore() : new InMemoryBreakerStore();
$client = new GrpcAvailabilityClient(
    new ClientConfig($stack->address(), productTimeoutMs: 1000, listingTimeoutMs: 1000),
    new CircuitBreaker($store),
);
$count = count($skus);
$pages = array_filter(array_chunk($skus, 48), static fn (array $p): bool => count($p) === 48);
$phpGetCall = static function (int $i) use ($client, $skus, $count): void {
    if ($client->get($skus[$i % $count], 'base')->outcome !== Outcome::Ok) {
        throw new RuntimeException('get failed');
    }
};
$phpBatchCall = static function (int $i) use ($client, $pages): void {
    $results = $client->batchGet($pages[$i % count($pages)], 'base');
    if (count($results) !== 48 || reset($results)->outcome !== Outcome::Ok) {
        throw new RuntimeException('batch failed');
    }
};
// Rounds alternate the sides so that load from elsewhere on the machine
// hits both alike; each figure is the median of the rounds.
$rounds = (int) (getenv('ROUNDS') ?: 3);
$runs = ['phpGet' => [], 'cppGet' => [], 'phpBatch' => [], 'cppBatch' => []];
for ($round = 0; $round < $rounds; $round++) {
    $runs['phpGet'][] = measurePhp($phpGetCall, $calls);
    $runs['cppGet'][] = measureCpp($stack, $skusFile, 'get');
    $runs['phpBatch'][] = measurePhp($phpBatchCall, $batchCalls);
    $runs['cppBatch'][] = measureCpp($stack, $skusFile, 'batch');
}
$median = static function (array $runs): array {
    $out = [];
    foreach (['p50', 'p99'] as $q) {
        $values = array_column($runs, $q);
        sort($values);
        $out[$q] = $values[intdiv(count($values), 2)];
    }
    return $out;
};
[$phpGet, $cppGet, $phpBatch, $cppBatch] = array_map($median, array_values($runs));

printf("%-28s %10s %10s   (median of %d rounds)\n", 'one call at a time, 1 channel', 'p50 (us)', 'p99 (us)', $rounds);
foreach (['PHP  GetAvailability' => $phpGet, 'C++  GetAvailability' => $cppGet,
          'PHP  Batch(48)' => $phpBatch, 'C++  Batch(48)' => $cppBatch] as $name => $p) {
    printf("%-28s %10.0f %10.0f\n", $name, $p['p50'], $p['p99']);
}
printf("PHP/C++ p50, product page: %.2fx (target <= 2.00)\n", $phpGet['p50'] / $cppGet['p50']);
printf("PHP/C++ p50, listing of 48: %.2fx\n", $phpBatch['p50'] / $cppBatch['p50']);
