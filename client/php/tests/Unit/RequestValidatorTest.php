<?php

declare(strict_types=1);

namespace Availability\Client\Tests\Unit;

use Availability\Client\RequestValidator;
use PHPUnit\Framework\TestCase;

final class RequestValidatorTest extends TestCase
{
    public function testSkuLimitsAreBytesNotCharacters(): void
    {
        $this->assertNull(RequestValidator::skuError(str_repeat('a', 64)));
        $this->assertSame('sku: longer than 64 bytes', RequestValidator::skuError(str_repeat('a', 65)));
        // 33 two-byte characters: a valid Magento SKU (64 characters max), 66 bytes.
        $this->assertSame('items[3].sku: longer than 64 bytes',
            RequestValidator::skuError(str_repeat('ä', 33), 'items[3].sku'));
        $this->assertNull(RequestValidator::skuError(str_repeat('ä', 32)));
    }

    public function testSkuMustBeNonEmptyUtf8(): void
    {
        $this->assertSame('sku: empty', RequestValidator::skuError(''));
        $this->assertSame('skus[1]: not valid UTF-8', RequestValidator::skuError("AB\xC3", 'skus[1]'));
        $this->assertNull(RequestValidator::skuError('Ü-€-1'));
    }

    public function testQuantityHasAtMostFourDecimals(): void
    {
        $this->assertNull(RequestValidator::quantityError(1.2345));
        $this->assertNull(RequestValidator::quantityError(10.0));
        $this->assertSame('quantity: more than 4 decimals', RequestValidator::quantityError(1.23456));
        $this->assertSame('quantity: must be greater than 0', RequestValidator::quantityError(0.0));
        $this->assertSame('quantity: must be greater than 0', RequestValidator::quantityError(-1.0));
        $this->assertSame('quantity: not a number', RequestValidator::quantityError(NAN));
        $this->assertSame('quantity: infinite', RequestValidator::quantityError(INF));
    }

    public function testSalesChannel(): void
    {
        $this->assertNull(RequestValidator::salesChannelError('base'));
        $this->assertSame('scope.sales_channel: empty', RequestValidator::salesChannelError(''));
        $this->assertSame('scope.sales_channel: longer than 64 bytes',
            RequestValidator::salesChannelError(str_repeat('w', 65)));
    }

    public function testChunksOfFiveHundredKeepOrder(): void
    {
        $skus = array_map(static fn (int $i): string => "SKU-$i", range(1, 1001));
        $chunks = RequestValidator::chunks($skus);
        $this->assertSame([500, 500, 1], array_map('count', $chunks));
        $this->assertSame('SKU-1', $chunks[0][0]);
        $this->assertSame('SKU-501', $chunks[1][0]);
        $this->assertSame('SKU-1001', $chunks[2][0]);
        $this->assertSame([], RequestValidator::chunks([]));
    }
}
