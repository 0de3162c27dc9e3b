<?php
/**
 * The storefront service's stub (availability.v1.Availability) with the
 * answers decoded by WireDecoder instead of the generated classes; the
 * requests are still the generated messages. The gRPC userland library
 * deserializes a reply by `new $class()` + mergeFromString($bytes), which
 * DecodedAnswer / DecodedBatch implement. Not thread-safe (PHP has none).
 */

declare(strict_types=1);

namespace Availability\Client\Grpc;

use Availability\V1\BackInStockSubscription;
use Availability\V1\BatchGetAvailabilityRequest;
use Availability\V1\GetAvailabilityRequest;
use Availability\V1\SubscribeBackInStockResponse;
use Availability\V1\UnsubscribeBackInStockResponse;

final class StorefrontStub extends \Grpc\BaseStub
{
    private const SERVICE = '/availability.v1.Availability/';

    public function GetAvailability(GetAvailabilityRequest $request, array $metadata = [], array $options = []): \Grpc\UnaryCall
    {
        return $this->_simpleRequest(self::SERVICE . 'GetAvailability', $request,
            [DecodedAnswer::class, 'mergeFromString'], $metadata, $options);
    }

    public function BatchGetAvailability(BatchGetAvailabilityRequest $request, array $metadata = [], array $options = []): \Grpc\UnaryCall
    {
        return $this->_simpleRequest(self::SERVICE . 'BatchGetAvailability', $request,
            [DecodedBatch::class, 'mergeFromString'], $metadata, $options);
    }

    public function SubscribeBackInStock(BackInStockSubscription $request, array $metadata = [], array $options = []): \Grpc\UnaryCall
    {
        return $this->_simpleRequest(self::SERVICE . 'SubscribeBackInStock', $request,
            [SubscribeBackInStockResponse::class, 'decode'], $metadata, $options);
    }

    public function UnsubscribeBackInStock(BackInStockSubscription $request, array $metadata = [], array $options = []): \Grpc\UnaryCall
    {
        return $this->_simpleRequest(self::SERVICE . 'UnsubscribeBackInStock', $request,
            [UnsubscribeBackInStockResponse::class, 'decode'], $metadata, $options);
    }
}
