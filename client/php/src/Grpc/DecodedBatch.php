<?php
/**
 * A BatchGetAvailability reply decoded by WireDecoder (see DecodedAnswer).
 */

declare(strict_types=1);

namespace Availability\Client\Grpc;

use Availability\Client\Result;

final class DecodedBatch
{
    /** @var Result[] */
    public array $results = [];

    public function mergeFromString(string $bytes): void
    {
        $this->results = WireDecoder::batch($bytes);
    }
}
