<?php
/**
 * A GetAvailability reply decoded by WireDecoder (StorefrontStub hands its
 * class to the gRPC library, which calls mergeFromString on the bytes).
 */

declare(strict_types=1);

namespace Availability\Client\Grpc;

use Availability\Client\Result;

final class DecodedAnswer
{
    public Result $result;

    public function mergeFromString(string $bytes): void
    {
        $this->result = WireDecoder::productAvailability($bytes);
    }
}
