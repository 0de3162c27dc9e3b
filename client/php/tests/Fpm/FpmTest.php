<?php

declare(strict_types=1);

namespace Availability\Client\Tests\Fpm;

use Availability\Client\Tests\Support\Stack;
use PHPUnit\Framework\TestCase;

/**
 * The client inside php-fpm (Debian's php8.2-fpm, one static worker,
 * recycled every 4 requests), driven through cgi-fcgi: the persistent
 * channel carries every request of a worker, a recycled worker reconnects,
 * the APCu breaker is shared by the workers, and nothing hangs (every
 * request and the pool's shutdown are bounded).
 */
final class FpmTest extends TestCase
{
    private const MAX_REQUESTS = 4;
    private static ?Stack $stack = null;
    /** @var resource|null */
    private static $fpm = null;
    private static int $fpmPort = 0;
    private static string $dir = '';

    public static function setUpBeforeClass(): void
    {
        self::$stack = new Stack();
        self::$dir = self::$stack->dir;
        self::$fpmPort = Stack::freePort();
        $conf = self::$dir . '/fpm.conf';
        file_put_contents($conf, implode("\n", [
            '[global]',
            'error_log = ' . self::$dir . '/fpm.log',
            'log_level = notice',
            'process_control_timeout = 5s',
            '[test]',
            'listen = 127.0.0.1:' . self::$fpmPort,
            'pm = static',
            'pm.max_children = 1',
            'pm.max_requests = ' . self::MAX_REQUESTS,
            'clear_env = yes',
            'catch_workers_output = yes',
            'env[AVAILABILITY_SERVER] = ' . self::$stack->address(),
            'env[AVAILABILITY_PHP_GEN_DIR] = ' . getenv('AVAILABILITY_PHP_GEN_DIR'),
            'env[AVAILABILITY_GRPC_LIB] = ' . getenv('AVAILABILITY_GRPC_LIB'),
            'php_admin_value[error_log] = ' . self::$dir . '/php-errors.log',
            'php_admin_flag[log_errors] = on',
            'php_admin_value[error_reporting] = -1',
            '',
        ]));
        $cmd = ['php-fpm8.2', '-F', '-R', '-y', $conf, '-d', 'apc.enabled=1'];
        if ($ext = getenv('AVAILABILITY_GRPC_EXTENSION')) {
            $cmd = array_merge($cmd, ['-d', 'extension=' . $ext]);
        }
        $log = self::$dir . '/fpm.out';
        self::$fpm = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'a'], 2 => ['file', $log, 'a']], $pipes);
        $deadline = microtime(true) + 10;
        while (microtime(true) < $deadline) {
            $socket = @stream_socket_client('tcp://127.0.0.1:' . self::$fpmPort, $errno, $errstr, 0.2);
            if ($socket !== false) {
                fclose($socket);
                return;
            }
            usleep(50000);
        }
        self::fail('php-fpm did not start: ' . @file_get_contents($log) . @file_get_contents(self::$dir . '/fpm.log'));
    }

    public static function tearDownAfterClass(): void
    {
        if (self::$fpm !== null) {
            $pid = proc_get_status(self::$fpm)['pid'];
            posix_kill($pid, SIGQUIT); // graceful: workers finish and exit
            $deadline = microtime(true) + 10;
            while (proc_get_status(self::$fpm)['running'] && microtime(true) < $deadline) {
                usleep(20000);
            }
            $exited = !proc_get_status(self::$fpm)['running'];
            if (!$exited) {
                posix_kill($pid, SIGKILL);
            }
            proc_close(self::$fpm);
            self::$fpm = null;
            self::assertTrue($exited, 'php-fpm stopped within 10 s of SIGQUIT');
        }
        self::$stack = null;
    }

    /** @return array<string, mixed> the page's JSON */
    private function request(string $sku = 'DEMO-OUT'): array
    {
        $env = [
            'SCRIPT_FILENAME' => __DIR__ . '/app/availability.php',
            'REQUEST_METHOD' => 'GET',
            'QUERY_STRING' => 'sku=' . rawurlencode($sku),
            'PATH' => (string) getenv('PATH'),
        ];
        $cmd = ['timeout', '10', 'cgi-fcgi', '-bind', '-connect', '127.0.0.1:' . self::$fpmPort];
        $proc = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        $this->assertSame(0, proc_close($proc), "cgi-fcgi failed (124: hung): $err");
        $body = substr($out, strpos($out, "\r\n\r\n") + 4);
        $json = json_decode($body, true);
        $this->assertIsArray($json, "not JSON: $out " . @file_get_contents(self::$dir . '/php-errors.log'));
        return $json;
    }

    public function testChannelIsReusedAndRecycledWorkersReconnect(): void
    {
        $pages = [];
        for ($i = 0; $i < 2 * self::MAX_REQUESTS; $i++) {
            $pages[] = $this->request();
        }
        foreach ($pages as $i => $page) {
            $this->assertSame('ok', $page['outcome'], "request $i");
            $this->assertSame('OUT_OF_STOCK', $page['status']);
            $this->assertCount(1, $page['connections'], "request $i: one connection to the server");
        }
        $first = array_slice($pages, 0, self::MAX_REQUESTS);
        $second = array_slice($pages, self::MAX_REQUESTS);
        $this->assertCount(1, array_unique(array_column($first, 'pid')), 'one worker served the first requests');
        $this->assertCount(1, array_unique(array_column($first, 'connections'), SORT_REGULAR),
            'every request of a worker used the same connection (persistent channel)');
        $this->assertNotSame($first[0]['pid'], $second[0]['pid'], 'pm.max_requests recycled the worker');
        $this->assertNotEquals($first[0]['connections'], $second[0]['connections'], 'the new worker connected anew');
        $this->assertCount(1, array_unique(array_column($second, 'connections'), SORT_REGULAR));
        $log = (string) @file_get_contents(self::$dir . '/fpm.log');
        $this->assertStringNotContainsString('SIGKILL', $log);
        $this->assertStringNotContainsString('exited on signal', $log, 'recycled workers exit cleanly');
        $this->assertSame('', (string) @file_get_contents(self::$dir . '/php-errors.log'), 'no warning from the gRPC library');
    }

    public function testBreakerInApcuIsSharedByTheWorkers(): void
    {
        self::$stack->killServer();
        $pids = [];
        for ($i = 0; $i < 5; $i++) {
            $page = $this->request();
            $this->assertSame('unavailable', $page['outcome'], "request $i");
            $this->assertLessThan(400, $page['ms']);
            $pids[] = $page['pid'];
        }
        $this->assertGreaterThan(1, count(array_unique($pids)), 'the failures came from more than one worker');
        $page = $this->request();
        $this->assertSame('breaker_open', $page['outcome']);
        $this->assertLessThan(20, $page['ms'], 'no wait once the breaker is open');
    }
}
