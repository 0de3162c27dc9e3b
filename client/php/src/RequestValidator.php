<?php
/**
 * The server's request rules, checked before a call so that one bad SKU
 * cannot fail a whole batch (the server rejects a batch with any invalid
 * item): SKU 1..64 bytes of valid UTF-8 (Magento allows 64 characters,
 * which can be more bytes), quantities > 0 with at most 4 decimals, batches
 * of at most 500. Errors name the field and the rule. Stateless.
 */

declare(strict_types=1);

namespace Availability\Client;

final class RequestValidator
{
    public const MAX_SKU_BYTES = 64;
    public const MAX_BATCH = 500;

    /** Null when valid, else e.g. "items[3].sku: not valid UTF-8". */
    public static function skuError(string $sku, string $field = 'sku'): ?string
    {
        if ($sku === '') {
            return "$field: empty";
        }
        if (strlen($sku) > self::MAX_SKU_BYTES) {
            return "$field: longer than " . self::MAX_SKU_BYTES . ' bytes';
        }
        if (!mb_check_encoding($sku, 'UTF-8')) {
            return "$field: not valid UTF-8";
        }
        return null;
    }

    public static function quantityError(float $quantity, string $field = 'quantity'): ?string
    {
        if (is_nan($quantity)) {
            return "$field: not a number";
        }
        if (is_infinite($quantity)) {
            return "$field: infinite";
        }
        if ($quantity <= 0) {
            return "$field: must be greater than 0";
        }
        $scaled = $quantity * 10000;
        if (abs($scaled - round($scaled)) > 1e-6 * max(1.0, abs($scaled))) {
            return "$field: more than 4 decimals";
        }
        return null;
    }

    public static function salesChannelError(string $code): ?string
    {
        if ($code === '') {
            return 'scope.sales_channel: empty';
        }
        if (strlen($code) > 64) {
            return 'scope.sales_channel: longer than 64 bytes';
        }
        return null;
    }

    /**
     * @param string[] $skus
     * @return string[][] chunks of at most MAX_BATCH, order kept
     */
    public static function chunks(array $skus): array
    {
        return array_chunk(array_values($skus), self::MAX_BATCH);
    }
}
