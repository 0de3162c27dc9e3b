<?php
/**
 * Builds the library's gRPC client from the configuration, once per
 * request (the channel under it persists across the worker's requests).
 * The breaker shares its state through APCu when enabled, else per process.
 * A broken setting is logged once and yields null: pages show Magento's
 * status. Never use the client in a process that forks (docs/magento.md).
 */

declare(strict_types=1);

namespace AvailabilityService\Core\Model;

use Availability\Client\AvailabilityClientInterface;
use Availability\Client\Breaker\ApcuBreakerStore;
use Availability\Client\Breaker\CircuitBreaker;
use Availability\Client\Breaker\InMemoryBreakerStore;
use Availability\Client\Grpc\GrpcAvailabilityClient;
use Psr\Log\LoggerInterface;

class ClientFactory
{
    private ?AvailabilityClientInterface $client = null;
    private bool $broken = false;

    public function __construct(
        private readonly Config $config,
        private readonly LoggerInterface $logger,
    ) {
    }

    public function get(): ?AvailabilityClientInterface
    {
        if ($this->client !== null || $this->broken) {
            return $this->client;
        }
        try {
            $store = ApcuBreakerStore::available() ? new ApcuBreakerStore() : new InMemoryBreakerStore();
            $breaker = new CircuitBreaker($store, $this->config->breakerFailures(), 20,
                $this->config->breakerCoolDownSeconds());
            $logger = $this->logger;
            $this->client = new GrpcAvailabilityClient(
                $this->config->storefrontClientConfig(),
                $breaker,
                static function (string $line) use ($logger): void {
                    $logger->warning($line);
                },
            );
        } catch (\InvalidArgumentException $e) {
            $this->broken = true;
            $this->logger->error('availability service: configuration: ' . $e->getMessage());
        }
        return $this->client;
    }
}
