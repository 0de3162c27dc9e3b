<?php
/**
 * gRPC status codes (numbers, as the grpc extension reports them in
 * $status->code and in a batch item's error.code) to Outcome. Stateless.
 */

declare(strict_types=1);

namespace Availability\Client\Grpc;

use Availability\Client\Outcome;

final class StatusMapper
{
    public const OK = 0;
    public const INVALID_ARGUMENT = 3;
    public const DEADLINE_EXCEEDED = 4;
    public const NOT_FOUND = 5;
    public const RESOURCE_EXHAUSTED = 8;
    public const UNAVAILABLE = 14;

    public static function outcome(int $code): Outcome
    {
        return match ($code) {
            self::OK => Outcome::Ok,
            self::NOT_FOUND => Outcome::NotFound,
            self::INVALID_ARGUMENT => Outcome::InvalidRequest,
            self::UNAVAILABLE => Outcome::Unavailable,
            self::DEADLINE_EXCEEDED => Outcome::DeadlineExceeded,
            self::RESOURCE_EXHAUSTED => Outcome::Busy,
            default => Outcome::Error,
        };
    }
}
