<?php
/**
 * Why a lookup did or did not produce an answer. Every outcome but Ok means
 * "render Magento's own status and nothing extra" (docs/magento.md).
 * countsAsFailure(): outcomes that say the server is unwell (they feed the
 * circuit breaker); the others are answers about the request itself.
 */

declare(strict_types=1);

namespace Availability\Client;

enum Outcome: string
{
    case Ok = 'ok';
    /** The server does not know the SKU in this scope (NOT_FOUND). */
    case NotFound = 'not_found';
    /** The server answered STATUS_UNKNOWN (no record it can decide on). */
    case Unknown = 'unknown';
    /** The request broke a rule (client-side check or INVALID_ARGUMENT). */
    case InvalidRequest = 'invalid_request';
    case Unavailable = 'unavailable';
    case DeadlineExceeded = 'deadline_exceeded';
    /** RESOURCE_EXHAUSTED: the server sheds load. */
    case Busy = 'busy';
    /** The circuit breaker is open: no call was made. */
    case BreakerOpen = 'breaker_open';
    /** Any other gRPC failure (INTERNAL, UNAUTHENTICATED, ...). */
    case Error = 'error';

    public function countsAsFailure(): bool
    {
        return $this === self::Unavailable || $this === self::DeadlineExceeded
            || $this === self::Busy;
    }
}
