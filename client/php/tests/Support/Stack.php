<?php
/**
 * Test support: a real redis-server and availability-server on free
 * loopback ports in a temporary directory, loaded with the demo catalog
 * through the project's own CLI (demo-catalog, setup-demo-store, import).
 * The server can be killed, restarted on the same port, frozen (SIGSTOP:
 * a server that accepts but never answers) and thawed. Binaries come from
 * AVAILABILITY_SERVER_BIN / AVAILABILITY_CLI_BIN (CMake sets them). Every
 * process is killed when the object is destroyed. One per test class.
 */

declare(strict_types=1);

namespace Availability\Client\Tests\Support;

final class Stack
{
    public readonly string $dir;
    public readonly int $redisPort;
    public readonly int $serverPort;
    public readonly int $syncPort;
    public readonly int $metricsPort;
    public readonly string $token;
    /** The read-only sync token (--sync_read_token_file): events and jobs only. */
    public readonly string $readToken;
    /** The back-in-stock subscription secret (--subscription_secret_file). */
    public readonly string $subscriptionSecret;
    /** @var array<string, resource> name => proc_open handle */
    private array $procs = [];
    /** @var string[] */
    private array $serverArgs;

    /** @param string[] $serverArgs extra availability-server flags */
    public function __construct(array $serverArgs = [])
    {
        foreach (['AVAILABILITY_SERVER_BIN', 'AVAILABILITY_CLI_BIN'] as $var) {
            if (!is_executable((string) getenv($var))) {
                throw new \RuntimeException("$var: not an executable (run through ctest)");
            }
        }
        $this->dir = self::tempDir();
        $this->serverArgs = $serverArgs;
        $this->redisPort = self::freePort();
        $this->serverPort = self::freePort();
        $this->syncPort = self::freePort();
        $this->metricsPort = self::freePort();
        $this->token = bin2hex(random_bytes(16));
        file_put_contents($this->dir . '/sync-token', $this->token);
        $this->readToken = bin2hex(random_bytes(16));
        file_put_contents($this->dir . '/sync-read-token', $this->readToken);
        $this->subscriptionSecret = bin2hex(random_bytes(16));
        file_put_contents($this->dir . '/subscription-secret', $this->subscriptionSecret);
        $this->startRedis();
        $this->startServer();
        $this->loadDemoCatalog();
    }

    public function __destruct()
    {
        foreach (array_keys($this->procs) as $name) {
            $this->kill($name);
        }
        exec('rm -rf ' . escapeshellarg($this->dir));
    }

    public function address(): string
    {
        return '127.0.0.1:' . $this->serverPort;
    }

    public function syncAddress(): string
    {
        return '127.0.0.1:' . $this->syncPort;
    }

    /** SKUs of the demo catalog's generated records, in file order. */
    public function catalogSkus(int $count): array
    {
        $skus = [];
        foreach (file($this->dir . '/catalog/records.jsonl') as $line) {
            $sku = json_decode($line, true)['sku'] ?? null;
            if (is_string($sku) && !str_starts_with($sku, 'DEMO-') && !in_array($sku, $skus, true)) {
                $skus[] = $sku;
            }
            if (count($skus) === $count) {
                break;
            }
        }
        return $skus;
    }

    public function killServer(): void
    {
        $this->kill('server');
    }

    /** Restarts on the same ports (and Redis); $args replace the extra flags. */
    public function restartServer(?array $args = null): void
    {
        $this->kill('server');
        $this->serverArgs = $args ?? $this->serverArgs;
        $this->startServer();
    }

    public function killRedis(): void
    {
        $this->kill('redis');
    }

    /** The server stops answering but keeps its port: calls hang until their deadline. */
    public function freezeServer(): void
    {
        $this->freeze('server');
    }

    public function thawServer(): void
    {
        posix_kill($this->pid('server'), SIGCONT);
    }

    /** Redis stops answering but keeps its port: commands wait for it. */
    public function freezeRedis(): void
    {
        $this->freeze('redis');
    }

    public function thawRedis(): void
    {
        posix_kill($this->pid('redis'), SIGCONT);
    }

    private function freeze(string $name): void
    {
        $pid = $this->pid($name);
        posix_kill($pid, SIGSTOP);
        // kill() returns before every thread has stopped: wait until all have.
        $deadline = microtime(true) + 5;
        do {
            $running = 0;
            foreach (glob("/proc/$pid/task/*/stat") ?: [] as $stat) {
                $fields = explode(' ', (string) substr((string) @file_get_contents($stat), strrpos((string) @file_get_contents($stat), ')') + 2));
                $running += ($fields[0] ?? 'T') !== 'T' && ($fields[0] ?? 't') !== 't' ? 1 : 0;
            }
        } while ($running > 0 && microtime(true) < $deadline && usleep(1000) === null);
    }

    /** Starts a second server on the same Redis; returns its address. */
    public function startExtraServer(string $name, array $args): string
    {
        $port = self::freePort();
        $this->spawn($name, [
            getenv('AVAILABILITY_SERVER_BIN'),
            '--listen=127.0.0.1:' . $port,
            '--sync_listen=127.0.0.1:' . self::freePort(),
            '--metrics_listen=127.0.0.1:' . self::freePort(),
            '--redis_port=' . $this->redisPort,
            ...$args,
        ]);
        $this->waitHealthy('127.0.0.1:' . $port, $name);
        return '127.0.0.1:' . $port;
    }

    /** Calls of a storefront method the server finished, any status (its /metrics). */
    public function calls(string $method): int
    {
        $metrics = (string) file_get_contents('http://127.0.0.1:' . $this->metricsPort . '/metrics');
        preg_match_all('/^grpc_server_handled_total\{[^}]*grpc_method="' . preg_quote($method, '/') . '"[^}]*\} (\d+)/m', $metrics, $m);
        return (int) array_sum($m[1]);
    }

    /** Runs the project's CLI against this stack; returns its stdout. */
    public function cli(string ...$args): string
    {
        $cmd = array_merge([getenv('AVAILABILITY_CLI_BIN')], $args);
        $env = [
            'AVAILABILITY_SERVER' => $this->address(),
            'AVAILABILITY_SYNC_SERVER' => $this->syncAddress(),
            'PATH' => (string) getenv('PATH'),
        ];
        $proc = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['file', $this->dir . '/cli.log', 'a']], $pipes, null, $env);
        $out = stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        $rc = proc_close($proc);
        if ($rc !== 0) {
            throw new \RuntimeException(implode(' ', $args) . " exited $rc: " . $out
                . @file_get_contents($this->dir . '/cli.log'));
        }
        return $out;
    }

    private function startRedis(): void
    {
        $this->spawn('redis', [
            'redis-server', '--port', (string) $this->redisPort, '--bind', '127.0.0.1',
            '--dir', $this->dir, '--save', '', '--appendonly', 'no', '--loglevel', 'warning',
        ]);
        $deadline = microtime(true) + 10;
        while (microtime(true) < $deadline) {
            $socket = @stream_socket_client('tcp://127.0.0.1:' . $this->redisPort, $errno, $errstr, 0.2);
            if ($socket !== false) {
                fwrite($socket, "PING\r\n");
                $reply = fgets($socket);
                fclose($socket);
                if ($reply === "+PONG\r\n") {
                    return;
                }
            }
            usleep(50000);
        }
        throw new \RuntimeException('redis-server did not start: ' . $this->log('redis'));
    }

    private function startServer(): void
    {
        $this->spawn('server', [
            getenv('AVAILABILITY_SERVER_BIN'),
            '--listen=' . $this->address(),
            '--sync_listen=' . $this->syncAddress(),
            '--metrics_listen=127.0.0.1:' . $this->metricsPort,
            '--sync_token_file=' . $this->dir . '/sync-token',
            '--sync_read_token_file=' . $this->dir . '/sync-read-token',
            '--subscription_secret_file=' . $this->dir . '/subscription-secret',
            '--redis_port=' . $this->redisPort,
            ...$this->serverArgs,
        ]);
        $this->waitHealthy($this->address(), 'server');
    }

    private function waitHealthy(string $address, string $name): void
    {
        $deadline = microtime(true) + 20;
        if (preg_grep('/^--tls_cert_file=/', $this->serverArgs)) {
            // The CLI speaks plaintext only: wait for the TLS port to accept.
            while (microtime(true) < $deadline) {
                $socket = @stream_socket_client('tcp://' . $address, $errno, $errstr, 0.2);
                if ($socket !== false) {
                    fclose($socket);
                    return;
                }
                usleep(50000);
            }
        }
        while (microtime(true) < $deadline) {
            exec(escapeshellarg((string) getenv('AVAILABILITY_CLI_BIN')) . ' --server ' . $address
                . ' --timeout 500 health >/dev/null 2>&1', $ignored, $rc);
            if ($rc === 0) {
                return;
            }
            usleep(50000);
        }
        throw new \RuntimeException("$name did not become healthy: " . $this->log($name));
    }

    private function loadDemoCatalog(): void
    {
        $tokenFile = $this->dir . '/sync-token';
        $this->cli('demo-catalog', '--out', $this->dir . '/catalog');
        $this->cli('setup-demo-store', '--token-file', $tokenFile);
        $this->cli('import', $this->dir . '/catalog/records.jsonl', '--token-file', $tokenFile);
    }

    /** @param string[] $cmd */
    private function spawn(string $name, array $cmd): void
    {
        $log = $this->dir . "/$name.log";
        $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'a'], 2 => ['file', $log, 'a']], $pipes);
        if (!is_resource($proc)) {
            throw new \RuntimeException("cannot start $name");
        }
        $this->procs[$name] = $proc;
    }

    private function pid(string $name): int
    {
        return proc_get_status($this->procs[$name])['pid'];
    }

    private function kill(string $name): void
    {
        if (!isset($this->procs[$name])) {
            return;
        }
        $pid = $this->pid($name);
        posix_kill($pid, SIGCONT);
        posix_kill($pid, SIGKILL);
        proc_close($this->procs[$name]);
        unset($this->procs[$name]);
    }

    private function log(string $name): string
    {
        return (string) @file_get_contents($this->dir . "/$name.log");
    }

    private static function tempDir(): string
    {
        $dir = sys_get_temp_dir() . '/av-php-' . bin2hex(random_bytes(6));
        mkdir($dir, 0700);
        return $dir;
    }

    /**
     * A free loopback port below the kernel's ephemeral range (outgoing
     * connections take their source ports from that range).
     */
    public static function freePort(): int
    {
        $range = @file_get_contents('/proc/sys/net/ipv4/ip_local_port_range');
        $start = $range !== false ? (int) preg_split('/\s+/', trim($range))[0] : 32768;
        for ($attempt = 0; $attempt < 64 && $start - 10000 >= 1000; $attempt++) {
            $port = random_int(10000, $start - 1);
            $socket = @stream_socket_server("tcp://127.0.0.1:$port", $errno, $errstr);
            if ($socket !== false) {
                fclose($socket);
                return $port;
            }
        }
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr(strrchr(stream_socket_get_name($socket, false), ':'), 1);
        fclose($socket);
        return $port;
    }
}
