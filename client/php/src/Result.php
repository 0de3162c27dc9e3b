<?php
/**
 * The result of one lookup: an Availability when the outcome is Ok, else the
 * reason the caller falls back to Magento's own status ($message says more,
 * e.g. "sku: longer than 64 bytes"). Immutable value object.
 */

declare(strict_types=1);

namespace Availability\Client;

final class Result
{
    private function __construct(
        public readonly Outcome $outcome,
        public readonly ?Availability $availability,
        public readonly string $message,
    ) {
    }

    public static function ok(Availability $availability): self
    {
        return new self(Outcome::Ok, $availability, '');
    }

    public static function fallback(Outcome $outcome, string $message = ''): self
    {
        return new self($outcome, null, $message);
    }

    public function isOk(): bool
    {
        return $this->availability !== null;
    }
}
