<?php
/**
 * AvailabilityClientInterface over the generated gRPC stubs. Every call
 * carries a deadline (the configured timeouts), passes the circuit breaker
 * first and reports its outcome to it; lookups never throw (a \Throwable
 * from the gRPC layer becomes Outcome::Error and is logged). The stub, and
 * with it the extension's persistent channel, is created on first use and
 * kept for the life of the object (one per php-fpm worker). Not for use in
 * a process that forks after the first call.
 */

declare(strict_types=1);

namespace Availability\Client\Grpc;

use Availability\Client\AvailabilityClientInterface;
use Availability\Client\AvailabilityException;
use Availability\Client\Breaker\CircuitBreaker;
use Availability\Client\ClientConfig;
use Availability\Client\Outcome;
use Availability\Client\RequestValidator;
use Availability\Client\Result;
use Availability\Client\SubscriberProof;
use Availability\V1\BackInStockSubscription;
use Availability\V1\BatchGetAvailabilityRequest;
use Availability\V1\BatchGetAvailabilityRequest\Item;
use Availability\V1\GetAvailabilityRequest;
use Availability\V1\Scope;

final class GrpcAvailabilityClient implements AvailabilityClientInterface
{
    private ?StorefrontStub $stub = null;

    /** @param ?\Closure(string): void $log receives one line per failure */
    public function __construct(
        private readonly ClientConfig $config,
        private readonly CircuitBreaker $breaker,
        private readonly ?\Closure $log = null,
        private readonly ChannelFactory $channels = new ChannelFactory(),
    ) {
    }

    public function get(
        string $sku,
        string $salesChannel,
        ?float $quantity = null,
        int $maxAlternatives = 0,
        ?int $timeoutMs = null,
    ): Result {
        $error = RequestValidator::skuError($sku)
            ?? RequestValidator::salesChannelError($salesChannel)
            ?? ($quantity !== null ? RequestValidator::quantityError($quantity) : null)
            ?? ($maxAlternatives < 0 || $maxAlternatives > 20 ? 'max_alternatives: must be 0..20' : null);
        if ($error !== null) {
            return Result::fallback(Outcome::InvalidRequest, $error);
        }
        $request = new GetAvailabilityRequest();
        $request->setSku($sku);
        $request->setScope(self::scope($salesChannel));
        if ($quantity !== null) {
            $request->setQuantity($quantity);
        }
        $request->setMaxAlternatives($maxAlternatives);
        [$reply, $outcome, $message] = $this->call(
            'GetAvailability',
            $request,
            $timeoutMs ?? $this->config->productTimeoutMs,
        );
        if ($outcome !== Outcome::Ok) {
            return Result::fallback($outcome, $message);
        }
        return $reply->result;
    }

    public function batchGet(array $skus, string $salesChannel, ?int $timeoutMs = null): array
    {
        $results = [];
        $valid = [];
        foreach (array_unique(array_map('strval', $skus)) as $i => $sku) {
            $error = RequestValidator::skuError($sku, "skus[$i]");
            if ($error !== null) {
                $results[$sku] = Result::fallback(Outcome::InvalidRequest, $error);
            } else {
                $results[$sku] = null;
                $valid[] = $sku;
            }
        }
        $channelError = RequestValidator::salesChannelError($salesChannel);
        $deadline = hrtime(true) + ($timeoutMs ?? $this->config->listingTimeoutMs) * 1_000_000;
        foreach (RequestValidator::chunks($valid) as $chunk) {
            $left = intdiv($deadline - hrtime(true), 1_000_000);
            if ($channelError !== null || $left < 1) {
                $fallback = $channelError !== null
                    ? Result::fallback(Outcome::InvalidRequest, $channelError)
                    : Result::fallback(Outcome::DeadlineExceeded, 'no time left for this chunk');
                foreach ($chunk as $sku) {
                    $results[$sku] = $fallback;
                }
                continue;
            }
            $request = new BatchGetAvailabilityRequest();
            $request->setScope(self::scope($salesChannel));
            $items = [];
            foreach ($chunk as $sku) {
                $item = new Item();
                $item->setSku($sku);
                $items[] = $item;
            }
            $request->setItems($items);
            [$reply, $outcome, $message] = $this->call('BatchGetAvailability', $request, $left);
            $answers = $outcome === Outcome::Ok ? $reply->results : [];
            foreach ($chunk as $k => $sku) {
                $results[$sku] = $answers[$k]
                    ?? Result::fallback($outcome === Outcome::Ok ? Outcome::Error : $outcome,
                        $outcome === Outcome::Ok ? 'missing from the batch answer' : $message);
            }
        }
        return $results;
    }

    public function subscribeBackInStock(string $sku, string $salesChannel, string $subscriberId): bool
    {
        $reply = $this->write('SubscribeBackInStock', $sku, $salesChannel, $subscriberId);
        return $reply->getCreated();
    }

    public function unsubscribeBackInStock(string $sku, string $salesChannel, string $subscriberId): bool
    {
        $reply = $this->write('UnsubscribeBackInStock', $sku, $salesChannel, $subscriberId);
        return $reply->getRemoved();
    }

    private function write(string $method, string $sku, string $salesChannel, string $subscriberId): object
    {
        $error = RequestValidator::skuError($sku)
            ?? RequestValidator::salesChannelError($salesChannel)
            ?? ($subscriberId === '' ? 'subscriber_id: empty' : null)
            ?? (strlen($subscriberId) > 256 ? 'subscriber_id: longer than 256 bytes' : null);
        if ($error !== null) {
            throw new AvailabilityException(Outcome::InvalidRequest, $error);
        }
        $request = new BackInStockSubscription();
        $request->setSku($sku);
        $request->setScope(self::scope($salesChannel));
        $request->setSubscriberId($subscriberId);
        if ($this->config->subscriptionSecret !== '') {
            $request->setSubscriberProof(SubscriberProof::of($this->config->subscriptionSecret, $subscriberId));
        }
        [$reply, $outcome, $message] = $this->call($method, $request, $this->config->writeTimeoutMs);
        if ($outcome !== Outcome::Ok) {
            throw new AvailabilityException($outcome, "$method: $message");
        }
        return $reply;
    }

    /**
     * One unary call through the breaker, with a deadline.
     *
     * @return array{0: ?object, 1: Outcome, 2: string} reply, outcome, message
     */
    private function call(string $method, object $request, int $timeoutMs): array
    {
        $host = $this->config->address;
        if (!$this->breaker->allow($host)) {
            return [null, Outcome::BreakerOpen, 'circuit breaker open for ' . $host];
        }
        try {
            $this->stub ??= $this->channels->storefrontStub($this->config);
            $start = hrtime(true);
            if (!$this->readyWithin($timeoutMs)) {
                $outcome = Outcome::Unavailable;
                $message = 'not connected within ' . $timeoutMs . ' ms';
                $reply = null;
            } else {
                $left = max(1, $timeoutMs - intdiv(hrtime(true) - $start, 1_000_000));
                [$reply, $status] = $this->stub->$method($request, [], ['timeout' => $left * 1000])->wait();
                $outcome = StatusMapper::outcome((int) $status->code);
                $message = (string) $status->details;
                if ($outcome === Outcome::Busy && str_starts_with($message, 'subscriptions: ')) {
                    // A subscription cap (per subscriber or SKU) is an answer
                    // about the request, not load shedding: no breaker failure.
                    $outcome = Outcome::InvalidRequest;
                }
            }
        } catch (\Throwable $e) {
            $reply = null;
            $outcome = Outcome::Error;
            $message = get_class($e) . ': ' . $e->getMessage();
        }
        if ($outcome->countsAsFailure()) {
            $this->breaker->recordFailure($host);
        } elseif ($outcome !== Outcome::Error) {
            $this->breaker->recordSuccess($host);
        }
        if ($outcome !== Outcome::Ok && $outcome !== Outcome::NotFound && $this->log !== null) {
            ($this->log)(sprintf('availability %s %s: %s %s', $method, $host, $outcome->value, $message));
        }
        return [$outcome === Outcome::Ok ? $reply : null, $outcome, $message];
    }

    /**
     * The extension has no thread of its own: gRPC's reconnect backoff timer
     * only runs while a call or a wait polls the channel, and a call on a
     * channel in TRANSIENT_FAILURE fails at once. So after a failure, wait
     * (within the call's budget) for the channel to reconnect; a healthy
     * channel returns at once. ChannelFactory caps the backoff below the
     * breaker's cool-down, so the half-open probe finds the timer due.
     */
    private function readyWithin(int $timeoutMs): bool
    {
        if ($this->stub->getConnectivityState(false) !== \Grpc\CHANNEL_TRANSIENT_FAILURE) {
            return true;
        }
        return $this->stub->waitForReady($timeoutMs * 1000);
    }

    private static function scope(string $salesChannel): Scope
    {
        $scope = new Scope();
        $scope->setSalesChannel($salesChannel);
        return $scope;
    }
}
