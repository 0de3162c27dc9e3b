<?php
/**
 * A write-side call (subscribe/unsubscribe, event tail) failed; $outcome
 * says how. Lookups never throw: they return a Result.
 */

declare(strict_types=1);

namespace Availability\Client;

final class AvailabilityException extends \RuntimeException
{
    public function __construct(public readonly Outcome $outcome, string $message)
    {
        parent::__construct($message);
    }
}
